// The review store's private state (core/src/store/ only): the connection, the object source
// and the per-call resolution of stored object references against the current files.
#pragma once

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <map>
#include <utility>

#include "needle/store.h"
#include "sqlite_util.h"

namespace needle {

namespace store_detail {
// UTC, ISO 8601 with milliseconds: "2026-12-03T09:09:11.307Z".
inline std::string now_iso() {
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

inline std::string os_user() {
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) return pw->pw_name;
  if (const char* u = std::getenv("USER"); u && *u) return u;
  return "uid" + std::to_string(geteuid());
}

}  // namespace store_detail

// ============================================================================================
// [SECTION] Object references: resolution and creation
// ============================================================================================
struct ReviewStore::Impl {
  using Db = store_detail::Db;
  using Stmt = store_detail::Stmt;

  std::filesystem::path path;
  Db db;
  ObjectSource source;
  std::string user = store_detail::os_user();

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

}  // namespace needle
