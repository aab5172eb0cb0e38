// KITTI evaluation: hand-built frames for each devkit rule, the AP arithmetic, AOS, the dataset
// glue (missing vs empty prediction files) and the `needle eval` command line.
// The randomized cross-check against a literal devkit re-telling is in test_eval_reference.cpp.
#include <cmath>
#include <filesystem>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "needle/dataset.h"
#include "needle/eval.h"
#include "support/test_support.h"

using namespace needle;

namespace {

constexpr double kPi = 3.14159265358979323846;

// A Car-sized object whose 2D and 3D boxes are both determined by `slot` (no two slots overlap
// in 2D or BEV). 2D height 80 px: counts at every difficulty.
Object object_at(const std::string& type, int slot, double score = -1) {
  Object o;
  o.type = type;
  o.cls = parse_class(type);
  const double x1 = 10.0 + 150.0 * (slot % 8);
  const double y1 = 100.0 + 100.0 * (slot / 8);
  o.box2d = {x1, y1, x1 + 100.0, y1 + 80.0};
  o.h = 1.5;
  o.w = 1.6;
  o.l = 3.9;
  o.loc_cam = {-16.0 + 4.5 * (slot % 8), 1.6, 20.0 + 6.0 * (slot / 8)};
  o.alpha = 0.2;
  if (score >= 0) {
    o.score = score;
    o.truncated = -1;
    o.occluded = -1;
  }
  return o;
}

Object dontcare(Box2D b) {
  Object o;
  o.type = "DontCare";
  o.cls = ObjectClass::DontCare;
  o.box2d = b;
  o.truncated = -1;
  o.occluded = -1;
  o.alpha = -10;
  o.h = o.w = o.l = -1;
  o.loc_cam = {-1000, -1000, -1000};
  o.rotation_y = -10;
  return o;
}

struct Scene {
  std::vector<std::vector<Object>> labels, preds;
  Scene() : labels(1), preds(1) {}
  // n perfectly detected Cars spread over frames of 5 (scores n, n-1, ..., 1).
  static Scene perfect_cars(int n) {
    Scene s;
    s.labels.assign(static_cast<std::size_t>((n + 4) / 5), {});
    s.preds = s.labels;
    for (int i = 0; i < n; ++i) {
      const auto f = static_cast<std::size_t>(i / 5);
      s.labels[f].push_back(object_at("Car", i % 5));
      s.preds[f].push_back(object_at("Car", i % 5, static_cast<double>(n - i)));
    }
    return s;
  }
  EvalReport run() const {
    std::vector<EvalFrameInput> in;
    for (std::size_t i = 0; i < labels.size(); ++i) in.push_back({&labels[i], &preds[i]});
    return evaluate_kitti(in);
  }
};

// A copy, so that it may outlive a temporary report.
ClassEval car_of(const EvalReport& r) {
  const ClassEval* c = r.find(EvalClass::Car);
  REQUIRE(c != nullptr);
  return *c;
}

// Expected R40 when every threshold has precision 1: one point per threshold except point 0.
double r40_all_precise(int n_tp, int n_gt) {
  const std::size_t t =
      kitti_score_thresholds(std::vector<double>(static_cast<std::size_t>(n_tp), 1.0), n_gt).size();
  return 100.0 * static_cast<double>(std::min<std::size_t>(t, 41) - 1) / 40.0;
}

}  // namespace

TEST_CASE("eval: score thresholds sample 41 recall points like the devkit", "[eval]") {
  // Three TPs of three ground truth: every score is a threshold.
  CHECK(kitti_score_thresholds({0.2, 0.9, 0.5}, 3) == std::vector<double>{0.9, 0.5, 0.2});
  CHECK(kitti_score_thresholds({}, 10).empty());
  // 80 TPs of 80: 41 thresholds; recall target k/40 is approximated from the closer side.
  std::vector<double> s;
  for (int i = 0; i < 80; ++i) s.push_back(80.0 - i);  // score of the (i+1)-th TP
  const std::vector<double> t = kitti_score_thresholds(s, 80);
  REQUIRE(t.size() == 41);
  CHECK(t.front() == 80.0);  // first TP always kept
  CHECK(t.back() == 1.0);    // last TP always kept
  // Target 1/40 = 2/80: TP #1 (recall 1/80) is skipped when TP #2 (2/80) is closer -> #2, score 79.
  CHECK(t[1] == 79.0);
  // 40 TPs of 40 ground truth: only 40 thresholds (the last recall point is reached by the last TP
  // that is already used for 39/40), so perfect detection of 40 objects is R40 97.5.
  std::vector<double> forty(40, 1.0);
  CHECK(kitti_score_thresholds(forty, 40).size() == 40);
  CHECK(kitti_score_thresholds(std::vector<double>(41, 1.0), 41).size() == 41);
}

