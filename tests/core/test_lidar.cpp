// The lidar witness: hand-built clouds for each check (analysis), the learned expectations
// (LidarModel), the ranking with the lidar alone, the cache's invalidation, and the real KITTI
// frames. Expected values come from the geometry the tests build (the tests' own arithmetic).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "needle/dataset.h"
#include "needle/kitti_io.h"
#include "needle/lidar.h"
#include "needle/lidar_pass.h"
#include "needle/lidar_witness.h"
#include "needle/ranking.h"
#include "support/test_support.h"

using namespace needle;
namespace fs = std::filesystem;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr float kGroundZ = -1.7f;  // velodyne z of a flat road (simple_calib: camera y = 1.7)

void add_point(PointCloud& c, double x, double y, double z) {
  c.xyzr.insert(c.xyzr.end(),
                {static_cast<float>(x), static_cast<float>(y), static_cast<float>(z), 0.5f});
}

// A road from x = 3 to 45 m, |y| <= 15 m, every 0.25 m; slope: rise per metre beyond x = 5 m.
void add_ground(PointCloud& c, double slope = 0) {
  for (double x = 3; x <= 45; x += 0.25)
    for (double y = -15; y <= 15; y += 0.25)
      add_point(c, x, y, kGroundZ + (x > 5 ? slope * (x - 5) : 0));
}

// The four sides and the roof of a box standing at velodyne (cx, cy) on ground height gz: length
// l along velodyne x, width w along y, height h; points every 0.1 m, heights 0.02 + 0.1 k above
// the ground (never on the 0.25 m ground band). Returns how many points lie above the band.
int add_box(PointCloud& c, double cx, double cy, double gz, double l, double w, double h) {
  int above = 0;
  auto put = [&](double x, double y, double dz) {
    add_point(c, x, y, gz + dz);
    if (dz > 0.25) ++above;
  };
  for (double dz = 0.02; dz < h; dz += 0.1) {
    for (double a = -l / 2; a <= l / 2 + 1e-9; a += 0.1) {
      put(cx + a, cy - w / 2, dz);
      put(cx + a, cy + w / 2, dz);
    }
    for (double b = -w / 2 + 0.1; b < w / 2 - 1e-9; b += 0.1) {
      put(cx - l / 2, cy + b, dz);
      put(cx + l / 2, cy + b, dz);
    }
  }
  return above;
}

// The sides of a box between heights h0 and h1 above the ground only (a car's body or its roof
// when the glass between them returns nothing).
void add_band(PointCloud& c, double cx, double cy, double gz, double l, double w, double h0,
              double h1) {
  for (double dz = h0; dz < h1; dz += 0.1) {
    for (double a = -l / 2; a <= l / 2 + 1e-9; a += 0.1) {
      add_point(c, cx + a, cy - w / 2, gz + dz);
      add_point(c, cx + a, cy + w / 2, gz + dz);
    }
    for (double b = -w / 2 + 0.1; b < w / 2 - 1e-9; b += 0.1) {
      add_point(c, cx - l / 2, cy + b, gz + dz);
      add_point(c, cx + l / 2, cy + b, gz + dz);
    }
  }
}

// A label for a box at velodyne (cx, cy) with its bottom at velodyne height gz, length along
// velodyne x (camera z): rotation_y = -pi/2 (box3d: the length axis is (cos ry, -sin ry) in x-z).
Object label_at(double cx, double cy, double gz, double l, double w, double h,
                ObjectClass cls = ObjectClass::Car) {
  Object o;
  o.cls = cls;
  o.type = class_name(cls);
  o.l = l, o.w = w, o.h = h;
  o.loc_cam = {-cy, -gz, cx};
  o.rotation_y = -kPi / 2;
  o.alpha = -10;
  return o;
}

// A frame's annotations with the simple calibration.
FrameAnnotations frame_with(const std::vector<Object>& labels, const std::string& id) {
  FrameAnnotations a;
  a.id = id;
  a.has_labels = true;
  a.labels = labels;
  a.calib = test::simple_calib();
  return a;
}

}  // namespace

