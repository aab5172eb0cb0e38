// `needle review` end to end: the binary on a generated demo set (needle demo DIR --frames 20)
// and on the real KITTI sample. JSON shapes, exit codes and their messages, CSV formula
// neutralising, export against the label files read by the test itself, objects following their
// label lines after an edit, and `needle rank` leaving out findings marked not_an_error.
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Run {
  int rc = 0;
  std::string out;  // stdout only (stderr goes to err)
  std::string err;
};

Run run(const std::string& args, const std::string& env = "") {
  static int n = 0;
  const fs::path err_file =
      fs::path(NEEDLE_TEST_TMP) /
      ("review_cli_err_" + std::to_string(getpid()) + "_" + std::to_string(n++) + ".txt");
  Run r;
  r.rc = needle::test::run_command(
      env + " " + needle::test::needle_binary() + " " + args + " 2>" + err_file.string(), &r.out);
  std::ifstream e(err_file);
  std::ostringstream s;
  s << e.rdbuf();
  r.err = s.str();
  fs::remove(err_file);
  return r;
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

std::vector<std::string> fields(const std::string& line) {
  std::istringstream s(line);
  std::vector<std::string> f;
  for (std::string x; s >> x;) f.push_back(x);
  return f;
}

fs::path demo_set(const std::string& tag) {
  const fs::path dir = needle::test::temp_dir(tag) / "demo";
  const Run r = run("demo " + dir.string() + " --frames 20");
  REQUIRE(r.rc == 0);
  return dir;
}

std::set<std::string> keys(const json& o) {
  std::set<std::string> k;
  for (auto it = o.begin(); it != o.end(); ++it) k.insert(it.key());
  return k;
}

}  // namespace

TEST_CASE("review CLI: tags, issues, shapes and exit codes on the demo set", "[review][cli]") {
  const fs::path ds = demo_set("review_cli_demo");
  const std::string R = "review " + ds.string() + " ";
  const auto labels1 = lines_of(ds / "training" / "label_2" / "000001.txt");
  REQUIRE(labels1.size() >= 2);

  REQUIRE(run(R + "tag add 000001/label/1 occluded").rc == 0);
  REQUIRE(run(R + "tag add 000001 night").rc == 0);
  REQUIRE(run(R + "tag add 000002/pred/sim_a/0 ghost").rc == 0);
  CHECK(fs::exists(ds / ".needle" / "review.sqlite"));  // the default location

  Run r = run(R + "tags --format json");
  REQUIRE(r.rc == 0);
  json j = json::parse(r.out);
  REQUIRE(j.size() == 3);
  for (const json& t : j) CHECK(keys(t) == std::set<std::string>{"ref", "tag", "user", "time"});
  CHECK(j[0]["ref"] == "000001/label/1");
  CHECK(j[0]["tag"] == "occluded");
  CHECK(json::parse(run(R + "tags --tag night --format json").out).size() == 1);
  CHECK(json::parse(run(R + "--format json tags --ref 000001").out).size() == 2);

  REQUIRE(run(R + "issue new short-boxes --description 'boxes too short'").rc == 0);
  REQUIRE(run(R + "issue add short-boxes 000001/label/0 000001/label/1 000003").rc == 0);
  REQUIRE(run(R + "issue set short-boxes 000001/label/1 added").rc == 0);
  REQUIRE(run(R + "issue add short-boxes 000004 --state discarded").rc == 0);
  r = run(R + "issue show short-boxes --format json");
  REQUIRE(r.rc == 0);
  j = json::parse(r.out);
  CHECK(keys(j) == std::set<std::string>{"name", "elements", "counts"});
  CHECK(j["name"] == "short-boxes");
  REQUIRE(j["elements"].size() == 4);
  CHECK(keys(j["elements"][0]) == std::set<std::string>{"ref", "state"});
  CHECK(j["elements"][1]["ref"] == "000001/label/1");
  CHECK(j["elements"][1]["state"] == "added");
  CHECK(j["counts"] == json{{"unsorted", 2}, {"added", 1}, {"discarded", 1}});
  j = json::parse(run(R + "issue list --format json").out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["description"] == "boxes too short");

  SECTION("usage errors: exit 2 with a message saying what is wrong") {
    r = run(R + "issue show nope");
    CHECK(r.rc == 2);
    CHECK(r.err.find("unknown issue 'nope'") != std::string::npos);
    r = run(R + "tag add 000001/label/" + std::to_string(labels1.size()) + " x");
    CHECK(r.rc == 2);
    CHECK(r.err.find("past the end") != std::string::npos);
    r = run(R + "tag add 000001/lbl/0 x");
    CHECK(r.rc == 2);
    CHECK(r.err.find("bad reference") != std::string::npos);
    r = run(R + "tag add 999999 x");
    CHECK(r.rc == 2);
    CHECK(r.err.find("unknown frame") != std::string::npos);
    r = run(R + "tag add 000001/pred/nope/0 x");
    CHECK(r.rc == 2);
    CHECK(r.err.find("unknown prediction set 'nope'") != std::string::npos);
    CHECK(run(R + "frobnicate").rc == 2);
    CHECK(run(R + "issue set short-boxes 000001/label/0 maybe").rc == 2);
    CHECK(run(R + "verdict 000001/label/0 poor_overlap wrong").rc == 2);
    CHECK(run(R + "issue new short-boxes").rc == 2);
    // Nothing refused reached the history.
    const json h = json::parse(run(R + "history --format json").out);
    CHECK(h.size() == 3 + 1 + 3 + 1 + 1);
  }
  SECTION("data errors: exit 1, the file at --store left untouched") {
    const fs::path notes = ds / "notes.txt";
    needle::test::write_file(notes, "my notes\n");
    r = run(R + "--store " + notes.string() + " tags");
    CHECK(r.rc == 1);
    CHECK(r.err.find("not a needle review store") != std::string::npos);
    std::ifstream in(notes);
    std::string line;
    std::getline(in, line);
    CHECK(line == "my notes");
    CHECK(run("review " + (ds / "missing").string() + " tags").rc == 1);
  }
  SECTION("CSV: every text cell quoted, formulas neutralised") {
    REQUIRE(run(R + "issue new '=HYPERLINK(\"x\")' --description '+1, \"two\"'").rc == 0);
    REQUIRE(run(R + "tag add 000001 '@SUM(A1)'").rc == 0);
    r = run(R + "issue list --format csv");
    CHECK(r.out.find("\"'=HYPERLINK(\"\"x\"\")\",\"'+1, \"\"two\"\"\"") != std::string::npos);
    r = run(R + "tags --format csv --tag '@SUM(A1)'");
    CHECK(r.out.find("\"000001\",\"'@SUM(A1)\"") != std::string::npos);
  }
}

