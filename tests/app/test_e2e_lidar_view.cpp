// End-to-end tests of the viewer's lidar layers (issue 8): on a demo set with a removed label the
// object left without a label is drawn as a cyan cluster box on the camera image and in the 3D
// view, and the toggle removes it. Runs the real `needle view` under Xvfb like test_e2e_view.cpp
// (the viewer runner is shared: tests/support/viewer_run.h). The box edges are
// projected with the test's own geometry (tests/support/reference_geometry.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "needle/dataset.h"
#include "needle/demo.h"
#include "needle/kitti_io.h"
#include "support/reference_geometry.h"
#include "support/test_support.h"
#include "support/viewer_run.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// 'text' for the shell, built by append (GCC 12's -Wrestrict misfires on "'" + std::string).
std::string quoted(const std::string& text) {
  std::string q(1, '\'');
  q.append(text);
  q.push_back('\'');
  return q;
}

using needle::test::have_xvfb;
using needle::test::run_view;
using Run = needle::test::ViewRun;

struct Shot {
  needle::Image img;
  bool cyan(int x, int y) const {  // the cluster colour (overlay_style.h: 0, 255, 255)
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) return false;
    const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(img.width) +
                           static_cast<std::size_t>(x)) *
                          3;
    return img.rgb[i] < 60 && img.rgb[i + 1] > 200 && img.rgb[i + 2] > 200;
  }
  bool cyan_near(double x, double y, int radius) const {
    const int cx = static_cast<int>(std::lround(x)), cy = static_cast<int>(std::lround(y));
    for (int dy = -radius; dy <= radius; ++dy)
      for (int dx = -radius; dx <= radius; ++dx)
        if (cyan(cx + dx, cy + dy)) return true;
    return false;
  }
  long cyan_in(const json& r) const {
    long n = 0;
    for (int y = r.at("y").get<int>(); y < r.at("y").get<int>() + r.at("h").get<int>(); ++y)
      for (int x = r.at("x").get<int>(); x < r.at("x").get<int>() + r.at("w").get<int>(); ++x)
        n += cyan(x, y) ? 1 : 0;
    return n;
  }
};

// Screen samples 3 px apart along a box's projected edges (own projection), inside the image
// and away from its border.
std::vector<std::array<double, 2>> edge_samples(const json& box, const std::array<double, 12>& p2,
                                                const json& layout) {
  const json& im = layout.at("image");
  const double ox = im.at("origin_x").get<double>(), oy = im.at("origin_y").get<double>(),
               sc = im.at("scale").get<double>();
  const double iw = im.at("w").get<double>(), ih = im.at("h").get<double>();
  const auto loc = box.at("loc_cam").get<std::vector<double>>();
  const auto hwl = box.at("hwl").get<std::vector<double>>();
  const needle::test::ref_geom::Box b{hwl[0], hwl[1], hwl[2], loc[0],
                                      loc[1], loc[2], box.at("rotation_y").get<double>()};
  std::vector<std::array<double, 2>> out;
  for (const auto& s : needle::test::ref_geom::image_edges(b, p2, 0.1)) {
    const double len = std::hypot(s.u1 - s.u0, s.v1 - s.v0) * sc;
    const int n = std::max(1, static_cast<int>(len / 3.0));
    for (int i = 0; i <= n; ++i) {
      const double t = static_cast<double>(i) / n;
      const double u = s.u0 + (s.u1 - s.u0) * t, v = s.v0 + (s.v1 - s.v0) * t;
      if (u > 3 && v > 3 && u < iw - 3 && v < ih - 3) out.push_back({ox + u * sc, oy + v * sc});
    }
  }
  return out;
}

double cyan_fraction(const Shot& s, const std::vector<std::array<double, 2>>& samples) {
  if (samples.empty()) return 0;
  std::size_t hits = 0;
  for (const auto& p : samples) hits += s.cyan_near(p[0], p[1], 2) ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(samples.size());
}

}  // namespace

