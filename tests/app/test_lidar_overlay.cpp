// The viewer's lidar layers, GL-free (app/gui/model/lidar_overlay.h, LoadedFrame's lidar part):
// which clusters count as unlabelled, the inspector's per-label rows, the toggles and the finding
// tags. Expected values come from the frames the tests build by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <utility>
#include <set>
#include <string>

#include "gui/model/commands.h"
#include "gui/model/lidar_overlay.h"
#include "gui/model/loaded_frame.h"
#include "gui/model/overlay_style.h"
#include "model_fixture.h"
#include "needle/lidar_witness.h"
#include "support/test_support.h"

using namespace needle;
using namespace needle::view;

namespace {

LidarCluster cluster(int label, bool dontcare, std::vector<std::uint32_t> points) {
  LidarCluster c;
  c.label = label;
  c.in_dontcare = dontcare;
  c.points = std::move(points);
  c.n_points = static_cast<std::uint32_t>(c.points.size());
  c.box.l = 1.0, c.box.w = 0.8, c.box.h = 1.6;  // a pedestrian-sized cluster on the ground
  return c;
}

constexpr float kGroundZ = -1.7f;  // velodyne z of the road under simple_calib (camera y 1.7 m)

void add_point(PointCloud& c, double x, double y, double z) {
  c.xyzr.insert(c.xyzr.end(),
                {static_cast<float>(x), static_cast<float>(y), static_cast<float>(z), 0.5f});
}

// The four sides of an l x w x h box standing on the road at velodyne (cx, cy), a point every
// 0.1 m from 0.32 m above the road (above the 0.25 m ground band). Returns the point count.
int add_box_sides(PointCloud& c, double cx, double cy, double l, double w, double h) {
  int n = 0;
  for (double dz = 0.32; dz < h; dz += 0.1) {
    for (double a = -l / 2; a <= l / 2 + 1e-9; a += 0.1) {
      add_point(c, cx + a, cy - w / 2, kGroundZ + dz);
      add_point(c, cx + a, cy + w / 2, kGroundZ + dz);
      n += 2;
    }
    for (double b = -w / 2 + 0.1; b < w / 2 - 1e-9; b += 0.1) {
      add_point(c, cx - l / 2, cy + b, kGroundZ + dz);
      add_point(c, cx + l / 2, cy + b, kGroundZ + dz);
      n += 2;
    }
  }
  return n;
}

}  // namespace

TEST_CASE("lidar overlay: unlabelled clusters overlap no label and no DontCare", "[lidar_view]") {
  FrameLidar fl;
  fl.ok = true;
  fl.clusters.push_back(cluster(0, false, {0, 1, 2}));   // owned by label 0
  fl.clusters.push_back(cluster(-1, false, {3, 4}));     // free
  fl.clusters.push_back(cluster(-1, true, {5, 6}));      // inside a DontCare region
  fl.clusters.push_back(cluster(-1, false, {7, 8, 9}));  // not owned, but touches label 1's box
  fl.clusters.push_back(cluster(-1, false, {10}));       // free
  fl.clusters.push_back(cluster(-1, false, {12}));  // a 20 m wall: not object-sized
  fl.clusters.back().box.l = 20.0;
  fl.clusters.push_back(cluster(-1, false, {13}));  // 0.3 m tall: kerb
  fl.clusters.back().box.h = 0.3;
  fl.clusters.push_back(cluster(-1, false, {14}));  // its lowest point 2 m up: a sign
  fl.clusters.back().bottom_gap = 2.0;
  fl.clusters.push_back(cluster(-1, false, {15}));  // 11 x 2.5 m: a truck still counts
  fl.clusters.back().box.l = 11.0;
  fl.clusters.back().box.w = 2.5;
  fl.clusters.push_back(cluster(-1, false, {17}));  // 0.1 x 0.1 m footprint: a pole
  fl.clusters.back().box.l = 0.1;
  fl.clusters.back().box.w = 0.1;
  fl.clusters.push_back(cluster(-1, false, {16}));  // 200 points above it: a facade or a trunk
  fl.clusters.back().n_above = 200;
  const std::vector<std::vector<std::uint32_t>> label_points = {{0, 1, 2}, {9, 11}};
  CHECK(unlabeled_clusters(fl, label_points) == std::vector<int>{1, 4, 8});
  // Without point indices (clusters from the cache) only the owner and DontCare tests remain.
  CHECK(unlabeled_clusters(fl, {}) == std::vector<int>{1, 3, 4, 8});
  fl.ok = false;
  CHECK(unlabeled_clusters(fl, label_points).empty());
}