TEST_CASE("review CLI: export, label edits and suppressed findings on the demo set",
          "[review][cli]") {
  const fs::path ds = demo_set("review_cli_export");
  const std::string R = "review " + ds.string() + " ";
  const fs::path label_file = ds / "training" / "label_2" / "000001.txt";
  const auto labels = lines_of(label_file);
  REQUIRE(labels.size() >= 3);

  REQUIRE(run(R + "issue new relabel").rc == 0);
  REQUIRE(run(R + "issue add relabel 000001/label/1 000001/label/2 --state added").rc == 0);
  REQUIRE(run(R + "issue add relabel 000001/label/0").rc == 0);  // unsorted: not exported
  REQUIRE(run(R + "verdict 000001/label/2 poor_overlap label_error --note '-2 m too short'").rc ==
          0);
  Run r = run(R + "export relabel --format json");
  REQUIRE(r.rc == 0);
  json j = json::parse(r.out);
  REQUIRE(j["elements"].size() == 2);
  const std::vector<std::string> f1 = fields(labels[1]);
  const json& e = j["elements"][0];
  CHECK(e["ref"] == "000001/label/1");
  CHECK(e["frame"] == "000001");
  CHECK(e["class"] == f1[0]);
  CHECK(e["box2d"]["x1"].get<double>() == Approx(std::stod(f1[4])));
  CHECK(e["box3d"]["h"].get<double>() == Approx(std::stod(f1[8])));
  CHECK(e["box3d"]["z"].get<double>() == Approx(std::stod(f1[13])));
  REQUIRE(j["elements"][1]["verdicts"].size() == 1);
  CHECK(j["elements"][1]["verdicts"][0]["note"] == "-2 m too short");
  r = run(R + "export relabel --format csv");
  REQUIRE(r.rc == 0);
  std::istringstream csv(r.out);
  std::vector<std::string> rows;
  for (std::string l; std::getline(csv, l);) rows.push_back(l);
  REQUIRE(rows.size() == 3);  // header + 2 added elements
  CHECK(rows[2].find("\"'-2 m too short\"") != std::string::npos);
  CHECK(rows[1].find("\"" + f1[0] + "\"") != std::string::npos);

  SECTION("tags, elements and verdicts follow their label lines") {
    REQUIRE(run(R + "tag add 000001/label/1 truncated").rc == 0);
    // Reverse the file: line i moves to n-1-i.
    std::vector<std::string> rev(labels.rbegin(), labels.rend());
    std::string text;
    for (const auto& l : rev) text += l + "\n";
    needle::test::write_file(label_file, text);
    const int n = static_cast<int>(labels.size());
    j = json::parse(run(R + "tags --format json").out);
    CHECK(j[0]["ref"] == "000001/label/" + std::to_string(n - 2));
    j = json::parse(run(R + "issue show relabel --format json").out);
    CHECK(j["elements"][0]["ref"] == "000001/label/" + std::to_string(n - 2));
    CHECK(j["elements"][1]["ref"] == "000001/label/" + std::to_string(n - 3));
    // Remove the tagged line: the tag is reported orphaned, not dropped, not moved.
    rev.erase(rev.begin() + (n - 2));
    text.clear();
    for (const auto& l : rev) text += l + "\n";
    needle::test::write_file(label_file, text);
    r = run(R + "tags --format json");
    j = json::parse(r.out);
    REQUIRE(j.size() == 1);
    CHECK(j[0]["orphaned"] == true);
    CHECK(r.err.find("orphaned") != std::string::npos);
  }
  SECTION("needle rank leaves out findings marked not_an_error and counts them") {
    r = run("rank " + ds.string() + " --evidence predictions --format json");
    REQUIRE(r.rc == 0);
    json before = json::parse(r.out);
    // The first finding that names a label line.
    std::string frame, kind;
    int label = -1;
    for (const json& fr : before["frames"])
      for (const json& f : fr["findings"])
        if (label < 0 && f["label"].is_number()) {
          frame = fr["frame"];
          kind = f["kind"];
          label = f["label"];
        }
    REQUIRE(label >= 0);
    const long findings = before["summary"]["findings"];
    REQUIRE(run(R + "verdict " + frame + "/label/" + std::to_string(label) + " " + kind +
                " not_an_error --note 'a real long car'")
                .rc == 0);
    json after =
        json::parse(run("rank " + ds.string() + " --evidence predictions --format json").out);
    CHECK(after["summary"]["suppressed"] == 1);
    CHECK(after["summary"]["findings"] == findings - 1);
    for (const json& fr : after["frames"])
      for (const json& f : fr["findings"])
        CHECK_FALSE((fr["frame"] == frame && f["kind"] == kind && f["label"] == label));
    json shown = json::parse(
        run("rank " + ds.string() + " --evidence predictions --format json --show-suppressed").out);
    CHECK(shown["summary"]["suppressed"] == 1);
    CHECK(shown["summary"]["findings"] == findings);
  }
}