TEST_CASE("lidar: points inside a box and its cluster", "[lidar]") {
  PointCloud c;
  add_ground(c);
  const int above = add_box(c, 15, 0, kGroundZ, 4.0, 1.7, 1.5);
  const Object L = label_at(15, 0, kGroundZ, 4.2, 1.9, 1.6);
  const FrameLidar fl = analyze_frame_lidar(c, test::simple_calib(), {L});
  REQUIRE(fl.ok);
  REQUIRE(fl.labels.size() == 1);
  const LabelLidarStats& s = fl.labels[0];
  CHECK(s.valid);
  CHECK(s.n_in == static_cast<std::uint32_t>(above));
  CHECK(s.n_in_all > s.n_in);  // the road under the box
  CHECK(s.cluster >= 0);
  CHECK(s.cluster_share == Approx(1.0));
  CHECK(s.n_out == 0);
  CHECK(std::abs(s.ground_offset) < 0.05);
  CHECK(s.range == Approx(15.0));
  // The points' principal direction is the box's length axis (modulo pi).
  const double d = std::remainder(s.principal_ry - L.rotation_y, kPi);
  CHECK(std::abs(d) < 0.05);
  CHECK(s.extent_l == Approx(4.0).margin(0.2));
  // One cluster, the label's, boxed about the object.
  REQUIRE(fl.clusters.size() == 1);
  CHECK(fl.clusters[0].label == 0);
  CHECK(fl.clusters[0].box.l == Approx(4.0).margin(0.2));
  CHECK(fl.clusters[0].box.w == Approx(1.7).margin(0.2));
  CHECK(fl.clusters[0].top == Approx(1.42 + 0.0).margin(0.1));  // highest row: 0.02 + 0.1 * 14
  CHECK(fl.clusters[0].points.size() == fl.clusters[0].n_points);
}

TEST_CASE("lidar: an empty box on the ground holds no object points", "[lidar]") {
  PointCloud c;
  add_ground(c);
  const Object L = label_at(20, 3, kGroundZ, 3.9, 1.6, 1.5);
  const FrameLidar fl = analyze_frame_lidar(c, test::simple_calib(), {L});
  REQUIRE(fl.labels.size() == 1);
  CHECK(fl.labels[0].n_in == 0);
  CHECK(fl.labels[0].n_in_all > 0);  // road points in its bottom
  CHECK(fl.labels[0].cluster == -1);
  CHECK(fl.clusters.empty());
}

TEST_CASE("lidar: a shifted box leaves its object's points outside, on one side", "[lidar]") {
  PointCloud c;
  add_ground(c);
  add_box(c, 15, 0, kGroundZ, 4.0, 1.7, 1.5);
  // Object spans x 13..17; the box 14.5..18.5: 1.5 m of the object lies beyond the box's back.
  const Object L = label_at(16.5, 0, kGroundZ, 4.0, 1.9, 1.6);
  const FrameLidar fl = analyze_frame_lidar(c, test::simple_calib(), {L});
  const LabelLidarStats& s = fl.labels[0];
  CHECK(s.cluster_share < 0.8);
  CHECK(s.cluster_share > 0.4);
  CHECK(s.overflow[1] == Approx(1.4).margin(0.15));  // back face, 90% quantile of 0..1.5 m
  CHECK(s.overflow[0] == 0.0);
  CHECK(s.overflow[2] == 0.0);
  CHECK(s.overflow[3] == 0.0);
}

TEST_CASE("lidar: a floating box is off the ground; a box on a slope is not", "[lidar]") {
  {
    PointCloud c;
    add_ground(c);
    add_box(c, 15, 0, kGroundZ, 4.0, 1.7, 1.5);
    const Object L = label_at(15, 0, kGroundZ + 0.8, 4.0, 1.7, 1.5);
    const FrameLidar fl = analyze_frame_lidar(c, test::simple_calib(), {L});
    CHECK(fl.labels[0].ground_seen);
    CHECK(fl.labels[0].ground_offset == Approx(0.8).margin(0.05));
  }
  {
    // An 8% grade from x = 5 m: at x = 25 m the road is 1.6 m higher than at the sensor. One
    // global plane through the near road would put this box 1.6 m in the air.
    const double slope = 0.08;
    PointCloud c;
    add_ground(c, slope);
    const double gz = kGroundZ + slope * 20;
    add_box(c, 25, 0, gz, 4.0, 1.7, 1.5);
    const Object L = label_at(25, 0, gz, 4.2, 1.9, 1.6);
    const FrameLidar fl = analyze_frame_lidar(c, test::simple_calib(), {L});
    CHECK(std::abs(fl.labels[0].ground_offset) < 0.15);
    CHECK(fl.labels[0].n_in > 200);
  }
}

