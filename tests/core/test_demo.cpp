// The synthetic demo dataset: determinism, the injected-error record, and physical consistency of
// labels, lidar and image (boxes project onto their 2D boxes, lidar points sit in near boxes and
// no lidar ray passes through an object, cars are drawn where their labels are), invalid frames.
//
// Most checks share one 16-frame dataset (with many errors and invalid frames on purpose). It is
// cached under the test tmp folder, keyed by this executable's modification time, so the many
// test processes that ctest starts generate it once.
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "needle/box3d.h"
#include "needle/dataset.h"
#include "needle/demo.h"
#include "needle/error.h"
#include "needle/iou.h"
#include "needle/kitti_io.h"
#include "needle/ranking.h"
#include "needle/ranking_quality.h"
#include "support/test_support.h"

using namespace needle;
namespace fs = std::filesystem;

namespace {

DemoOptions fixture_options() {
  DemoOptions o;
  o.frames = 16;
  o.seed = 2024;
  o.error_fraction = 0.375;     // 6 frames: one of each error kind
  o.invalid_fraction = 0.1875;  // 3 frames: one of each invalid kind
  o.threads = 2;
  return o;
}

const fs::path& fixture() {
  static const fs::path root = [] {
    struct stat st {};
    stat("/proc/self/exe", &st);
    const fs::path base = fs::path(NEEDLE_TEST_TMP);
    const fs::path final_dir =
        base / ("demo_fixture_" + std::to_string(static_cast<long long>(st.st_mtime)) + "_" +
                std::to_string(static_cast<long long>(st.st_size)));
    if (fs::exists(final_dir / "complete")) return final_dir;
    const fs::path tmp = base / ("demo_fixture_tmp_" + std::to_string(getpid()));
    fs::remove_all(tmp);
    generate_demo(tmp, fixture_options());
    std::ofstream(tmp / "complete") << "ok\n";
    std::error_code ec;
    fs::rename(tmp, final_dir, ec);  // another test process may have won the race
    if (ec) fs::remove_all(tmp);
    // Fixtures of earlier builds of this executable are stale: remove them.
    for (const auto& e : fs::directory_iterator(base, ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("demo_fixture_", 0) == 0 && name.rfind("demo_fixture_tmp_", 0) != 0 &&
          e.path() != final_dir)
        fs::remove_all(e.path(), ec);
    }
    return final_dir;
  }();
  return root;
}

std::string id(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06d", i);
  return buf;
}

fs::path train(const fs::path& root, const char* dir, int i, const char* ext) {
  return root / "training" / dir / (id(i) + ext);
}

// A temporary dataset folder, removed when the test is done with it (they are large).
struct TempDataset {
  fs::path path;
  explicit TempDataset(const std::string& tag) : path(test::temp_dir(tag)) {}
  ~TempDataset() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDataset(const TempDataset&) = delete;
  TempDataset& operator=(const TempDataset&) = delete;
};

// Frames with an injected label error or broken files: skipped by the consistency checks.
std::set<std::string> touched_frames(const fs::path& root) {
  std::set<std::string> s;
  for (const auto& e : read_injected(root / "injected.json")) s.insert(e.frame);
  return s;
}

bool is_vehicle(ObjectClass c) {
  return c == ObjectClass::Car || c == ObjectClass::Van || c == ObjectClass::Truck;
}

// Every regular file under root, relative path -> bytes.
std::map<std::string, std::string> read_tree(const fs::path& root) {
  std::map<std::string, std::string> m;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) m[fs::relative(e.path(), root).string()] = read_file_bytes(e.path());
  return m;
}

