// Tests for needle/ranking.h: every finding kind on a synthetic world of labelled frames seen by
// two simulated detectors, Missing vs Empty prediction files, frame scores and tie-breaking,
// needle against both baselines, the `needle rank` JSON/CSV/exit-code contract, and the real
// KITTI frames. (Baseline formulas and ranking-quality figures: test_baselines.cpp.)
//
// Index
//   [SECTION] Synthetic world
//   [SECTION] Finding kinds (needle method)
//   [SECTION] Prediction file status, frame scores, order
//   [SECTION] Needle against the baselines
//   [SECTION] needle rank (the binary)
//   [SECTION] Real KITTI frames
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "needle/box3d.h"
#include "needle/iou.h"
#include "needle/kitti_io.h"
#include "needle/ranking.h"
#include "needle/ranking_quality.h"
#include "support/test_support.h"

using namespace needle;
namespace fs = std::filesystem;

// ============================================================================================
// [SECTION] Synthetic world
// ============================================================================================
namespace {

constexpr double kPi = 3.14159265358979323846;

std::string frame_id(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "%06d", i);
  return b;
}

// Completes an object: type string, alpha and the 2D box consistent with its 3D box.
void finish(Object& o, const Calib& calib) {
  o.type = class_name(o.cls);
  o.alpha = o.rotation_y - std::atan2(o.loc_cam.x, o.loc_cam.z);
  if (auto b = projected_box_2d(o, calib, 1242, 375)) o.box2d = *b;
}

Object make_object(ObjectClass c, double x, double z, double ry, const Calib& calib) {
  Object o;
  o.cls = c;
  switch (c) {
    case ObjectClass::Pedestrian:
      o.l = 0.84, o.w = 0.66, o.h = 1.76;
      break;
    case ObjectClass::Cyclist:
      o.l = 1.76, o.w = 0.60, o.h = 1.74;
      break;
    default:
      o.l = 3.88, o.w = 1.63, o.h = 1.53;
      break;
  }
  o.loc_cam = {x, 1.65, z};
  o.rotation_y = ry;
  finish(o, calib);
  return o;
}

// A world of frames: labels are the truth; set "a" (scores in [0,1]) and set "b" (unbounded
// scores, flips 2% of headings) detect each object with a probability falling with range and add
// range-dependent noise and a few low-confidence false positives.
struct World {
  std::vector<FrameAnnotations> frames;
  std::vector<std::string> sets{"a", "b"};
};

World make_world(int n_frames, unsigned seed) {
  std::mt19937 rng(seed);
  auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto gauss = [&](double s) { return std::normal_distribution<double>(0, s)(rng); };
  const Calib calib = test::simple_calib();
  World w;
  for (int f = 0; f < n_frames; ++f) {
    FrameAnnotations a;
    a.id = frame_id(f);
    a.has_labels = true;
    a.calib = calib;
    const int n = 5 + static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) {
      for (int tries = 0; tries < 50; ++tries) {
        const double u = uni(0, 1);
        const ObjectClass c = u < 0.7   ? ObjectClass::Car
                              : u < 0.9 ? ObjectClass::Pedestrian
                                        : ObjectClass::Cyclist;
        const double z = uni(6, 45), x = uni(-0.3, 0.3) * z;
        bool free = true;
        for (const Object& o : a.labels)
          free = free && std::hypot(o.loc_cam.x - x, o.loc_cam.z - z) > 6;
        if (!free) continue;
        Object o = make_object(c, x, z, uni(-kPi, kPi), calib);
        o.l *= 1 + gauss(0.04);
        o.w *= 1 + gauss(0.04);
        o.h *= 1 + gauss(0.04);
        finish(o, calib);
        a.labels.push_back(o);
        break;
      }
    }
    a.preds.resize(2);
    for (int s = 0; s < 2; ++s) {
      PredictionFrame& pf = a.preds[static_cast<std::size_t>(s)];
      for (const Object& t : a.labels) {
        const double r = t.distance();
        if (uni(0, 1) > 0.97 - 0.008 * std::max(0.0, r - 20)) continue;  // missed
        Object p = t;
        const double sig = (s == 0 ? 0.04 : 0.07) + (s == 0 ? 0.006 : 0.01) * r;
        p.loc_cam.x += gauss(sig);
        p.loc_cam.z += gauss(sig);
        p.l *= 1 + gauss(0.03);
        p.w *= 1 + gauss(0.03);
        p.h *= 1 + gauss(0.03);
        p.rotation_y += gauss(0.04);
        if (s == 1 && uni(0, 1) < 0.02) p.rotation_y += kPi;
        p.truncated = -1;
        p.occluded = -1;
        finish(p, calib);
        const double q = uni(0.8, 1.0);
        p.score = s == 0 ? q : 10 + 90 * q;
        pf.objects.push_back(p);
      }
      if (uni(0, 1) < 0.4) {  // a low-confidence false positive somewhere
        Object p = make_object(ObjectClass::Car, uni(-15, 15), uni(20, 60), uni(-kPi, kPi), calib);
        const double q = uni(0.05, 0.4);
        p.score = s == 0 ? q : 10 + 90 * q;
        pf.objects.push_back(p);
      }
      pf.status = pf.objects.empty() ? PredStatus::Empty : PredStatus::Present;
    }
    w.frames.push_back(std::move(a));
  }
  return w;
}

