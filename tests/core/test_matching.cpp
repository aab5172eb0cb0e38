// Tests for needle/matching.h (association rules) and needle/confidence.h (score calibration,
// logistic fits): every rule on hand-built frames.
#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "needle/confidence.h"
#include "needle/iou.h"
#include "needle/matching.h"

using namespace needle;

namespace {

// A box in the rectified camera frame; rotation_y = 0 puts the length along camera x. The 2D box
// is a rough pinhole projection of the footprint centre (enough for DontCare and 2D tests).
Object box(ObjectClass c, double x, double z, double l = 4.0, double w = 2.0, double h = 1.5,
           double ry = 0, std::optional<double> score = {}) {
  Object o;
  o.cls = c;
  o.type = class_name(c);
  o.loc_cam = {x, 1.6, z};
  o.l = l;
  o.w = w;
  o.h = h;
  o.rotation_y = ry;
  o.score = score;
  const double f = 720, u = 620 + f * x / z, half = f * (l / 2) / z, top = 180 + f * (1.6 - h) / z,
               bottom = 180 + f * 1.6 / z;
  o.box2d = {u - half, top, u + half, bottom};
  return o;
}

Object dontcare(double x1, double y1, double x2, double y2) {
  Object o;
  o.cls = ObjectClass::DontCare;
  o.type = "DontCare";
  o.box2d = {x1, y1, x2, y2};
  o.h = o.w = o.l = -1;
  o.loc_cam = {-1000, -1000, -1000};
  return o;
}

const MatchPair& pair_of(const FrameMatch& m, int label) {
  REQUIRE(m.label_pair[static_cast<std::size_t>(label)] >= 0);
  return m.pairs[static_cast<std::size_t>(m.label_pair[static_cast<std::size_t>(label)])];
}

}  // namespace

TEST_CASE("neighbour classes are Van/Car and Person_sitting/Pedestrian, symmetric", "[matching]") {
  CHECK(neighbour_classes(ObjectClass::Car, ObjectClass::Van));
  CHECK(neighbour_classes(ObjectClass::Van, ObjectClass::Car));
  CHECK(neighbour_classes(ObjectClass::PersonSitting, ObjectClass::Pedestrian));
  CHECK(neighbour_classes(ObjectClass::Pedestrian, ObjectClass::PersonSitting));
  CHECK_FALSE(neighbour_classes(ObjectClass::Car, ObjectClass::Truck));
  CHECK_FALSE(neighbour_classes(ObjectClass::Car, ObjectClass::Car));
  CHECK_FALSE(neighbour_classes(ObjectClass::Pedestrian, ObjectClass::Cyclist));
  CHECK(compatible_classes(ObjectClass::Car, ObjectClass::Car));
  CHECK(compatible_classes(ObjectClass::Car, ObjectClass::Van));
}

TEST_CASE("default minimum overlaps follow the KITTI devkit", "[matching]") {
  const MatchConfig cfg;
  CHECK(cfg.min_overlap_for(ObjectClass::Car) == Approx(0.7));
  CHECK(cfg.min_overlap_for(ObjectClass::Pedestrian) == Approx(0.5));
  CHECK(cfg.min_overlap_for(ObjectClass::Cyclist) == Approx(0.5));
  MatchConfig c2;
  c2.set_min_overlap(ObjectClass::Misc, 0.3);
  CHECK(c2.min_overlap_for(ObjectClass::Misc) == Approx(0.3));
}

TEST_CASE("pair geometry gives 2D, BEV and 3D IoU and -1 where a measure does not apply",
          "[matching]") {
  const Object a = box(ObjectClass::Car, 0, 20);
  const Object b = box(ObjectClass::Car, 1.0, 20);  // shifted 1 m along the length: BEV IoU 3/5
  const PairGeometry g = pair_geometry(a, b);
  CHECK(g.iou_bev == Approx(0.6).margin(1e-5));
  CHECK(g.iou_3d == Approx(0.6).margin(1e-5));  // same height interval
  CHECK(g.iou_bev == Approx(iou_bev(a, b)).margin(1e-6));
  CHECK(g.iou_3d == Approx(iou_3d(a, b)).margin(1e-6));
  CHECK(g.iou_2d > 0);
  CHECK(g.centre_distance == Approx(1.0));
  Object flat = b;
  flat.l = -1;  // no 3D box
  const PairGeometry g2 = pair_geometry(a, flat);
  CHECK(g2.iou_bev == -1);
  CHECK(g2.iou_3d == -1);
  CHECK(g2.centre_distance == -1);
  CHECK(match_overlap(g2, MatchSpace::Auto) == Approx(g2.iou_2d));
  CHECK(match_overlap(g, MatchSpace::Auto) == Approx(g.iou_bev));
  CHECK(match_overlap(g, MatchSpace::Image2D) == Approx(g.iou_2d));
}

