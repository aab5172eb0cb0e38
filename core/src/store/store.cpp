// The review store: opening and validating the file, schema migrations, actions and queries.
//
// Index
//   [SECTION] Schema and migrations
//   [SECTION] Opening and validation
//   [SECTION] Object references: resolution and creation
//   [SECTION] Actions (one transaction each)
//   [SECTION] Queries
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <utility>

#include "needle/store.h"
#include "sqlite_util.h"

namespace needle {

using store_detail::Db;
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

std::string now_iso() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[96];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return b;
}

std::string os_user() {
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) return pw->pw_name;
  if (const char* u = std::getenv("USER"); u && *u) return u;
  return "uid" + std::to_string(geteuid());
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

// ============================================================================================
// [SECTION] Object references: resolution and creation
// ============================================================================================
struct ReviewStore::Impl {
  fs::path path;
  Db db;
  ObjectSource source;
  std::string user = os_user();

  struct Row {
    std::int64_t id = 0;
    ObjectRef stored;
    std::optional<ObjectFingerprint> fp;
  };
  // Per-call cache: (frame, source) -> row id -> current index (-1 orphaned).
  std::map<std::pair<std::string, std::string>, std::map<std::int64_t, int>> resolved;
  std::map<std::int64_t, Row> rows;
  std::map<std::pair<std::string, std::string>, std::string> problems;  // unreadable files

  void clear_cache() {
    resolved.clear();
    rows.clear();
    problems.clear();
  }

  static Row read_row(const Stmt& s) {  // columns: id frame source idx cls x1..ry
    Row r;
    r.id = s.col_int(0);
    r.stored = {s.col_text(1), s.col_text(2), static_cast<int>(s.col_int(3))};
    if (!s.col_null(4)) {
      ObjectFingerprint f;
      f.cls = s.col_text(4);
      f.box2d = {s.col_double(5), s.col_double(6), s.col_double(7), s.col_double(8)};
      f.h = s.col_double(9);
      f.w = s.col_double(10);
      f.l = s.col_double(11);
      f.loc_cam = {s.col_double(12), s.col_double(13), s.col_double(14)};
      f.rotation_y = s.col_double(15);
      r.fp = f;
    }
    return r;
  }
  static constexpr const char* kRowColumns =
      "SELECT id, frame, source, idx, cls, x1, y1, x2, y2, h, w, l, x, y, z, ry FROM objects";

  const std::map<std::int64_t, int>& resolve_group(const std::string& frame,
                                                   const std::string& src) {
    const auto key = std::make_pair(frame, src);
    if (auto it = resolved.find(key); it != resolved.end()) return it->second;
    std::vector<Row> group;
    Stmt s(db,
           (std::string(kRowColumns) + " WHERE frame = ?1 AND source = ?2 ORDER BY id").c_str());
    s.bind(1, frame).bind(2, src);
    while (s.step()) group.push_back(read_row(s));
    std::map<std::int64_t, int>& out = resolved[key];
    std::optional<std::vector<Object>> current;
    std::string problem;
    try {
      if (!src.empty() && source) current = source(frame, src);
    } catch (const std::exception& e) {
      // A broken file (ParseError) makes its references unresolvable for now, not lost: they
      // are reported as orphaned with the reason and resolve again once the file is fixed.
      problem = e.what();
    }
    if (!problem.empty()) problems[key] = problem;
    std::vector<std::optional<ObjectFingerprint>> fps;
    std::vector<int> idx;
    for (const Row& r : group) {
      fps.push_back(r.fp);
      idx.push_back(r.stored.index);
      rows[r.id] = r;
    }
    std::vector<int> res(group.size(), -1);
    if (src.empty()) {
      for (std::size_t i = 0; i < group.size(); ++i) res[i] = -1;  // frames: no index
    } else if (current) {
      res = resolve_objects(fps, idx, *current);
    }
    for (std::size_t i = 0; i < group.size(); ++i) out[group[i].id] = res[i];
    return out;
  }

  ResolvedRef resolve(std::int64_t id) {
    if (!rows.count(id)) {
      Stmt s(db, (std::string(kRowColumns) + " WHERE id = ?1").c_str());
      s.bind(1, id);
      if (!s.step()) throw StoreError(StoreError::Kind::Corrupt, "dangling object id");
      const Row r = read_row(s);
      rows[id] = r;
    }
    const Row r = rows.at(id);
    ResolvedRef out;
    out.fingerprint = r.fp;
    out.ref = r.stored;
    if (r.stored.is_frame()) return out;
    const int cur = resolve_group(r.stored.frame, r.stored.source).at(id);
    if (cur < 0) {
      out.orphaned = true;
      if (auto it = problems.find({r.stored.frame, r.stored.source}); it != problems.end())
        out.problem = it->second;
    } else {
      out.ref.index = cur;
    }
    return out;
  }

