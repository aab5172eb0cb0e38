// `needle shift TRAIN PROD` end to end on demo data: the JSON shape, the novelty ranking putting
// the demo's shifted frames first (average precision per kind, computed here from injected.json),
// unlabelled PROD, metadata columns and the descriptor cache.
#include <algorithm>
#include <fstream>
#include <map>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "needle/demo.h"
#include "support/test_support.h"

using namespace needle;
namespace fs = std::filesystem;

namespace {

struct Sets {
  fs::path root, train, prod;
};

// TRAIN: 100 ordinary frames; PROD: 60 frames of another seed, 30% shifted (dark and sparse).
const Sets& sets() {
  static const Sets s = [] {
    Sets r;
    r.root = test::temp_dir("shift_cli");
    r.train = r.root / "train";
    r.prod = r.root / "prod";
    DemoOptions o;
    o.frames = 100;
    o.seed = 21;
    o.threads = 2;
    generate_demo(r.train, o);
    o.frames = 60;
    o.seed = 22;
    o.shifts = {"dark", "sparse"};
    o.shift_fraction = 0.3;
    generate_demo(r.prod, o);
    return r;
  }();
  return s;
}

nlohmann::json run_shift(const std::string& args, std::string* err = nullptr) {
  const std::string bin = test::needle_binary();
  const fs::path out = test::temp_dir("shift_cli_out") / "out.json";
  const fs::path log = out.parent_path() / "err.txt";
  const int rc = test::run_command(bin + " shift " + args + " --format json > " + out.string() +
                                   " 2> " + log.string());
  std::ifstream e(log);
  std::string text((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
  if (err) *err = text;
  INFO(text);
  REQUIRE(rc == 0);
  std::ifstream in(out);
  return nlohmann::json::parse(in);
}

// AP of putting `kind`'s frames first, the other kinds' frames left out (bench/shift_novelty_ap.py
// does the same).
double kind_ap(const nlohmann::json& j, const std::map<std::string, std::string>& kind_of,
               const std::string& kind) {
  int rank = 0, hits = 0, positives = 0;
  double ap = 0;
  for (const auto& [f, k] : kind_of) positives += k == kind;
  for (const auto& fr : j["frames"]) {
    const auto it = kind_of.find(fr["frame"].get<std::string>());
    if (it != kind_of.end() && it->second != kind) continue;
    ++rank;
    if (it != kind_of.end()) ap += double(++hits) / rank;
  }
  return positives ? ap / positives : 0;
}

}  // namespace

TEST_CASE("shift CLI: JSON shape, novelty order and AP on dark and sparse frames", "[shift][cli]") {
  if (test::needle_binary().empty()) return;
  const Sets& s = sets();
  const fs::path cache = s.root / "cache";
  std::string err;
  const nlohmann::json j = run_shift(s.train.string() + " " + s.prod.string() + " --cache-dir " +
                                         cache.string(),
                                     &err);
  REQUIRE(j.is_object());
  REQUIRE(j.size() == 2);
  REQUIRE(j["attributes"].is_array());
  REQUIRE(j["frames"].size() == 60);
  for (const auto& a : j["attributes"]) {
    CHECK(a.size() == 4);
    for (const char* k : {"attribute", "psi", "statistic", "p"}) CHECK(a.contains(k));
  }
  double last = 1e300;
  for (const auto& f : j["frames"]) {
    CHECK(f.size() == 4);
    CHECK(f["novelty"].get<double>() <= last);
    last = f["novelty"].get<double>();
    REQUIRE(f["nearest"].is_array());
    CHECK(f["nearest"].size() == 5);
    for (const auto& n : f["nearest"])
      CHECK(fs::exists(s.train / "training" / "label_2" / (n.get<std::string>() + ".txt")));
    CHECK(f["reason"].is_string());
  }
  // Attributes worst first by PSI.
  double last_psi = 1e300;
  for (const auto& a : j["attributes"]) {
    CHECK(a["psi"].get<double>() <= last_psi);
    last_psi = a["psi"].get<double>();
  }

  std::vector<InjectedShift> shifts;
  read_injected(s.prod / "injected.json", &shifts);
  REQUIRE(shifts.size() == 18);  // 60 * 0.3
  std::map<std::string, std::string> kind_of;
  for (const auto& x : shifts) kind_of[x.frame] = x.kind;
  // 0.9 is the target (bench/RESULTS.md "#12 §3 shift" has the measured figures: 1.0
  // for dark on every seed but one, 0.84-1.0 for sparse on 300-frame sets).
  CHECK(kind_ap(j, kind_of, "dark") >= 0.9);
  CHECK(kind_ap(j, kind_of, "sparse") >= 0.9);
  // A dark frame's reason says so.
  for (const auto& f : j["frames"])
    if (kind_of.count(f["frame"]) && kind_of[f["frame"]] == "dark") {
      CHECK(f["reason"].get<std::string>().find("darker than training") != std::string::npos);
      break;
    }

  // The second run reads every descriptor from the cache.
  run_shift(s.train.string() + " " + s.prod.string() + " --cache-dir " + cache.string(), &err);
  CHECK(err.find("TRAIN 100 frames (100 descriptors from cache), PROD 60 frames (60 from cache)") !=
        std::string::npos);
}

TEST_CASE("shift CLI: unlabelled PROD and metadata columns", "[shift][cli]") {
  if (test::needle_binary().empty()) return;
  const Sets& s = sets();
  // PROD without labels: a copy of its images, scans, calibration and predictions.
  const fs::path prod = s.root / "prod_unlabelled";
  fs::remove_all(prod);
  fs::create_directories(prod / "training");
  for (const char* d : {"image_2", "velodyne", "calib"})
    fs::copy(s.prod / "training" / d, prod / "training" / d, fs::copy_options::recursive);
  fs::copy(s.prod / "pred", prod / "pred", fs::copy_options::recursive);
  // Metadata for both: TRAIN frames "sun", PROD frames "rain" (ids overlap, so PROD gets its own).
  test::write_file(s.root / "train_meta.csv", "frame,weather\n000000,sun\n000001,sun\n000002,sun\n");
  test::write_file(s.root / "prod_meta.csv", "frame,weather\n000000,rain\n000001,rain\n");
  std::string err;
  const nlohmann::json j =
      run_shift(s.train.string() + " " + prod.string() + " --no-cache --meta " +
                    (s.root / "train_meta.csv").string() + " --prod-meta " +
                    (s.root / "prod_meta.csv").string(),
                &err);
  CHECK(err.find("PROD's predictions") != std::string::npos);
  CHECK(j["frames"].size() == 60);
  bool weather = false;
  for (const auto& a : j["attributes"])
    if (a["attribute"] == "weather") {
      weather = true;
      // 3 sun vs 2 rain: X^2 = 5 (every cell's (O - E)^2 / E = 1.8 or 1.2 ...), p < 0.05.
      CHECK(a["statistic"].get<double>() == Approx(5.0));
      CHECK(a["p"].get<double>() < 0.05);
    }
  CHECK(weather);

  // A broken metadata file: exit 1 with the file named.
  test::write_file(s.root / "bad_meta.csv", "frame,weather\n000000,sun,extra\n");
  std::string out;
  const int rc = test::run_command(test::needle_binary() + " shift " + s.train.string() + " " +
                                       prod.string() + " --no-cache --meta " +
                                       (s.root / "bad_meta.csv").string() + " 2>&1",
                                   &out);
  CHECK(rc == 1);
  CHECK(out.find("bad_meta.csv") != std::string::npos);
}