// Segment a-b (rect frame) against the core of a box: its middle band of height and 90% of its
// footprint. Slab test in the box's local frame.
bool segment_hits_core(const Vec3& a, const Vec3& b, const Object& o) {
  const double c = std::cos(o.rotation_y), s = std::sin(o.rotation_y);
  auto local = [&](const Vec3& p) {
    const double dx = p.x - o.loc_cam.x, dz = p.z - o.loc_cam.z;
    return Vec3{c * dx - s * dz, p.y - o.loc_cam.y, s * dx + c * dz};
  };
  const Vec3 p0 = local(a), p1 = local(b);
  const double lo[3] = {-0.45 * o.l, -0.55 * o.h, -0.45 * o.w};
  const double hi[3] = {0.45 * o.l, -0.2 * o.h, 0.45 * o.w};
  const double o3[3] = {p0.x, p0.y, p0.z}, d3[3] = {p1.x - p0.x, p1.y - p0.y, p1.z - p0.z};
  double t0 = 0, t1 = 1;
  for (int k = 0; k < 3; ++k) {
    if (std::abs(d3[k]) < 1e-12) {
      if (o3[k] < lo[k] || o3[k] > hi[k]) return false;
      continue;
    }
    double ta = (lo[k] - o3[k]) / d3[k], tb = (hi[k] - o3[k]) / d3[k];
    if (ta > tb) std::swap(ta, tb);
    t0 = std::max(t0, ta);
    t1 = std::min(t1, tb);
    if (t0 > t1) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("demo: same seed gives identical bytes whatever the thread count", "[demo]") {
  DemoOptions o;
  o.frames = 4;
  o.seed = 7;
  o.error_fraction = 0.5;
  o.threads = 1;
  const TempDataset ta_dir("demo_a"), tb_dir("demo_b");
  const fs::path& a = ta_dir.path;
  const fs::path& b = tb_dir.path;
  const DemoSummary sa = generate_demo(a, o);
  o.threads = 3;
  generate_demo(b, o);
  const auto ta = read_tree(a), tb = read_tree(b);
  REQUIRE(ta.size() == 4 * 6 + 1);  // image, velodyne, calib, label, 2 predictions; injected.json
  CHECK(ta == tb);
  CHECK(sa.injected.size() == 2);

  SECTION("switching images and lidar off leaves labels, calib and predictions unchanged") {
    o.images = false;
    o.lidar = false;
    const TempDataset c_dir("demo_c");
    const fs::path& c = c_dir.path;
    generate_demo(c, o);
    const auto tc = read_tree(c);
    CHECK(tc.size() == 4 * 4 + 1);
    for (const auto& [path, bytes] : tc) {
      INFO(path);
      REQUIRE(ta.count(path) == 1);
      CHECK(ta.at(path) == bytes);
    }
  }
  SECTION("another seed gives another dataset") {
    o.seed = 8;
    const TempDataset d_dir("demo_d");
    const fs::path& d = d_dir.path;
    generate_demo(d, o);
    CHECK(read_file_bytes(d / "training/label_2/000000.txt") !=
          read_file_bytes(a / "training/label_2/000000.txt"));
  }
  SECTION("a second run into the same folder replaces the earlier frames") {
    o.frames = 2;
    generate_demo(a, o);
    CHECK(fs::exists(a / "training/label_2/000001.txt"));
    CHECK_FALSE(fs::exists(a / "training/label_2/000002.txt"));
    CHECK_FALSE(fs::exists(a / "training/image_2/000003.png"));
  }
}

// The size record of one label error against the spectrum and the subtle/gross rule of
// needle/demo.h, restated here with the issue's numbers (not the generator's constants).
void check_error_size(const InjectedError& e) {
  CHECK(e.range_m > 0);
  CHECK(e.range_m < 80);
  CHECK(e.occlusion >= 0);
  CHECK(e.occlusion <= 3);
  std::string bin;
  if (e.kind == "shifted_box") {
    CHECK(e.unit == "m");
    CHECK(e.magnitude >= 0.28);  // 0.3-3 m, realised after rounding to cm
    CHECK(e.magnitude <= 3.02);
    bin = e.magnitude < 1.0 ? "subtle" : "gross";
  } else if (e.kind == "wrong_size") {
    CHECK(e.unit == "factor");
    CHECK(e.magnitude >= 0.69);  // 0.7-1.4 per dimension, never 1 (at least 10% off)
    CHECK(e.magnitude <= 1.42);
    CHECK(std::abs(e.magnitude - 1) > 0.05);
    bin = e.magnitude >= 0.8 && e.magnitude <= 1.25 ? "subtle" : "gross";
  } else if (e.kind == "rotated_box") {
    CHECK(e.unit == "deg");
    CHECK(e.magnitude >= 9.5);
    CHECK(e.magnitude <= 180);
    bin = e.magnitude < 45 ? "subtle" : "gross";
  } else if (e.kind == "wrong_class") {
    CHECK(e.unit == "class");
    const std::string from = e.detail.substr(0, e.detail.find(" ->")),
                      to = e.detail.substr(e.detail.find("-> ") + 3);
    const std::set<std::pair<std::string, std::string>> neighbours = {
        {"Car", "Van"},
        {"Van", "Truck"},
        {"Pedestrian", "Person_sitting"},
        {"Pedestrian", "Cyclist"}};
    const bool nb = neighbours.count({from, to}) || neighbours.count({to, from});
    CHECK(e.magnitude == (nb ? 1 : 2));
    bin = nb ? "subtle" : "gross";
  } else {
    REQUIRE((e.kind == "missing_label" || e.kind == "spurious_label"));
    CHECK(e.unit == "range_m");
    CHECK(e.magnitude == e.range_m);
    bin = e.range_m > 30 || e.occlusion >= 1 ? "subtle" : "gross";
  }
  CHECK(e.size_bin == bin);
}

TEST_CASE("demo: injected.json lists every error at the right label line", "[demo]") {
  const fs::path& root = fixture();
  const auto errs = read_injected(root / "injected.json");
  const DemoOptions o = fixture_options();
  std::map<std::string, int> kinds;
  for (const auto& e : errs) kinds[e.kind]++;
  // 16 frames * 0.375 = 6 label errors, one of each kind; 16 * 0.1875 = 3 invalid frames.
  CHECK(errs.size() == 9);
  for (const char* k : {"missing_label", "wrong_class", "shifted_box", "wrong_size", "rotated_box",
                        "spurious_label", "truncated_bin", "corrupt_png", "bad_label_line"}) {
    INFO(k);
    CHECK(kinds[k] == 1);
  }
  std::set<std::string> frames;
  for (const auto& e : errs) {
    INFO(e.frame << " " << e.kind << " " << e.detail);
    CHECK(frames.insert(e.frame).second);  // one entry per frame
    CHECK(e.frame.size() == 6);
    CHECK(std::stoi(e.frame) < o.frames);
    CHECK_FALSE(e.detail.empty());
    if (e.kind == "truncated_bin" || e.kind == "corrupt_png" || e.kind == "bad_label_line" ||
        e.kind == "missing_label") {
      CHECK(e.label == -1);
      continue;
    }
    const auto labels =
        load_objects(root / "training/label_2" / (e.frame + ".txt"), LabelKind::GroundTruth)
            .objects;
    REQUIRE(e.label >= 0);
    REQUIRE(e.label < static_cast<int>(labels.size()));
    CHECK_FALSE(labels[static_cast<std::size_t>(e.label)].is_dontcare());
    if (e.kind == "wrong_class")  // "Car -> Van": the line now carries the new class
      CHECK(e.detail.substr(e.detail.find("-> ") + 3) ==
            labels[static_cast<std::size_t>(e.label)].type);
  }
  for (const auto& e : errs) {
    INFO(e.frame << " " << e.kind << " " << e.detail << " magnitude " << e.magnitude << " "
                 << e.unit << " range " << e.range_m << " occlusion " << e.occlusion);
    if (e.kind == "truncated_bin" || e.kind == "corrupt_png" || e.kind == "bad_label_line") {
      CHECK(e.unit.empty());
      CHECK(e.size_bin.empty());
      continue;
    }
    check_error_size(e);
  }
  const auto missing = std::find_if(
      errs.begin(), errs.end(), [](const InjectedError& e) { return e.kind == "missing_label"; });
  REQUIRE(missing != errs.end());
  CHECK(missing->detail.rfind("removed: ", 0) == 0);
}

TEST_CASE("demo: read_injected rejects malformed files", "[demo]") {
  const fs::path dir = test::temp_dir("demo_inj");
  test::write_file(dir / "a.json", "{\"errors\": [ {\"frame\": \"000001\"} ]}");
  CHECK_THROWS_AS(read_injected(dir / "a.json"), ParseError);
  test::write_file(dir / "b.json", "not json");
  CHECK_THROWS_AS(read_injected(dir / "b.json"), ParseError);
  CHECK_THROWS_AS(read_injected(dir / "missing.json"), ParseError);
  test::write_file(dir / "c.json",
                   "{\"seed\": 1, \"frames\": 2, \"errors\": [{\"frame\": \"000001\", \"kind\": "
                   "\"wrong_class\", \"label\": 2, \"detail\": \"Car -> Van\"}]}");
  const auto e = read_injected(dir / "c.json");
  REQUIRE(e.size() == 1);
  CHECK(e[0].label == 2);
  CHECK(e[0].detail == "Car -> Van");
  CHECK(e[0].size_bin.empty());  // files without the size fields still read
  test::write_file(dir / "d.json",
                   R"({"errors": [{"frame": "000001", "kind": "shifted_box", "label": 0,
                       "magnitude": 0.42, "unit": "m", "range_m": 12.5, "occlusion": 1,
                       "size_bin": "subtle"}]})");
  const auto d = read_injected(dir / "d.json");
  REQUIRE(d.size() == 1);
  CHECK(d[0].magnitude == Approx(0.42));
  CHECK(d[0].unit == "m");
  CHECK(d[0].range_m == Approx(12.5));
  CHECK(d[0].occlusion == 1);
  CHECK(d[0].size_bin == "subtle");
  test::write_file(dir / "e.json",
                   R"({"errors": [{"frame": "000001", "kind": "shifted_box", "label": 0,
                       "magnitude": "big"}]})");
  CHECK_THROWS_AS(read_injected(dir / "e.json"), ParseError);
  test::write_file(dir / "f.json",
                   R"({"errors": [{"frame": "000001", "kind": "shifted_box", "label": 0,
                       "size_bin": "medium"}]})");
  CHECK_THROWS_AS(read_injected(dir / "f.json"), ParseError);
}

