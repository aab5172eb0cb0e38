// End-to-end: the viewer in compare mode on a demo dataset (`needle demo` writes two prediction
// sets, sim_a and sim_b), under Xvfb with a script: the top regression opens, a summary row click
// (`compare row N`) filters the frame list, N walks it; screenshots are checked for the two box
// styles along the boxes' own projections (reference_geometry.h, not needle's projection) and for
// the legend. The frame ids are checked against `needle rank --compare` and the label files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "needle/dataset.h"
#include "needle/kitti_io.h"
#include "support/reference_geometry.h"
#include "support/test_support.h"
#include "support/viewer_run.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Px {
  int r, g, b;
};

Px pixel(const needle::Image& img, int x, int y) {
  const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(img.width) +
                         static_cast<std::size_t>(x)) *
                        3;
  return {img.rgb[i], img.rgb[i + 1], img.rgb[i + 2]};
}

// The compare styles (app/gui/model/compare_view.h): OLD amber, NEW magenta. Tolerance for
// antialiased edges blended with the image under them.
constexpr int kTol = 40;
bool close_to(Px c, const std::array<int, 3>& ref) {
  return std::abs(c.r - ref[0]) <= kTol && std::abs(c.g - ref[1]) <= kTol &&
         std::abs(c.b - ref[2]) <= kTol;
}
constexpr std::array<int, 3> kOld{255, 170, 0}, kNew{255, 40, 220};

bool near_colour(const needle::Image& img, double x, double y, int radius,
                 const std::array<int, 3>& ref) {
  const int cx = static_cast<int>(std::lround(x)), cy = static_cast<int>(std::lround(y));
  for (int dy = -radius; dy <= radius; ++dy)
    for (int dx = -radius; dx <= radius; ++dx) {
      const int px = cx + dx, py = cy + dy;
      if (px >= 0 && py >= 0 && px < img.width && py < img.height &&
          close_to(pixel(img, px, py), ref))
        return true;
    }
  return false;
}

long count_colour(const needle::Image& img, double x0, double y0, double x1, double y1,
                  const std::array<int, 3>& ref) {
  long n = 0;
  for (int y = std::max(0, static_cast<int>(y0)); y < std::min(img.height, static_cast<int>(y1));
       ++y)
    for (int x = std::max(0, static_cast<int>(x0)); x < std::min(img.width, static_cast<int>(x1));
         ++x)
      n += close_to(pixel(img, x, y), ref) ? 1 : 0;
  return n;
}

// Samples 3 px apart along a box's projected edges (the test's own projection with P2 read from
// the calib file), mapped to the screenshot with the layout's image mapping, inside the image and
// away from its border and from the legend's corner.
std::vector<std::array<double, 2>> edge_samples(const needle::Object& o,
                                                const std::array<double, 12>& p2,
                                                const json& layout) {
  const json& im = layout.at("image");
  const json& cv = layout.at("camera_canvas");
  const double ox = im.at("origin_x"), oy = im.at("origin_y"), s = im.at("scale");
  const double x0 = std::max(ox, cv.at("x").get<double>()) + 3,
               y0 = std::max(oy, cv.at("y").get<double>()) + 3;
  const double x1 = std::min(ox + im.at("w").get<double>() * s,
                             cv.at("x").get<double>() + cv.at("w").get<double>()) -
                    3,
               y1 = std::min(oy + im.at("h").get<double>() * s,
                             cv.at("y").get<double>() + cv.at("h").get<double>()) -
                    3;
  // The legend: at most 320 x 90 px in the canvas's top-right corner.
  const double lx = cv.at("x").get<double>() + cv.at("w").get<double>() - 320,
               ly = cv.at("y").get<double>() + 90;
  std::vector<std::array<double, 2>> out;
  const auto segs = needle::test::ref_geom::image_edges(
      {o.h, o.w, o.l, o.loc_cam.x, o.loc_cam.y, o.loc_cam.z, o.rotation_y}, p2, 0.1);
  for (const auto& e : segs) {
    const double ax = ox + e.u0 * s, ay = oy + e.v0 * s, bx = ox + e.u1 * s, by = oy + e.v1 * s;
    const int n = std::max(1, static_cast<int>(std::hypot(bx - ax, by - ay) / 3.0));
    for (int i = 0; i <= n; ++i) {
      const double t = static_cast<double>(i) / n;
      const double x = ax + (bx - ax) * t, y = ay + (by - ay) * t;
      if (x > x0 && y > y0 && x < x1 && y < y1 && !(x > lx && y < ly)) out.push_back({x, y});
    }
  }
  return out;
}

