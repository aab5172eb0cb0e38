// The review store: opening and validating the file, schema migrations, actions (queries in
// store_queries.cpp, object resolution in store_impl.h).
//
// Index
//   [SECTION] Schema and migrations
//   [SECTION] Opening and validation
//   [SECTION] Actions (one transaction each)
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <utility>

#include "needle/store.h"
#include "sqlite_util.h"
#include "store_impl.h"

namespace needle {

using store_detail::Db;
using store_detail::now_iso;
using store_detail::Stmt;
using store_detail::Transaction;
namespace fs = std::filesystem;

namespace {

// ============================================================================================
// [SECTION] Schema and migrations
// ============================================================================================
// PRAGMA application_id of a needle store: "NDLR" in ASCII, so that `file` and needle can tell a
// needle store from any other SQLite database.
constexpr std::int64_t kApplicationId = 0x4E444C52;
// How long a writer waits for another process's transaction before giving up (ms). Every action
// is a few small statements (well under 10 ms), so 10 s only runs out when a process hangs.
constexpr int kBusyTimeoutMs = 10000;

// Schema v1: line-index references only.
const char* const kSchemaV1 = R"SQL(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE objects(id INTEGER PRIMARY KEY, frame TEXT NOT NULL, source TEXT NOT NULL,
                     idx INTEGER NOT NULL);
CREATE INDEX objects_by_frame ON objects(frame, source);
CREATE TABLE reviewed(frame TEXT PRIMARY KEY, user TEXT NOT NULL, time TEXT NOT NULL);
CREATE TABLE tags(object_id INTEGER NOT NULL REFERENCES objects(id), tag TEXT NOT NULL,
                  user TEXT NOT NULL, time TEXT NOT NULL, PRIMARY KEY(object_id, tag));
CREATE INDEX tags_by_tag ON tags(tag);
CREATE TABLE issues(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                    description TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
                    updated TEXT NOT NULL);
CREATE TABLE elements(issue_id INTEGER NOT NULL REFERENCES issues(id),
                      object_id INTEGER NOT NULL REFERENCES objects(id),
                      state TEXT NOT NULL CHECK(state IN ('unsorted', 'added', 'discarded')),
                      user TEXT NOT NULL, time TEXT NOT NULL, PRIMARY KEY(issue_id, object_id));
CREATE TABLE verdicts(object_id INTEGER NOT NULL REFERENCES objects(id), kind TEXT NOT NULL,
                      verdict TEXT NOT NULL CHECK(verdict IN
                        ('label_error', 'model_error', 'ambiguous', 'not_an_error')),
                      note TEXT NOT NULL DEFAULT '', user TEXT NOT NULL, time TEXT NOT NULL,
                      PRIMARY KEY(object_id, kind));
CREATE TABLE history(id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
                     user TEXT NOT NULL, action TEXT NOT NULL, ref TEXT NOT NULL,
                     object_id INTEGER REFERENCES objects(id), detail TEXT NOT NULL);
CREATE TRIGGER history_no_update BEFORE UPDATE ON history
  BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
  BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END;
INSERT INTO meta VALUES('application', 'needle review store');
)SQL";

// Schema v2: object fingerprints (object_identity.h). NULL in rows written by v1.
const char* const kSchemaV2 = R"SQL(
ALTER TABLE objects ADD COLUMN cls TEXT;
ALTER TABLE objects ADD COLUMN x1 REAL;
ALTER TABLE objects ADD COLUMN y1 REAL;
ALTER TABLE objects ADD COLUMN x2 REAL;
ALTER TABLE objects ADD COLUMN y2 REAL;
ALTER TABLE objects ADD COLUMN h REAL;
ALTER TABLE objects ADD COLUMN w REAL;
ALTER TABLE objects ADD COLUMN l REAL;
ALTER TABLE objects ADD COLUMN x REAL;
ALTER TABLE objects ADD COLUMN y REAL;
ALTER TABLE objects ADD COLUMN z REAL;
ALTER TABLE objects ADD COLUMN ry REAL;
)SQL";

const char* const kMigrations[] = {kSchemaV1, kSchemaV2};  // [i] takes version i to i + 1
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == ReviewStore::kSchemaVersion);

// Brings the schema from its current version to `target` in one transaction (a crash leaves the
// old version intact).
void migrate(Db& db, int target) {
  Transaction t(db);
  const int from = static_cast<int>(db.query_int("PRAGMA user_version"));
  if (from == 0) db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
  for (int v = from; v < target; ++v) db.exec(kMigrations[v]);
  if (from < target) db.exec("PRAGMA user_version = " + std::to_string(target));
  t.commit();
}