TEST_CASE("demo: calibration, image sizes and label conventions are KITTI's", "[demo]") {
  const fs::path& root = fixture();
  const std::set<std::string> skip = touched_frames(root);
  std::vector<double> car_h, car_w, car_l;
  int labels = 0, dontcare = 0;
  for (int i = 0; i < fixture_options().frames; ++i) {
    const Calib c = load_calib(train(root, "calib", i, ".txt"));
    const double fx = c.P[2][0];
    if (skip.count(id(i)) == 0) {
      const auto size = image_size(read_file_bytes(train(root, "image_2", i, ".png")), "png");
      INFO("frame " << i << " fx " << fx << " size " << size[0] << "x" << size[1]);
      CHECK(((fx == Approx(721.5377) && size[0] == 1242 && size[1] == 375) ||
             (fx == Approx(718.3351) && size[0] == 1238 && size[1] == 374) ||
             (fx == Approx(707.0493) && size[0] == 1224 && size[1] == 370)));
    }
    // Velodyne x (forward) is camera z, velodyne y (left) is camera -x; ~0.27 m behind.
    const Vec3 ahead = c.velo_to_rect({10, 0, 0}), left = c.velo_to_rect({0, 10, 0});
    CHECK(ahead.z == Approx(9.7).margin(0.1));
    CHECK(left.x == Approx(-10).margin(0.2));
    CHECK(c.velo_to_rect({0, 0, -1.73}).y == Approx(1.65).margin(0.06));  // camera ~1.65 m up
    if (skip.count(id(i))) continue;
    const auto objs =
        load_objects(train(root, "label_2", i, ".txt"), LabelKind::GroundTruth).objects;
    for (const Object& o : objs) {
      if (o.is_dontcare()) {
        ++dontcare;
        CHECK(o.h == -1);
        CHECK(o.alpha == -10);
        continue;
      }
      ++labels;
      INFO(id(i) << " line " << o.line);
      // alpha = rotation_y - atan2(x, z), wrapped; values carry two decimals.
      double d = o.alpha - (o.rotation_y - std::atan2(o.loc_cam.x, o.loc_cam.z));
      d = std::remainder(d, 2 * std::numbers::pi);
      CHECK(std::abs(d) < 0.011);
      CHECK(o.truncated >= 0);
      CHECK(o.truncated <= 1);
      CHECK(o.occluded >= 0);
      CHECK(o.occluded <= 3);
      CHECK(o.box2d.x1 >= 0);
      CHECK(o.box2d.y1 >= 0);
      CHECK(o.box2d.x2 <= 1242);
      CHECK(o.box2d.y2 <= 375);
      CHECK(o.distance() < 75);
      if (o.cls == ObjectClass::Car) {
        car_h.push_back(o.h);
        car_w.push_back(o.w);
        car_l.push_back(o.l);
      }
    }
  }
  CHECK(labels > 60);
  CHECK(dontcare > 0);
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
  };
  REQUIRE(car_l.size() > 20);
  CHECK(mean(car_h) == Approx(1.53).margin(0.08));
  CHECK(mean(car_w) == Approx(1.63).margin(0.08));
  CHECK(mean(car_l) == Approx(3.88).margin(0.3));
  // DontCare lines are written exactly as KITTI writes them.
  bool seen = false;
  for (int i = 0; i < fixture_options().frames && !seen; ++i) {
    const std::string t = read_file_bytes(train(root, "label_2", i, ".txt"));
    const auto p = t.find("DontCare ");
    if (p == std::string::npos) continue;
    const std::string line = t.substr(p, t.find('\n', p) - p);
    CHECK(line.rfind("DontCare -1 -1 -10 ", 0) == 0);
    CHECK(line.size() > 40);
    const std::string tail = " -1 -1 -1 -1000 -1000 -1000 -10";
    CHECK(line.substr(line.size() - tail.size()) == tail);
    seen = true;
  }
  CHECK(seen);
}