TEST_CASE("eval: R40 and R11 arithmetic on a hand-computed curve", "[eval]") {
  // Raw precision at 5 thresholds (rest 0): 1.0 0.5 0.8 0.6 0.7 -> max to the right:
  // 1.0 0.8 0.8 0.7 0.7, then zeros.
  RecallCurve raw{};
  const double p[5] = {1.0, 0.5, 0.8, 0.6, 0.7};
  for (std::size_t i = 0; i < 5; ++i) raw[i] = p[i];
  const RecallCurve c = kitti_interpolate(raw, 5);
  CHECK(c[0] == 1.0);
  CHECK(c[1] == 0.8);
  CHECK(c[2] == 0.8);
  CHECK(c[3] == 0.7);
  CHECK(c[4] == 0.7);
  CHECK(c[5] == 0.0);
  const ApFigures ap = kitti_ap(c);
  CHECK(ap.r40 == Approx((0.8 + 0.8 + 0.7 + 0.7) / 40 * 100));  // points 1..40
  CHECK(ap.r11 == Approx((1.0 + 0.7) / 11 * 100));              // points 0, 4, 8, ...
  RecallCurve ones;
  ones.fill(1.0);
  CHECK(kitti_ap(ones).r40 == Approx(100));
  CHECK(kitti_ap(ones).r11 == Approx(100));
  ones[0] = 0;  // R40 ignores point 0, R11 does not
  CHECK(kitti_ap(ones).r40 == Approx(100));
  CHECK(kitti_ap(ones).r11 == Approx(1000.0 / 11));
}

TEST_CASE("eval: perfect detections give 100 AP in every metric, and AOS 100", "[eval]") {
  const EvalReport r = Scene::perfect_cars(50).run();
  const ClassEval& car = car_of(r);
  CHECK(car.n_gt == std::array<int, 3>{50, 50, 50});
  REQUIRE(r.aos_computed);
  for (const MetricEval* m : {&car.box2d, &car.bev, &car.box3d, &car.aos}) {
    REQUIRE(m->evaluated);
    for (const ApFigures& ap : m->ap) {
      CHECK(ap.r40 == Approx(100));
      CHECK(ap.r11 == Approx(100));
    }
  }
  // Only classes with labels or predictions are reported.
  CHECK(r.find(EvalClass::Pedestrian) == nullptr);
  CHECK(r.find(EvalClass::Cyclist) == nullptr);
  // 40 objects: only 40 thresholds, the devkit's R40 is 97.5.
  CHECK(car_of(Scene::perfect_cars(40).run()).box2d.ap[0].r40 == Approx(97.5));
}

TEST_CASE("eval: an overlap exactly at the minimum is not a match; a score at a threshold counts",
          "[eval]") {
  // Car ground truth 100x80 px; detection 100x56 inside it: IoU = 5600/8000 = 0.7 exactly.
  Scene s;
  s.labels[0] = {object_at("Car", 0)};
  Object d = object_at("Car", 0, 0.9);
  d.box2d.y2 = d.box2d.y1 + 56;
  s.preds[0] = {d};
  {
    const ClassEval& car = car_of(s.run());
    CHECK(car.box2d.ap[1].r11 == 0);                 // no TP: no threshold at all
    CHECK(car.bev.ap[1].r11 == Approx(100.0 / 11));  // BEV/3D boxes are identical: matched
  }
  s.preds[0][0].box2d.y2 += 0.8;  // IoU 0.71: a TP
  CHECK(car_of(s.run()).box2d.ap[1].r11 == Approx(100.0 / 11));

  // A FP whose score equals the (only) threshold is counted; a hair below it is not.
  s.preds[0][0].box2d = object_at("Car", 0).box2d;
  s.preds[0].push_back(object_at("Car", 3, 0.9));
  CHECK(car_of(s.run()).box2d.curve[1][0] == Approx(0.5));
  s.preds[0][1].score = std::nextafter(0.9, 0.0);
  CHECK(car_of(s.run()).box2d.curve[1][0] == Approx(1.0));
}

