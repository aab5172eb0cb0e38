// Slices: AP restricted to a slice equals `needle eval` on a copy of the dataset edited to that
// slice by the test's own rules (slices.h); Wilson interval and the bootstrap's determinism.
#include <cmath>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "needle/demo.h"
#include "needle/slices.h"
#include "support/test_support.h"

using namespace needle;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream is(p);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(is, line)) out.push_back(line);
  return out;
}

// Replaces the third whitespace-separated field (occluded) of a KITTI line with "3".
std::string with_occlusion_3(const std::string& line) {
  std::istringstream is(line);
  std::vector<std::string> f;
  std::string t;
  while (is >> t) f.push_back(t);
  REQUIRE(f.size() >= 15);
  f[2] = "3";
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) out += (i ? " " : "") + f[i];
  return out;
}

// The test's own range of an object: x-z distance of a box with positive dimensions.
std::optional<double> own_range(const Object& o) {
  if (!(o.h > 0 && o.w > 0 && o.l > 0) || o.cls == ObjectClass::DontCare) return std::nullopt;
  return std::hypot(o.loc_cam.x, o.loc_cam.z);
}

// Writes ROOT/training/label_2 and ROOT/pred/*.txt for the evaluated frames, keeping labels for
// which keep_label says so (others get occlusion 3; DontCare lines stay), detections for which
// keep_pred says so (others dropped), and frames for which keep_frame says so.
template <typename KL, typename KP, typename KF>
fs::path write_edited(const fs::path& out, const DatasetIndex& ds,
                      const std::vector<std::size_t>& evaluated, KL keep_label, KP keep_pred,
                      KF keep_frame) {
  fs::remove_all(out);
  fs::create_directories(out / "training" / "label_2");
  fs::create_directories(out / "pred");
  for (std::size_t f : evaluated) {
    const FrameAnnotations a = load_annotations(ds, f, false);
    if (!keep_frame(a)) continue;
    const std::vector<std::string> lines = read_lines(ds.frames[f].label);
    std::string text;
    std::vector<int> edit_line;
    for (const Object& o : a.labels)
      if (!o.is_dontcare() && !keep_label(o)) edit_line.push_back(o.line);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const bool edit = std::find(edit_line.begin(), edit_line.end(), static_cast<int>(i + 1)) !=
                        edit_line.end();
      text += (edit ? with_occlusion_3(lines[i]) : lines[i]) + "\n";
    }
    test::write_file(out / "training" / "label_2" / (a.id + ".txt"), text);
    const std::vector<std::string> plines = read_lines(ds.frames[f].preds[0]);
    std::string ptext;
    for (const Object& o : a.preds[0].objects)
      if (keep_pred(o)) ptext += plines[static_cast<std::size_t>(o.line - 1)] + "\n";
    test::write_file(out / "pred" / (a.id + ".txt"), ptext);
  }
  return out;
}

nlohmann::json run_eval(const fs::path& root) {
  std::string output;
  const std::string cmd = "'" + test::needle_binary() + "' eval '" + root.string() + "' --pred '" +
                          (root / "pred").string() + "' --format json 2>/dev/null";
  REQUIRE(test::run_command(cmd, &output) == 0);
  return nlohmann::json::parse(output);
}

double eval_ap(const nlohmann::json& j, const std::string& cls) {
  if (!j.contains(cls) || !j[cls].contains("3d")) return 0;
  return j[cls]["3d"]["moderate"]["r40"].get<double>();
}

const SliceRow* find_row(const SlicesResult& r, const std::string& attr, const std::string& slice,
                         EvalClass c) {
  for (const SliceRow& row : r.rows)
    if (row.attribute == attr && row.slice == slice && row.cls == c) return &row;
  return nullptr;
}

}  // namespace

TEST_CASE("Wilson interval of a proportion", "[slices]") {
  // 8 of 10 at z = 1.96: centre (0.8 + 0.19208) / 1.38416 = 0.71676, half-width
  // 1.96 / 1.38416 * sqrt(0.016 + 0.0009604) = 0.18440 -> [0.4902, 0.9435] (textbook values).
  const auto [lo, hi] = wilson_interval(8, 10, 1.96);
  CHECK(lo == Approx(0.4902).margin(1e-4));
  CHECK(hi == Approx(0.9433).margin(1e-3));
  const auto [lo0, hi0] = wilson_interval(0, 0);
  CHECK(lo0 == 0.0);
  CHECK(hi0 == 1.0);
}