TEST_CASE("review CLI on the KITTI sample: read-only dataset, store in the data folder",
          "[review][cli][kitti]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  const fs::path xdg = needle::test::temp_dir("review_cli_kitti");
  const std::string env = "XDG_DATA_HOME=" + xdg.string();
  const std::string R = "review " + kitti.string() + " ";
  const auto labels = lines_of(kitti / "training" / "label_2" / "000001.txt");
  REQUIRE(labels.size() == 7);  // SOURCES.md: 7 label lines (3 non-DontCare)

  REQUIRE(run(R + "tag add 000001/label/0 checked", env).rc == 0);
  REQUIRE(run(R + "tag add 000001/pred/point_gnn/1 checked", env).rc == 0);  // 2 detections
  CHECK(run(R + "tag add 000001/pred/point_gnn/2 checked", env).rc == 2);
  CHECK(run(R + "tag add 000001/label/7 checked", env).rc == 2);
  const Run r = run(R + "tags --format json", env);
  REQUIRE(r.rc == 0);
  CHECK(json::parse(r.out).size() == 2);
  // The sample is read-only: the store went to the user's data folder.
  CHECK_FALSE(fs::exists(kitti / ".needle"));
  std::size_t stores = 0;
  for (const auto& e : fs::directory_iterator(xdg / "needle" / "stores"))
    stores += e.path().extension() == ".sqlite";
  CHECK(stores == 1);

  REQUIRE(run(R + "issue new check", env).rc == 0);
  REQUIRE(run(R + "issue add check 000001/label/0 --state added", env).rc == 0);
  const json ex = json::parse(run(R + "export check --format json", env).out);
  REQUIRE(ex["elements"].size() == 1);
  const auto f0 = fields(labels[0]);
  CHECK(ex["elements"][0]["class"] == f0[0]);
  CHECK(ex["elements"][0]["box2d"]["y2"].get<double>() == Approx(std::stod(f0[7])));
}
