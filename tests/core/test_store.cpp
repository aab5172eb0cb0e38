// The review store (needle/store.h) and stable object identity (needle/object_identity.h):
// identity matching on hand-built boxes, store actions and queries, objects that follow their
// label lines through edits, schema upgrade from v1, files that must never be overwritten
// (not a store, corrupt, newer schema: bytes compared before/after), a writer SIGKILLed during a
// burst, two processes writing one store at once, and the ranking hook apply_verdicts.
// Expected values come from the tests' own arithmetic and the sqlite3 shell, not from the store.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "needle/store.h"
#include "support/include_scan.h"
#include "support/test_support.h"

using namespace needle;
namespace fs = std::filesystem;

namespace {

// A car-sized box on the ground at (x, z), heading 0 (l along camera x), 2D box around u.
Object car(double x, double z, const std::string& type = "Car") {
  Object o;
  o.type = type;
  o.cls = parse_class(type);
  o.h = 1.5;
  o.w = 1.8;
  o.l = 4.0;
  o.loc_cam = {x, 1.7, z};
  o.box2d = {600 + 20 * x, 170, 700 + 20 * x, 220};
  return o;
}

// An in-memory dataset: frame -> source -> objects, editable by the tests.
struct FakeFiles {
  std::map<std::string, std::map<std::string, std::vector<Object>>> files;
  ObjectSource source() {
    return
        [this](const std::string& f, const std::string& s) -> std::optional<std::vector<Object>> {
          auto fi = files.find(f);
          if (fi == files.end()) return std::nullopt;
          auto si = fi->second.find(s);
          if (si == fi->second.end())
            return s == "label" ? std::optional(std::vector<Object>{}) : std::nullopt;
          return si->second;
        };
  }
};

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string sqlite_shell(const fs::path& db, const std::string& sql) {
  std::string out;
  test::run_command("sqlite3 '" + db.string() + "' \"" + sql + "\"", &out);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

StoreError::Kind open_error(const fs::path& p) {
  try {
    ReviewStore::open(p, {});
  } catch (const StoreError& e) {
    INFO(e.what());
    return e.kind();
  }
  FAIL("open succeeded on " << p);
  return StoreError::Kind::Io;
}

}  // namespace

// ---- Identity ----------------------------------------------------------------------------------
TEST_CASE("identity: reordered, removed, moved and re-classed objects", "[store][identity]") {
  const Object a = car(0, 10), b = car(5, 20), c = car(-3, 8, "Pedestrian");
  const std::vector<std::optional<ObjectFingerprint>> stored = {
      fingerprint_of(a), fingerprint_of(b), fingerprint_of(c)};
  const std::vector<int> idx = {0, 1, 2};
  SECTION("reordered lines follow their objects") {
    CHECK(resolve_objects(stored, idx, {c, a, b}) == std::vector<int>{1, 2, 0});
  }
  SECTION("a removed line orphans only its object") {
    CHECK(resolve_objects(stored, idx, {a, c}) == std::vector<int>{0, -1, 1});
  }
  SECTION("a box moved 0.1 m along its length stays the same object") {
    // BEV IoU = (3.9 * 1.8) / (2 * 4 * 1.8 - 3.9 * 1.8) = 7.02 / 7.38 = 0.951 > 0.5.
    Object a2 = a;
    a2.loc_cam.x += 0.1;
    CHECK(resolve_objects(stored, idx, {a2, b, c}) == std::vector<int>{0, 1, 2});
  }
  SECTION("a box moved 2.5 m is another object: orphaned, never re-attached") {
    // BEV IoU = (1.5 * 1.8) / (14.4 - 2.7) = 0.23 < 0.5.
    Object a2 = a;
    a2.loc_cam.x += 2.5;
    CHECK(resolve_objects(stored, idx, {a2, b, c}) == std::vector<int>{-1, 1, 2});
  }
  SECTION("a changed class is not the same object") {
    CHECK(resolve_objects(stored, idx, {car(0, 10, "Van"), b, c}) == std::vector<int>{-1, 1, 2});
  }
  SECTION("one-to-one: two stored copies of one box cannot both claim it") {
    const std::vector<std::optional<ObjectFingerprint>> two = {fingerprint_of(a),
                                                               fingerprint_of(a)};
    CHECK(resolve_objects(two, {0, 1}, {a}) == std::vector<int>{0, -1});
    CHECK(resolve_objects(two, {0, 1}, {a, a}) == std::vector<int>{0, 1});
    CHECK(resolve_objects(two, {1, 0}, {a, a}) == std::vector<int>{1, 0});
  }
  SECTION("2D-only lines (DontCare) match by 2D IoU") {
    Object d;
    d.type = "DontCare";
    d.cls = ObjectClass::DontCare;
    d.h = d.w = d.l = -1;
    d.box2d = {100, 100, 200, 200};
    Object d2 = d;
    d2.box2d = {105, 100, 205, 200};  // IoU = 95*100 / (2*10000 - 9500) = 0.905
    CHECK(resolve_objects({fingerprint_of(d)}, {0}, {a, d2}) == std::vector<int>{1});
  }
  SECTION("schema v1 references (no fingerprint) keep their index") {
    CHECK(resolve_objects({std::nullopt, fingerprint_of(b)}, {0, 1}, {a, b}) ==
          std::vector<int>{0, 1});
    CHECK(resolve_objects({std::nullopt}, {5}, {a, b}) == std::vector<int>{-1});
  }
}

TEST_CASE("references parse and print", "[store]") {
  CHECK(parse_object_ref("000123") == ObjectRef{"000123", "", -1});
  CHECK(parse_object_ref("000123/label/2") == ObjectRef{"000123", "label", 2});
  CHECK(parse_object_ref("000123/pred/sim_a/7") == ObjectRef{"000123", "sim_a", 7});
  CHECK(parse_object_ref("000123/pred/sim_a/7").to_string() == "000123/pred/sim_a/7");
  for (const char* bad : {"", "/label/1", "000123/label/", "000123/label/-1", "000123/label/x",
                          "000123/lbl/1", "000123/pred/1", "000123/pred/a/b/1"})
    CHECK_THROWS_AS(parse_object_ref(bad), std::invalid_argument);
}

// ---- Actions and queries ----------------------------------------------------------------------
TEST_CASE("store: tags, issues, verdicts, history", "[store]") {
  const fs::path dir = test::temp_dir("store_basic");
  FakeFiles ff;
  ff.files["000001"]["label"] = {car(0, 10), car(5, 20), car(-3, 8, "Pedestrian")};
  ff.files["000001"]["sim_a"] = {car(0.1, 10)};
  ff.files["000002"]["label"] = {car(1, 12)};
  ReviewStore st = ReviewStore::open(dir / "s.sqlite", ff.source());
  st.set_user("alice");
  CHECK(st.schema_version() == 2);

  CHECK(st.add_tag({"000001", "label", 2}, "occluded"));
  CHECK_FALSE(st.add_tag({"000001", "label", 2}, "occluded"));
  CHECK(st.add_tag({"000001", "", -1}, "night"));
  CHECK(st.add_tag({"000001", "sim_a", 0}, "ghost"));
  CHECK(st.add_tag({"000002", "label", 0}, "occluded"));
  CHECK(st.tags().size() == 4);
  CHECK(st.tags(std::nullopt, std::string("occluded")).size() == 2);
  CHECK(st.tags(ObjectRef{"000001", "", -1}).size() == 3);  // a frame filter takes its objects
  CHECK(st.tags(ObjectRef{"000001", "label", 2}).size() == 1);
  CHECK(st.tags().front().user == "alice");
  CHECK(st.remove_tag({"000002", "label", 0}, "occluded"));
  CHECK_FALSE(st.remove_tag({"000002", "label", 0}, "occluded"));
  CHECK(st.tags().size() == 3);

  auto usage = [](auto&& f) {
    try {
      f();
    } catch (const StoreError& e) {
      return e.kind() == StoreError::Kind::Usage;
    }
    return false;
  };
  CHECK(usage([&] { st.add_tag({"000001", "label", 3}, "x"); }));  // past the end (3 objects)
  CHECK(usage([&] { st.add_tag({"000009", "label", 0}, "x"); }));  // no such frame
  CHECK(usage([&] { st.add_tag({"000001", "nope", 0}, "x"); }));   // no such set
  CHECK(usage([&] { st.add_to_issue("missing", {{"000001", "", -1}}); }));

  st.create_issue("bad-cars", "boxes too short");
  CHECK(usage([&] { st.create_issue("bad-cars", ""); }));
  CHECK(st.add_to_issue("bad-cars",
                        {{"000001", "label", 0}, {"000001", "label", 1}, {"000002", "", -1}}) == 3);
  CHECK(st.add_to_issue("bad-cars", {{"000001", "label", 0}}, ElementState::Added) == 0);
  st.set_element_state("bad-cars", {"000002", "", -1}, ElementState::Discarded);
  CHECK(usage([&] {
    st.set_element_state("bad-cars", {"000001", "label", 2}, ElementState::Added);
  }));
  const IssueDetail d = st.issue("bad-cars");
  REQUIRE(d.elements.size() == 3);
  CHECK(d.elements[0].object.ref == ObjectRef{"000001", "label", 0});
  CHECK(d.elements[0].state == ElementState::Added);
  CHECK(d.info.counts.at(ElementState::Unsorted) == 1);
  CHECK(d.info.counts.at(ElementState::Added) == 1);
  CHECK(d.info.counts.at(ElementState::Discarded) == 1);
  CHECK(d.info.description == "boxes too short");
  REQUIRE(st.issues().size() == 1);
  CHECK(st.issues()[0].counts.at(ElementState::Added) == 1);

  st.set_verdict({"000001", "label", 1}, "poor_overlap", VerdictKind::LabelError, "too short");
  st.set_verdict({"000001", "label", 1}, "poor_overlap", VerdictKind::NotAnError, "");
  REQUIRE(st.verdicts().size() == 1);
  CHECK(st.verdicts()[0].verdict == VerdictKind::NotAnError);
  st.mark_reviewed("000001");
  REQUIRE(st.reviewed().size() == 1);
  CHECK(st.reviewed()[0].user == "alice");

  // Every change is in the history: 4 tag adds + 1 rm + issue new + 4 issue add + 1 set +
  // 2 verdicts + 1 reviewed = 14; refused actions left nothing.
  const auto h = st.history();
  CHECK(h.size() == 14);
  CHECK(st.history(ObjectRef{"000001", "label", 1}).size() == 2 + 1);  // add + 2 verdicts
  // The history is append-only, even for someone with the sqlite3 shell.
  const fs::path p = st.path();
  const std::string before = sqlite_shell(p, "SELECT count(*) FROM history");
  sqlite_shell(p, "DELETE FROM history; UPDATE history SET user = 'eve';");
  CHECK(sqlite_shell(p, "SELECT count(*) FROM history") == before);
  CHECK(sqlite_shell(p, "SELECT count(*) FROM history WHERE user = 'eve'") == "0");
  CHECK(sqlite_shell(p, "PRAGMA journal_mode") == "wal");
}

TEST_CASE("store: tags, elements and verdicts follow their object through label edits",
          "[store][identity]") {
  const fs::path dir = test::temp_dir("store_follow");
  FakeFiles ff;
  const Object a = car(0, 10), b = car(5, 20), c = car(-3, 8, "Pedestrian");
  ff.files["000001"]["label"] = {a, b, c};
  ReviewStore st = ReviewStore::open(dir / "s.sqlite", ff.source());
  st.add_tag({"000001", "label", 1}, "truncated");
  st.create_issue("i", "");
  st.add_to_issue("i", {{"000001", "label", 2}});
  st.set_verdict({"000001", "label", 0}, "poor_overlap", VerdictKind::LabelError, "");

  Object b_moved = b;
  b_moved.loc_cam.z += 0.2;
  ff.files["000001"]["label"] = {c, b_moved, a};  // reordered, b nudged
  CHECK(st.tags()[0].object.ref == ObjectRef{"000001", "label", 1});
  CHECK(st.issue("i").elements[0].object.ref == ObjectRef{"000001", "label", 0});
  CHECK(st.verdicts()[0].object.ref == ObjectRef{"000001", "label", 2});
  // Tagging the object at its new index reuses the stored object: one tag, two names.
  CHECK_FALSE(st.add_tag({"000001", "label", 1}, "truncated"));

  ff.files["000001"]["label"] = {c, a};  // b removed
  const auto tags = st.tags();
  REQUIRE(tags.size() == 1);  // reported, not dropped
  CHECK(tags[0].object.orphaned);
  CHECK(tags[0].object.ref == ObjectRef{"000001", "label", 1});  // where it was stored
  CHECK(st.issue("i").elements[0].object.ref == ObjectRef{"000001", "label", 0});
  CHECK(st.verdicts()[0].object.ref == ObjectRef{"000001", "label", 1});
  // A new tag on the object now at index 1 (a) does not land on the orphan.
  CHECK(st.add_tag({"000001", "label", 1}, "truncated"));
  CHECK(st.tags().size() == 2);

  // A label file that no longer parses: its references are reported (with the reason), not
  // lost, and resolve again once the file is fixed.
  ObjectSource broken = [](const std::string&,
                           const std::string&) -> std::optional<std::vector<Object>> {
    throw std::runtime_error("000001.txt:2: bad");
  };
  ReviewStore st2 = ReviewStore::open(st.path(), broken);
  const auto t2 = st2.tags();
  REQUIRE(t2.size() == 2);
  CHECK(t2[1].object.orphaned);
  CHECK(t2[1].object.problem == "000001.txt:2: bad");
  CHECK(st.tags()[1].object.ref == ObjectRef{"000001", "label", 1});
}

// ---- Schema ------------------------------------------------------------------------------------
TEST_CASE("store: upgrade from schema v1 keeps the data", "[store][schema]") {
  const fs::path p = test::temp_dir("store_v1") / "s.sqlite";
  ReviewStore::create_at_version(p, 1);
  CHECK(sqlite_shell(p, "PRAGMA user_version") == "1");
  CHECK(sqlite_shell(p, "SELECT count(*) FROM pragma_table_info('objects') WHERE name = 'cls'") ==
        "0");
  // Data as needle's schema v1 wrote it: line-index references only.
  sqlite_shell(p,
               "INSERT INTO objects VALUES(1, '000001', 'label', 1);"
               "INSERT INTO tags VALUES(1, 'occluded', 'bob', '2026-01-01T00:00:00.000Z');"
               "INSERT INTO issues VALUES(1, 'old', 'from v1', '2026-01-01', '2026-01-01');"
               "INSERT INTO elements VALUES(1, 1, 'added', 'bob', '2026-01-01');");
  FakeFiles ff;
  const Object a = car(0, 10), b = car(5, 20);
  ff.files["000001"]["label"] = {a, b};
  {
    ReviewStore st = ReviewStore::open(p, ff.source());
    CHECK(st.schema_version() == 2);
    REQUIRE(st.tags().size() == 1);
    CHECK(st.tags()[0].object.ref == ObjectRef{"000001", "label", 1});
    CHECK(st.tags()[0].user == "bob");
    CHECK(st.issue("old").info.counts.at(ElementState::Added) == 1);
    // Writing to the v1 object reuses its row and records its fingerprint.
    CHECK_FALSE(st.add_tag({"000001", "label", 1}, "occluded"));
    CHECK(st.add_tag({"000001", "label", 1}, "far"));
  }
  CHECK(sqlite_shell(p, "PRAGMA user_version") == "2");
  CHECK(sqlite_shell(p, "SELECT count(*) FROM objects") == "1");
  CHECK(sqlite_shell(p, "SELECT cls FROM objects") == "Car");
  ff.files["000001"]["label"] = {b, a};  // from now on it follows its box
  ReviewStore st = ReviewStore::open(p, ff.source());
  CHECK(st.tags()[0].object.ref == ObjectRef{"000001", "label", 0});
}

TEST_CASE("store: files that are not usable stores are never modified", "[store][schema]") {
  const fs::path dir = test::temp_dir("store_bad");
  SECTION("a text file") {
    const fs::path p = dir / "notes.sqlite";
    test::write_file(p, "these are my notes, not a database\n");
    const std::string before = read_bytes(p);
    CHECK(open_error(p) == StoreError::Kind::NotAStore);
    CHECK(read_bytes(p) == before);
  }
  SECTION("an empty file") {
    const fs::path p = dir / "empty.sqlite";
    test::write_file(p, "");
    CHECK(open_error(p) == StoreError::Kind::NotAStore);
    CHECK(fs::file_size(p) == 0);
  }
  SECTION("another application's SQLite database") {
    const fs::path p = dir / "other.sqlite";
    sqlite_shell(p, "CREATE TABLE t(a); INSERT INTO t VALUES(42);");
    const std::string before = read_bytes(p);
    CHECK(open_error(p) == StoreError::Kind::NotAStore);
    CHECK(read_bytes(p) == before);
    CHECK(sqlite_shell(p, "SELECT a FROM t") == "42");
  }
  SECTION("a store from a newer schema") {
    const fs::path p = dir / "newer.sqlite";
    { ReviewStore::open(p, {}).add_tag({"000001", "", -1}, "x"); }
    sqlite_shell(p, "PRAGMA user_version = 99");
    const std::string before = read_bytes(p);
    CHECK(open_error(p) == StoreError::Kind::NewerSchema);
    CHECK(read_bytes(p) == before);
    CHECK(sqlite_shell(p, "PRAGMA user_version") == "99");
  }
  SECTION("a corrupt store") {
    const fs::path p = dir / "corrupt.sqlite";
    {
      ReviewStore st = ReviewStore::open(p, {});
      for (int i = 0; i < 300; ++i) {
        std::string frame = std::to_string(i);
        frame.append("_frame");  // not "f" + to_string(i): GCC 12 -Wrestrict false positive
        st.add_tag({frame, "", -1}, "tag");
      }
    }
    REQUIRE(!fs::exists(p.string() + "-wal"));  // checkpointed at close
    REQUIRE(fs::file_size(p) > 4 * 4096);
    {
      // Overwrite pages 2 and 3 (default page size 4096) with garbage; page 1 (the header
      // with the application id) stays intact so only the integrity check can tell.
      std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(4096);
      const std::string junk(8192, '\xAB');
      f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    const std::string before = read_bytes(p);
    CHECK(open_error(p) == StoreError::Kind::Corrupt);
    CHECK(read_bytes(p) == before);
  }
}

// ---- Processes ---------------------------------------------------------------------------------
namespace {
// Child: tags frame "000000" with t0, t1, ... one action each, writing the count committed so far
// to `fd` (4 bytes) after each commit. Never returns.
[[noreturn]] void burst_writer(const fs::path& p, int fd, int n, const std::string& prefix) {
  int code = 0;
  try {
    ReviewStore st = ReviewStore::open(p, {});
    for (int i = 0; i < n; ++i) {
      st.add_tag({"000000", "", -1}, prefix + std::to_string(i));
      const int done = i + 1;
      if (fd >= 0 && write(fd, &done, sizeof done) != static_cast<ssize_t>(sizeof done)) code = 4;
    }
  } catch (...) {
    code = 3;
  }
  _exit(code);
}
}  // namespace

TEST_CASE("store: a writer killed during a burst loses at most the write in flight",
          "[store][crash]") {
  const fs::path p = test::temp_dir("store_crash") / "s.sqlite";
  { ReviewStore::open(p, {}); }
  // Five rounds on one store, killed after different numbers of acknowledged actions, so that
  // the SIGKILL lands at different points of the next transaction.
  const int kill_after[] = {37, 101, 163, 229, 311};
  long total_acked = 0, previous = 0;
  for (int round = 0; round < 5; ++round) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      close(fds[0]);
      burst_writer(p, fds[1], 1000000, "r" + std::to_string(round) + "_");
    }
    close(fds[1]);
    int acked = 0, v = 0;
    while (acked < kill_after[round] &&
           read(fds[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v))
      acked = v;
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    while (read(fds[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v)) acked = v;
    close(fds[0]);
    REQUIRE(WIFSIGNALED(status));
    // The raw file (with its WAL) as the killed process left it, checked by the sqlite3 shell.
    CHECK(sqlite_shell(p, "PRAGMA integrity_check") == "ok");
    const long stored = std::stol(sqlite_shell(p, "SELECT count(*) FROM tags")) - previous;
    std::printf("NEEDLE-INFO crash round %d: %d writes acknowledged before SIGKILL, %ld stored\n",
                round, acked, stored);
    CHECK(stored >= acked);
    CHECK(stored <= acked + 1);
    total_acked += acked;
    previous += stored;
  }
  ReviewStore st = ReviewStore::open(p, {});
  CHECK(static_cast<long>(st.tags().size()) == previous);
  CHECK(static_cast<long>(st.history().size()) == previous);  // each tag with its history row
  std::printf("NEEDLE-INFO crash test: %ld acknowledged, %ld stored over 5 kills\n", total_acked,
              previous);
}

TEST_CASE("store: two processes write one store at once, no write lost, each sees the other's",
          "[store][concurrency]") {
  const fs::path p = test::temp_dir("store_two") / "s.sqlite";
  { ReviewStore::open(p, {}); }
  constexpr int kEach = 300;
  auto spawn = [&](const std::string& prefix) {
    const pid_t pid = fork();
    if (pid == 0) {
      int code = 0;
      try {
        ReviewStore st = ReviewStore::open(p, {});
        for (int i = 0; i < kEach; ++i) st.add_tag({"000000", "", -1}, prefix + std::to_string(i));
        // Then wait (up to 60 s) until the other process's writes are visible here too.
        const auto t0 = std::chrono::steady_clock::now();
        while (st.tags().size() < 2 * kEach) {
          if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(60)) {
            code = 5;
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      } catch (...) {
        code = 3;
      }
      _exit(code);
    }
    return pid;
  };
  const pid_t a = spawn("a"), b = spawn("b");
  REQUIRE(a > 0);
  REQUIRE(b > 0);
  int sa = 0, sb = 0;
  waitpid(a, &sa, 0);
  waitpid(b, &sb, 0);
  CHECK((WIFEXITED(sa) && WEXITSTATUS(sa) == 0));
  CHECK((WIFEXITED(sb) && WEXITSTATUS(sb) == 0));
  CHECK(sqlite_shell(p, "PRAGMA integrity_check") == "ok");
  CHECK(sqlite_shell(p, "SELECT count(*) FROM tags WHERE tag LIKE 'a%'") == std::to_string(kEach));
  CHECK(sqlite_shell(p, "SELECT count(*) FROM tags WHERE tag LIKE 'b%'") == std::to_string(kEach));
  CHECK(sqlite_shell(p, "SELECT count(*) FROM history") == std::to_string(2 * kEach));
  CHECK(sqlite_shell(p, "SELECT count(*) FROM objects") == "1");  // one frame, one object row
}

// ---- Ranking hook ------------------------------------------------------------------------------
TEST_CASE("apply_verdicts: not_an_error findings are suppressed and counted", "[store][rank]") {
  auto finding = [](const std::string& frame, const std::string& kind, int label, double s) {
    Finding f;
    f.frame = frame;
    f.kind = kind;
    f.label = label;
    f.score = s;
    return f;
  };
  RankResult r;
  // Frame A: 1 - (1 - 0.9)(1 - 0.5) = 0.95; frame B: 0.8.
  r.frames.push_back(
      {0,
       "A",
       1,
       0.95,
       {finding("A", "poor_overlap", 0, 0.9), finding("A", "heading_flip", 1, 0.5)}});
  r.frames.push_back({1, "B", 2, 0.8, {finding("B", "class_mismatch", 2, 0.8)}});
  r.summary = {{"findings", 3}, {"kind:poor_overlap", 1}};
  const std::vector<Verdict> v = {
      {{"A", "label", 0}, "poor_overlap", VerdictKind::NotAnError},
      {{"A", "label", 1}, "poor_overlap", VerdictKind::NotAnError},  // other kind: no effect
      {{"B", "label", 2}, "class_mismatch", VerdictKind::LabelError}};
  SECTION("removed, rescored, reranked") {
    apply_verdicts(r, v);
    REQUIRE(r.frames.size() == 2);
    CHECK(r.frames[0].frame == "B");  // 0.8 now beats A's 0.5
    CHECK(r.frames[0].rank == 1);
    CHECK(r.frames[1].frame == "A");
    CHECK(r.frames[1].score == Approx(0.5));
    CHECK(r.frames[1].findings.size() == 1);
    CHECK(r.summary["suppressed"] == 1);
    CHECK(r.summary["confirmed_label_errors"] == 1);
    CHECK(r.summary["findings"] == 2);
    CHECK(r.summary["kind:poor_overlap"] == 0);
  }
  SECTION("kept when asked, still counted") {
    apply_verdicts(r, v, true);
    CHECK(r.frames[0].frame == "A");
    CHECK(r.frames[0].findings.size() == 2);
    CHECK(r.summary["suppressed"] == 1);
  }
  SECTION("a frame whose only finding is suppressed drops out") {
    apply_verdicts(r, {{{"B", "label", 2}, "class_mismatch", VerdictKind::NotAnError}});
    REQUIRE(r.frames.size() == 1);
    CHECK(r.frames[0].frame == "A");
  }
}

TEST_CASE("store: the change counter moves with every action of any connection", "[store]") {
  const fs::path dir = test::temp_dir("store_counter");
  FakeFiles ff;
  ff.files["000001"]["label"] = {car(0, 10)};
  ReviewStore a = ReviewStore::open(dir / "s.sqlite", ff.source());
  ReviewStore b = ReviewStore::open(dir / "s.sqlite", ff.source());
  CHECK(a.change_counter() == 0);  // nothing done yet
  a.add_tag({"000001", "label", 0}, "x");
  const std::int64_t after_one = a.change_counter();
  CHECK(after_one > 0);
  CHECK(b.change_counter() == after_one);  // the other connection sees it
  CHECK_FALSE(b.add_tag({"000001", "label", 0}, "x"));  // no change: no history entry
  CHECK(a.change_counter() == after_one);
  b.mark_reviewed("000001");
  CHECK(a.change_counter() > after_one);
}

TEST_CASE("finding_object names a finding by its label, else its prediction, else the frame",
          "[store][rank]") {
  Finding f;
  f.frame = "000007";
  f.kind = "poor_overlap";
  f.label = 2;
  f.prediction_set = "det";
  f.prediction = 5;
  CHECK(finding_object(f) == ObjectRef{"000007", "label", 2});
  f.label = -1;
  CHECK(finding_object(f) == ObjectRef{"000007", "det", 5});
  f.prediction = -1;
  CHECK(finding_object(f) == ObjectRef{"000007", "", -1});
}

TEST_CASE("default store location", "[store]") {
  const fs::path dir = test::temp_dir("store_loc");
  fs::create_directories(dir / "ds");
  CHECK(default_store_path(dir / "ds") ==
        fs::weakly_canonical(dir / "ds") / ".needle" / "review.sqlite");
  fs::create_directories(dir / "ro");
  fs::permissions(dir / "ro",
                  fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                  fs::perm_options::remove);
  setenv("XDG_DATA_HOME", (dir / "xdg").c_str(), 1);
  const fs::path p = default_store_path(dir / "ro");
  unsetenv("XDG_DATA_HOME");
  CHECK(p.parent_path() == dir / "xdg" / "needle" / "stores");
  CHECK(p.extension() == ".sqlite");
  CHECK(p.stem().string().size() == 16);
  fs::permissions(dir / "ro", fs::perms::owner_write, fs::perm_options::add);
}

// ---- Benchmarks (hidden: run with "[store-bench]") ---------------------------------------------
namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

TEST_CASE("store bench: 1,000 tag writes and issue() with 10,000 elements", "[.][store-bench]") {
  constexpr int kRuns = 5;
  FakeFiles ff;
  // 1,000 frames of 10 cars each: 10,000 distinct objects.
  for (int f = 0; f < 1000; ++f) {
    auto& objs = ff.files[std::to_string(100000 + f)]["label"];
    for (int i = 0; i < 10; ++i) objs.push_back(car(4.0 * i, 10 + f % 30));
  }
  std::vector<double> writes, shows;
  for (int run = 0; run < kRuns; ++run) {
    const fs::path p = test::temp_dir("store_bench") / "s.sqlite";
    ReviewStore st = ReviewStore::open(p, ff.source());
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i)
      st.add_tag({std::to_string(100000 + i), "label", i % 10}, "bench");  // one action each
    writes.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    st.create_issue("big", "");
    std::vector<ObjectRef> refs;
    for (int f = 0; f < 1000; ++f)
      for (int i = 0; i < 10; ++i) refs.push_back({std::to_string(100000 + f), "label", i});
    st.add_to_issue("big", refs);
    t0 = std::chrono::steady_clock::now();
    const IssueDetail d = st.issue("big");
    shows.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    REQUIRE(d.elements.size() == 10000);
  }
  std::printf(
      "NEEDLE-BENCH 1000 tag writes (1 transaction each, synchronous=FULL): median %.3f s "
      "(%.2f ms/write), %d runs\n",
      median(writes), median(writes), kRuns);
  std::printf(
      "NEEDLE-BENCH issue() with 10000 elements (1000 frames re-resolved): median %.1f ms, "
      "%d runs\n",
      1e3 * median(shows), kRuns);
}

TEST_CASE("SQLite is included only under core/src/store/", "[store][purity]") {
  int users = 0;
  test::for_each_include(NEEDLE_SOURCE_DIR, {"core", "app", "tests"},
                         [&](const test::IncludeLine& inc) {
                           if (inc.header != "sqlite3.h") return;
                           INFO(inc.where());
                           CHECK(inc.file.rfind("core/src/store/", 0) == 0);
                           ++users;
                         });
  CHECK(users >= 1);
}