TEST_CASE("eval: a detection inside a DontCare area is not a FP (2D only)", "[eval]") {
  Scene s = Scene::perfect_cars(50);
  s.preds[0].push_back(object_at("Car", 6, 1000));  // highest score, matches nothing
  const ClassEval with_fp = car_of(s.run());
  CHECK(with_fp.box2d.ap[1].r40 < 99);
  Box2D area = object_at("Car", 6).box2d;
  area.x1 -= 20;
  area.x2 += 20;  // covers the FP's 2D box entirely
  s.labels[0].push_back(dontcare(area));
  const ClassEval covered = car_of(s.run());
  CHECK(covered.box2d.ap[1].r40 == Approx(100));
  // BEV/3D: the devkit measures DontCare in the metric's geometry, where its box is invalid.
  CHECK(covered.bev.ap[1].r40 == Approx(with_fp.bev.ap[1].r40));
  CHECK(covered.box3d.ap[1].r40 == Approx(with_fp.box3d.ap[1].r40));
  // Overlap with the area is measured over the detection: 70% of it inside is not enough (> 0.7).
  s.labels[0].back() = dontcare({area.x1 - 100, area.y1, area.x1 + 20 + 70, area.y2});
  CHECK(car_of(s.run()).box2d.ap[1].r40 == Approx(with_fp.box2d.ap[1].r40));
}

TEST_CASE("eval: neighbour classes are neither TP nor FN", "[eval]") {
  Scene base = Scene::perfect_cars(50);
  SECTION("a Car detection on Van ground truth is consumed, not a FP") {
    base.labels[0].push_back(object_at("Van", 6));
    base.preds[0].push_back(object_at("Car", 6, 1000));
    const ClassEval car = car_of(base.run());
    CHECK(car.n_gt[1] == 50);
    CHECK(car.box2d.ap[1].r40 == Approx(100));
  }
  SECTION("on Truck ground truth (not a neighbour) it is a FP") {
    base.labels[0].push_back(object_at("Truck", 6));
    base.preds[0].push_back(object_at("Car", 6, 1000));
    CHECK(car_of(base.run()).box2d.ap[1].r40 < 99);
  }
  SECTION("a Van detection does not detect Car ground truth") {
    base.labels[0].push_back(object_at("Car", 6));
    base.preds[0].push_back(object_at("Van", 6, 1000));
    const ClassEval car = car_of(base.run());
    CHECK(car.n_gt[1] == 51);
    CHECK(car.box2d.ap[1].r40 == Approx(r40_all_precise(50, 51)));
  }
  SECTION("Person_sitting ground truth absorbs a Pedestrian detection") {
    Scene s;
    s.labels[0] = {object_at("Pedestrian", 0), object_at("Person_sitting", 1)};
    s.preds[0] = {object_at("Pedestrian", 0, 0.5), object_at("Pedestrian", 1, 0.9)};
    const EvalReport r = s.run();
    const ClassEval* ped = r.find(EvalClass::Pedestrian);
    REQUIRE(ped != nullptr);
    CHECK(ped->n_gt[1] == 1);
    CHECK(ped->box2d.curve[1][0] == 1.0);  // the 0.9 detection is not a FP
  }
}

