// Tests for the two published baselines' formulas (directly and through the engine) and for the
// ranking-quality figures of needle/ranking_quality.h (recall@K, AP, scopes).
#include <cmath>

#include <catch2/catch.hpp>

#include "needle/box3d.h"
#include "needle/iou.h"
#include "needle/ranking.h"
#include "needle/ranking_quality.h"
#include "support/test_support.h"

using namespace needle;

namespace {

Object make_object(ObjectClass c, double x, double z, double ry, const Calib& calib) {
  Object o;
  o.cls = c;
  o.type = class_name(c);
  o.l = 3.88;
  o.w = 1.63;
  o.h = 1.53;
  o.loc_cam = {x, 1.65, z};
  o.rotation_y = ry;
  o.alpha = ry - std::atan2(x, z);
  if (auto b = projected_box_2d(o, calib, 1242, 375)) o.box2d = *b;
  return o;
}

}  // namespace

// ============================================================================================
// [SECTION] Baselines
// ============================================================================================
TEST_CASE("FiftyOne mistakenness formulas on hand-computed cases", "[ranking][baseline]") {
  CHECK(baseline::mistakenness_class(0.9, true) == Approx(0.95));
  CHECK(baseline::mistakenness_class(0.9, false) == Approx(0.05));
  CHECK(baseline::mistakenness_class(0.0, true) == Approx(0.5));
  CHECK(baseline::mistakenness_loc(0.8, 0.5) == Approx(0.9));   // i = 1
  CHECK(baseline::mistakenness_loc(0.8, 1.0) == Approx(0.1));   // i = 0
  CHECK(baseline::mistakenness_loc(0.8, 0.75) == Approx(0.5));  // i = 0.5
}

TEST_CASE("ObjectLab formulas on hand-computed cases", "[ranking][baseline]") {
  CHECK(baseline::objectlab_similarity(0.5, 10) == Approx(0.45 + 0.1 * std::exp(-1.0)));
  CHECK(baseline::objectlab_similarity(1.0, 0) == Approx(1.0));
  // softmin([0.2, 0.9], T = 0.1): weights exp(-2), exp(-9) normalised.
  const double w0 = std::exp(-2.0), w1 = std::exp(-9.0);
  CHECK(baseline::softmin({0.2, 0.9}, 0.1) == Approx((0.2 * w0 + 0.9 * w1) / (w0 + w1)));
  CHECK(baseline::softmin({}, 0.1) == 1.0);
  CHECK(baseline::softmin({0.4}, 0.1) == Approx(0.4));
}

namespace {
// One frame, one Car label at 20 m and one prediction (class, x offset, score); set "p".
std::vector<FrameAnnotations> single_pair(ObjectClass pred_cls, double dx, double score) {
  const Calib calib = test::simple_calib();
  FrameAnnotations a;
  a.id = "000001";
  a.has_labels = true;
  a.labels.push_back(make_object(ObjectClass::Car, 0, 20, 0, calib));
  Object p = make_object(pred_cls, dx, 20, 0, calib);
  p.l = a.labels[0].l;
  p.w = a.labels[0].w;
  p.h = a.labels[0].h;
  p.score = score;
  a.preds.resize(1);
  a.preds[0].status = PredStatus::Present;
  a.preds[0].objects.push_back(p);
  return {a};
}
}  // namespace

