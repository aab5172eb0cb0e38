// RAII wrappers over the SQLite C API (see sqlite_util.h).
#include "sqlite_util.h"

namespace needle::store_detail {

void throw_sqlite(sqlite3* db, int rc, const std::string& what) {
  const std::string msg = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) +
                          " (SQLite code " + std::to_string(rc) + ")";
  const int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT) throw StoreError(StoreError::Kind::Corrupt, msg);
  if (primary == SQLITE_NOTADB) throw StoreError(StoreError::Kind::NotAStore, msg);
  if (primary == SQLITE_CONSTRAINT) throw StoreError(StoreError::Kind::Usage, msg);
  throw StoreError(StoreError::Kind::Io, msg);
}

Db::Db(const std::string& path, int flags) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = std::string("cannot open ") + path + ": " +
                            (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw StoreError(StoreError::Kind::Io, msg);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    if (db_) sqlite3_close_v2(db_);
    db_ = o.db_;
    o.db_ = nullptr;
  }
  return *this;
}

Db::~Db() {
  if (db_) sqlite3_close_v2(db_);
}

void Db::exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (err) sqlite3_free(err);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "SQL failed");
}

std::int64_t Db::query_int(const std::string& sql) {
  Stmt s(*this, sql.c_str());
  return s.step() ? s.col_int(0) : 0;
}

std::string Db::query_text(const std::string& sql) {
  Stmt s(*this, sql.c_str());
  return s.step() ? s.col_text(0) : std::string();
}

Stmt::Stmt(const Db& db, const char* sql) : db_(db.get()) {
  const int rc = sqlite3_prepare_v2(db_, sql, -1, &st_, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, std::string("cannot prepare '") + sql + "'");
}

Stmt::~Stmt() {
  sqlite3_finalize(st_);
}

Stmt& Stmt::bind(int i, const std::string& v) {
  sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  sqlite3_bind_double(st_, i, v);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(st_, i);
  return *this;
}

bool Stmt::step() {
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sqlite(db_, rc, "SQL statement failed");
}

std::int64_t Stmt::col_int(int i) const {
  return sqlite3_column_int64(st_, i);
}
double Stmt::col_double(int i) const {
  return sqlite3_column_double(st_, i);
}
std::string Stmt::col_text(int i) const {
  const unsigned char* t = sqlite3_column_text(st_, i);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<std::size_t>(sqlite3_column_bytes(st_, i)))
           : std::string();
}
bool Stmt::col_null(int i) const {
  return sqlite3_column_type(st_, i) == SQLITE_NULL;
}

Transaction::Transaction(Db& db) : db_(db) {
  // IMMEDIATE takes the write lock up front, so two writers wait for each other (busy timeout)
  // instead of failing when a read transaction tries to upgrade.
  db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace needle::store_detail