TEST_CASE("eval: detections shorter than the minimum height are ignored", "[eval]") {
  Scene s = Scene::perfect_cars(50);
  Object short_fp = object_at("Car", 6, 1000);
  short_fp.box2d.y2 = short_fp.box2d.y1 + 39.999;  // int(39.999) = 39 < 40: ignored when easy
  s.preds[0].push_back(short_fp);
  EvalReport r = s.run();
  CHECK(car_of(r).box2d.ap[0].r40 == Approx(100));               // easy: ignored
  CHECK(car_of(r).box2d.ap[1].r40 < 99);                         // moderate (>= 25 px): a FP
  s.preds[0].back().box2d.y2 = s.preds[0].back().box2d.y1 + 40;  // 40 is not < 40: a FP when easy
  CHECK(car_of(s.run()).box2d.ap[0].r40 < 99);
  // The devkit ignores short detections of any class, and ignored detections may still be
  // consumed by ground truth: in BEV a Pedestrian detection with a 30 px 2D box on the Car's 3D box
  // steals the Car at easy (ignored there), not at moderate (another class there).
  Scene t;
  t.labels[0] = {object_at("Car", 0)};
  Object ped = object_at("Pedestrian", 0, 0.9);
  ped.box2d.y2 = ped.box2d.y1 + 30;
  t.preds[0] = {ped, object_at("Car", 0, 0.5)};
  const ClassEval car = car_of(t.run());
  CHECK(car.bev.ap[0].r11 == 0);                   // no TP at all when easy
  CHECK(car.bev.ap[1].r11 == Approx(100.0 / 11));  // the Car detection is the TP when moderate
}

TEST_CASE("eval: ground-truth difficulty filters (height, occlusion, truncation)", "[eval]") {
  Scene s;
  auto add = [&](int slot, double height, int occ, double trunc) {
    Object g = object_at("Car", slot);
    g.box2d.y2 = g.box2d.y1 + height;
    g.occluded = occ;
    g.truncated = trunc;
    s.labels[0].push_back(g);
    Object d = g;
    d.score = 1.0 + slot;
    d.truncated = d.occluded = -1;
    s.preds[0].push_back(d);
  };
  add(0, 40, 0, 0);       // height 40: not > 40, so not easy; moderate, hard
  add(1, 40.5, 0, 0.15);  // easy (truncation 0.15 is not > 0.15)
  add(2, 80, 0, 0.16);    // moderate, hard
  add(3, 80, 1, 0.30);    // moderate, hard
  add(4, 80, 0, 0.31);    // hard only
  add(5, 80, 2, 0.0);     // hard only (occlusion 2)
  add(6, 80, 3, 0.0);     // never (occlusion 3)
  add(7, 80, 0, 0.51);    // never (truncation > 0.5)
  add(8, 25, 0, 0.0);     // never (25 is not > 25)
  const EvalReport r = s.run();
  const ClassEval& car = car_of(r);
  CHECK(car.n_gt == std::array<int, 3>{1, 4, 6});
  // Filtered ground truth consumes its detection without a FP: precision stays 1.
  for (int d = 0; d < 3; ++d) CHECK(car.box2d.curve[static_cast<std::size_t>(d)][0] == 1.0);
  // BEV and 3D use the same 2D-box filters.
  CHECK(car.bev.curve[2][0] == 1.0);
  CHECK(car.box3d.curve[2][0] == 1.0);
}

TEST_CASE("eval: a FP below every TP score changes nothing, above them it lowers AP", "[eval]") {
  Scene s = Scene::perfect_cars(50);
  s.preds[0].push_back(object_at("Car", 7, 0.5));  // below the lowest TP score (1)
  CHECK(car_of(s.run()).box2d.ap[1].r40 == Approx(100));
  s.preds[0].back().score = 100;  // above all: one FP at every threshold
  const ClassEval car = car_of(s.run());
  // Precision at threshold k is n_k / (n_k + 1) with n_k the TPs scoring at least threshold k.
  const std::vector<double> t = kitti_score_thresholds(
      [] {
        std::vector<double> v;
        for (int i = 0; i < 50; ++i) v.push_back(50.0 - i);
        return v;
      }(),
      50);
  // Precision grows with n_k, so the max-to-the-right makes every point the last one's, 50/51.
  REQUIRE(t.size() == 41);
  CHECK(t.back() == 1.0);
  CHECK(car.box2d.ap[1].r40 == Approx(100.0 * 50 / 51));
  CHECK(car.box2d.curve[1][0] == Approx(50.0 / 51));
}