// ============================================================================================
// [SECTION] Opening and validation
// ============================================================================================
// Read-only checks of an existing file: nothing is written before they pass.
void validate_existing(const fs::path& path) {
  const std::string p = path.string();
  Db ro(p, SQLITE_OPEN_READONLY);
  std::int64_t app = 0, version = 0;
  try {
    app = ro.query_int("PRAGMA application_id");
    version = ro.query_int("PRAGMA user_version");
  } catch (const StoreError& e) {
    if (e.kind() == StoreError::Kind::NotAStore)
      throw StoreError(StoreError::Kind::NotAStore,
                       p + " is not a needle review store (not an SQLite database); it was left "
                           "untouched. Move it away or pass --store PATH.");
    throw StoreError(e.kind(), p + ": " + e.what());
  }
  if (app != kApplicationId)
    throw StoreError(StoreError::Kind::NotAStore,
                     p + " is not a needle review store (" +
                         (std::filesystem::file_size(path) == 0
                              ? std::string("an empty file")
                              : "SQLite application_id " + std::to_string(app)) +
                         "); it was left untouched. Move it away or pass --store PATH.");
  if (version > ReviewStore::kSchemaVersion)
    throw StoreError(StoreError::Kind::NewerSchema,
                     p + " has review-store schema " + std::to_string(version) +
                         ", newer than this needle's " +
                         std::to_string(ReviewStore::kSchemaVersion) +
                         "; it was left untouched. Use a newer needle.");
  std::string check;
  try {
    check = ro.query_text("PRAGMA quick_check");
  } catch (const StoreError& e) {
    throw StoreError(StoreError::Kind::Corrupt,
                     p + " is corrupt (" + e.what() + "); it was left untouched.");
  }
  if (check != "ok")
    throw StoreError(StoreError::Kind::Corrupt,
                     p + " is corrupt (integrity check: " + check + "); it was left untouched.");
}

Db open_connection(const fs::path& path, bool create) {
  Db db(path.string(), SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0));
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  // WAL: readers never block the writer and a killed writer loses only its open transaction.
  // synchronous=FULL: a committed action survives a power cut as well as a killed process.
  if (db.query_text("PRAGMA journal_mode = WAL") != "wal")
    throw StoreError(StoreError::Kind::Io, path.string() + ": cannot switch to WAL mode");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  return db;
}

}  // namespace

ReviewStore::ReviewStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReviewStore::ReviewStore(ReviewStore&&) noexcept = default;
ReviewStore& ReviewStore::operator=(ReviewStore&&) noexcept = default;
ReviewStore::~ReviewStore() = default;

ReviewStore ReviewStore::open(const fs::path& path, ObjectSource source, Mode mode) {
  const bool exists = fs::exists(path);
  if (!exists && mode == Mode::Existing)
    throw StoreError(StoreError::Kind::Io, "no review store at " + path.string());
  if (exists) {
    if (!fs::is_regular_file(path))
      throw StoreError(StoreError::Kind::NotAStore,
                       path.string() + " is not a file; it was left untouched.");
    validate_existing(path);
  } else if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec)
      throw StoreError(StoreError::Kind::Io,
                       "cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->db = open_connection(path, !exists);
  impl->source = std::move(source);
  migrate(impl->db, kSchemaVersion);
  return ReviewStore(std::move(impl));
}

void ReviewStore::create_at_version(const fs::path& path, int version) {
  if (fs::exists(path))
    throw StoreError(StoreError::Kind::Usage, path.string() + " exists already");
  if (version < 1 || version > kSchemaVersion)
    throw StoreError(StoreError::Kind::Usage, "no schema version " + std::to_string(version));
  Db db = open_connection(path, true);
  migrate(db, version);
}

int ReviewStore::schema_version() const {
  return static_cast<int>(impl_->db.query_int("PRAGMA user_version"));
}
const fs::path& ReviewStore::path() const {
  return impl_->path;
}
void ReviewStore::set_user(const std::string& user) {
  impl_->user = user;
}

// ============================================================================================
// [SECTION] Actions (one transaction each)
// ============================================================================================
bool ReviewStore::add_tag(const ObjectRef& ref, const std::string& tag) {
  if (tag.empty()) throw StoreError(StoreError::Kind::Usage, "empty tag");
  Impl& m = *impl_;
  m.clear_cache();
  Transaction t(m.db);
  const std::int64_t id = m.object_for_write(ref);
  const std::string now = now_iso();
  Stmt s(m.db, "INSERT OR IGNORE INTO tags(object_id, tag, user, time) VALUES(?1, ?2, ?3, ?4)");
  s.bind(1, id).bind(2, tag).bind(3, m.user).bind(4, now).run();
  const bool added = sqlite3_changes(m.db.get()) > 0;
  if (added) m.log(now, "tag add", &ref, id, tag);
  t.commit();
  return added;
}

bool ReviewStore::remove_tag(const ObjectRef& ref, const std::string& tag) {
  Impl& m = *impl_;
  m.clear_cache();
  Transaction t(m.db);
  const std::int64_t id = m.object_for_write(ref);
  Stmt s(m.db, "DELETE FROM tags WHERE object_id = ?1 AND tag = ?2");
  s.bind(1, id).bind(2, tag).run();
  const bool removed = sqlite3_changes(m.db.get()) > 0;
  if (removed) m.log(now_iso(), "tag rm", &ref, id, tag);
  t.commit();
  return removed;
}

