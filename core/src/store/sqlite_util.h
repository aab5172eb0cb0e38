// RAII wrappers over the SQLite C API for the review store (private to core/src/store/).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "needle/store.h"

namespace needle::store_detail {

// Maps an SQLite result code to the store's error kinds (corruption and "not a database" are
// told apart from I/O failures so the caller can say what is wrong with the file).
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, const std::string& what);

class Db {
 public:
  Db() = default;
  Db(const std::string& path, int flags);
  Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();
  sqlite3* get() const { return db_; }
  void exec(const std::string& sql);
  // Runs a pragma/query returning one integer (or text) in its first row.
  std::int64_t query_int(const std::string& sql);
  std::string query_text(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt(const Db& db, const char* sql);
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();
  Stmt& bind(int i, const std::string& v);
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, double v);
  Stmt& bind_null(int i);
  bool step();  // true: a row is ready; false: done. Throws StoreError on failure.
  void run() {
    while (step()) {
    }
  }
  std::int64_t col_int(int i) const;
  double col_double(int i) const;
  std::string col_text(int i) const;
  bool col_null(int i) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed without commit().
class Transaction {
 public:
  explicit Transaction(Db& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

}  // namespace needle::store_detail