// The nearest label of class Car to the camera in a frame (index), at least `min_range` away.
int near_car(const FrameAnnotations& a, double min_range = 8) {
  int best = -1;
  for (std::size_t i = 0; i < a.labels.size(); ++i) {
    const Object& o = a.labels[i];
    if (o.cls != ObjectClass::Car || o.distance() < min_range) continue;
    if (best < 0 || o.distance() < a.labels[static_cast<std::size_t>(best)].distance())
      best = static_cast<int>(i);
  }
  return best;
}

// Both sets detect label i of frame f (so that an injected error is visible to both).
void ensure_detected(World& w, std::size_t f, int i) {
  const Object& t = w.frames[f].labels[static_cast<std::size_t>(i)];
  for (std::size_t s = 0; s < 2; ++s) {
    auto& objs = w.frames[f].preds[s].objects;
    bool seen = false;
    for (const Object& p : objs)
      seen = seen || std::hypot(p.loc_cam.x - t.loc_cam.x, p.loc_cam.z - t.loc_cam.z) < 1;
    if (seen) continue;
    Object p = t;
    p.score = s == 0 ? 0.95 : 90.0;
    objs.push_back(p);
    w.frames[f].preds[s].status = PredStatus::Present;
  }
}

const FrameRank* find_frame(const RankResult& r, const std::string& id) {
  for (const FrameRank& f : r.frames)
    if (f.frame == id) return &f;
  return nullptr;
}

constexpr std::size_t kErr = 30;  // the frame the tests break

}  // namespace

// ============================================================================================
// [SECTION] Finding kinds (needle method)
// ============================================================================================
TEST_CASE("needle: a clean world has no strong findings", "[ranking]") {
  const World w = make_world(60, 11);
  const RankResult r = rank_frames(w.frames, w.sets);
  for (const FrameRank& f : r.frames) {
    CHECK(f.score > 0);
    CHECK_FALSE(f.findings.empty());
  }
  if (!r.frames.empty()) CHECK(r.frames.front().score < 0.5);
  CHECK(r.summary.at("frames") == 60);
}

TEST_CASE("needle: a missing label ranks its frame first as unmatched_prediction", "[ranking]") {
  World w = make_world(60, 12);
  const int i = near_car(w.frames[kErr]);
  REQUIRE(i >= 0);
  ensure_detected(w, kErr, i);
  auto& labels = w.frames[kErr].labels;
  labels.erase(labels.begin() + i);
  const RankResult r = rank_frames(w.frames, w.sets);
  REQUIRE_FALSE(r.frames.empty());
  CHECK(r.frames[0].frame == frame_id(kErr));
  const Finding& top = r.frames[0].findings[0];
  CHECK(top.kind == kind::kUnmatchedPrediction);
  CHECK(top.label == -1);
  CHECK(top.prediction >= 0);
  CHECK(top.confidence.has_value());
  CHECK(top.reason.find("has no label") != std::string::npos);
  CHECK(top.score > 0.5);
}