TEST_CASE("demo: 3D boxes project onto their 2D boxes", "[demo]") {
  const fs::path& root = fixture();
  const std::set<std::string> skip = touched_frames(root);
  int checked = 0;
  for (int i = 0; i < fixture_options().frames; ++i) {
    if (skip.count(id(i))) continue;
    const Calib c = load_calib(train(root, "calib", i, ".txt"));
    const auto size = image_size(read_file_bytes(train(root, "image_2", i, ".png")), "png");
    for (const Object& o :
         load_objects(train(root, "label_2", i, ".txt"), LabelKind::GroundTruth).objects) {
      if (o.is_dontcare() || o.occluded != 0 || o.truncated > 0) continue;
      const auto p = projected_box_2d(o, c, size[0], size[1]);
      REQUIRE(p);
      INFO(id(i) << " line " << o.line);
      CHECK(iou_2d(*p, o.box2d) > 0.7);
      ++checked;
    }
  }
  CHECK(checked >= 10);
}

TEST_CASE("demo: lidar scans are full, dense near objects and never see through them", "[demo]") {
  const fs::path& root = fixture();
  const std::set<std::string> skip = touched_frames(root);
  int near_checked = 0, shadow_checked = 0;
  for (int i = 0; i < fixture_options().frames; ++i) {
    if (skip.count(id(i))) continue;
    const PointCloud cloud = load_velodyne(train(root, "velodyne", i, ".bin"));
    INFO("frame " << id(i));
    CHECK(cloud.size() > 100000);
    CHECK(cloud.size() < 135000);
    const Calib c = load_calib(train(root, "calib", i, ".txt"));
    std::vector<Vec3> p_rect(cloud.size());
    std::size_t bad_reflectance = 0;
    for (std::size_t k = 0; k < cloud.size(); ++k) {
      const float* q = &cloud.xyzr[4 * k];
      bad_reflectance += !(q[3] >= 0.0f && q[3] < 1.0f);
      p_rect[k] = c.velo_to_rect({q[0], q[1], q[2]});
    }
    CHECK(bad_reflectance == 0);
    const Vec3 origin = c.velo_to_rect({0, 0, 0});
    for (const Object& o :
         load_objects(train(root, "label_2", i, ".txt"), LabelKind::GroundTruth).objects) {
      if (o.is_dontcare() || o.occluded != 0 || o.truncated > 0.1 || o.distance() > 25) continue;
      // Returns from the object itself: points in the box, clear of the ground.
      std::size_t above = 0;
      for (std::uint32_t k : points_in_box(cloud, c, o))
        if (p_rect[k].y < o.loc_cam.y - 0.15) ++above;
      INFO(o.type << " at " << o.distance() << " m, line " << o.line << ": " << above << " points");
      CHECK(above >= (is_vehicle(o.cls) ? 50u : 8u));
      ++near_checked;
      // Shadow: no return lies beyond a car or van on a ray through its body. (A truck has a
      // gap between cab and box that the lidar may see through.)
      if (o.cls != ObjectClass::Car && o.cls != ObjectClass::Van) continue;
      std::size_t through = 0;
      for (std::size_t k = 0; k < cloud.size(); ++k)
        if (segment_hits_core(origin, p_rect[k], o)) ++through;
      CHECK(through == 0);
      ++shadow_checked;
    }
  }
  CHECK(near_checked >= 5);
  CHECK(shadow_checked >= 3);
}