  // The row for `ref` as the files are now, created (with its fingerprint) when new. Inside the
  // caller's write transaction.
  std::int64_t object_for_write(const ObjectRef& ref) {
    if (ref.is_frame()) {
      Stmt s(db, "SELECT id FROM objects WHERE frame = ?1 AND source = '' ORDER BY id LIMIT 1");
      s.bind(1, ref.frame);
      if (s.step()) return s.col_int(0);
      Stmt ins(db, "INSERT INTO objects(frame, source, idx) VALUES(?1, '', -1)");
      ins.bind(1, ref.frame).run();
      return sqlite3_last_insert_rowid(db.get());
    }
    if (ref.index < 0)
      throw StoreError(StoreError::Kind::Usage, "bad reference " + ref.to_string());
    std::optional<std::vector<Object>> current;
    if (source) current = source(ref.frame, ref.source);
    if (!current)
      throw StoreError(StoreError::Kind::Usage,
                       "bad reference " + ref.to_string() + ": no frame '" + ref.frame + "'" +
                           (ref.is_label() ? "" : " or no prediction set '" + ref.source + "'"));
    if (static_cast<std::size_t>(ref.index) >= current->size())
      throw StoreError(StoreError::Kind::Usage,
                       "bad reference " + ref.to_string() + ": index " + std::to_string(ref.index) +
                           " is past the end of frame " + ref.frame + "'s " +
                           (ref.is_label() ? "label file" : ref.source + " predictions") + " (" +
                           std::to_string(current->size()) + " objects)");
    const ObjectFingerprint fp = fingerprint_of((*current)[static_cast<std::size_t>(ref.index)]);
    for (const auto& [id, cur] : resolve_group(ref.frame, ref.source)) {
      if (cur != ref.index) continue;
      if (!rows.at(id).fp) write_fingerprint(id, fp);  // a v1 reference gains its fingerprint
      return id;
    }
    Stmt ins(db,
             "INSERT INTO objects(frame, source, idx, cls, x1, y1, x2, y2, h, w, l, x, y, z, ry) "
             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
    ins.bind(1, ref.frame).bind(2, ref.source).bind(3, ref.index);
    bind_fingerprint(ins, 4, fp);
    ins.run();
    const std::int64_t id = sqlite3_last_insert_rowid(db.get());
    clear_cache();
    return id;
  }

  static void bind_fingerprint(Stmt& s, int first, const ObjectFingerprint& f) {
    s.bind(first, f.cls)
        .bind(first + 1, f.box2d.x1)
        .bind(first + 2, f.box2d.y1)
        .bind(first + 3, f.box2d.x2)
        .bind(first + 4, f.box2d.y2)
        .bind(first + 5, f.h)
        .bind(first + 6, f.w)
        .bind(first + 7, f.l)
        .bind(first + 8, f.loc_cam.x)
        .bind(first + 9, f.loc_cam.y)
        .bind(first + 10, f.loc_cam.z)
        .bind(first + 11, f.rotation_y);
  }
  void write_fingerprint(std::int64_t id, const ObjectFingerprint& f) {
    Stmt s(db,
           "UPDATE objects SET cls = ?1, x1 = ?2, y1 = ?3, x2 = ?4, y2 = ?5, h = ?6, w = ?7, "
           "l = ?8, x = ?9, y = ?10, z = ?11, ry = ?12 WHERE id = ?13");
    bind_fingerprint(s, 1, f);
    s.bind(13, id).run();
    rows[id].fp = f;
  }

  void log(const std::string& time, const std::string& action, const ObjectRef* ref,
           std::optional<std::int64_t> object_id, const std::string& detail) {
    Stmt s(db,
           "INSERT INTO history(time, user, action, ref, object_id, detail) "
           "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    s.bind(1, time).bind(2, user).bind(3, action).bind(4, ref ? ref->to_string() : "");
    if (object_id) {
      s.bind(5, *object_id);
    } else {
      s.bind_null(5);
    }
    s.bind(6, detail).run();
  }

  std::int64_t issue_id(const std::string& name) {
    Stmt s(db, "SELECT id FROM issues WHERE name = ?1");
    s.bind(1, name);
    if (!s.step()) throw StoreError(StoreError::Kind::Usage, "unknown issue '" + name + "'");
    return s.col_int(0);
  }
  void touch_issue(std::int64_t id, const std::string& time) {
    Stmt s(db, "UPDATE issues SET updated = ?1 WHERE id = ?2");
    s.bind(1, time).bind(2, id).run();
  }
};

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

// ============================================================================================
// [SECTION] Queries
// ============================================================================================
namespace {
// A filter REF matches the object it names; a frame REF matches the frame and its objects.
bool ref_matches(const ResolvedRef& r, const std::optional<ObjectRef>& filter) {
  if (!filter) return true;
  if (filter->is_frame()) return r.ref.frame == filter->frame;
  return !r.orphaned && r.ref == *filter;
}
}  // namespace

std::vector<TagRecord> ReviewStore::tags(const std::optional<ObjectRef>& ref,
                                         const std::optional<std::string>& tag) {
  Impl& m = *impl_;
  m.clear_cache();
  std::vector<TagRecord> out;
  Stmt s(m.db, "SELECT object_id, tag, user, time FROM tags ORDER BY time, rowid");
  while (s.step()) {
    if (tag && s.col_text(1) != *tag) continue;
    TagRecord r{m.resolve(s.col_int(0)), s.col_text(1), s.col_text(2), s.col_text(3)};
    if (ref_matches(r.object, ref)) out.push_back(std::move(r));
  }
  return out;
}

namespace {
IssueInfo read_issue(const Stmt& s) {  // name description created updated
  IssueInfo i;
  i.name = s.col_text(0);
  i.description = s.col_text(1);
  i.created = s.col_text(2);
  i.updated = s.col_text(3);
  for (ElementState st : {ElementState::Unsorted, ElementState::Added, ElementState::Discarded})
    i.counts[st] = 0;
  return i;
}
}  // namespace

std::vector<IssueInfo> ReviewStore::issues() {
  Impl& m = *impl_;
  std::vector<IssueInfo> out;
  Stmt s(m.db, "SELECT name, description, created, updated, id FROM issues ORDER BY name");
  while (s.step()) {
    IssueInfo i = read_issue(s);
    Stmt c(m.db, "SELECT state, count(*) FROM elements WHERE issue_id = ?1 GROUP BY state");
    c.bind(1, s.col_int(4));
    while (c.step()) i.counts[parse_element_state(c.col_text(0))] = c.col_int(1);
    out.push_back(std::move(i));
  }
  return out;
}

IssueDetail ReviewStore::issue(const std::string& name) {
  Impl& m = *impl_;
  m.clear_cache();
  IssueDetail d;
  std::int64_t id = 0;
  {
    Stmt s(m.db, "SELECT name, description, created, updated, id FROM issues WHERE name = ?1");
    s.bind(1, name);
    if (!s.step()) throw StoreError(StoreError::Kind::Usage, "unknown issue '" + name + "'");
    d.info = read_issue(s);
    id = s.col_int(4);
  }
  Stmt e(m.db,
         "SELECT object_id, state, user, time FROM elements WHERE issue_id = ?1 ORDER BY rowid");
  e.bind(1, id);
  while (e.step()) {
    ElementRecord r{m.resolve(e.col_int(0)), parse_element_state(e.col_text(1)), e.col_text(2),
                    e.col_text(3)};
    ++d.info.counts[r.state];
    d.elements.push_back(std::move(r));
  }
  return d;
}

std::vector<VerdictRecord> ReviewStore::verdicts(const std::optional<ObjectRef>& ref) {
  Impl& m = *impl_;
  m.clear_cache();
  std::vector<VerdictRecord> out;
  Stmt s(m.db, "SELECT object_id, kind, verdict, note, user, time FROM verdicts ORDER BY rowid");
  while (s.step()) {
    VerdictRecord r{m.resolve(s.col_int(0)), s.col_text(1), parse_verdict(s.col_text(2)),
                    s.col_text(3),           s.col_text(4), s.col_text(5)};
    if (ref_matches(r.object, ref)) out.push_back(std::move(r));
  }
  return out;
}

std::vector<ReviewedRecord> ReviewStore::reviewed() {
  std::vector<ReviewedRecord> out;
  Stmt s(impl_->db, "SELECT frame, user, time FROM reviewed ORDER BY time, frame");
  while (s.step()) out.push_back({s.col_text(0), s.col_text(1), s.col_text(2)});
  return out;
}

std::vector<HistoryRecord> ReviewStore::history(const std::optional<ObjectRef>& ref) {
  Impl& m = *impl_;
  m.clear_cache();
  std::vector<HistoryRecord> out;
  Stmt s(m.db, "SELECT id, time, user, action, ref, object_id, detail FROM history ORDER BY id");
  while (s.step()) {
    if (ref) {
      if (s.col_null(5)) continue;
      if (!ref_matches(m.resolve(s.col_int(5)), ref)) continue;
    }
    out.push_back(
        {s.col_int(0), s.col_text(1), s.col_text(2), s.col_text(3), s.col_text(4), s.col_text(6)});
  }
  return out;
}

}  // namespace needle