TEST_CASE("mistakenness through the engine: class and localisation, frame = max",
          "[ranking][baseline]") {
  RankOptions opt;
  opt.method = RankMethod::Mistakenness;
  // Same box, other class: class mistakenness (c+1)/2.
  const RankResult r = rank_frames(single_pair(ObjectClass::Truck, 0, 0.9), {"p"}, opt);
  REQUIRE(r.frames.size() == 1);
  const Finding& f = r.frames[0].findings[0];
  REQUIRE(f.confidence.has_value());
  const double c = *f.confidence;
  CHECK(f.kind == kind::kClassMismatch);
  CHECK(f.score == Approx(std::max(baseline::mistakenness_class(c, true),
                                   baseline::mistakenness_loc(c, 1.0))));
  CHECK(r.frames[0].score == Approx(f.score));
  // Same class, BEV IoU 0.6: localisation mistakenness wins over the class term.
  const RankResult r2 = rank_frames(single_pair(ObjectClass::Car, 0.6, 0.9), {"p"}, opt);
  REQUIRE(r2.frames.size() == 1);
  const Finding& f2 = r2.frames[0].findings[0];
  CHECK(f2.kind == kind::kPoorOverlap);
  REQUIRE(f2.iou_bev.has_value());
  CHECK(f2.score == Approx(baseline::mistakenness_loc(*f2.confidence, *f2.iou_bev)).margin(1e-4));
  // Far apart: possibly spurious label (0.5) and, if confident, a possibly missing object.
  const RankResult r3 = rank_frames(single_pair(ObjectClass::Car, 8, 0.9), {"p"}, opt);
  REQUIRE(r3.frames.size() == 1);
  bool spurious = false;
  for (const Finding& x : r3.frames[0].findings)
    if (x.kind == kind::kUnmatchedLabel) spurious = x.score == Approx(0.5);
  CHECK(spurious);
}

TEST_CASE("ObjectLab through the engine: quality from the three subtypes", "[ranking][baseline]") {
  RankOptions opt;
  opt.method = RankMethod::ObjectLab;
  // Same class, shifted 1 m: S = 0.9 IoU + 0.1 exp(-0.1 d); one label, one prediction.
  const auto frames = single_pair(ObjectClass::Car, 1.0, 0.9);
  const RankResult r = rank_frames(frames, {"p"}, opt);
  REQUIRE(r.frames.size() == 1);
  const double iou = iou_bev(frames[0].labels[0], frames[0].preds[0].objects[0]);
  const double s = baseline::objectlab_similarity(iou, 1.0);
  // The prediction's calibrated confidence decides which subtypes count (p > 0.5, p >= 0.95).
  double c = -1;
  for (const Finding& x : r.frames[0].findings)
    if (x.confidence) c = *x.confidence;
  REQUIRE(c >= 0);
  const double over = c >= 0.95 ? s : 1.0, badloc = c > 0.5 ? s : 1.0, swap = 1.0;
  const double quality = std::exp((std::log(over) + std::log(badloc) + std::log(swap)) / 3);
  CHECK(r.frames[0].score == Approx(1 - quality).margin(1e-6));
  // A perfect match is quality 1: not listed.
  const RankResult r2 = rank_frames(single_pair(ObjectClass::Car, 0, 0.9), {"p"}, opt);
  CHECK(r2.frames.empty());
}

TEST_CASE("baselines skip frames whose predictions are Missing", "[ranking][baseline]") {
  auto frames = single_pair(ObjectClass::Truck, 0, 0.9);
  frames[0].preds[0].status = PredStatus::Missing;
  frames[0].preds[0].objects.clear();
  for (RankMethod m : {RankMethod::Mistakenness, RankMethod::ObjectLab, RankMethod::Needle}) {
    RankOptions o;
    o.method = m;
    CHECK(rank_frames(frames, {"p"}, o).frames.empty());
  }
}

// ============================================================================================
// [SECTION] Ranking quality
// ============================================================================================
TEST_CASE("recall@K and average precision", "[ranking][quality]") {
  const RankingFigures f = ranking_figures({"a", "x", "b", "y"}, {"a", "b", "c"});
  CHECK(f.truth_frames == 3);
  CHECK(f.hits_at_k == 2);
  CHECK(f.recall_at_k == Approx(2.0 / 3));
  CHECK(f.average_precision == Approx((1.0 + 2.0 / 3) / 3));
  const RankingFigures none = ranking_figures({"a"}, {});
  CHECK(none.truth_frames == 0);
  CHECK(none.average_precision == 0);
}