double hit_fraction(const needle::Image& img, const std::vector<std::array<double, 2>>& samples,
                    const std::array<int, 3>& ref) {
  if (samples.empty()) return 0;
  std::size_t hits = 0;
  for (const auto& p : samples) hits += near_colour(img, p[0], p[1], 2, ref) ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(samples.size());
}

// The devkit's "easy" for a label, by its limits (evaluate_object.cpp: 2D box taller than 40 px,
// occlusion 0, truncation at most 0.15), from the label's fields.
bool devkit_easy(const needle::Object& l) {
  return l.box2d.y2 - l.box2d.y1 > 40.0 && l.occluded <= 0 && l.truncated <= 0.15;
}

// A path in single quotes for the shell (GCC 12 warns, wrongly, on chains of + that start with a
// literal: -Wrestrict).
std::string sh_quoted(const fs::path& p) {
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

bool is_regression(const std::string& k) {
  return k == "regression_miss" || k == "model_class_flip" || k == "new_false_positive";
}

}  // namespace

TEST_CASE("e2e compare: top regression, a summary row filters the list, styles and legend",
          "[e2e][view][compare]") {
  if (!needle::test::have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_compare");
  const fs::path demo = tmp / "demo";
  const std::string needle = sh_quoted(needle::test::needle_binary());
  REQUIRE(needle::test::run_command(needle + " demo " + sh_quoted(demo) +
                                    " --frames 40 >/dev/null 2>&1") == 0);

  // The engine's compare ranking, from the CLI.
  std::string rank_out;
  REQUIRE(needle::test::run_command(needle + " rank " + sh_quoted(demo) +
                                        " --compare sim_a,sim_b --format json 2>/dev/null",
                                    &rank_out) == 0);
  const json ranked = json::parse(rank_out);
  std::string top_regression;
  for (const json& f : ranked.at("frames"))
    if (f.at("findings").at(0).at("kind") != "invalid_data") {
      top_regression = f.at("frame");
      break;
    }
  REQUIRE(!top_regression.empty());

  // Row 1 of the summary is Car, easy (row 0: Car, all difficulties).
  const std::string script =
      "toggle compare\n"
      "first-label-error\n"
      "wait-loaded\n"
      "screenshot top.png\n"
      "compare row 1\n"
      "wait-loaded\n"
      "screenshot row.png\n"
      "next-suspicious\n"
      "wait-loaded\n"
      "toggle compare\n"
      "toggle labels\n"
      "toggle predictions sim_b\n"
      "screenshot old_only.png\n"
      "toggle predictions sim_b\n"
      "toggle predictions sim_a\n"
      "screenshot new_only.png\n"
      "rank compare sim_b,sim_a\n"
      "wait-loaded\n"
      "screenshot swapped.png\n"
      "rank compare off\n"
      "wait-loaded\n"
      "screenshot off.png\n"
      "quit\n";
  needle::test::write_file(tmp / "script.txt", script);
  const needle::test::ViewRun run =
      needle::test::run_view(sh_quoted(demo) + " --compare sim_a,sim_b --size 1600x900 --script " +
                                 sh_quoted(tmp / "script.txt"),
                             tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 6);

  // 1. The top regression is open, its top finding selected.
  const json& top = run.layouts[0];
  CHECK(top.at("rank_method") == "compare");
  CHECK(top.at("frame") == top_regression);
  CHECK(is_regression(top.at("selection").at("finding_kind")));
  const json& cmp = top.at("compare");
  CHECK(cmp.at("old") == "sim_a");
  CHECK(cmp.at("new") == "sim_b");
  CHECK(cmp.at("ready") == true);
  REQUIRE(cmp.at("legend").size() == 2);
  CHECK(cmp.at("legend")[0].at("text") == "OLD sim_a");
  CHECK(cmp.at("legend")[1].at("text") == "NEW sim_b");
  // The inspector's per-label table agrees with the engine: every label of a regression_miss
  // finding of this frame is "regressed" there.
  std::map<int, std::string> outcome;
  for (const json& l : cmp.at("labels")) outcome[l.at("label").get<int>()] = l.at("outcome");
  int misses = 0;
  for (const json& f : ranked.at("frames"))
    if (f.at("frame") == top_regression)
      for (const json& fd : f.at("findings"))
        if (fd.at("kind") == "regression_miss") {
          INFO("label " << fd.at("label"));
          CHECK(outcome[fd.at("label").get<int>()] == "regressed");
          ++misses;
        }
  CHECK(misses > 0);

  // 2. The row click: regressions of easy Cars, listed in rank order, the first open.
  const json& row = run.layouts[1];
  const json& flt = row.at("compare").at("filter");
  CHECK(flt.at("active") == true);
  CHECK(flt.at("class") == "Car");
  CHECK(flt.at("difficulty") == 0);
  const needle::DatasetIndex ds = needle::scan_dataset(demo, needle::default_prediction_sets(demo));
  std::vector<std::string> expected;  // frames with a Car regression on an easy label, rank order
  for (const json& f : ranked.at("frames")) {
    const auto fi = ds.find(f.at("frame").get<std::string>());
    REQUIRE(fi);
    const needle::FrameAnnotations ann = needle::load_annotations(ds, *fi, false);
    bool hit = false;
    for (const json& fd : f.at("findings")) {
      if (!is_regression(fd.at("kind")) || fd.at("class") != "Car" || fd.at("label").is_null())
        continue;
      const std::size_t li = fd.at("label").get<std::size_t>();
      hit = hit || (li < ann.labels.size() && devkit_easy(ann.labels[li]));
    }
    if (hit) expected.push_back(f.at("frame"));
  }
  const auto listed = row.at("compare").at("listed").get<std::vector<std::string>>();
  CHECK(listed == expected);
  REQUIRE(listed.size() >= 2);
  CHECK(row.at("frame") == listed[0]);
  // 3. N walks the filtered list.
  CHECK(run.layouts[2].at("frame") == listed[1]);

  // 4. Pixels. The legend (top-right corner of the camera and 3D canvases) shows both styles.
  const needle::Image shot = needle::load_image(tmp / "top.png");
  for (const char* canvas : {"camera_canvas", "view3d_canvas"}) {
    const json& c = top.at(canvas);
    const double r = c.at("x").get<double>() + c.at("w").get<double>(), t = c.at("y");
    INFO(canvas);
    CHECK(count_colour(shot, r - 320, t, r, t + 110, kOld) > 30);
    CHECK(count_colour(shot, r - 320, t, r, t + 110, kNew) > 30);
  }
  // Each set alone (labels hidden): its colour runs along its own boxes' projected edges, the
  // other set's colour does not; NEW solid (nearly all samples inked), OLD dashed (7 px on, 5 off).
  const json& lay_old = run.layouts[2];
  const json& lay_new = run.layouts[3];
  const auto fi = ds.find(lay_old.at("frame").get<std::string>());
  REQUIRE(fi);
  const needle::FrameAnnotations ann = needle::load_annotations(ds, *fi, false);
  const auto p2 = needle::test::ref_geom::read_calib_row(ds.frames[*fi].calib, "P2:");
  REQUIRE(p2);
  const needle::Image old_only = needle::load_image(tmp / "old_only.png");
  const needle::Image new_only = needle::load_image(tmp / "new_only.png");
  int checked_old = 0, checked_new = 0;
  for (std::size_t set = 0; set < 2; ++set) {  // sets sorted by name: sim_a (OLD), sim_b (NEW)
    const bool is_new = set == 1;
    for (const needle::Object& o : ann.preds[set].objects) {
      if (!o.has_3d()) continue;
      const auto samples = edge_samples(o, *p2, is_new ? lay_new : lay_old);
      if (samples.size() < 30) continue;  // barely visible
      const needle::Image& img = is_new ? new_only : old_only;
      INFO((is_new ? "NEW " : "OLD ") << o.type << " at z=" << o.loc_cam.z);
      const double own = hit_fraction(img, samples, is_new ? kNew : kOld);
      const double other = hit_fraction(img, samples, is_new ? kOld : kNew);
      CHECK(own > (is_new ? 0.8 : 0.4));
      CHECK(other < 0.05);
      ++(is_new ? checked_new : checked_old);
    }
  }
  CHECK(checked_old >= 2);
  CHECK(checked_new >= 2);

  // 5. The sets picked at run time (`rank compare`, as Go > Compare sets and the window's
  // pickers): swapped, the summary is rebuilt for them; off, compare mode ends.
  const json& swapped = run.layouts[4];
  CHECK(swapped.at("rank_method") == "compare");
  CHECK(swapped.at("compare").at("old") == "sim_b");
  CHECK(swapped.at("compare").at("ready") == true);
  CHECK(swapped.at("compare").at("legend")[0].at("text") == "OLD sim_b");
  CHECK(swapped.at("compare").at("filter").at("active") == false);
  const json& off = run.layouts[5];
  CHECK(off.at("rank_method") == "needle");
  CHECK_FALSE(off.contains("compare"));
}

TEST_CASE("e2e compare: the KITTI sample's two detectors, NEW's boxes on its objects",
          "[e2e][view][compare][kitti]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  if (!needle::test::have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_compare_kitti");
  const std::string needle = sh_quoted(needle::test::needle_binary());
  // Frustum PointNets (2018) as OLD, Point-GNN (2020) as NEW (SOURCES.md).
  const std::string sets = "frustum_pointnets_v1,point_gnn";
  std::string rank_out;
  REQUIRE(needle::test::run_command(needle + " rank " + sh_quoted(kitti) + " --compare " + sets +
                                        " --format json 2>/dev/null",
                                    &rank_out) == 0);
  const json ranked = json::parse(rank_out);
  std::string top_regression;
  for (const json& f : ranked.at("frames"))
    if (f.at("findings").at(0).at("kind") != "invalid_data") {
      top_regression = f.at("frame");
      break;
    }
  REQUIRE(!top_regression.empty());
  needle::test::write_file(tmp / "script.txt",
                           "first-label-error\nwait-loaded\ntoggle labels\ntoggle predictions "
                           "frustum_pointnets_v1\nscreenshot new_only.png\nquit\n");
  const needle::test::ViewRun run =
      needle::test::run_view(sh_quoted(kitti) + " --compare " + sets +
                                 " --size 1600x900 --script " + sh_quoted(tmp / "script.txt"),
                             tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 1);
  const json& lay = run.layouts[0];
  CHECK(lay.at("frame") == top_regression);
  CHECK(lay.at("rank_method") == "compare");
  CHECK(lay.at("compare").at("ready") == true);

  const needle::DatasetIndex ds =
      needle::scan_dataset(kitti, needle::default_prediction_sets(kitti));
  const auto fi = ds.find(top_regression);
  REQUIRE(fi);
  REQUIRE(ds.pred_sets[1].name == "point_gnn");  // sets sorted by name
  const needle::FrameAnnotations ann = needle::load_annotations(ds, *fi, false);
  const auto p2 = needle::test::ref_geom::read_calib_row(ds.frames[*fi].calib, "P2:");
  REQUIRE(p2);
  const needle::Image shot = needle::load_image(tmp / "new_only.png");
  int checked = 0;
  for (const needle::Object& o : ann.preds[1].objects) {
    if (!o.has_3d()) continue;
    const auto samples = edge_samples(o, *p2, lay);
    if (samples.size() < 30) continue;
    INFO("point_gnn " << o.type << " at z=" << o.loc_cam.z);
    CHECK(hit_fraction(shot, samples, kNew) > 0.8);
    CHECK(hit_fraction(shot, samples, kOld) < 0.05);
    ++checked;
  }
  CHECK(checked >= 2);
}
