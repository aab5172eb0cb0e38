// Tests for compare mode (rank_frames with compare_old/compare_new, `needle rank --compare`):
// regressions (labels the new model misses, new confident false positives, class flips),
// disagreements where labels say nothing, fixes, per-class summary counts.
#include <cmath>
#include <fstream>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "needle/box3d.h"
#include "needle/kitti_io.h"
#include "needle/ranking.h"
#include "support/test_support.h"

using namespace needle;
namespace fs = std::filesystem;

namespace {

Object car(double x, double z, ObjectClass c = ObjectClass::Car, std::optional<double> score = {}) {
  Object o;
  o.cls = c;
  o.type = class_name(c);
  o.l = 3.9;
  o.w = 1.6;
  o.h = 1.5;
  o.loc_cam = {x, 1.65, z};
  o.rotation_y = 0.2;
  o.alpha = o.rotation_y - std::atan2(x, z);
  o.score = score;
  if (auto b = projected_box_2d(o, test::simple_calib(), 1242, 375)) o.box2d = *b;
  return o;
}

FrameAnnotations frame(const std::string& id, std::vector<Object> labels,
                       std::vector<Object> old_preds, std::vector<Object> new_preds,
                       bool has_labels = true) {
  FrameAnnotations a;
  a.id = id;
  a.has_labels = has_labels;
  a.labels = std::move(labels);
  a.calib = test::simple_calib();
  a.preds.resize(2);
  a.preds[0].objects = std::move(old_preds);
  a.preds[1].objects = std::move(new_preds);
  for (auto& p : a.preds) p.status = p.objects.empty() ? PredStatus::Empty : PredStatus::Present;
  return a;
}

// Frames 0..5 as described in the test; 20 more where both models agree with the labels.
std::vector<FrameAnnotations> compare_world() {
  std::vector<FrameAnnotations> f;
  f.push_back(frame("000000", {car(0, 15)}, {car(0.1, 15, ObjectClass::Car, 0.95)},
                    {}));  // regression miss
  f.push_back(
      frame("000001", {car(0, 15)}, {car(0, 15, ObjectClass::Car, 0.95)},
            {car(0, 15, ObjectClass::Car, 0.95), car(-6, 25, ObjectClass::Car, 0.97)}));  // new FP
  f.push_back(frame("000002", {car(0, 15)}, {car(0, 15, ObjectClass::Car, 0.95)},
                    {car(0, 15, ObjectClass::Truck, 0.97)}));                         // class flip
  f.push_back(frame("000003", {}, {car(3, 20, ObjectClass::Car, 0.96)}, {}, false));  // no labels
  f.push_back(frame("000004", {car(0, 15)}, {}, {car(0, 15, ObjectClass::Car, 0.95)}));  // fix
  f.push_back(frame("000005", {car(2, 18)}, {car(2, 18, ObjectClass::Car, 0.95)},
                    {car(2, 18, ObjectClass::Car, 0.95)}));  // agreement
  for (int k = 6; k < 26; ++k) {
    char id[16];
    std::snprintf(id, sizeof id, "%06d", k);
    const double z = 10 + k;
    f.push_back(frame(id, {car(-2, z), car(4, z + 5)},
                      {car(-2, z, ObjectClass::Car, 0.93), car(4, z + 5, ObjectClass::Car, 0.9)},
                      {car(-2, z, ObjectClass::Car, 0.94), car(4, z + 5, ObjectClass::Car, 0.91)}));
  }
  return f;
}

const FrameRank* find_frame(const RankResult& r, const std::string& id) {
  for (const FrameRank& f : r.frames)
    if (f.frame == id) return &f;
  return nullptr;
}

bool has_kind(const FrameRank* f, const char* k) {
  if (!f) return false;
  for (const Finding& x : f->findings)
    if (x.kind == k) return true;
  return false;
}

}  // namespace