TEST_CASE("demo: images show near cars in the car colour at their labelled place", "[demo]") {
  const fs::path& root = fixture();
  const std::set<std::string> skip = touched_frames(root);
  const auto car = demo_class_color(ObjectClass::Car);
  const double car_sum = car[0] + car[1] + car[2];
  int checked = 0;
  for (int i = 0; i < fixture_options().frames; ++i) {
    if (skip.count(id(i))) continue;
    const Image img = load_image(train(root, "image_2", i, ".png"));
    const Calib c = load_calib(train(root, "calib", i, ".txt"));
    for (const Object& o :
         load_objects(train(root, "label_2", i, ".txt"), LabelKind::GroundTruth).objects) {
      if (o.cls != ObjectClass::Car || o.occluded != 0 || o.truncated > 0 || o.distance() > 20)
        continue;
      const auto uv = c.rect_to_image({o.loc_cam.x, o.loc_cam.y - o.h / 2, o.loc_cam.z});
      REQUIRE(uv);
      const int u = static_cast<int>(std::lround((*uv)[0])),
                v = static_cast<int>(std::lround((*uv)[1]));
      REQUIRE(u >= 0);
      REQUIRE(u < img.width);
      REQUIRE(v >= 0);
      REQUIRE(v < img.height);
      const std::uint8_t* px =
          &img.rgb[(static_cast<std::size_t>(v) * static_cast<std::size_t>(img.width) +
                    static_cast<std::size_t>(u)) *
                   3];
      const double sum = px[0] + px[1] + px[2];
      // Face shading scales all channels: compare chromaticity, which road grey and sky blue lack.
      bool same = sum > 20;
      for (int k = 0; k < 3 && same; ++k)
        same = std::abs(px[k] / sum - car[static_cast<std::size_t>(k)] / car_sum) < 0.08;
      INFO(id(i) << " line " << o.line << " pixel " << int(px[0]) << "," << int(px[1]) << ","
                 << int(px[2]));
      CHECK(same);
      ++checked;
    }
  }
  CHECK(checked >= 3);
}