TEST_CASE("per-class minimum overlap: Car needs 0.7, Pedestrian 0.5", "[matching]") {
  // BEV IoU 0.6 for both pairs.
  const std::vector<Object> labels = {box(ObjectClass::Car, 0, 20),
                                      box(ObjectClass::Pedestrian, 10, 20, 0.8, 0.6, 1.7)};
  const std::vector<Object> preds = {box(ObjectClass::Car, 1.0, 20, 4, 2, 1.5, 0, 0.9),
                                     box(ObjectClass::Pedestrian, 10.2, 20, 0.8, 0.6, 1.7, 0, 0.9)};
  const FrameMatch m = match_frame(labels, preds, {});
  CHECK(pair_of(m, 1).kind == PairKind::Matched);  // 0.6 >= 0.5
  // The car pair fails the class-aware pass but the class-agnostic pass (>= 0.5) keeps it as a
  // poorly overlapping box of the same class.
  CHECK(pair_of(m, 0).kind == PairKind::Loose);
  CHECK_FALSE(pair_of(m, 0).displaced);
}

TEST_CASE("class-aware matching is greedy by score", "[matching]") {
  const std::vector<Object> labels = {box(ObjectClass::Car, 0, 20)};
  // Prediction 0 overlaps better but scores lower: the higher score takes the label.
  const std::vector<Object> preds = {box(ObjectClass::Car, 0.0, 20, 4, 2, 1.5, 0, 0.5),
                                     box(ObjectClass::Car, 0.4, 20, 4, 2, 1.5, 0, 0.9)};
  const FrameMatch m = match_frame(labels, preds, {});
  CHECK(pair_of(m, 0).pred == 1);
  CHECK(m.pred_fate[0] == PredFate::Duplicate);  // overlaps a label: not a missing label
  // Explicit order scores override the objects' score fields.
  const FrameMatch m2 = match_frame(labels, preds, {0.9, 0.1});
  CHECK(pair_of(m2, 0).pred == 0);
}

TEST_CASE("class-agnostic pass turns a well-overlapping other class into one disagreement",
          "[matching]") {
  const std::vector<Object> labels = {box(ObjectClass::Truck, 0, 20)};
  const std::vector<Object> preds = {box(ObjectClass::Car, 0.1, 20, 4, 2, 1.5, 0, 0.95)};
  const FrameMatch m = match_frame(labels, preds, {});
  CHECK(pair_of(m, 0).kind == PairKind::ClassMismatch);
  CHECK(m.pred_fate[0] == PredFate::Paired);
}

TEST_CASE("neighbour classes match in the class-aware pass", "[matching]") {
  const std::vector<Object> labels = {box(ObjectClass::Car, 0, 20),
                                      box(ObjectClass::Pedestrian, 6, 15, 0.8, 0.6, 1.7)};
  const std::vector<Object> preds = {box(ObjectClass::Van, 0, 20, 4, 2, 1.5, 0, 0.9),
                                     box(ObjectClass::PersonSitting, 6, 15, 0.8, 0.6, 1.7, 0, 0.9)};
  const FrameMatch m = match_frame(labels, preds, {});
  CHECK(pair_of(m, 0).kind == PairKind::Matched);
  CHECK(pair_of(m, 1).kind == PairKind::Matched);
}

TEST_CASE("a pedestrian inside a truck's footprint is not a class disagreement", "[matching]") {
  const std::vector<Object> labels = {box(ObjectClass::Pedestrian, 0, 20, 0.8, 0.6, 1.7)};
  const std::vector<Object> preds = {box(ObjectClass::Truck, 0, 20, 10, 2.6, 3.2, 0, 0.9)};
  const FrameMatch m = match_frame(labels, preds, {});
  CHECK(m.label_pair[0] < 0);
  CHECK(m.pred_fate[0] == PredFate::Duplicate);  // half of the smaller footprint is covered
  CHECK(m.label_overlap[0] == 0);
}

TEST_CASE("DontCare regions absorb predictions inside them (overlap over the prediction's area)",
          "[matching]") {
  Object inside = box(ObjectClass::Car, 8, 30, 4, 2, 1.5, 0, 0.9);
  Object outside = box(ObjectClass::Car, -8, 30, 4, 2, 1.5, 0, 0.9);
  const Box2D& b = inside.box2d;
  // A region covering the prediction's box but much larger: IoU small, overlap over a = 1.
  const std::vector<Object> labels = {dontcare(b.x1 - 100, b.y1 - 50, b.x2 + 100, b.y2 + 50)};
  const FrameMatch m = match_frame(labels, {inside, outside}, {});
  CHECK(m.pred_fate[0] == PredFate::InDontCare);
  CHECK(m.pred_fate[1] == PredFate::Unmatched);
  CHECK(m.label_pair[0] == -1);  // DontCare labels are never matched
}