TEST_CASE("lidar: non-finite and implausibly far points are problems naming the file", "[lidar]") {
  PointCloud c;
  add_ground(c);
  add_point(c, std::nan(""), 0, 0);
  add_point(c, 500, 0, 0);
  const FrameLidar fl = analyze_frame_lidar(c, test::simple_calib(), {}, {}, 0, 0, "x/000001.bin");
  CHECK(fl.n_nonfinite == 1);
  CHECK(fl.n_far == 1);
  REQUIRE(fl.problems.size() == 2);
  CHECK(fl.problems[0].file == "x/000001.bin");
  CHECK(fl.problems[0].message.find("point " + std::to_string(c.size() - 2)) != std::string::npos);
  // Nothing in view at all.
  PointCloud behind;
  for (int i = 0; i < 50; ++i) add_point(behind, -10 - i * 0.1, 0, 0);
  const FrameLidar fb = analyze_frame_lidar(behind, test::simple_calib(), {});
  REQUIRE(fb.problems.size() == 1);
  CHECK(fb.problems[0].message.find("field of view") != std::string::npos);
}

namespace {
// A small "dataset": frames with labelled cars at several ranges (points in them), an unlabelled
// wall and pole in each, and frame `odd` with the case under test.
struct Synth {
  std::vector<FrameAnnotations> frames;
  std::vector<FrameLidar> lidar;
};
Synth synth(int n, const std::function<void(PointCloud&, std::vector<Object>&)>& odd) {
  Synth s;
  for (int f = 0; f <= n; ++f) {
    PointCloud c;
    add_ground(c);
    std::vector<Object> labels;
    if (f < n) {
      const double x1 = 10 + (f % 7) * 3.0, x2 = 12 + (f % 5) * 4.0;
      add_box(c, x1, -4, kGroundZ, 4.0 + 0.05 * (f % 4), 1.7, 1.5);
      labels.push_back(label_at(x1, -4, kGroundZ, 4.2, 1.9, 1.6));
      add_box(c, x2, 4, kGroundZ, 3.8, 1.6, 1.45);
      labels.push_back(label_at(x2, 4, kGroundZ, 4.0, 1.8, 1.55));
      add_box(c, 8 + (f % 3), -9, kGroundZ, 0.6, 0.6, 1.7);  // pedestrian
      labels.push_back(label_at(8 + (f % 3), -9, kGroundZ, 0.8, 0.8, 1.8, ObjectClass::Pedestrian));
    } else {
      odd(c, labels);
    }
    add_box(c, 20 + (f % 4), 12, kGroundZ, 14.0, 0.3, 3.0);  // wall, unlabelled
    add_box(c, 9 + (f % 6), 7.5, kGroundZ, 0.3, 0.3, 4.4);   // pole, unlabelled
    s.frames.push_back(frame_with(labels, std::to_string(100000 + f).substr(1)));
    s.lidar.push_back(analyze_frame_lidar(c, test::simple_calib(), labels));
  }
  return s;
}
}  // namespace