TEST_CASE("slices: --by parsing", "[slices]") {
  CHECK(parse_slice_by("range") == std::vector<std::vector<std::string>>{{"range"}});
  CHECK(parse_slice_by("range,occlusion") ==
        std::vector<std::vector<std::string>>{{"range", "occlusion"}});
  CHECK_THROWS_AS(parse_slice_by("a,b,c"), std::invalid_argument);
  CHECK_THROWS_AS(parse_slice_by("range,"), std::invalid_argument);
  CHECK_THROWS_AS(parse_slice_by("range,range"), std::invalid_argument);
}

TEST_CASE("slice AP equals needle eval on the dataset edited to the slice", "[slices][cli]") {
  const fs::path dir = test::temp_dir("slices_vs_eval");
  const fs::path demo = dir / "demo";
  DemoOptions dopt;
  dopt.frames = 240;
  dopt.seed = 7;
  dopt.images = false;
  dopt.lidar = false;
  fs::remove_all(demo);
  generate_demo(demo, dopt);

  const DatasetIndex ds = scan_dataset(demo, {{"sim_a", demo / "pred" / "sim_a"}});
  SlicesJob job;
  job.slice.by = {"range"};
  job.slice.bootstrap_runs = 50;
  job.image_stats = false;
  job.lidar = false;
  job.pipeline.evidence = Evidence::Predictions;
  job.pipeline.lidar_cache = false;
  const SlicesRun run = run_slices(ds, 0, job);
  REQUIRE(run.status == PipelineStatus::Ok);
  const SlicesResult& r = run.result;
  REQUIRE(!r.frames.empty());

  SECTION("object attribute: range 20-30 m") {
    auto in_bin = [](const Object& o) {
      const std::optional<double> d = own_range(o);
      return d && *d >= 20 && *d < 30;
    };
    const fs::path edited =
        write_edited(dir / "range_20_30", ds, r.frames, in_bin, in_bin,
                     [](const FrameAnnotations&) { return true; });
    const nlohmann::json ev = run_eval(edited);
    int compared = 0;
    for (EvalClass c : {EvalClass::Car, EvalClass::Pedestrian, EvalClass::Cyclist}) {
      const SliceRow* row = find_row(r, "range", "20-30 m", c);
      if (!row) continue;
      INFO(eval_class_name(c));
      CHECK(row->ap[1].r40 == Approx(eval_ap(ev, eval_class_name(c))).margin(1e-9));
      ++compared;
    }
    CHECK(compared >= 2);
  }

  SECTION("frame attribute: objects 5-10") {
    job.slice.by = {"objects"};
    const SlicesRun run2 = run_slices(ds, 0, job);
    REQUIRE(run2.status == PipelineStatus::Ok);
    auto frame_in = [](const FrameAnnotations& a) {
      long n = 0;
      for (const Object& o : a.labels) n += o.cls != ObjectClass::DontCare;
      return n >= 5 && n < 10;
    };
    const fs::path edited = write_edited(
        dir / "objects_5_10", ds, run2.result.frames, [](const Object&) { return true; },
        [](const Object&) { return true; }, frame_in);
    const nlohmann::json ev = run_eval(edited);
    int compared = 0;
    for (EvalClass c : {EvalClass::Car, EvalClass::Pedestrian, EvalClass::Cyclist}) {
      const SliceRow* row = find_row(run2.result, "objects", "5-10", c);
      if (!row) continue;
      INFO(eval_class_name(c));
      CHECK(row->ap[1].r40 == Approx(eval_ap(ev, eval_class_name(c))).margin(1e-9));
      ++compared;
    }
    CHECK(compared >= 2);
  }

  SECTION("the whole set equals needle eval, rows are worst first, intervals hold the AP") {
    std::string out;
    const std::string cmd = "'" + test::needle_binary() + "' eval '" + demo.string() +
                            "' --pred '" + (demo / "pred" / "sim_a").string() +
                            "' --format json 2>/dev/null";
    REQUIRE(test::run_command(cmd, &out) == 0);
    const nlohmann::json whole = nlohmann::json::parse(out);
    for (const SliceRow& row : r.overall)
      CHECK(row.ap[1].r40 == Approx(eval_ap(whole, eval_class_name(row.cls))).margin(1e-9));
    bool seen_small = false;
    double prev_gap = -1e9;
    for (const SliceRow& row : r.rows) {
      CHECK(row.ap_low <= row.ap[1].r40);
      CHECK(row.ap_high >= row.ap[1].r40);
      CHECK(row.small == (row.counted < kSliceMinObjects));
      if (row.small) {
        if (!seen_small) prev_gap = -1e9;
        seen_small = true;
      } else {
        CHECK_FALSE(seen_small);  // small slices come last
      }
      CHECK(row.gap >= prev_gap);
      prev_gap = row.gap;
    }
    // Same data, same intervals (fixed seed).
    const SlicesRun again = run_slices(ds, 0, job);
    REQUIRE(again.result.rows.size() == r.rows.size());
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
      CHECK(again.result.rows[i].ap_low == r.rows[i].ap_low);
      CHECK(again.result.rows[i].ap_high == r.rows[i].ap_high);
    }
  }
}