TEST_CASE("displaced boxes pair as one object within a range-dependent gate", "[matching]") {
  const std::vector<Object> labels = {box(ObjectClass::Car, 0, 20)};
  // 2.5 m along the length: BEV IoU 0.23, inside the gate 0.75*4 + 0.5 + 0.05*20 = 4.5 m.
  const FrameMatch near =
      match_frame(labels, {box(ObjectClass::Car, 2.5, 20, 4, 2, 1.5, 0, 0.9)}, {});
  REQUIRE(near.label_pair[0] >= 0);
  CHECK(pair_of(near, 0).kind == PairKind::Loose);
  CHECK(pair_of(near, 0).displaced);
  CHECK(near.pred_fate[0] == PredFate::Paired);
  // 6 m away: two separate objects.
  const FrameMatch far =
      match_frame(labels, {box(ObjectClass::Car, 6.0, 20, 4, 2, 1.5, 0, 0.9)}, {});
  CHECK(far.label_pair[0] == -1);
  CHECK(far.pred_fate[0] == PredFate::Unmatched);
  // Other classes are not paired as displaced.
  const FrameMatch other =
      match_frame(labels, {box(ObjectClass::Cyclist, 2.5, 20, 1.8, 0.6, 1.7, 0, 0.9)}, {});
  CHECK(other.label_pair[0] == -1);
  // The gate grows with range.
  MatchConfig cfg;
  CHECK(cfg.displaced_gate(box(ObjectClass::Car, 0, 60), box(ObjectClass::Car, 0, 60)) >
        cfg.displaced_gate(box(ObjectClass::Car, 0, 10), box(ObjectClass::Car, 0, 10)));
  MatchConfig off;
  off.displaced_pairing = false;
  CHECK(match_frame(labels, {box(ObjectClass::Car, 2.5, 20, 4, 2, 1.5, 0, 0.9)}, {}, off)
            .label_pair[0] == -1);
}

TEST_CASE("objects without 3D boxes match by 2D IoU", "[matching]") {
  Object l = box(ObjectClass::Car, 0, 20);
  Object p = box(ObjectClass::Car, 0, 20, 4, 2, 1.5, 0, 0.9);
  l.h = l.w = l.l = -1;
  p.h = p.w = p.l = -1;
  const FrameMatch m = match_frame({l}, {p}, {});
  CHECK(pair_of(m, 0).kind == PairKind::Matched);
  CHECK(pair_of(m, 0).geo.iou_bev == -1);
}

TEST_CASE("matching handles empty inputs", "[matching]") {
  const FrameMatch m = match_frame({}, {}, {});
  CHECK(m.pairs.empty());
  const FrameMatch m2 = match_frame({box(ObjectClass::Car, 0, 20)}, {}, {});
  CHECK(m2.label_pair[0] == -1);
  const FrameMatch m3 = match_frame({}, {box(ObjectClass::Car, 0, 20, 4, 2, 1.5, 0, 0.5)}, {});
  CHECK(m3.pred_fate[0] == PredFate::Unmatched);
}

// ---------------------------------------------------------------------------------------------
// Confidence calibration
// ---------------------------------------------------------------------------------------------
TEST_CASE("unbounded scores map to a monotone confidence in [0,1] (quantile prior)",
          "[confidence]") {
  std::vector<double> scores;
  for (int i = 0; i < 200; ++i) scores.push_back(0.6 + 0.7 * i);  // 0.6 .. 139.9, like Point-GNN
  const ConfidenceMap m = ConfidenceMap::fit(scores);
  CHECK_FALSE(m.probability_scores());
  double prev = -1;
  for (double s : {0.0, 0.6, 5.0, 30.0, 70.0, 139.9, 1000.0}) {
    const double c = m(s);
    CHECK(c >= 0);
    CHECK(c <= 1);
    CHECK(c >= prev);
    prev = c;
  }
  CHECK(m(70.0) == Approx(0.5).margin(0.01));  // the median score sits at the middle
  CHECK(m(139.9) > 0.99);
}

TEST_CASE("scores in [0,1] are their own prior", "[confidence]") {
  const ConfidenceMap m = ConfidenceMap::fit({0.1, 0.5, 0.9});
  CHECK(m.probability_scores());
  CHECK(m(0.3) == Approx(0.3));
  CHECK(m(2.0) == Approx(1.0));
}