TEST_CASE("lidar model: an empty label is empty_box, a full one is not", "[lidar]") {
  Synth s = synth(40, [](PointCloud& c, std::vector<Object>& labels) {
    add_box(c, 14, -4, kGroundZ, 4.0, 1.7, 1.5);
    labels.push_back(label_at(14, -4, kGroundZ, 4.2, 1.9, 1.6));  // full
    labels.push_back(label_at(18, 3, kGroundZ, 4.0, 1.7, 1.5));   // on empty road
  });
  const LidarModel m(s.frames, s.lidar);
  std::vector<WitnessTerm> full, empty;
  m.label_terms(40, 0, full);
  m.label_terms(40, 1, empty);
  const auto spurious = [](const std::vector<WitnessTerm>& t) {
    double llr = 0;
    for (const WitnessTerm& w : t)
      if (w.hypothesis == "spurious") llr += w.llr;
    return llr;
  };
  CHECK(spurious(full) <= 0.0);
  CHECK(spurious(empty) > 3.0);
  bool named = false;
  for (const WitnessTerm& w : empty)
    if (w.kind == kind::kEmptyBox)
      named = w.reason.find("0 points inside at 18.") != std::string::npos;
  CHECK(named);
  // The expected range quoted for a car like it at 18 m brackets what the other cars hold.
  const ExpectedPoints e = m.expected_points(s.frames[40].labels[1]);
  CHECK(e.lo > 10);
  CHECK(e.hi >= e.lo);
}

TEST_CASE("lidar model: a shifted box is box_fit, a floating box off_ground", "[lidar]") {
  Synth s = synth(40, [](PointCloud& c, std::vector<Object>& labels) {
    add_box(c, 15, -4, kGroundZ, 4.0, 1.7, 1.5);
    labels.push_back(label_at(16.6, -4, kGroundZ, 4.2, 1.9, 1.6));  // shifted 1.6 m
    add_box(c, 20, 4, kGroundZ, 4.0, 1.7, 1.5);
    labels.push_back(label_at(20, 4, kGroundZ + 0.9, 4.2, 1.9, 1.6));  // floats 0.9 m
  });
  const LidarModel m(s.frames, s.lidar);
  std::vector<WitnessTerm> shifted, floating;
  m.label_terms(40, 0, shifted);
  m.label_terms(40, 1, floating);
  bool fit = false, ground = false;
  for (const WitnessTerm& w : shifted)
    if (w.kind == kind::kBoxFit && w.hypothesis == "shift" && w.llr > 2) {
      fit = true;
      CHECK(w.reason.find("beyond its back") != std::string::npos);
    }
  for (const WitnessTerm& w : floating)
    if (w.kind == kind::kOffGround && w.llr > 2) {
      ground = true;
      CHECK(w.reason.find("above the local ground") != std::string::npos);
    }
  CHECK(fit);
  CHECK(ground);
  // The normal labels of the dataset draw no such evidence.
  std::vector<WitnessTerm> normal;
  m.label_terms(3, 0, normal);
  for (const WitnessTerm& w : normal) CHECK(w.llr < 1.0);
}

TEST_CASE("lidar: an unlabeled car-shaped cluster is reported, a wall and a pole are not",
          "[lidar]") {
  Synth s = synth(40, [](PointCloud& c, std::vector<Object>& labels) {
    add_box(c, 14, -4, kGroundZ, 4.0, 1.7, 1.5);  // a car nobody labelled
    (void)labels;
  });
  const auto model = std::make_shared<const LidarModel>(s.frames, s.lidar);
  std::vector<ObjectCandidate> cands;
  model->cluster_candidates(40, cands);
  REQUIRE(cands.size() == 3);  // car, wall, pole: all unlabelled clusters are weighed
  double car = -1e9, other = -1e9;
  for (const ObjectCandidate& k : cands) {
    if (std::abs(k.box.loc_cam.z - 14) < 1.0)
      car = k.llr;
    else
      other = std::max(other, k.llr);
  }
  CHECK(car > other + 5);
  // Through the ranking with the lidar alone: one unlabeled_cluster, in the odd frame, at the car.
  RankOptions opt;
  opt.witnesses.push_back(lidar_label_witness(model));
  opt.object_witnesses.push_back(lidar_object_witness(model));
  const RankResult r = rank_frames(s.frames, {}, opt);
  int clusters = 0;
  for (const FrameRank& fr : r.frames)
    for (const Finding& f : fr.findings)
      if (f.kind == kind::kUnlabeledCluster) {
        ++clusters;
        CHECK(fr.frame == s.frames[40].id);
        CHECK(f.reason.find("at 14.") != std::string::npos);
      }
  CHECK(clusters == 1);
  REQUIRE(!r.frames.empty());
  CHECK(r.frames[0].frame == s.frames[40].id);
}