TEST_CASE("evaluate_ranking scopes label errors, invalid data and kinds", "[ranking][quality]") {
  RankResult r;
  for (const char* id : {"inv", "miss", "clean", "shift"}) {
    FrameRank f;
    f.frame = id;
    r.frames.push_back(f);
  }
  const std::vector<TruthEntry> truth = {
      {"inv", "truncated_bin", -1}, {"miss", "missing_label", -1}, {"shift", "shifted_box", 2}};
  CHECK(is_invalid_data_kind("truncated_bin"));
  CHECK(is_invalid_data_kind("corrupt_png"));
  CHECK(is_invalid_data_kind("bad_label_line"));
  CHECK_FALSE(is_invalid_data_kind("shifted_box"));
  const RankingQuality q = evaluate_ranking(r, truth);
  CHECK(q.all.truth_frames == 3);
  CHECK(q.all.hits_at_k == 2);  // inv, miss in the top 3
  // Label errors without the invalid frame: miss, clean, shift -> K = 2, top 2 = miss, clean.
  CHECK(q.label_errors.truth_frames == 2);
  CHECK(q.label_errors.hits_at_k == 1);
  CHECK(q.label_errors.average_precision == Approx((1.0 + 2.0 / 3) / 2));
  CHECK(q.invalid_data.recall_at_k == 1);
  CHECK(q.per_kind.at("shifted_box").truth_frames == 1);
  CHECK(q.per_kind.at("shifted_box").average_precision == Approx(0.5));  // clean, shift
}

TEST_CASE("evaluate_ranking scopes errors by size bin and by kind x bin", "[ranking][quality]") {
  RankResult r;
  for (const char* id : {"g1", "g2", "s1", "clean", "inv", "s2"}) {
    FrameRank f;
    f.frame = id;
    r.frames.push_back(f);
  }
  const std::vector<TruthEntry> truth = {{"g1", "shifted_box", 0, 2.1, "m", "gross"},
                                         {"s1", "shifted_box", 0, 0.4, "m", "subtle"},
                                         {"g2", "wrong_class", 1, 2, "class", "gross"},
                                         {"s2", "wrong_class", 1, 1, "class", "subtle"},
                                         {"inv", "truncated_bin", -1, 0, "", ""}};
  const RankingQuality q = evaluate_ranking(r, truth);
  REQUIRE(q.per_bin.size() == 2);
  // Gross: other truth frames removed -> g1, g2, clean; K = 2, both in the top 2, AP 1.
  CHECK(q.per_bin.at("gross").truth_frames == 2);
  CHECK(q.per_bin.at("gross").hits_at_k == 2);
  CHECK(q.per_bin.at("gross").average_precision == Approx(1.0));
  // Subtle: s1, clean, s2; K = 2, one hit, AP (1/1 + 2/3) / 2.
  CHECK(q.per_bin.at("subtle").truth_frames == 2);
  CHECK(q.per_bin.at("subtle").recall_at_k == Approx(0.5));
  CHECK(q.per_bin.at("subtle").average_precision == Approx((1.0 + 2.0 / 3) / 2));
  // Kind x bin: wrong_class/subtle ranks clean, s2 -> K = 1, no hit, AP 1/2.
  REQUIRE(q.per_kind_bin.size() == 2);  // the invalid-data kind has no bin
  CHECK(q.per_kind_bin.at("shifted_box").at("gross").average_precision == Approx(1.0));
  CHECK(q.per_kind_bin.at("shifted_box").at("subtle").average_precision == Approx(1.0));
  CHECK(q.per_kind_bin.at("wrong_class").at("gross").recall_at_k == Approx(1.0));
  CHECK(q.per_kind_bin.at("wrong_class").at("subtle").recall_at_k == Approx(0.0));
  CHECK(q.per_kind_bin.at("wrong_class").at("subtle").average_precision == Approx(0.5));
  // Entries without a bin (truth files of earlier versions) are in no bin scope.
  const RankingQuality old = evaluate_ranking(r, {{"g1", "shifted_box", 0}});
  CHECK(old.per_bin.empty());
  CHECK(old.per_kind_bin.empty());
}