TEST_CASE("needle: a label on nothing ranks its frame first as unmatched_label", "[ranking]") {
  World w = make_world(60, 13);
  const Calib calib = test::simple_calib();
  // A car at 12 m in a free spot (the generator keeps 6 m between objects; look for 8 m).
  double x = 0, z = 12;
  for (double cx = -4; cx <= 4; cx += 0.5) {
    bool free = true;
    for (const Object& o : w.frames[kErr].labels)
      free = free && std::hypot(o.loc_cam.x - cx, o.loc_cam.z - z) > 8;
    for (const auto& pf : w.frames[kErr].preds)
      for (const Object& o : pf.objects)
        free = free && std::hypot(o.loc_cam.x - cx, o.loc_cam.z - z) > 8;
    if (free) {
      x = cx;
      break;
    }
  }
  w.frames[kErr].labels.push_back(make_object(ObjectClass::Car, x, z, 0.3, calib));
  const int spurious = static_cast<int>(w.frames[kErr].labels.size()) - 1;
  const RankResult r = rank_frames(w.frames, w.sets);
  REQUIRE_FALSE(r.frames.empty());
  CHECK(r.frames[0].frame == frame_id(kErr));
  const Finding& top = r.frames[0].findings[0];
  CHECK(top.kind == kind::kUnmatchedLabel);
  CHECK(top.label == spurious);
  CHECK(top.prediction == -1);
  CHECK(top.reason.find("not detected") != std::string::npos);
}

TEST_CASE("needle: a displaced label is one poor_overlap finding, not a miss plus a false positive",
          "[ranking]") {
  World w = make_world(60, 14);
  const int i = near_car(w.frames[kErr]);
  REQUIRE(i >= 0);
  ensure_detected(w, kErr, i);
  Object& L = w.frames[kErr].labels[static_cast<std::size_t>(i)];
  L.loc_cam.x += 2.0;
  L.loc_cam.z += 1.0;
  finish(L, test::simple_calib());
  const RankResult r = rank_frames(w.frames, w.sets);
  REQUIRE_FALSE(r.frames.empty());
  CHECK(r.frames[0].frame == frame_id(kErr));
  const Finding& top = r.frames[0].findings[0];
  CHECK(top.kind == kind::kPoorOverlap);
  CHECK(top.label == i);
  CHECK(top.prediction >= 0);
  CHECK(top.iou_bev.has_value());
  CHECK(top.score > 0.5);
  for (const Finding& f : r.frames[0].findings) {
    if (f.score < 0.1) continue;
    CHECK(f.kind != kind::kUnmatchedLabel);
    CHECK(f.kind != kind::kUnmatchedPrediction);
  }
}

TEST_CASE("needle: a label of the wrong size is poor_overlap", "[ranking]") {
  World w = make_world(60, 15);
  const int i = near_car(w.frames[kErr]);
  REQUIRE(i >= 0);
  ensure_detected(w, kErr, i);
  Object& L = w.frames[kErr].labels[static_cast<std::size_t>(i)];
  L.l *= 1.6;
  finish(L, test::simple_calib());
  const RankResult r = rank_frames(w.frames, w.sets);
  REQUIRE_FALSE(r.frames.empty());
  CHECK(r.frames[0].frame == frame_id(kErr));
  CHECK(r.frames[0].findings[0].kind == kind::kPoorOverlap);
  CHECK(r.frames[0].findings[0].label == i);
}

TEST_CASE("needle: a heading flipped by 180 degrees is heading_flip", "[ranking]") {
  World w = make_world(60, 16);
  const int i = near_car(w.frames[kErr]);
  REQUIRE(i >= 0);
  ensure_detected(w, kErr, i);
  Object& L = w.frames[kErr].labels[static_cast<std::size_t>(i)];
  L.rotation_y = L.rotation_y > 0 ? L.rotation_y - kPi : L.rotation_y + kPi;
  finish(L, test::simple_calib());  // alpha and the 2D box stay consistent: only the detectors tell
  const RankResult r = rank_frames(w.frames, w.sets);
  REQUIRE_FALSE(r.frames.empty());
  CHECK(r.frames[0].frame == frame_id(kErr));
  CHECK(r.frames[0].findings[0].kind == kind::kHeadingFlip);
  CHECK(r.frames[0].findings[0].label == i);
  CHECK(r.frames[0].findings[0].reason.find("deg") != std::string::npos);
}

TEST_CASE("needle: a heading turned by 90 degrees is heading_flip", "[ranking]") {
  World w = make_world(60, 17);
  const int i = near_car(w.frames[kErr]);
  REQUIRE(i >= 0);
  ensure_detected(w, kErr, i);
  Object& L = w.frames[kErr].labels[static_cast<std::size_t>(i)];
  L.rotation_y += kPi / 2;
  finish(L, test::simple_calib());
  const RankResult r = rank_frames(w.frames, w.sets);
  REQUIRE_FALSE(r.frames.empty());
  CHECK(r.frames[0].frame == frame_id(kErr));
  CHECK(r.frames[0].findings[0].label == i);
  const std::string k = r.frames[0].findings[0].kind;
  CHECK((k == kind::kHeadingFlip || k == kind::kPoorOverlap));
}