TEST_CASE("lidar cache: reused, invalidated by a changed file, resumable by ranges", "[lidar]") {
  const fs::path root = test::temp_dir("lidar_cache");
  const fs::path cache = test::temp_dir("lidar_cache_store");
  for (int f = 0; f < 3; ++f) {
    const std::string id = "00000" + std::to_string(f);
    PointCloud c;
    add_ground(c);
    add_box(c, 15, 0, kGroundZ, 4.0, 1.7, 1.5);
    write_velodyne(root / "velodyne" / (id + ".bin"), c);
    write_text_file(root / "calib" / (id + ".txt"), format_calib(test::simple_calib()));
    write_text_file(root / "label_2" / (id + ".txt"),
                    format_objects({label_at(15, 0, kGroundZ, 4.2, 1.9, 1.6)}, false));
  }
  const DatasetIndex ds = scan_dataset(root, {});
  REQUIRE(ds.frames.size() == 3);
  auto pass = [&](std::size_t b, std::size_t e, bool use_cache = true) {
    const std::vector<FrameAnnotations> frames = load_all_annotations(ds, true, 1);
    LidarPassOptions o;
    o.cache_dir = cache;
    o.threads = 2;
    o.begin = b;
    o.end = e;
    o.use_cache = use_cache;
    LidarPassStats st;
    const auto out = run_lidar_pass(ds, frames, o, &st);
    return std::make_pair(st, out);
  };
  // Ranges [0,1) and [1,3) fill one cache; the whole pass then computes nothing.
  CHECK(pass(0, 1).first.computed == 1);
  CHECK(pass(1, 3).first.computed == 2);
  auto [all, out] = pass(0, 3);
  CHECK(all.computed == 0);
  CHECK(all.from_cache == 3);
  REQUIRE(out[1].ok);
  CHECK(out[1].labels.size() == 1);
  CHECK(out[1].labels[0].n_in > 100);
  CHECK(out[1].clusters.size() == 1);
  // A label file changed (new size): its frame is recomputed, with the new label.
  write_text_file(root / "label_2" / "000001.txt",
                  format_objects({label_at(15, 0, kGroundZ, 4.2, 1.9, 1.6),
                                  label_at(25, 3, kGroundZ, 4.0, 1.7, 1.5)},
                                 false));
  auto [st2, out2] = pass(0, 3);
  CHECK(st2.computed == 1);
  CHECK(out2[1].labels.size() == 2);
  // A scan rewritten with the same size but a new time: recomputed too.
  const fs::path scan = root / "velodyne" / "000002.bin";
  fs::last_write_time(scan, fs::last_write_time(scan) + std::chrono::seconds(5));
  CHECK(pass(0, 3).first.computed == 1);
  // A truncated cache file is not a result: recomputed, never misread.
  const fs::path cf = lidar_cache_file(ds, 0, cache);
  REQUIRE(fs::exists(cf));
  fs::resize_file(cf, fs::file_size(cf) / 2);
  CHECK(pass(0, 3).first.computed == 1);
  // --no-cache: everything computed, nothing read.
  CHECK(pass(0, 3, false).first.computed == 3);
}