TEST_CASE("compare mode ranks regressions and counts fixes per class", "[compare]") {
  const auto frames = compare_world();
  RankOptions opt;
  opt.compare_old = 0;
  opt.compare_new = 1;
  const RankResult r = rank_frames(frames, {"old", "new"}, opt);
  CHECK(has_kind(find_frame(r, "000000"), kind::kRegressionMiss));
  CHECK(has_kind(find_frame(r, "000001"), kind::kNewFalsePositive));
  CHECK(has_kind(find_frame(r, "000002"), kind::kModelClassFlip));
  CHECK(has_kind(find_frame(r, "000003"), kind::kModelDisagreement));
  CHECK(find_frame(r, "000004") == nullptr);  // a fix is not a regression
  CHECK(find_frame(r, "000005") == nullptr);
  for (int k = 6; k < 26; ++k) {
    char id[16];
    std::snprintf(id, sizeof id, "%06d", k);
    CHECK(find_frame(r, id) == nullptr);
  }
  const FrameRank* miss = find_frame(r, "000000");
  REQUIRE(miss != nullptr);
  CHECK(miss->findings[0].label == 0);
  CHECK(miss->findings[0].prediction_set == "old");
  CHECK(miss->findings[0].confidence.has_value());
  const FrameRank* flip = find_frame(r, "000002");
  REQUIRE(flip != nullptr);
  CHECK(flip->findings[0].predicted_class == "Truck");
  CHECK(flip->findings[0].cls == "Car");
  CHECK(r.summary.at("regressions") == 3);
  CHECK(r.summary.at("regressions:Car") == 3);
  CHECK(r.summary.at("fixes") == 1);
  CHECK(r.summary.at("fixes:Car") == 1);
  // Reversed roles: the miss becomes a fix, the fix a regression.
  RankOptions rev;
  rev.compare_old = 1;
  rev.compare_new = 0;
  const RankResult rr = rank_frames(frames, {"old", "new"}, rev);
  CHECK(has_kind(find_frame(rr, "000004"), kind::kRegressionMiss));
  CHECK(find_frame(rr, "000000") == nullptr);
}

TEST_CASE("compare mode rejects bad set indices", "[compare]") {
  const auto frames = compare_world();
  RankOptions opt;
  opt.compare_old = 0;
  opt.compare_new = 0;
  CHECK_THROWS_AS(rank_frames(frames, {"old", "new"}, opt), std::invalid_argument);
  opt.compare_new = 5;
  CHECK_THROWS_AS(rank_frames(frames, {"old", "new"}, opt), std::invalid_argument);
}

TEST_CASE("needle rank --compare old,new", "[compare][cli]") {
  const auto frames = compare_world();
  const fs::path root = test::temp_dir("compare_cli");
  for (const FrameAnnotations& a : frames) {
    if (a.has_labels)
      write_text_file(root / "training" / "label_2" / (a.id + ".txt"),
                      format_objects(a.labels, false));
    write_text_file(root / "training" / "calib" / (a.id + ".txt"), format_calib(*a.calib));
    write_text_file(root / "pred" / "old" / (a.id + ".txt"),
                    format_objects(a.preds[0].objects, true));
    write_text_file(root / "pred" / "new" / (a.id + ".txt"),
                    format_objects(a.preds[1].objects, true));
  }
  const fs::path out = root / "out.json";
  const std::string cmd = test::needle_binary() + " rank " + root.string() +
                          " --pred old=" + (root / "pred" / "old").string() +
                          " --pred new=" + (root / "pred" / "new").string() +
                          " --compare old,new --format json --out " + out.string();
  std::string log;
  REQUIRE(test::run_command(cmd, &log) == 0);
  std::ifstream in(out);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["summary"]["method"] == "compare");
  CHECK(j["summary"]["compare"]["old"] == "old");
  CHECK(j["summary"]["compare"]["new"] == "new");
  CHECK(j["summary"]["regressions"] == 3);
  CHECK(j["summary"]["fixes:Car"] == 1);
  std::set<std::string> kinds;
  for (const auto& f : j["frames"])
    for (const auto& x : f["findings"]) kinds.insert(x["kind"].get<std::string>());
  CHECK(kinds.count("regression_miss"));
  CHECK(kinds.count("new_false_positive"));
  CHECK(kinds.count("model_class_flip"));
  CHECK(kinds.count("model_disagreement"));
  // An unknown name is a usage error.
  std::string err;
  CHECK(test::run_command(test::needle_binary() + " rank " + root.string() + " --pred old=" +
                              (root / "pred" / "old").string() + " --compare old,new",
                          &err) == 2);
}