TEST_CASE("e2e view: a removed demo label shows as a cyan cluster box, toggled by U",
          "[e2e][view][lidar_view]") {
  if (!have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_lidar_clusters");
  const fs::path demo = tmp / "demo";
  std::string out;
  // 80 frames, the default seed: the injected set holds near, unoccluded missing_label errors.
  std::string demo_cmd = quoted(needle::test::needle_binary());
  demo_cmd.append(" demo ").append(quoted(demo.string())).append(" --frames 80");
  REQUIRE(needle::test::run_command(demo_cmd, &out) == 0);
  const auto injected = needle::read_injected(demo / "injected.json");
  std::vector<needle::InjectedError> removed;
  for (const auto& e : injected)
    if (e.kind == "missing_label" && e.range_m > 0 && e.range_m < 30 && e.occlusion == 0)
      removed.push_back(e);
  INFO(out);
  REQUIRE(!removed.empty());

  std::string script;
  for (const auto& e : removed)
    script.append("frame ")
        .append(e.frame)
        .append("\nwait-loaded\nscreenshot on_")
        .append(e.frame)
        .append(".png\ntoggle clusters\nscreenshot off_")
        .append(e.frame)
        .append(".png\ntoggle clusters\n");
  script += "quit\n";
  needle::test::write_file(tmp / "script.txt", script);
  std::string args = quoted(demo.string());
  args.append(" --script ").append(quoted((tmp / "script.txt").string()));
  const Run run = run_view(args, tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 2 * removed.size());

  const needle::DatasetIndex ds = needle::scan_dataset(demo, {});
  int found = 0;
  for (std::size_t k = 0; k < removed.size(); ++k) {
    const auto& e = removed[k];
    INFO("frame " << e.frame << ", removed object at " << e.range_m << " m: " << e.detail);
    const json& on = run.layouts[2 * k];
    const json& off = run.layouts[2 * k + 1];
    CHECK(on.at("frame") == e.frame);
    const auto frame = ds.find(e.frame);
    REQUIRE(frame);
    const auto p2 = needle::test::ref_geom::read_calib_row(ds.frames[*frame].calib, "P2:");
    REQUIRE(p2);
    // The cluster box at the removed object's range (the test reads the range from injected.json).
    const json* best = nullptr;
    double best_err = 1e9;
    for (const json& b : on.at("clusters").at("camera_boxes")) {
      const auto loc = b.at("loc_cam").get<std::vector<double>>();
      const double err = std::abs(std::hypot(loc[0], loc[2]) - e.range_m);
      if (err < best_err) best_err = err, best = &b;
    }
    CHECK(off.at("clusters").at("camera_boxes").empty());  // hidden: not drawn
    if (!best || best_err > 3.0) continue;                 // this one was not found by the lidar
    ++found;
    const Shot shot_on{needle::load_image(tmp / ("on_" + e.frame + ".png"))};
    const Shot shot_off{needle::load_image(tmp / ("off_" + e.frame + ".png"))};
    const auto samples = edge_samples(*best, *p2, on);
    INFO(samples.size() << " edge samples");
    if (samples.size() < 20) continue;  // barely in the image
    CHECK(cyan_fraction(shot_on, samples) > 0.8);
    CHECK(cyan_fraction(shot_off, samples) < 0.05);
    // The 3D view draws it too (boxes and points in cyan), and not when toggled off.
    const long cyan3d_on = shot_on.cyan_in(on.at("view3d_canvas"));
    const long cyan3d_off = shot_off.cyan_in(off.at("view3d_canvas"));
    CHECK(cyan3d_on > 100);
    CHECK(cyan3d_off < cyan3d_on / 20);
  }
  // The lidar finds most removed near, unoccluded objects (issue 8 asks for >= 0.7 overall).
  CHECK(found * 10 >= static_cast<int>(removed.size()) * 7);
}