TEST_CASE("evaluate_subset: a label outside the slice is ignored ground truth", "[slices][eval]") {
  // One frame, two well separated Cars, each detected exactly (IoU 1 > 0.7), both easy
  // (50 px tall, occlusion 0, truncation 0).
  auto car = [](double x, double x1) {
    Object o;
    o.type = "Car";
    o.cls = ObjectClass::Car;
    o.box2d = {x1, 100, x1 + 60, 150};
    o.h = 1.5;
    o.w = 1.6;
    o.l = 3.9;
    o.loc_cam = {x, 1.6, 20};
    return o;
  };
  const std::vector<Object> labels = {car(-5, 100), car(5, 600)};
  std::vector<Object> preds = labels;
  preds[0].score = 0.9;
  preds[1].score = 0.8;
  const std::vector<EvalFrameInput> in = {{&labels, &preds}};
  const PreparedEvalPtr prep = prepare_eval(in, EvalMetric::Box3D, 1);

  // Devkit rules with so few ground truth: one score threshold per TP (getThresholds keeps every
  // TP score when n_gt < 41), precision 1 at each, 0 at the recall points past them. Whole: two
  // thresholds, curve[0] = curve[1] = 1: R40 = 1/40 = 2.5, R11 = curve[0]/11 = 9.0909.
  const std::vector<SubsetClassEval> whole = evaluate_subset(*prep, {});
  CHECK(whole[0].n_gt[0] == 2);
  CHECK(whole[0].ap[0].r40 == Approx(2.5));
  CHECK(whole[0].ap[0].r11 == Approx(100.0 / 11));

  // Slice = label 0: label 1 ignored, detection 1 (matching it) neither TP nor FP: one counted,
  // one threshold: R40 = 0 (point 0 is not in R40), R11 = 9.0909.
  EvalSubset only0;
  only0.label_keep = {1, 0};
  only0.pred_keep = {1, 1};
  const std::vector<SubsetClassEval> s0 = evaluate_subset(*prep, only0);
  CHECK(s0[0].n_gt[0] == 1);
  CHECK(s0[0].ap[0].r40 == Approx(0.0));
  CHECK(s0[0].ap[0].r11 == Approx(100.0 / 11));

  // Detection 0 removed as well: the counted label is missed (no TP, no threshold): R11 = 0.
  EvalSubset miss;
  miss.label_keep = {1, 0};
  miss.pred_keep = {0, 1};
  CHECK(evaluate_subset(*prep, miss)[0].ap[0].r11 == Approx(0.0));

  // Without the ignoring (label 1 deleted from the input), detection 1 (score 0.8) is a FP. AP
  // stays 100 (the TP at 0.9 reaches recall 1 first), so compare the counts at the operating
  // score 0.5: 1 TP and 1 FP, against 1 TP and 0 FP with the label ignored.
  const std::vector<Object> one_label = {labels[0]};
  const std::vector<EvalFrameInput> in1 = {{&one_label, &preds}};
  const PreparedEvalPtr prep1 = prepare_eval(in1, EvalMetric::Box3D, 1);
  SubsetEvalOptions o;
  o.detail = Difficulty::Easy;
  o.operating_score = {0.5, std::nullopt, std::nullopt};
  const std::vector<SubsetClassEval> deleted = evaluate_subset(*prep1, {}, o);
  CHECK(deleted[0].tp_op == 1);
  CHECK(deleted[0].fp_op == 1);
  const std::vector<SubsetClassEval> ignored = evaluate_subset(*prep, only0, o);
  CHECK(ignored[0].tp_op == 1);
  CHECK(ignored[0].fp_op == 0);
}