// Subtle errors of the kinds real annotators make: with two detectors that agree closely with
// the true box, each is the frame's top finding, of the right kind.
TEST_CASE("needle: subtle errors (25 deg heading, 0.6 m shift, 20% length) rank first",
          "[ranking]") {
  const double turn = 25 * kPi / 180;
  struct Case {
    const char* name;
    unsigned seed;
    const char* kind;
  };
  for (const Case& c :
       {Case{"heading", 41, kind::kHeadingFlip}, Case{"shift", 42, kind::kPoorOverlap},
        Case{"size", 43, kind::kPoorOverlap}}) {
    INFO(c.name);
    World w = make_world(60, c.seed);
    const int i = near_car(w.frames[kErr]);
    REQUIRE(i >= 0);
    ensure_detected(w, kErr, i);
    Object& L = w.frames[kErr].labels[static_cast<std::size_t>(i)];
    if (std::string(c.name) == "heading") L.rotation_y += turn;
    if (std::string(c.name) == "shift") L.loc_cam.x += 0.6;
    if (std::string(c.name) == "size") L.l *= 1.2;
    finish(L, test::simple_calib());
    const RankResult r = rank_frames(w.frames, w.sets);
    REQUIRE_FALSE(r.frames.empty());
    CHECK(r.frames[0].frame == frame_id(kErr));
    CHECK(r.frames[0].findings[0].label == i);
    CHECK(r.frames[0].findings[0].kind == std::string(c.kind));
  }
}

TEST_CASE("needle: a wrong class with a confident detection is class_mismatch", "[ranking]") {
  World w = make_world(60, 18);
  const int i = near_car(w.frames[kErr]);
  REQUIRE(i >= 0);
  ensure_detected(w, kErr, i);
  Object& L = w.frames[kErr].labels[static_cast<std::size_t>(i)];
  L.cls = ObjectClass::Pedestrian;  // a class the detectors know, on a car's box
  L.type = "Pedestrian";
  const RankResult r = rank_frames(w.frames, w.sets);
  REQUIRE_FALSE(r.frames.empty());
  CHECK(r.frames[0].frame == frame_id(kErr));
  const Finding& top = r.frames[0].findings[0];
  CHECK(top.kind == kind::kClassMismatch);
  CHECK(top.label == i);
  CHECK(top.cls == "Pedestrian");
  CHECK(top.predicted_class == "Car");
  CHECK(top.score > 0.5);
}

TEST_CASE("needle: invalid data ranks first with score 1", "[ranking]") {
  World w = make_world(40, 19);
  Problem p;
  p.modality = "velodyne";
  p.file = "velodyne/000007.bin";
  p.message = "size 10 bytes is not a multiple of 16";
  w.frames[7].problems.push_back(p);
  const RankResult r = rank_frames(w.frames, w.sets);
  REQUIRE_FALSE(r.frames.empty());
  CHECK(r.frames[0].frame == frame_id(7));
  CHECK(r.frames[0].score == Approx(1.0));
  CHECK(r.frames[0].findings[0].kind == kind::kInvalidData);
  CHECK(r.frames[0].findings[0].reason.find("multiple of 16") != std::string::npos);
  CHECK(r.summary.at("frames_invalid") == 1);
  // Every method reports it.
  for (RankMethod m : {RankMethod::Mistakenness, RankMethod::ObjectLab}) {
    RankOptions o;
    o.method = m;
    const RankResult rb = rank_frames(w.frames, w.sets, o);
    REQUIRE_FALSE(rb.frames.empty());
    CHECK(rb.frames[0].frame == frame_id(7));
  }
}