TEST_CASE("demo: invalid frames fail to parse, every other file parses", "[demo]") {
  const fs::path& root = fixture();
  std::map<std::string, std::string> invalid;
  for (const auto& e : read_injected(root / "injected.json")) invalid[e.frame] = e.kind;
  int broken = 0;
  for (int i = 0; i < fixture_options().frames; ++i) {
    const std::string f = id(i);
    const std::string kind = invalid.count(f) ? invalid[f] : "";
    INFO(f << " " << kind);
    if (kind == "truncated_bin") {
      CHECK_THROWS_AS(load_velodyne(train(root, "velodyne", i, ".bin")), ParseError);
      ++broken;
    } else {
      CHECK_NOTHROW(load_velodyne(train(root, "velodyne", i, ".bin")));
    }
    if (kind == "corrupt_png") {
      CHECK_THROWS_AS(load_image(train(root, "image_2", i, ".png")), ParseError);
      ++broken;
    } else {
      CHECK_NOTHROW(load_image(train(root, "image_2", i, ".png")));
    }
    if (kind == "bad_label_line") {
      CHECK_THROWS_AS(load_objects(train(root, "label_2", i, ".txt"), LabelKind::GroundTruth),
                      ParseError);
      ++broken;
    } else {
      CHECK_NOTHROW(load_objects(train(root, "label_2", i, ".txt"), LabelKind::GroundTruth));
    }
    CHECK_NOTHROW(load_calib(train(root, "calib", i, ".txt")));
    for (const char* det : {"sim_a", "sim_b"}) {
      const fs::path p = root / "pred" / det / (f + ".txt");
      REQUIRE(fs::exists(p));  // every frame is predicted, possibly with no detections
      const auto preds = load_objects(p, LabelKind::Prediction).objects;
      for (const Object& o : preds) {
        CHECK(*o.score >= 0);
        CHECK(*o.score <= 1);
      }
    }
  }
  CHECK(broken == 3);
}