void ReviewStore::create_issue(const std::string& name, const std::string& description) {
  if (name.empty()) throw StoreError(StoreError::Kind::Usage, "empty issue name");
  Impl& m = *impl_;
  Transaction t(m.db);
  {
    Stmt q(m.db, "SELECT 1 FROM issues WHERE name = ?1");
    q.bind(1, name);
    if (q.step()) throw StoreError(StoreError::Kind::Usage, "issue '" + name + "' exists already");
  }
  const std::string now = now_iso();
  Stmt s(m.db, "INSERT INTO issues(name, description, created, updated) VALUES(?1, ?2, ?3, ?3)");
  s.bind(1, name).bind(2, description).bind(3, now).run();
  m.log(now, "issue new", nullptr, std::nullopt,
        name + (description.empty() ? "" : ": ") + description);
  t.commit();
}

int ReviewStore::add_to_issue(const std::string& name, const std::vector<ObjectRef>& refs,
                              ElementState state) {
  Impl& m = *impl_;
  m.clear_cache();
  Transaction t(m.db);
  const std::int64_t issue = m.issue_id(name);
  const std::string now = now_iso();
  int added = 0;
  for (const ObjectRef& ref : refs) {
    const std::int64_t id = m.object_for_write(ref);
    Stmt s(m.db,
           "INSERT INTO elements(issue_id, object_id, state, user, time) VALUES(?1, ?2, ?3, ?4, "
           "?5) ON CONFLICT(issue_id, object_id) DO UPDATE SET state = excluded.state, "
           "user = excluded.user, time = excluded.time");
    Stmt before(m.db, "SELECT 1 FROM elements WHERE issue_id = ?1 AND object_id = ?2");
    before.bind(1, issue).bind(2, id);
    if (!before.step()) ++added;
    s.bind(1, issue).bind(2, id).bind(3, std::string(element_state_name(state)));
    s.bind(4, m.user).bind(5, now).run();
    m.log(now, "issue add", &ref, id, name + " " + element_state_name(state));
  }
  m.touch_issue(issue, now);
  t.commit();
  return added;
}

void ReviewStore::set_element_state(const std::string& name, const ObjectRef& ref,
                                    ElementState state) {
  Impl& m = *impl_;
  m.clear_cache();
  Transaction t(m.db);
  const std::int64_t issue = m.issue_id(name);
  const std::int64_t id = m.object_for_write(ref);
  const std::string now = now_iso();
  Stmt s(m.db,
         "UPDATE elements SET state = ?1, user = ?2, time = ?3 "
         "WHERE issue_id = ?4 AND object_id = ?5");
  s.bind(1, std::string(element_state_name(state))).bind(2, m.user).bind(3, now);
  s.bind(4, issue).bind(5, id).run();
  if (sqlite3_changes(m.db.get()) == 0)
    throw StoreError(StoreError::Kind::Usage,
                     ref.to_string() + " is not an element of issue '" + name + "'");
  m.touch_issue(issue, now);
  m.log(now, "issue set", &ref, id, name + " " + element_state_name(state));
  t.commit();
}

void ReviewStore::set_verdict(const ObjectRef& ref, const std::string& finding_kind,
                              VerdictKind verdict, const std::string& note) {
  if (finding_kind.empty()) throw StoreError(StoreError::Kind::Usage, "empty finding kind");
  Impl& m = *impl_;
  m.clear_cache();
  Transaction t(m.db);
  const std::int64_t id = m.object_for_write(ref);
  const std::string now = now_iso();
  Stmt s(m.db,
         "INSERT INTO verdicts(object_id, kind, verdict, note, user, time) VALUES(?1, ?2, ?3, "
         "?4, ?5, ?6) ON CONFLICT(object_id, kind) DO UPDATE SET verdict = excluded.verdict, "
         "note = excluded.note, user = excluded.user, time = excluded.time");
  s.bind(1, id).bind(2, finding_kind).bind(3, std::string(verdict_name(verdict)));
  s.bind(4, note).bind(5, m.user).bind(6, now).run();
  m.log(now, "verdict", &ref, id,
        finding_kind + " " + verdict_name(verdict) + (note.empty() ? "" : ": " + note));
  t.commit();
}

void ReviewStore::mark_reviewed(const std::string& frame) {
  Impl& m = *impl_;
  Transaction t(m.db);
  const std::int64_t id = m.object_for_write(ObjectRef{frame, "", -1});
  const std::string now = now_iso();
  Stmt s(m.db,
         "INSERT INTO reviewed(frame, user, time) VALUES(?1, ?2, ?3) ON CONFLICT(frame) DO "
         "UPDATE SET user = excluded.user, time = excluded.time");
  s.bind(1, frame).bind(2, m.user).bind(3, now).run();
  const ObjectRef ref{frame, "", -1};
  m.log(now, "reviewed", &ref, id, "");
  t.commit();
}
}  // namespace needle