TEST_CASE("needle: pluggable witnesses add evidence to built-in or new hypotheses", "[ranking]") {
  const World w = make_world(40, 23);
  RankOptions opt;
  // A witness (think: lidar) that finds no points inside label 0 of frame 12, and something odd
  // of its own kind about label 1 of frame 20.
  opt.witnesses.push_back([](std::size_t f, std::size_t i, std::vector<WitnessTerm>& out) {
    if (f == 12 && i == 0) out.push_back({"spurious", 9.0, "", "no lidar points inside the box"});
    if (f == 20 && i == 1) out.push_back({"lidar_odd", 7.0, "lidar_odd_box", "odd points"});
  });
  const RankResult r = rank_frames(w.frames, w.sets, opt);
  const FrameRank* f12 = find_frame(r, frame_id(12));
  const FrameRank* f20 = find_frame(r, frame_id(20));
  REQUIRE(f12 != nullptr);
  REQUIRE(f20 != nullptr);
  CHECK(f20->findings[0].kind == "lidar_odd_box");
  CHECK(f20->findings[0].label == 1);
  CHECK(f20->findings[0].reason == "odd points");
  CHECK(f20->findings[0].score > 0.5);
  CHECK(f12->findings[0].label == 0);
  // A detected label: the detections' evidence weighs against "spurious", but it still counts.
  CHECK(f12->findings[0].score > 0.02);
}

// ============================================================================================
// [SECTION] Prediction file status, frame scores, order
// ============================================================================================
TEST_CASE("a Missing prediction file gives no unmatched_label findings for that set; Empty does",
          "[ranking]") {
  World w = make_world(60, 20);
  // Frame kErr: both sets Missing (not predicted) -> nothing about its labels can be a miss.
  for (auto& pf : w.frames[kErr].preds) {
    pf.status = PredStatus::Missing;
    pf.objects.clear();
  }
  // Frame kErr + 1: both sets Empty (ran, saw nothing) -> its near labels are suspicious.
  for (auto& pf : w.frames[kErr + 1].preds) {
    pf.status = PredStatus::Empty;
    pf.objects.clear();
  }
  RankOptions opt;
  opt.min_finding_score = 0.0001;
  const RankResult r = rank_frames(w.frames, w.sets, opt);
  if (const FrameRank* f = find_frame(r, frame_id(kErr)))
    for (const Finding& x : f->findings) CHECK(x.kind != kind::kUnmatchedLabel);
  const FrameRank* e = find_frame(r, frame_id(kErr + 1));
  REQUIRE(e != nullptr);
  bool any = false;
  for (const Finding& x : e->findings) any = any || x.kind == kind::kUnmatchedLabel;
  CHECK(any);
  // One set Missing: the other set's misses still count, the missing set is not named.
  World w2 = make_world(60, 21);
  w2.frames[kErr].preds[1].status = PredStatus::Missing;
  w2.frames[kErr].preds[1].objects.clear();
  w2.frames[kErr].preds[0].status = PredStatus::Empty;
  w2.frames[kErr].preds[0].objects.clear();
  const RankResult r2 = rank_frames(w2.frames, w2.sets, opt);
  const FrameRank* f2 = find_frame(r2, frame_id(kErr));
  REQUIRE(f2 != nullptr);
  bool any2 = false;
  for (const Finding& x : f2->findings)
    if (x.kind == kind::kUnmatchedLabel) {
      any2 = true;
      CHECK(x.reason.find("not detected by a, which") != std::string::npos);
    }
  CHECK(any2);
}

TEST_CASE("frames tie on score in frame id order; zero scores are not listed", "[ranking]") {
  std::vector<FrameAnnotations> frames;
  for (const char* id : {"000010", "000002", "000009", "000003"}) {
    FrameAnnotations a;
    a.id = id;
    a.has_labels = true;
    frames.push_back(a);
  }
  Problem p;
  p.modality = "label";
  p.message = "bad line";
  frames[0].problems.push_back(p);  // 000010
  frames[1].problems.push_back(p);  // 000002
  frames[2].problems.push_back(p);  // 000009
  const RankResult r = rank_frames(frames, {});
  REQUIRE(r.frames.size() == 3);  // 000003 has nothing
  CHECK(r.frames[0].frame == "000002");
  CHECK(r.frames[1].frame == "000009");
  CHECK(r.frames[2].frame == "000010");
  for (std::size_t k = 0; k < 3; ++k) CHECK(r.frames[k].rank == static_cast<int>(k + 1));
}

TEST_CASE("noisy-or frame score", "[ranking]") {
  std::vector<Finding> fs(2);
  fs[0].score = 0.5;
  fs[1].score = 0.5;
  CHECK(noisy_or(fs) == Approx(0.75));
  CHECK(noisy_or({}) == 0);
}