TEST_CASE("demo: the CLI validates its arguments and reports a summary", "[demo][cli]") {
  const std::string bin = test::needle_binary();
  if (!fs::exists(bin)) {
    std::printf("NEEDLE-SKIPPED: %s not built\n", bin.c_str());
    return;
  }
  const TempDataset dir_guard("demo_cli");
  const fs::path& dir = dir_guard.path;
  std::string out;
  CHECK(test::run_command(bin + " demo", &out) == 2);
  CHECK(test::run_command(bin + " demo " + dir.string() + " --frames x", &out) == 2);
  CHECK(test::run_command(bin + " demo " + dir.string() + " --error-fraction 2", &out) == 2);
  CHECK(test::run_command(bin + " demo --help", &out) == 0);
  CHECK(out.find("--no-lidar") != std::string::npos);
  test::write_file(dir / "file", "x");
  CHECK(test::run_command(bin + " demo " + (dir / "file" / "sub").string() + " --frames 1", &out) ==
        1);
  REQUIRE(test::run_command(bin + " demo " + (dir / "ok").string() +
                                " --frames 3 --seed 5 --no-images --no-lidar --threads 2",
                            &out) == 0);
  CHECK(out.find("3 frames") != std::string::npos);
  CHECK(fs::exists(dir / "ok/injected.json"));
  CHECK(fs::exists(dir / "ok/training/label_2/000002.txt"));
  CHECK_FALSE(fs::exists(dir / "ok/training/velodyne"));
}