TEST_CASE("lidar on the real KITTI frames: no empty_box on a label with 5+ points",
          "[lidar][kitti]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  const DatasetIndex ds = scan_dataset(kitti, {});
  const std::vector<FrameAnnotations> frames = load_all_annotations(ds, true, 2);
  LidarPassOptions o;
  o.use_cache = false;
  const std::vector<FrameLidar> lidar = run_lidar_pass(ds, frames, o);
  std::size_t analysed = 0;
  for (const FrameLidar& fl : lidar) analysed += fl.ok ? 1 : 0;
  CHECK(analysed == ds.frames.size());
  const LidarModel m(frames, lidar);
  int checked = 0;
  for (std::size_t f = 0; f < frames.size(); ++f)
    for (std::size_t i = 0; i < frames[f].labels.size(); ++i) {
      if (!lidar[f].labels[i].valid || lidar[f].labels[i].n_in < 5) continue;
      ++checked;
      std::vector<WitnessTerm> t;
      m.label_terms(f, i, t);
      for (const WitnessTerm& w : t) CHECK(!(w.kind == kind::kEmptyBox && w.llr > 0));
    }
  CHECK(checked >= 15);
  // Cars near the sensor hold hundreds of points (the sample's frame 000008: cars at 8-15 m).
  const auto i8 = ds.find("000008");
  REQUIRE(i8);
  std::uint32_t most = 0;
  for (const LabelLidarStats& s : lidar[*i8].labels) most = std::max(most, s.n_in);
  CHECK(most > 300);
}

TEST_CASE("needle rank --evidence and needle lidar --frames from the command line",
          "[lidar][cli]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  const fs::path cache = test::temp_dir("lidar_cli_cache");
  const std::string env = "XDG_CACHE_HOME=" + cache.string() + " ";
  const std::string bin = test::needle_binary();
  std::string out;
  // Two ranges fill one cache; the whole pass then reads all ten frames from it.
  REQUIRE(test::run_command(env + bin + " lidar " + kitti.string() + " --frames 0:4", &out) == 0);
  CHECK(out.find("4 analysed") != std::string::npos);
  REQUIRE(test::run_command(env + bin + " lidar " + kitti.string() + " --frames 4:", &out) == 0);
  CHECK(out.find("6 analysed") != std::string::npos);
  REQUIRE(test::run_command(env + bin + " lidar " + kitti.string(), &out) == 0);
  CHECK(out.find("0 analysed, 10 from the cache") != std::string::npos);
  // The lidar alone: no prediction set is used, the JSON lists none.
  REQUIRE(test::run_command(
              env + bin + " rank " + kitti.string() + " --evidence lidar --format json 2>/dev/null",
              &out) == 0);
  CHECK(out.find("\"prediction_set_names\": []") != std::string::npos);
  CHECK(test::run_command(env + bin + " rank " + kitti.string() + " --evidence scans", &out) == 2);
  CHECK(out.find("--evidence") != std::string::npos);
  CHECK(test::run_command(env + bin + " lidar " + kitti.string() + " --frames 5", &out) == 2);
  // --no-cache writes nothing.
  const fs::path fresh = test::temp_dir("lidar_cli_nocache");
  REQUIRE(test::run_command("XDG_CACHE_HOME=" + fresh.string() + " " + bin + " rank " +
                            kitti.string() + " --no-cache --format csv >/dev/null 2>&1") == 0);
  CHECK(!fs::exists(fresh / "needle" / "lidar"));
}

TEST_CASE("lidar: an unlabeled car in two fragments is one candidate", "[lidar]") {
  Synth s = synth(40, [](PointCloud& c, std::vector<Object>& labels) {
    // Body 0.02-0.72 m and roof 1.32-1.52 m: 0.6 m of nothing between them (more than the
    // clustering distance), one footprint.
    add_band(c, 14, -4, kGroundZ, 4.0, 1.7, 0.02, 0.75);
    add_band(c, 14, -4, kGroundZ, 2.2, 1.5, 1.32, 1.55);
    (void)labels;
  });
  int fragments = 0;
  // The car stands at camera (x 4, z 14).
  auto at = [](const Object& b) { return std::hypot(b.loc_cam.x - 4, b.loc_cam.z - 14) < 2.5; };
  for (const LidarCluster& cl : s.lidar[40].clusters)
    if (at(cl.box)) ++fragments;
  REQUIRE(fragments == 2);
  const LidarModel m(s.frames, s.lidar);
  std::vector<ObjectCandidate> cands;
  m.cluster_candidates(40, cands);
  int at_car = 0;
  for (const ObjectCandidate& k : cands)
    if (at(k.box)) {
      ++at_car;
      CHECK(k.box.l == Approx(4.0).margin(0.3));
      CHECK(k.box.h == Approx(1.52).margin(0.1));
    }
  CHECK(at_car == 1);
}