TEST_CASE("parse_rank_method", "[ranking]") {
  CHECK(parse_rank_method("needle") == RankMethod::Needle);
  CHECK(parse_rank_method("mistakenness") == RankMethod::Mistakenness);
  CHECK(parse_rank_method("objectlab") == RankMethod::ObjectLab);
  CHECK_THROWS_AS(parse_rank_method("best"), std::invalid_argument);
  CHECK(std::string(rank_method_name(RankMethod::ObjectLab)) == "objectlab");
}

// ============================================================================================
// [SECTION] Needle against the baselines
// ============================================================================================
TEST_CASE("needle finds injected errors better than both baselines on the synthetic world",
          "[ranking][quality]") {
  World w = make_world(120, 22);
  const Calib calib = test::simple_calib();
  std::vector<TruthEntry> truth;
  for (std::size_t f = 10; f < 120; f += 12) {
    const int i = near_car(w.frames[f]);
    if (i < 0) continue;
    ensure_detected(w, f, i);
    Object& L = w.frames[f].labels[static_cast<std::size_t>(i)];
    const std::size_t k = (f / 12) % 4;
    if (k == 0) {
      L.loc_cam.x += 1.8;
      truth.push_back({frame_id(static_cast<int>(f)), "shifted_box", i});
    } else if (k == 1) {
      L.rotation_y += kPi;
      truth.push_back({frame_id(static_cast<int>(f)), "rotated_box", i});
    } else if (k == 2) {
      L.l *= 1.5;
      truth.push_back({frame_id(static_cast<int>(f)), "wrong_size", i});
    } else {
      w.frames[f].labels.erase(w.frames[f].labels.begin() + i);
      truth.push_back({frame_id(static_cast<int>(f)), "missing_label", -1});
      continue;
    }
    finish(L, calib);
  }
  REQUIRE(truth.size() >= 6);
  double ap[3];
  int k = 0;
  for (RankMethod m : {RankMethod::Needle, RankMethod::Mistakenness, RankMethod::ObjectLab}) {
    RankOptions o;
    o.method = m;
    ap[k++] = evaluate_ranking(rank_frames(w.frames, w.sets, o), truth).all.average_precision;
  }
  const RankingQuality qn = evaluate_ranking(rank_frames(w.frames, w.sets), truth);
  CHECK(qn.all.recall_at_k >= 0.75);
  CHECK(ap[0] > ap[1]);
  CHECK(ap[0] > ap[2]);
}

// ============================================================================================
// [SECTION] needle rank (the binary)
// ============================================================================================
namespace {

// Writes a world as a KITTI folder: training/{label_2,calib}, pred/a, pred/b. Frame 3 has no
// file of set b (Missing), frame 4 an empty file of set a (Empty).
fs::path write_world(const World& w, const std::string& tag) {
  const fs::path root = test::temp_dir(tag);
  for (std::size_t f = 0; f < w.frames.size(); ++f) {
    const FrameAnnotations& a = w.frames[f];
    write_text_file(root / "training" / "label_2" / (a.id + ".txt"),
                    format_objects(a.labels, false));
    write_text_file(root / "training" / "calib" / (a.id + ".txt"), format_calib(*a.calib));
    for (std::size_t s = 0; s < 2; ++s) {
      if (f == 3 && s == 1) continue;
      const std::string text =
          f == 4 && s == 0 ? std::string() : format_objects(a.preds[s].objects, true);
      write_text_file(root / "pred" / w.sets[s] / (a.id + ".txt"), text);
    }
  }
  return root;
}

std::string rank_cmd(const fs::path& root, const std::string& extra) {
  return test::needle_binary() + " rank " + root.string() +
         " --pred a=" + (root / "pred" / "a").string() +
         " --pred b=" + (root / "pred" / "b").string() + " " + extra;
}

}  // namespace