TEST_CASE("eval: AOS with perfect, flipped and missing orientations", "[eval]") {
  Scene s = Scene::perfect_cars(50);
  for (auto& f : s.preds)
    for (Object& d : f) d.alpha += kPi;  // flipped: similarity (1 + cos pi) / 2 = 0
  EvalReport r = s.run();
  CHECK(car_of(r).box2d.ap[1].r40 == Approx(100));
  CHECK(car_of(r).aos.ap[1].r40 == Approx(0).margin(1e-9));
  for (auto& f : s.preds)
    for (Object& d : f) d.alpha -= kPi / 2;  // 90 degrees off: similarity 0.5
  CHECK(car_of(s.run()).aos.ap[1].r40 == Approx(50));
  s.preds[3][0].alpha = -10;  // one detection without alpha: no AOS at all
  r = s.run();
  CHECK_FALSE(r.aos_computed);
  CHECK_FALSE(car_of(r).aos.evaluated);
  CHECK(eval_report_json(r).find("\"aos\"") == std::string::npos);
}

TEST_CASE("eval: class names compare case-insensitively", "[eval]") {
  Scene s = Scene::perfect_cars(50);
  for (auto& f : s.labels) f[0].type = "car";
  for (auto& f : s.preds) f[0].type = "CAR";
  CHECK(car_of(s.run()).box2d.ap[1].r40 == Approx(100));
}

TEST_CASE("eval: which classes and metrics are reported", "[eval]") {
  Scene s = Scene::perfect_cars(10);
  s.labels[0].push_back(object_at("Cyclist", 6));  // labels only: reported, all zero
  for (auto& f : s.preds)
    for (Object& d : f) d.loc_cam = {-1000, -1000, -1000};  // 2D-only detections
  const EvalReport r = s.run();
  const ClassEval& car = car_of(r);
  CHECK(car.box2d.evaluated);
  CHECK_FALSE(car.bev.evaluated);  // the devkit needs one detection with a usable 3D box
  CHECK_FALSE(car.box3d.evaluated);
  const ClassEval* cyc = r.find(EvalClass::Cyclist);
  REQUIRE(cyc != nullptr);
  CHECK_FALSE(cyc->has_predictions);
  CHECK(cyc->box3d.evaluated);
  CHECK(cyc->box2d.ap[0].r40 == 0);
  CHECK(r.find(EvalClass::Pedestrian) == nullptr);

  const nlohmann::json j = nlohmann::json::parse(eval_report_json(r));
  CHECK(j.size() == 2);
  CHECK(j["Car"].contains("2d"));
  CHECK_FALSE(j["Car"].contains("bev"));
  CHECK(j["Car"]["2d"]["moderate"]["r40"].get<double>() == Approx(car.box2d.ap[1].r40));
  CHECK(j["Car"]["2d"]["easy"].contains("r11"));
  CHECK(j["Cyclist"].contains("aos"));
  CHECK(eval_report_text(r).find("Cyclist") != std::string::npos);
}

TEST_CASE("eval: only frames with a prediction file are evaluated; empty = zero detections",
          "[eval]") {
  const auto root = test::temp_dir("eval_frames");
  const std::string car =
      "Car 0.00 0 0.20 10.00 100.00 110.00 180.00 1.50 1.60 3.90 -16.00 1.60 20.00 0.00\n";
  const std::string det =
      "Car -1 -1 0.20 10.00 100.00 110.00 180.00 1.50 1.60 3.90 -16.00 1.60 20.00 0.00 0.9\n";
  for (const char* id : {"000000", "000001", "000002", "000003", "000004"})
    test::write_file(root / "label_2" / (std::string(id) + ".txt"), car);
  test::write_file(root / "pred" / "000000.txt", det);   // a TP
  test::write_file(root / "pred" / "000001.txt", "\n");  // empty: the car is a FN
  // 000002: no file, not predicted: the car does not count
  test::write_file(root / "pred" / "000003.txt", "Car 1 2 3\n");  // invalid: skipped
  test::write_file(root / "pred" / "000009.txt", det);            // no label file: skipped
  const DatasetIndex ds = scan_dataset(root, {parse_prediction_spec((root / "pred").string())});
  const EvalDataset data = load_eval_dataset(ds, 0, 2);
  CHECK(data.ids == std::vector<std::string>{"000000", "000001"});
  CHECK(data.missing == 2);  // 000002, 000004
  CHECK(data.empty == 1);
  REQUIRE(data.skipped.size() == 2);
  CHECK(data.skipped[0].find("000003") != std::string::npos);
  CHECK(data.skipped[1].find("000009") != std::string::npos);
  const EvalReport r = evaluate_kitti(data.inputs);
  CHECK(car_of(r).n_gt[1] == 2);
  CHECK(r.frames == 2);
}