TEST_CASE("the precision fit makes sets of different scales comparable", "[confidence]") {
  // Two sets, same ranking and outcomes, scores on different scales.
  std::mt19937 rng(7);
  std::vector<double> sa, sb;
  std::vector<std::int8_t> tp;
  for (int i = 0; i < 400; ++i) {
    const double q = (i + 0.5) / 400.0;
    sa.push_back(q);                // [0,1]
    sb.push_back(1 + 140 * q * q);  // unbounded, non-linear
    tp.push_back(std::uniform_real_distribution<double>(0, 1)(rng) < q ? 1 : 0);
  }
  const ConfidenceMap ma = ConfidenceMap::fit(sa, tp), mb = ConfidenceMap::fit(sb, tp);
  CHECK(ma.blocks() > 1);
  for (int i : {20, 100, 200, 300, 380})
    CHECK(ma(sa[static_cast<std::size_t>(i)]) ==
          Approx(mb(sb[static_cast<std::size_t>(i)])).margin(0.08));
  CHECK(ma(0.95) > ma(0.2));
  CHECK(mb(130) > 0.8);
  CHECK(mb(2) < 0.3);
  // Predictions left out (-1) do not count.
  std::vector<std::int8_t> none(sa.size(), -1);
  CHECK(ConfidenceMap::fit(sa, none).blocks() == 0);
}

TEST_CASE("logistic fit recovers a known model and honours the prior when data are absent",
          "[confidence]") {
  std::mt19937 rng(1);
  std::vector<double> x;
  std::vector<std::uint8_t> y;
  for (int i = 0; i < 4000; ++i) {
    const double v = std::uniform_real_distribution<double>(-3, 3)(rng);
    x.push_back(1);
    x.push_back(v);
    y.push_back(std::uniform_real_distribution<double>(0, 1)(rng) < sigmoid(-0.5 + 1.5 * v) ? 1
                                                                                            : 0);
  }
  const LogisticModel m = fit_logistic(x, 2, y, {0, 0});
  CHECK(m.coef[0] == Approx(-0.5).margin(0.2));  // sampling error of 4000 draws
  CHECK(m.coef[1] == Approx(1.5).margin(0.2));
  const LogisticModel p = fit_logistic({}, 2, {}, {1, 1}, {-2, 0.7});
  CHECK(p.coef[0] == Approx(-2));
  CHECK(p.coef[1] == Approx(0.7));
}

TEST_CASE("shrinkage towards the prior cannot break monotonicity", "[confidence]") {
  // Probability scores, so the prior is the score itself; k = 10 pseudo-predictions.
  // Block A: 20 predictions at 0.1, 10 labelled: precision 0.5, shrunk (10 + 10 * 0.1) / 30
  // = 0.367. Block B: one prediction at 0.2, labelled: precision 1 (no pooling with A), shrunk
  // (1 + 10 * 0.2) / 11 = 0.273 < 0.367. A monotone map must not drop from A to B: it keeps
  // 0.367 at 0.2 (the running maximum).
  std::vector<double> scores(20, 0.1);
  std::vector<std::int8_t> tp(20, 0);
  for (std::size_t i = 0; i < 10; ++i) tp[i] = 1;
  scores.push_back(0.2);
  tp.push_back(1);
  const ConfidenceMap m = ConfidenceMap::fit(scores, tp);
  CHECK(m(0.1) == Approx(11.0 / 30.0));
  CHECK(m(0.2) == Approx(11.0 / 30.0));
  CHECK(m(0.2) >= m(0.1));
  CHECK(m(0.15) >= m(0.1));
}

TEST_CASE("pool-adjacent-violators pools a violating pair, hand-worked", "[confidence]") {
  // Scores 0.1, 0.2, 0.3 (probabilities: prior = score), labelled 1, 0, 1. PAV: [1] then [0]
  // violates (1 > 0): pooled to {0.1, 0.2} with mean 0.5; [1] at 0.3 does not violate. Two blocks:
  //   A {0.1, 0.2}: (1 + 10 * 0.15) / (2 + 10) = 2.5 / 12, knot at its median score 0.2;
  //   B {0.3}:      (1 + 10 * 0.3) / (1 + 10) = 4 / 11, knot at 0.3.
  const ConfidenceMap m = ConfidenceMap::fit({0.1, 0.2, 0.3}, {1, 0, 1});
  CHECK(m.blocks() == 2);
  CHECK(m(0.2) == Approx(2.5 / 12));
  CHECK(m(0.3) == Approx(4.0 / 11));
  CHECK(m(0.25) == Approx((2.5 / 12 + 4.0 / 11) / 2));  // linear between the knots
}