TEST_CASE("needle rank JSON contract", "[ranking][cli]") {
  World w = make_world(40, 30);
  const int i = near_car(w.frames[10]);
  REQUIRE(i >= 0);
  ensure_detected(w, 10, i);
  w.frames[10].labels.erase(w.frames[10].labels.begin() + i);  // a missing label in frame 10
  const fs::path root = write_world(w, "rank_json");
  std::string out;
  REQUIRE(test::run_command(rank_cmd(root, "--format json 2>/dev/null"), &out) == 0);
  const nlohmann::json j = nlohmann::json::parse(out);
  REQUIRE(j.contains("frames"));
  REQUIRE(j.contains("summary"));
  REQUIRE(j["frames"].is_array());
  REQUIRE_FALSE(j["frames"].empty());
  CHECK(j["frames"][0]["frame"] == "000010");
  CHECK(j["frames"][0]["rank"] == 1);
  double prev = 2;
  std::string prev_id;
  int rank = 0;
  bool saw_null_label = false;
  for (const auto& f : j["frames"]) {
    CHECK(f["rank"] == ++rank);
    const double sc = f["score"];
    CHECK(sc > 0);
    CHECK(sc <= prev);
    if (sc == prev) CHECK(f["frame"].get<std::string>() > prev_id);
    prev = sc;
    prev_id = f["frame"];
    REQUIRE(f["findings"].is_array());
    for (const auto& x : f["findings"]) {
      for (const char* key :
           {"kind", "score", "label", "prediction", "prediction_set", "class", "predicted_class",
            "confidence", "iou_2d", "iou_bev", "iou_3d", "reason"})
        CHECK(x.contains(key));
      CHECK(x["reason"].is_string());
      if (x["kind"] == "unmatched_prediction") {
        CHECK(x["label"].is_null());
        CHECK(x["prediction"].is_number_integer());
        CHECK(x["confidence"].is_number());
        saw_null_label = true;
      }
      if (x["kind"] == "unmatched_label") {
        CHECK(x["label"].is_number_integer());
        CHECK(x["prediction"].is_null());
        CHECK(x["confidence"].is_null());
        CHECK(x["iou_bev"].is_null());
      }
    }
  }
  CHECK(saw_null_label);
  CHECK(j["summary"]["frames"] == 40);
  CHECK(j["summary"]["method"] == "needle");
  // Frame 3 (set b Missing) loads; frame 4 (set a Empty) too.
  std::string top2;
  REQUIRE(test::run_command(rank_cmd(root, "--format json --top 2 2>/dev/null"), &top2) == 0);
  CHECK(nlohmann::json::parse(top2)["frames"].size() == 2);
}

TEST_CASE("needle rank without --pred uses every DATASET/pred/<name>/ set", "[ranking][cli]") {
  World w = make_world(20, 33);
  const fs::path root = write_world(w, "rank_default_sets");
  std::string explicit_sets, default_sets, log;
  REQUIRE(test::run_command(rank_cmd(root, "--format json 2>/dev/null"), &explicit_sets) == 0);
  REQUIRE(test::run_command("(" + test::needle_binary() + " rank " + root.string() +
                                " --format json 2>/dev/null)",
                            &default_sets) == 0);
  CHECK(nlohmann::json::parse(default_sets)["frames"] ==
        nlohmann::json::parse(explicit_sets)["frames"]);
  REQUIRE(test::run_command(
              "(" + test::needle_binary() + " rank " + root.string() + " --format json >/dev/null)",
              &log) == 0);
  CHECK(log.find("using prediction set a=") != std::string::npos);
  CHECK(log.find("using prediction set b=") != std::string::npos);
}

TEST_CASE("needle rank CSV, text, --out and --truth", "[ranking][cli]") {
  World w = make_world(30, 31);
  const fs::path root = write_world(w, "rank_csv");
  std::string csv;
  REQUIRE(test::run_command(rank_cmd(root, "--format csv --method mistakenness 2>/dev/null"),
                            &csv) == 0);
  CHECK(
      csv.rfind(
          "frame,rank,frame_score,kind,score,label,prediction,prediction_set,class,predicted_class,"
          "confidence,iou_2d,iou_bev,iou_3d,reason\n",
          0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') > 1);
  std::string text;
  REQUIRE(test::run_command(rank_cmd(root, "--format text --method objectlab"), &text) == 0);
  CHECK(text.find("needle rank (objectlab)") != std::string::npos);
  const fs::path out = root / "out.json";
  const fs::path truth = root / "injected.json";
  test::write_file(truth, R"({"errors": [{"frame": "000005", "kind": "shifted_box", "label": 1,
                                           "magnitude": 0.5, "unit": "m", "range_m": 10,
                                           "occlusion": 0, "size_bin": "subtle"},
                                          {"frame": "000006", "kind": "corrupt_png", "label": -1}]})");
  REQUIRE(test::run_command(rank_cmd(
              root, "--format json --out " + out.string() + " --truth " + truth.string())) == 0);
  std::ifstream in(out);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["summary"]["quality"]["all"]["truth_frames"] == 2);
  CHECK(j["summary"]["quality"]["label_errors"]["truth_frames"] == 1);
  CHECK(j["summary"]["quality"]["per_kind"].contains("shifted_box"));
  CHECK(j["summary"]["quality"]["per_bin"]["subtle"]["truth_frames"] == 1);
  CHECK_FALSE(j["summary"]["quality"]["per_bin"].contains("gross"));
  CHECK(j["summary"]["quality"]["per_kind_bin"]["shifted_box"]["subtle"]["k"] == 1);
  std::string qtext;
  REQUIRE(test::run_command(rank_cmd(root, "--truth " + truth.string()), &qtext) == 0);
  CHECK(qtext.find("shifted_box/subtle") != std::string::npos);
}