TEST_CASE("lidar overlay: inspector rows carry the label's statistics", "[lidar_view]") {
  std::vector<Object> labels(3);
  FrameLidar fl;
  fl.ok = true;
  fl.labels.resize(3);
  LabelLidarStats& a = fl.labels[0];
  a.valid = true;
  a.n_in = 120;
  a.n_shell = 7;
  a.ground_offset = 0.4;
  a.ground_seen = true;
  a.cluster = 2;
  a.cluster_share = 0.75;
  a.n_out = 40;
  a.overflow = {0.1, 0.0, 0.9, 0.3, 0.2};  // largest beyond the left face
  fl.labels[1].valid = false;              // a DontCare
  // labels[2]: valid but nothing around it
  fl.labels[2].valid = true;

  const auto rows = lidar_label_rows(labels, fl);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].valid);
  CHECK(rows[0].label == 0);
  CHECK(rows[0].n_in == 120);
  CHECK(rows[0].n_shell == 7);
  CHECK(rows[0].ground_offset == Approx(0.4));
  CHECK(rows[0].ground_seen);
  CHECK(rows[0].cluster == 2);
  CHECK(rows[0].cluster_share == Approx(0.75));
  CHECK(rows[0].n_out == 40);
  CHECK(rows[0].max_overflow == Approx(0.9));
  CHECK(std::string(overflow_face_name(rows[0].max_overflow_face)) == "left");
  CHECK_FALSE(rows[0].has_expected);  // no LidarModel given
  CHECK_FALSE(rows[1].valid);
  CHECK(rows[2].valid);
  CHECK(rows[2].max_overflow_face == -1);
  CHECK(std::string(overflow_face_name(-1)) == "-");
  // No analysis: every row invalid.
  fl.ok = false;
  for (const auto& r : lidar_label_rows(labels, fl)) CHECK_FALSE(r.valid);
}

TEST_CASE("lidar overlay: a hand-built frame's unlabelled box and its label's row",
          "[lidar_view]") {
  // A road, a 4 x 1.8 x 1.5 m box at 15 m with a label, and a 1 x 1 x 1.6 m box at 20 m, 4 m to
  // the left, with none.
  LoadedFrame f;
  f.id = "000000";
  PointCloud cloud;
  for (double x = 3; x <= 45; x += 0.25)
    for (double y = -15; y <= 15; y += 0.25) add_point(cloud, x, y, kGroundZ);
  const int labelled = add_box_sides(cloud, 15, 0, 4.0, 1.8, 1.5);
  const int free_pts = add_box_sides(cloud, 20, 4, 1.0, 1.0, 1.6);
  f.data.cloud = std::move(cloud);
  f.data.ann.calib = test::simple_calib();
  f.data.ann.has_labels = true;
  Object car;
  car.cls = ObjectClass::Car;
  car.type = "Car";
  car.h = 1.6, car.w = 2.0, car.l = 4.2;
  car.loc_cam = {0.0, 1.7, 15.0};       // velodyne (15, 0) on the road: camera (-y, -z, x)
  car.rotation_y = -1.5707963267948966;  // length along camera z (velodyne x)
  f.data.ann.labels.push_back(car);
  derive_frame_data(f);

  REQUIRE(f.lidar.ok);
  REQUIRE(f.unlabeled_clusters.size() == 1);
  const LidarCluster& c = f.lidar.clusters[static_cast<std::size_t>(f.unlabeled_clusters[0])];
  // Its box sits on the free object: centre at camera (-4, ., 20), 1 x 1 m footprint.
  CHECK(c.box.loc_cam.x == Approx(-4.0).margin(0.3));
  CHECK(c.box.loc_cam.z == Approx(20.0).margin(0.3));
  CHECK(std::max(c.box.l, c.box.w) == Approx(1.0).margin(0.35));
  CHECK(c.n_points == static_cast<std::uint32_t>(free_pts));
  CHECK(c.points.size() == static_cast<std::size_t>(free_pts));

  const auto rows = lidar_label_rows(f.data.ann.labels, f.lidar);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].valid);
  CHECK(rows[0].n_in == static_cast<std::uint32_t>(labelled));  // every side point is inside
  CHECK(std::abs(rows[0].ground_offset) < 0.1);                  // the box stands on the road
  CHECK(rows[0].cluster >= 0);
  CHECK(rows[0].cluster_share == Approx(1.0));
  CHECK(rows[0].n_out == 0);
}

TEST_CASE("lidar overlay: toggles through the command table", "[lidar_view]") {
  test::FakeHost h;
  test::open_fake_session(h.s, 3, {0, 1, 2});
  CHECK(h.s.display.show_clusters);  // on by default
  CHECK_FALSE(h.s.display.show_ground);
  const Command* clusters = find_command("view.toggle_clusters");
  const Command* ground = find_command("view.toggle_ground");
  REQUIRE(clusters);
  REQUIRE(ground);
  CHECK(std::string(clusters->script) == "toggle clusters");
  CHECK(std::string(ground->script) == "toggle ground");
  CHECK(command_for_chord('U', 0) == clusters);
  CHECK(command_for_chord('E', 0) == ground);
  run_command(*clusters, h);
  run_command(*ground, h);
  CHECK_FALSE(h.s.display.show_clusters);
  CHECK(h.s.display.show_ground);
}

TEST_CASE("lidar overlay: the lidar finding kinds have tags, colours and help", "[lidar_view]") {
  const char* kinds[] = {kind::kEmptyBox, kind::kBoxFit, kind::kImplausibleSize, kind::kOffGround,
                         kind::kUnlabeledCluster};
  std::set<std::string> tags;
  for (const auto& k : finding_kind_help()) tags.insert(finding_kind_tag(k.kind));
  CHECK(tags.size() == finding_kind_help().size());  // every tag distinct
  for (const char* k : kinds) {
    INFO(k);
    CHECK(std::string(finding_kind_tag(k)) != "?");
    const Rgb c = finding_kind_color(k);
    CHECK_FALSE((c.r == 140 && c.g == 140 && c.b == 150));  // not the unknown-kind grey
    bool in_help = false;
    for (const auto& h : finding_kind_help()) in_help = in_help || std::string(h.kind) == k;
    CHECK(in_help);
  }
}