TEST_CASE("demo: needle finds the injected label errors, ahead of both baselines",
          "[demo][ranking]") {
  // The benchmark of issue 3 in miniature: labels and predictions only (no images or lidar, so
  // the invalid-data frames are only the bad label lines), 1000 frames, one seed. The seed is one
  // no benchmark uses (bench/methods.sh and bench/engine_bench.sh use seeds 1, 2 and 3), so the
  // method cannot have been tuned on it. Target (issue 7): recall@K >= 0.75 on the gross label
  // errors (measured 0.773 = 34/44 here; on the benchmark seeds 1-3 it is 0.727-0.780, see
  // bench/RESULTS.md). The subtle figures are printed, not asserted.
  constexpr double kGrossRecallTarget = 0.75;
  constexpr std::uint64_t kTestSeed = 11;
  const fs::path dir = test::temp_dir("demo_rank");
  DemoOptions opt;
  opt.frames = 1000;
  opt.seed = kTestSeed;
  opt.images = false;
  opt.lidar = false;
  generate_demo(dir, opt);
  const DatasetIndex ds = scan_dataset(dir, default_prediction_sets(dir));
  REQUIRE(ds.pred_sets.size() == 2);
  const auto frames = load_all_annotations(ds, true);
  std::vector<std::string> names;
  for (const auto& p : ds.pred_sets) names.push_back(p.name);
  std::vector<TruthEntry> truth;
  std::map<std::string, std::map<std::string, int>> spectrum;  // kind -> bin -> count
  std::map<std::string, int> where;  // "missing far", "spurious occluded", "geometric occluded" ...
  for (const InjectedError& e : read_injected(dir / "injected.json")) {
    truth.push_back({e.frame, e.kind, e.label, e.magnitude, e.unit, e.size_bin});
    if (e.size_bin.empty()) continue;
    ++spectrum[e.kind][e.size_bin];
    check_error_size(e);
    const std::string group = e.kind == "missing_label"    ? "missing"
                              : e.kind == "spurious_label" ? "spurious"
                                                           : "other";
    ++where[group + (e.range_m > 30 ? " far" : " near")];
    ++where[group + (e.occlusion >= 1 ? " occluded" : " clear")];
  }
  // Near and far, occluded and clear, for missing and spurious labels and the other kinds.
  for (const char* g : {"missing", "spurious", "other"})
    for (const char* w : {" far", " near", " occluded", " clear"}) {
      INFO(g << w);
      CHECK(where[std::string(g) + w] > 0);
    }
  // Every label-error kind spans both bins.
  REQUIRE(spectrum.size() == 6);
  for (const auto& [k, bins] : spectrum) {
    INFO(k);
    CHECK(bins.count("subtle"));
    CHECK(bins.count("gross"));
  }

  std::map<RankMethod, RankingQuality> q;
  for (RankMethod m : {RankMethod::Needle, RankMethod::Mistakenness, RankMethod::ObjectLab}) {
    RankOptions ro;
    ro.method = m;
    q[m] = evaluate_ranking(rank_frames(frames, names, ro), truth);
    INFO(rank_method_name(m) << ": label errors recall@K " << q[m].label_errors.recall_at_k
                             << " AP " << q[m].label_errors.average_precision);
    CHECK(q[m].label_errors.truth_frames > 30);
  }
  const RankingQuality& nq = q[RankMethod::Needle];
  std::ostringstream report;
  report << "needle, seed " << kTestSeed << ", 1000 frames (recall@K / AP):";
  for (const auto& [b, f] : nq.per_bin)
    report << "\n  " << b << " K=" << f.truth_frames << " " << f.recall_at_k << " / "
           << f.average_precision;
  for (const auto& [k, bins] : nq.per_kind_bin)
    for (const auto& [b, f] : bins)
      report << "\n  " << k << "/" << b << " K=" << f.truth_frames << " " << f.recall_at_k << " / "
             << f.average_precision;
  WARN(report.str());
  REQUIRE(nq.per_bin.count("gross"));
  REQUIRE(nq.per_bin.count("subtle"));
  CHECK(nq.per_bin.at("gross").recall_at_k >= kGrossRecallTarget);
  CHECK(nq.per_bin.at("gross").recall_at_k > nq.per_bin.at("subtle").recall_at_k);
  for (RankMethod m : {RankMethod::Mistakenness, RankMethod::ObjectLab}) {
    INFO(rank_method_name(m));
    CHECK(nq.label_errors.recall_at_k > q[m].label_errors.recall_at_k + 0.2);
    CHECK(nq.label_errors.average_precision > q[m].label_errors.average_precision + 0.2);
    CHECK(nq.per_bin.at("gross").recall_at_k > q[m].per_bin.at("gross").recall_at_k + 0.2);
  }
  CHECK(nq.invalid_data.recall_at_k == 1.0);
}