TEST_CASE("needle rank exit codes", "[ranking][cli]") {
  World w = make_world(5, 32);
  const fs::path root = write_world(w, "rank_exit");
  const std::string bin = test::needle_binary();
  std::string out;
  CHECK(test::run_command(bin + " rank " + (root / "nope").string(), &out) == 1);
  CHECK(out.find("not found") != std::string::npos);
  CHECK(test::run_command(rank_cmd(root, "--method best"), &out) == 2);
  CHECK(out.find("unknown method") != std::string::npos);
  CHECK(test::run_command(rank_cmd(root, "--format yaml"), &out) == 2);
  CHECK(test::run_command(rank_cmd(root, "--compare a,zz"), &out) == 2);
  CHECK(test::run_command(bin + " rank", &out) == 2);
  CHECK(test::run_command(bin + " rank --help", &out) == 0);
  const fs::path empty = test::temp_dir("rank_empty");
  fs::create_directories(empty / "label_2");
  CHECK(test::run_command(bin + " rank " + empty.string(), &out) == 1);
  CHECK(out.find("no frames") != std::string::npos);
  CHECK(test::run_command(rank_cmd(root, "--truth " + (root / "missing.json").string()), &out) ==
        1);
  // A broken label file is reported on stderr and listed as invalid_data; the run succeeds.
  test::write_file(root / "training" / "label_2" / "000002.txt", "Car 0 0 oops\n");
  const fs::path res = root / "res.json";
  std::string err;
  REQUIRE(test::run_command(rank_cmd(root, "--format json --out " + res.string()), &err) == 0);
  CHECK(err.find("000002") != std::string::npos);  // reported on stderr
  std::ifstream in(res);
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["frames"][0]["frame"] == "000002");
  CHECK(j["frames"][0]["findings"][0]["kind"] == "invalid_data");
}

// ============================================================================================
// [SECTION] Real KITTI frames
// ============================================================================================
TEST_CASE("real KITTI frames with both detectors", "[ranking][kitti]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  const DatasetIndex ds = scan_dataset(
      kitti, {parse_prediction_spec((kitti / "pred" / "point_gnn").string()),
              parse_prediction_spec((kitti / "pred" / "frustum_pointnets_v1").string())});
  const auto frames = load_all_annotations(ds, true, 2);
  std::vector<std::string> names;
  for (const auto& s : ds.pred_sets) names.push_back(s.name);
  RankOptions opt;
  opt.min_finding_score = 1e-4;  // the sample is clean: look at weak findings too
  const RankResult r = rank_frames(frames, names, opt);
  const FrameRank* f8 = find_frame(r, "000008");
  REQUIRE(f8 != nullptr);
  CHECK_FALSE(f8->findings.empty());
  // Point-GNN scores reach ~140: calibrated confidences stay in [0,1].
  for (const FrameRank& f : r.frames)
    for (const Finding& x : f.findings) {
      if (x.confidence) {
        CHECK(*x.confidence >= 0);
        CHECK(*x.confidence <= 1);
      }
      CHECK(x.score >= 0);
      CHECK(x.score <= 1);
    }
  // 000000 has no prediction files (train split): no detector can call its labels missed.
  if (const FrameRank* f0 = find_frame(r, "000000"))
    for (const Finding& x : f0->findings) CHECK(x.kind != kind::kUnmatchedLabel);
  // The baselines run on the same data.
  for (RankMethod m : {RankMethod::Mistakenness, RankMethod::ObjectLab}) {
    RankOptions o;
    o.method = m;
    const RankResult rb = rank_frames(frames, names, o);
    CHECK_FALSE(rb.frames.empty());
    if (const FrameRank* f0 = find_frame(rb, "000000")) CHECK(f0->findings.empty());
  }
}