TEST_CASE("eval: command line", "[eval][cli]") {
  const std::string bin = test::needle_binary();  // skips (fails under CI) when not built
  if (!std::filesystem::exists(bin)) return;
  const auto root = test::temp_dir("eval_cli");
  test::write_file(
      root / "label_2" / "000000.txt",
      "Car 0.00 0 0.20 10.00 100.00 110.00 180.00 1.50 1.60 3.90 -16.00 1.60 20.00 0.00\n");
  test::write_file(
      root / "pred" / "000000.txt",
      "Car -1 -1 0.20 10.00 100.00 110.00 180.00 1.50 1.60 3.90 -16.00 1.60 20.00 0.00 0.9\n");
  std::string out;
  const std::string base = bin + " eval " + root.string();
  CHECK(test::run_command(
            base + " --pred " + (root / "pred").string() + " --format json 2>/dev/null", &out) ==
        0);
  const nlohmann::json j = nlohmann::json::parse(out);
  CHECK(j["Car"]["2d"]["easy"]["r11"].get<double>() == Approx(100.0 / 11));
  CHECK(test::run_command(base + " --pred " + (root / "pred").string(), &out) == 0);
  CHECK(out.find("1 frames evaluated") != std::string::npos);
  CHECK(test::run_command(base, &out) == 2);                             // --pred missing
  CHECK(test::run_command(base + " --pred x --format xml", &out) == 2);  // bad format
  CHECK(test::run_command(base + " --pred " + (root / "nope").string(), &out) == 1);
  CHECK(test::run_command(
            bin + " eval " + (root / "nope").string() + " --pred " + (root / "pred").string(),
            &out) == 1);
  test::write_file(root / "empty_pred" / "x.txt", "");
  CHECK(test::run_command(base + " --pred " + (root / "empty_pred").string(), &out) ==
        1);  // no frame
  CHECK(test::run_command(bin + " eval --help", &out) == 0);
}

TEST_CASE("kitti_difficulty follows the devkit limits", "[eval][difficulty]") {
  needle::Object o;
  o.box2d = {100, 100, 200, 150};  // 50 px high
  o.truncated = 0.0;
  o.occluded = 0;
  CHECK(kitti_difficulty(o) == Difficulty::Easy);
  o.occluded = 1;
  CHECK(kitti_difficulty(o) == Difficulty::Moderate);
  o.box2d.y2 = 140;  // exactly 40 px: the devkit needs more than 40 for easy
  o.occluded = 0;
  CHECK(kitti_difficulty(o) == Difficulty::Moderate);
  o.truncated = 0.4;
  CHECK(kitti_difficulty(o) == Difficulty::Hard);
  o.occluded = 3;
  CHECK_FALSE(kitti_difficulty(o).has_value());
  o.occluded = 0;
  o.truncated = 0.0;
  o.box2d.y2 = 125;  // 25 px: below every level
  CHECK_FALSE(kitti_difficulty(o).has_value());
  o.box2d.y2 = 150;
  o.occluded = -1;  // DontCare / prediction dialect
  CHECK_FALSE(kitti_difficulty(o).has_value());
  CHECK(std::string(difficulty_key(Difficulty::Moderate)) == "moderate");
}
