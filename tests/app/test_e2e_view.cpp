// End-to-end tests of the viewer: each runs the real `needle view` on a private Xvfb (Mesa
// llvmpipe, tests/support/with_xvfb.sh) with --script / --screenshot, reads the PNG back and checks
// pixels, using the layout JSON the app prints (--print-layout) to map image and 3D coordinates to
// screenshot pixels exactly. Index: [helpers] [camera overlays] [rank navigation] [3D selection]
// [level of detail] [invalid data] [scripts]
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "needle/box3d.h"
#include "needle/dataset.h"
#include "needle/demo.h"
#include "needle/kitti_io.h"
#include "needle/pipeline.h"
#include "needle/ranking.h"
#include "support/reference_geometry.h"
#include "support/test_support.h"
#include "support/viewer_run.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// [SECTION] helpers

using needle::test::have_xvfb;
using needle::test::run_view;
using Run = needle::test::ViewRun;

fs::path write_script(const fs::path& dir, const std::string& text) {
  const fs::path p = dir / "script.txt";
  needle::test::write_file(p, text);
  return p;
}

struct Rgb {
  int r, g, b;
};

struct Shot {
  needle::Image img;
  Rgb at(int x, int y) const {
    const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(img.width) +
                           static_cast<std::size_t>(x)) *
                          3;
    return {img.rgb[i], img.rgb[i + 1], img.rgb[i + 2]};
  }
  bool inside(int x, int y) const { return x >= 0 && y >= 0 && x < img.width && y < img.height; }
  // Whether a pixel within `radius` of (x, y) matches.
  template <class Pred>
  bool near(double x, double y, int radius, Pred pred) const {
    const int cx = static_cast<int>(std::lround(x)), cy = static_cast<int>(std::lround(y));
    for (int dy = -radius; dy <= radius; ++dy)
      for (int dx = -radius; dx <= radius; ++dx)
        if (inside(cx + dx, cy + dy) && pred(at(cx + dx, cy + dy))) return true;
    return false;
  }
};

Shot load_shot(const fs::path& p) {
  REQUIRE(fs::exists(p));
  return Shot{needle::load_image(p)};
}

bool close_to(Rgb c, int r, int g, int b, int tol) {
  return std::abs(c.r - r) <= tol && std::abs(c.g - g) <= tol && std::abs(c.b - b) <= tol;
}
// Overlay colours (app/gui/overlay_style.cpp): label Car, prediction Car, selection highlight.
bool is_label_car(Rgb c) {
  return close_to(c, 40, 255, 40, 45);
}
bool is_pred_car(Rgb c) {
  return close_to(c, 255, 50, 200, 45);
}
bool is_highlight(Rgb c) {
  return c.r > 225 && c.g > 225 && c.b < 70;
}
bool is_error_text(Rgb c) {
  return close_to(c, 255, 110, 100, 30);
}

struct ImageMap {
  double ox, oy, scale;
  double x0, y0, x1, y1;  // image rectangle on screen, clipped to the camera canvas
  std::array<double, 2> operator()(double u, double v) const {
    return {ox + u * scale, oy + v * scale};
  }
  bool contains(double x, double y) const { return x >= x0 && y >= y0 && x < x1 && y < y1; }
};

ImageMap image_map(const json& layout) {
  const json& im = layout.at("image");
  REQUIRE(im.at("shown").get<bool>());
  const json& c = layout.at("camera_canvas");
  ImageMap m{im.at("origin_x").get<double>(),
             im.at("origin_y").get<double>(),
             im.at("scale").get<double>(),
             0,
             0,
             0,
             0};
  m.x0 = std::max(m.ox, c.at("x").get<double>());
  m.y0 = std::max(m.oy, c.at("y").get<double>());
  m.x1 = std::min(m.ox + im.at("w").get<double>() * m.scale,
                  c.at("x").get<double>() + c.at("w").get<double>());
  m.y1 = std::min(m.oy + im.at("h").get<double>() * m.scale,
                  c.at("y").get<double>() + c.at("h").get<double>());
  return m;
}

// P2 of a frame, read by the test from the calib file itself (not through needle's parser).
using P2Matrix = std::array<double, 12>;
P2Matrix read_p2(const needle::DatasetIndex& ds, std::size_t frame) {
  const auto p2 = needle::test::ref_geom::read_calib_row(ds.frames[frame].calib, "P2:");
  REQUIRE(p2);
  return *p2;
}

// A box's edges in image pixels with the test's own corners, near-plane clipping and pinhole
// projection (tests/support/reference_geometry.h), not needle's project_box_edges.
std::vector<needle::test::ref_geom::ImageSegment> own_edges(const needle::Object& o,
                                                            const P2Matrix& p2) {
  return needle::test::ref_geom::image_edges(
      {o.h, o.w, o.l, o.loc_cam.x, o.loc_cam.y, o.loc_cam.z, o.rotation_y}, p2, 0.1);
}

// Screen samples along the projected edges of a box (inside the image only), 3 px apart.
std::vector<std::array<double, 2>> edge_samples(const needle::Object& o, const P2Matrix& p2,
                                                const ImageMap& m) {
  std::vector<std::array<double, 2>> out;
  for (const auto& s : own_edges(o, p2)) {
    const auto a = m(s.u0, s.v0), b = m(s.u1, s.v1);
    const double len = std::hypot(b[0] - a[0], b[1] - a[1]);
    const int n = std::max(1, static_cast<int>(len / 3.0));
    for (int i = 0; i <= n; ++i) {
      const double t = static_cast<double>(i) / n;
      const double x = a[0] + (b[0] - a[0]) * t, y = a[1] + (b[1] - a[1]) * t;
      // Keep away from the image border, where the wireframe is clipped.
      if (m.contains(x, y) && x > m.x0 + 3 && y > m.y0 + 3 && x < m.x1 - 3 && y < m.y1 - 3)
        out.push_back({x, y});
    }
  }
  return out;
}

template <class Pred>
double hit_fraction(const Shot& shot, const std::vector<std::array<double, 2>>& samples, int radius,
                    Pred pred) {
  if (samples.empty()) return 0.0;
  std::size_t hits = 0;
  for (const auto& s : samples) hits += shot.near(s[0], s[1], radius, pred) ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(samples.size());
}

double point_segment_distance(double px, double py, std::array<double, 2> a,
                              std::array<double, 2> b) {
  const double dx = b[0] - a[0], dy = b[1] - a[1];
  const double l2 = dx * dx + dy * dy;
  double t = l2 > 0 ? ((px - a[0]) * dx + (py - a[1]) * dy) / l2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(px - (a[0] + t * dx), py - (a[1] + t * dy));
}

needle::DatasetIndex kitti_index(const fs::path& kitti) {
  // Same sets, same order as the viewer opens by default.
  return needle::scan_dataset(kitti, needle::default_prediction_sets(kitti));
}

// Projects a velodyne point with the 3D view's matrix to screenshot pixels.
std::array<double, 2> view3d_to_screen(const json& layout, const needle::Vec3& p) {
  const auto m = layout.at("view3d").at("mvp_column_major").get<std::vector<double>>();
  REQUIRE(m.size() == 16);
  auto row = [&](int r) {
    return m[static_cast<std::size_t>(r)] * p.x + m[static_cast<std::size_t>(4 + r)] * p.y +
           m[static_cast<std::size_t>(8 + r)] * p.z + m[static_cast<std::size_t>(12 + r)];
  };
  const double w = row(3);
  REQUIRE(w > 0);
  const json& c = layout.at("view3d_canvas");
  return {c.at("x").get<double>() + (row(0) / w + 1) * 0.5 * c.at("w").get<double>(),
          c.at("y").get<double>() + (1 - row(1) / w) * 0.5 * c.at("h").get<double>()};
}

}  // namespace

// [SECTION] camera overlays

TEST_CASE("e2e view: label and prediction boxes sit on their projected edges in KITTI 000008",
          "[e2e][view]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  if (!have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_overlays");
  const std::string script =
      "frame 000008\n"
      "screenshot all.png\n"
      "toggle predictions frustum_pointnets_v1\n"
      "screenshot gnn_only.png\n"
      "toggle predictions point_gnn\n"
      "screenshot no_preds.png\n"
      "quit\n";
  const Run run = run_view(
      "'" + kitti.string() + "' --script '" + write_script(tmp, script).string() + "'", tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 3);
  CHECK(run.layouts[0].at("frame") == "000008");

  const needle::DatasetIndex ds = kitti_index(kitti);
  const auto frame = ds.find("000008");
  REQUIRE(frame);
  const needle::FrameAnnotations ann = needle::load_annotations(ds, *frame, true);
  const P2Matrix p2 = read_p2(ds, *frame);
  const ImageMap m = image_map(run.layouts[0]);
  const Shot all = load_shot(tmp / "all.png");

  // Every non-DontCare label: the label colour runs along its projected edges.
  std::vector<std::pair<std::array<double, 2>, std::array<double, 2>>> label_edges;
  for (std::size_t i = 0; i < ann.labels.size(); ++i) {
    const needle::Object& o = ann.labels[i];
    if (!o.has_3d()) continue;
    for (const auto& s : own_edges(o, p2)) label_edges.push_back({m(s.u0, s.v0), m(s.u1, s.v1)});
    const auto samples = edge_samples(o, p2, m);
    if (samples.size() < 20) continue;  // barely visible
    INFO("label " << i << " (" << samples.size() << " samples)");
    CHECK(hit_fraction(all, samples, 2, is_label_car) > 0.8);
  }
  // ... and nowhere far from a label edge inside the image.
  long stray = 0, label_pixels = 0;
  for (int y = static_cast<int>(m.y0); y < static_cast<int>(m.y1); ++y)
    for (int x = static_cast<int>(m.x0); x < static_cast<int>(m.x1); ++x) {
      if (!is_label_car(all.at(x, y))) continue;
      ++label_pixels;
      double best = 1e9;
      for (const auto& e : label_edges)
        best = std::min(best, point_segment_distance(x, y, e.first, e.second));
      if (best > 6.0) ++stray;
    }
  INFO("label-coloured pixels " << label_pixels << ", far from label edges " << stray);
  CHECK(label_pixels > 500);
  CHECK(stray < 20);

  // Point-GNN boxes (frustum set hidden): the prediction style appears along them; with point_gnn
  // hidden too it is gone. Use the boxes far from any label, so label lines cannot cover them.
  const int gnn = 1;  // sets sorted by name: frustum_pointnets_v1, point_gnn
  REQUIRE(ds.pred_sets[static_cast<std::size_t>(gnn)].name == "point_gnn");
  const Shot gnn_only = load_shot(tmp / "gnn_only.png");
  const Shot no_preds = load_shot(tmp / "no_preds.png");
  int checked = 0;
  for (const needle::Object& p : ann.preds[static_cast<std::size_t>(gnn)].objects) {
    double nearest_label = 1e9;
    for (const needle::Object& l : ann.labels)
      if (l.has_3d())
        nearest_label = std::min(nearest_label,
                                 std::hypot(l.loc_cam.x - p.loc_cam.x, l.loc_cam.z - p.loc_cam.z));
    const auto samples = edge_samples(p, p2, m);
    if (nearest_label < 3.0 || samples.size() < 20) continue;
    INFO("point_gnn box at z=" << p.loc_cam.z);
    CHECK(hit_fraction(gnn_only, samples, 2, is_pred_car) > 0.45);  // dashed: ~60 % ink
    CHECK(hit_fraction(no_preds, samples, 2, is_pred_car) < 0.05);
    ++checked;
  }
  CHECK(checked >= 2);
}

// [SECTION] rank navigation

TEST_CASE("e2e view: next-suspicious from the start opens the engine's rank-1 frame",
          "[e2e][view]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  if (!have_xvfb()) return;
  const needle::DatasetIndex ds = kitti_index(kitti);
  std::vector<std::string> names;
  for (const auto& s : ds.pred_sets) names.push_back(s.name);
  // The viewer ranks through the pipeline with `needle rank`'s default options (lidar included).
  const needle::PipelineResult run_direct = needle::run_pipeline(ds, needle::PipelineOptions{});
  REQUIRE(run_direct.status == needle::PipelineStatus::Ok);
  const needle::RankResult& rank = run_direct.rank;
  REQUIRE(!rank.frames.empty());
  const std::size_t second =
      std::min<std::size_t>(1, rank.frames.size() - 1);  // N stops at the last

  const fs::path tmp = needle::test::temp_dir("e2e_rank");
  const std::string script =
      "next-suspicious\nscreenshot r1.png\n"
      "next-suspicious\nscreenshot r2.png\n"
      "prev-suspicious\nscreenshot r1b.png\n"
      "next\nwait-loaded\nscreenshot next.png\nquit\n";
  const Run run = run_view(
      "'" + kitti.string() + "' --script '" + write_script(tmp, script).string() + "'", tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 4);
  CHECK(run.layouts[0].at("frame") == rank.frames[0].frame);
  CHECK(run.layouts[1].at("frame") == rank.frames[second].frame);
  CHECK(run.layouts[2].at("frame") == rank.frames[0].frame);
  // `next` goes to the next frame by id.
  const std::size_t i = *ds.find(rank.frames[0].frame);
  if (i + 1 < ds.frames.size()) CHECK(run.layouts[3].at("frame") == ds.frames[i + 1].id);
}

// [SECTION] first impression and ranking options

// The frame --open first-label-error must open: the first in rank order whose top finding is not
// invalid_data.
const needle::FrameRank* first_label_error(const needle::RankResult& r) {
  for (const needle::FrameRank& f : r.frames)
    if (!f.findings.empty() && f.findings.front().kind != "invalid_data") return &f;
  return nullptr;
}

TEST_CASE("e2e view: --open first-label-error opens the demo's top label error, finding selected",
          "[e2e][view]") {
  if (!have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_first_label_error");
  const fs::path demo = tmp / "demo";
  REQUIRE(needle::test::run_command("'" + needle::test::needle_binary() + "' demo '" +
                                    demo.string() + "' --frames 60 >/dev/null 2>&1") == 0);
  const needle::DatasetIndex ds = needle::scan_dataset(demo, needle::default_prediction_sets(demo));
  for (const char* evidence : {"all", "lidar"}) {
    INFO("--evidence " << evidence);
    needle::PipelineOptions o;
    o.evidence = needle::parse_evidence(evidence);
    const needle::PipelineResult direct = needle::run_pipeline(ds, o);
    REQUIRE(direct.status == needle::PipelineStatus::Ok);
    REQUIRE(!direct.rank.frames.empty());
    // Broken files rank first (the demo breaks at least one file from 20 frames on) ...
    CHECK(direct.rank.frames.front().findings.front().kind == "invalid_data");
    // ... and the first impression skips them.
    const needle::FrameRank* want = first_label_error(direct.rank);
    REQUIRE(want != nullptr);

    const Run run = run_view("'" + demo.string() + "' --evidence " + evidence +
                                 " --open first-label-error --script '" +
                                 write_script(tmp,
                                              "wait-loaded\nscreenshot first.png\n"
                                              "first\nscreenshot by_id.png\nquit\n")
                                     .string() +
                                 "'",
                             tmp);
    INFO(run.output);
    REQUIRE(run.code == 0);
    REQUIRE(run.layouts.size() == 2);
    const json& l = run.layouts[0];
    CHECK(l.at("frame") == want->frame);
    CHECK(l.at("rank_method") == "needle");
    CHECK(l.at("selection").at("top_finding_kind") == want->findings.front().kind);
    CHECK(l.at("selection").at("top_finding_kind") != "invalid_data");
    CHECK(l.at("selection").at("finding") == 0);
    CHECK(l.at("selection").at("finding_kind") == want->findings.front().kind);
    CHECK(l.at("problems").empty());  // a frame whose files are fine
    // Going elsewhere drops the selection (it belonged to the first frame).
    CHECK(run.layouts[1].at("selection").at("finding") == -1);
  }
}

TEST_CASE("e2e view: ranking options from the command line and from script verbs", "[e2e][view]") {
  if (!have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_rank_options");
  const fs::path demo = tmp / "demo";
  REQUIRE(needle::test::run_command("'" + needle::test::needle_binary() + "' demo '" +
                                    demo.string() + "' --frames 30 >/dev/null 2>&1") == 0);
  const needle::DatasetIndex ds = needle::scan_dataset(demo, needle::default_prediction_sets(demo));
  REQUIRE(ds.pred_sets.size() == 2);
  const std::string old_new = ds.pred_sets[0].name + "," + ds.pred_sets[1].name;
  needle::PipelineOptions mist;
  mist.method = needle::RankMethod::Mistakenness;
  const needle::PipelineResult m = needle::run_pipeline(ds, mist);
  needle::PipelineOptions cmp;
  cmp.compare = old_new;
  const needle::PipelineResult c = needle::run_pipeline(ds, cmp);
  REQUIRE((m.status == needle::PipelineStatus::Ok && c.status == needle::PipelineStatus::Ok));
  REQUIRE(!m.rank.frames.empty());
  REQUIRE(!c.rank.frames.empty());

  const std::string script =
      "next-suspicious\nscreenshot m1.png\n"
      "rank compare " +
      old_new +
      "\nnext-suspicious\nscreenshot c1.png\n"
      "rank compare off\nrank method needle\nrank evidence predictions\nrank min-score 0.5\n"
      "next-suspicious\nscreenshot n1.png\nquit\n";
  const Run run = run_view("'" + demo.string() + "' --method mistakenness --script '" +
                               write_script(tmp, script).string() + "'",
                           tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 3);
  CHECK(run.layouts[0].at("rank_method") == "mistakenness");
  CHECK(run.layouts[0].at("frame") == m.rank.frames[0].frame);
  CHECK(run.layouts[1].at("rank_method") == "compare");
  CHECK(run.layouts[1].at("frame") == c.rank.frames[0].frame);
  needle::PipelineOptions last;
  last.evidence = needle::Evidence::Predictions;
  last.min_finding_score = 0.5;
  const needle::PipelineResult n = needle::run_pipeline(ds, last);
  REQUIRE(!n.rank.frames.empty());
  CHECK(run.layouts[2].at("rank_method") == "needle");
  CHECK(run.layouts[2].at("frame") == n.rank.frames[0].frame);
  // Options the pipeline refuses are usage errors before any window opens.
  std::string out;
  CHECK(needle::test::run_command("'" + needle::test::needle_binary() + "' view '" + demo.string() +
                                      "' --evidence lidar --compare " + old_new + " 2>&1",
                                  &out) == 2);
  CHECK(out.find("--compare needs --evidence predictions or all") != std::string::npos);
}

// [SECTION] 3D selection

TEST_CASE("e2e view: selecting a label highlights it in the 3D view and the camera view",
          "[e2e][view]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  if (!have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_select");
  // Last shot: every box hidden, so only the highlighted points can be yellow in the 3D view.
  const std::string script =
      "frame 000008\nscreenshot before.png\nselect label 3\nscreenshot after.png\n"
      "toggle labels\ntoggle predictions point_gnn\ntoggle predictions frustum_pointnets_v1\n"
      "screenshot points.png\nquit\n";
  const Run run = run_view(
      "'" + kitti.string() + "' --script '" + write_script(tmp, script).string() + "'", tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 3);
  const Shot before = load_shot(tmp / "before.png"), after = load_shot(tmp / "after.png");
  const Shot points = load_shot(tmp / "points.png");

  const json& c = run.layouts[1].at("view3d_canvas");
  const int x0 = c.at("x").get<int>(), y0 = c.at("y").get<int>();
  const int x1 = x0 + c.at("w").get<int>(), y1 = y0 + c.at("h").get<int>();
  auto count = [&](const Shot& s, double* cx, double* cy) {
    long n = 0;
    double sx = 0, sy = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x)
        if (is_highlight(s.at(x, y))) {
          ++n;
          sx += x;
          sy += y;
        }
    if (cx && n) *cx = sx / static_cast<double>(n), *cy = sy / static_cast<double>(n);
    return n;
  };
  double cx = 0, cy = 0, bx = 0, by = 0;
  const long n_before = count(before, nullptr, nullptr);
  const long n_after = count(after, &bx, &by);    // box halo + points
  const long n_points = count(points, &cx, &cy);  // points inside the box only
  INFO("highlight pixels in the 3D view: before " << n_before << ", after " << n_after
                                                  << ", points only " << n_points);
  CHECK(n_before < 10);
  CHECK(n_after > 200);
  CHECK(n_points > 300);

  // The highlight sits on label 3: its centre projected with the view's own matrix.
  const needle::DatasetIndex ds = kitti_index(kitti);
  const needle::FrameAnnotations ann = needle::load_annotations(ds, *ds.find("000008"), true);
  const needle::Object& o = ann.labels.at(3);
  const needle::Vec3 centre =
      ann.calib->rect_to_velo({o.loc_cam.x, o.loc_cam.y - o.h / 2, o.loc_cam.z});
  const auto p = view3d_to_screen(run.layouts[2], centre);
  INFO("highlight centroid " << cx << "," << cy << " vs projected label centre " << p[0] << ","
                             << p[1]);
  CHECK(std::hypot(cx - p[0], cy - p[1]) < 40.0);
  CHECK(std::hypot(bx - p[0], by - p[1]) < 40.0);
  // Selecting centres the 3D camera on the object.
  CHECK(std::abs(p[0] - (x0 + x1) / 2.0) < 2.0);
  CHECK(std::abs(p[1] - (y0 + y1) / 2.0) < 2.0);

  // Camera view: the highlight halo runs along the label's projected edges, and only after
  // selecting.
  const ImageMap m = image_map(run.layouts[1]);
  const auto samples = edge_samples(o, read_p2(ds, *ds.find("000008")), m);
  REQUIRE(samples.size() > 20);
  CHECK(hit_fraction(after, samples, 3, is_highlight) > 0.8);
  CHECK(hit_fraction(before, samples, 3, is_highlight) < 0.05);
}

// [SECTION] level of detail

TEST_CASE("e2e view: the 3D view at rest after an orbit is the picture of that view drawn directly",
          "[e2e][view]") {
  // While the camera moves the 3D view (and the lidar overlay of the camera view) draw a
  // decimated cloud; the first frame with the camera at rest must redraw every point. One run
  // turns the camera in steps of 10 degrees, one UI frame apart (each one a decimated picture);
  // the other sets the final yaw once. The 3D canvas and the camera canvas must match exactly.
  NEEDLE_KITTI_OR_SKIP(kitti);
  if (!have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_lod");
  const fs::path orbit_dir = tmp / "orbit", direct_dir = tmp / "direct";
  fs::create_directories(orbit_dir);
  fs::create_directories(direct_dir);
  const Run orbit = run_view("'" + kitti.string() + "' --size 1600x900 --script '" +
                                 write_script(orbit_dir,
                                              "frame 000008\nwait-loaded\nscreenshot start.png\n"
                                              "view yaw 10\nview yaw 20\nview yaw 30\n"
                                              "view yaw 40\nscreenshot shot.png\nquit\n")
                                     .string() +
                                 "'",
                             orbit_dir);
  INFO(orbit.output);
  REQUIRE(orbit.code == 0);
  const Run direct = run_view("'" + kitti.string() + "' --size 1600x900 --script '" +
                                  write_script(direct_dir,
                                               "frame 000008\nview yaw 40\nwait-loaded\n"
                                               "screenshot shot.png\nquit\n")
                                      .string() +
                                  "'",
                              direct_dir);
  INFO(direct.output);
  REQUIRE(direct.code == 0);
  REQUIRE(orbit.layouts.size() == 2);
  REQUIRE(direct.layouts.size() == 1);
  CHECK(orbit.layouts[1].at("view3d_canvas") == direct.layouts[0].at("view3d_canvas"));
  const Shot start = load_shot(orbit_dir / "start.png");
  const Shot a = load_shot(orbit_dir / "shot.png"), b = load_shot(direct_dir / "shot.png");
  REQUIRE(a.img.width == b.img.width);
  REQUIRE(a.img.height == b.img.height);
  auto differing = [](const Shot& x, const Shot& y, const json& rect) {
    const int x0 = rect.at("x").get<int>(), y0 = rect.at("y").get<int>();
    const int x1 = x0 + rect.at("w").get<int>(), y1 = y0 + rect.at("h").get<int>();
    long n = 0;
    for (int yy = y0; yy < y1; ++yy)
      for (int xx = x0; xx < x1; ++xx) {
        const Rgb p = x.at(xx, yy), q = y.at(xx, yy);
        if (p.r != q.r || p.g != q.g || p.b != q.b) ++n;
      }
    return n;
  };
  const json& view3d = direct.layouts[0].at("view3d_canvas");
  const json& camera = direct.layouts[0].at("camera_canvas");
  CHECK(differing(start, a, view3d) > 10000);  // the camera did turn
  CHECK(differing(a, b, view3d) == 0);
  CHECK(differing(a, b, camera) == 0);
}

// [SECTION] invalid data

TEST_CASE("e2e view: an invalid demo frame shows its error in place and the app keeps running",
          "[e2e][view]") {
  if (!have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_invalid");
  const fs::path demo = tmp / "demo";
  std::string out;
  REQUIRE(needle::test::run_command(
              "'" + needle::test::needle_binary() + "' demo '" + demo.string() + "' --frames 30",
              &out) == 0);
  const auto injected = needle::read_injected(demo / "injected.json");
  std::vector<needle::InjectedError> invalid;
  for (const auto& e : injected)
    if (e.kind == "truncated_bin" || e.kind == "corrupt_png" || e.kind == "bad_label_line")
      invalid.push_back(e);
  REQUIRE(!invalid.empty());

  std::string script;
  for (const auto& e : invalid)
    script += "frame " + e.frame + "\nscreenshot bad_" + e.frame + ".png\nnext\nwait-loaded\n";
  script += "first\nscreenshot first.png\nquit\n";
  const Run run = run_view(
      "'" + demo.string() + "' --script '" + write_script(tmp, script).string() + "'", tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);  // never crashes, stays navigable
  REQUIRE(run.layouts.size() == invalid.size() + 1);
  for (std::size_t k = 0; k < invalid.size(); ++k) {
    const auto& e = invalid[k];
    const json& l = run.layouts[k];
    INFO("frame " << e.frame << " kind " << e.kind);
    CHECK(l.at("frame") == e.frame);
    const Shot shot = load_shot(tmp / ("bad_" + e.frame + ".png"));
    std::string panel = "inspector";
    if (e.kind == "corrupt_png") {
      CHECK(l.at("camera_error").get<std::string>().find(e.frame + ".png") != std::string::npos);
      panel = "camera";
    } else if (e.kind == "truncated_bin") {
      CHECK(l.at("view3d_error").get<std::string>().find(e.frame + ".bin") != std::string::npos);
      panel = "view3d";
    }
    CHECK(!l.at("problems").empty());
    // The error text is drawn (in its red) inside the panel that cannot show its data.
    const json& r = l.at("panels").at(panel);
    long red = 0;
    for (int y = r.at("y").get<int>(); y < r.at("y").get<int>() + r.at("h").get<int>(); ++y)
      for (int x = r.at("x").get<int>(); x < r.at("x").get<int>() + r.at("w").get<int>(); ++x)
        red += is_error_text(shot.at(x, y)) ? 1 : 0;
    CHECK(red > 100);
  }
  CHECK(run.layouts.back().at("frame") == "000000");
}

// [SECTION] scripts

TEST_CASE("e2e view: script errors name the script line and exit 2", "[e2e][view]") {
  const fs::path tmp = needle::test::temp_dir("e2e_script_errors");
  // Unknown actions are rejected before any window opens (no display needed).
  const fs::path bad = tmp / "bad.txt";
  needle::test::write_file(bad, "# comment\nnext\n\nfly-to-the-moon 3\n");
  std::string out;
  int code = needle::test::run_command(
      "'" + needle::test::needle_binary() + "' view /nonexistent --script '" + bad.string() + "'",
      &out);
  CHECK(code == 2);
  CHECK(out.find("bad.txt:4") != std::string::npos);
  CHECK(out.find("fly-to-the-moon") != std::string::npos);
  needle::test::write_file(bad, "view sideways\n");
  code = needle::test::run_command(
      "'" + needle::test::needle_binary() + "' view /nonexistent --script '" + bad.string() + "'",
      &out);
  CHECK(code == 2);
  CHECK(out.find("bad.txt:1") != std::string::npos);
  needle::test::write_file(bad, "key N\nkey Ctrl+Shift+Right\nkey Hyper+X\n");
  code = needle::test::run_command(
      "'" + needle::test::needle_binary() + "' view /nonexistent --script '" + bad.string() + "'",
      &out);
  CHECK(code == 2);
  CHECK(out.find("bad.txt:3") != std::string::npos);
  CHECK(out.find("unknown key name") != std::string::npos);
}

// A test of its own: a test decides to skip before its first assertion (test_support.h).
TEST_CASE("e2e view: a label index not in the frame is a script error at run time", "[e2e][view]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  if (!have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_script_index");
  const Run run = run_view(
      "'" + kitti.string() + "' --script '" +
          write_script(tmp, "frame 000008\nwait-loaded\nselect label 42\nquit\n").string() + "'",
      tmp);
  INFO(run.output);
  CHECK(run.code == 2);
  CHECK(run.output.find("script.txt:3") != std::string::npos);
}

TEST_CASE("e2e view: --frame --screenshot --size renders one frame and exits", "[e2e][view]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  if (!have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_screenshot");
  const Run run = run_view(
      "'" + kitti.string() + "' --frame 000001 --screenshot shot.png --size 1280x720", tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 1);
  CHECK(run.layouts[0].at("frame") == "000001");
  CHECK(run.layouts[0].at("frame_loaded") == true);
  const Shot shot = load_shot(tmp / "shot.png");
  CHECK(shot.img.width == 1280);
  CHECK(shot.img.height == 720);
  // The camera image is drawn where the layout says: its pixels are not the background.
  const ImageMap m = image_map(run.layouts[0]);
  long varied = 0;
  for (int y = static_cast<int>(m.y0) + 2; y < static_cast<int>(m.y1) - 2; y += 7)
    for (int x = static_cast<int>(m.x0) + 2; x < static_cast<int>(m.x1) - 2; x += 7) {
      const Rgb c = shot.at(x, y);
      varied += (c.r + c.g + c.b > 120) ? 1 : 0;
    }
  CHECK(varied > 1000);
  // Automated runs never write the user's config.
  CHECK_FALSE(fs::exists(tmp / "config" / "needle" / "viewer.json"));
  // An unknown frame id is a usage error.
  const Run missing = run_view("'" + kitti.string() + "' --frame 999999 --screenshot x.png", tmp);
  CHECK(missing.code == 2);
  CHECK(missing.output.find("999999") != std::string::npos);
}

// [SECTION] keyboard, dialogs, drop

TEST_CASE("e2e view: keyboard shortcuts, go-to-frame, Open dialog and a dropped folder",
          "[e2e][view]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  if (!have_xvfb()) return;
  const needle::DatasetIndex ds = kitti_index(kitti);
  std::vector<std::string> names;
  for (const auto& s : ds.pred_sets) names.push_back(s.name);
  // The viewer ranks through the pipeline with `needle rank`'s default options (lidar included).
  const needle::PipelineResult run_direct = needle::run_pipeline(ds, needle::PipelineOptions{});
  REQUIRE(run_direct.status == needle::PipelineStatus::Ok);
  const needle::RankResult& rank = run_direct.rank;
  REQUIRE(!rank.frames.empty());
  const fs::path training = kitti / "training";
  REQUIRE(fs::is_directory(training));

  const fs::path tmp = needle::test::temp_dir("e2e_keys");
  // Every key goes through the ImGui GLFW backend exactly as a key press from X would.
  const std::string script =
      "key N\nwait-loaded\nscreenshot n.png\n"
      "key End\nwait-loaded\nscreenshot end.png\n"
      "key Home\nwait-loaded\nscreenshot home.png\n"
      "key Right\nwait-loaded\nscreenshot right.png\n"
      "key Left\nwait-loaded\nscreenshot left.png\n"
      "key G\ntype 000007\nkey Enter\nwait-loaded\nscreenshot goto.png\n"
      "drop " +
      training.string() +
      "\nwait-loaded\nscreenshot drop.png\n"
      "key Ctrl+O\nkey Ctrl+A\ntype " +
      kitti.string() +
      "\nkey Enter\n"
      "frame 000003\nwait-loaded\nscreenshot open.png\nquit\n";
  const Run run = run_view(
      "'" + kitti.string() + "' --script '" + write_script(tmp, script).string() + "'", tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 8);
  CHECK(run.layouts[0].at("frame") == rank.frames[0].frame);  // N from the start: rank 1
  CHECK(run.layouts[1].at("frame") == ds.frames.back().id);
  CHECK(run.layouts[2].at("frame") == ds.frames.front().id);
  CHECK(run.layouts[3].at("frame") == ds.frames[1].id);
  CHECK(run.layouts[4].at("frame") == ds.frames.front().id);
  CHECK(run.layouts[5].at("frame") == "000007");
  // The dropped folder is now the open dataset (its own root, no prediction sets).
  CHECK(run.layouts[6].at("dataset") == training.string());
  CHECK(run.layouts[6].at("frame") == ds.frames.front().id);
  // Ctrl+O, select all, type the path, Enter: the original dataset is open again.
  CHECK(run.layouts[7].at("dataset") == kitti.string());
  CHECK(run.layouts[7].at("frame") == "000003");
}

TEST_CASE("e2e view: the frame list keeps the current frame visible", "[e2e][view]") {
  if (!have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_list");
  const fs::path demo = tmp / "demo";
  std::string out;
  // 150 frames: far more rows than the list shows at 1600x900.
  REQUIRE(needle::test::run_command("'" + needle::test::needle_binary() + "' demo '" +
                                        demo.string() + "' --frames 150 --no-lidar",
                                    &out) == 0);
  const std::string script =
      "order id\nkey End\nwait-loaded\nscreenshot a.png\n"
      "key Home\nwait-loaded\nscreenshot b.png\n"
      "frame 000090\nwait-loaded\nscreenshot c.png\n"
      "key Right\nwait-loaded\nscreenshot d.png\n"
      "order rank\nkey N\nwait-loaded\nscreenshot e.png\nquit\n";
  const Run run = run_view(
      "'" + demo.string() + "' --script '" + write_script(tmp, script).string() + "'", tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 5);
  CHECK(run.layouts[0].at("frame") == "000149");
  CHECK(run.layouts[1].at("frame") == "000000");
  CHECK(run.layouts[2].at("frame") == "000090");
  CHECK(run.layouts[3].at("frame") == "000091");
  for (const json& l : run.layouts) {
    INFO("frame " << l.at("frame"));
    CHECK(l.at("list_current_visible") == true);
  }
}

// [SECTION] 3D views rendered ahead

TEST_CASE("e2e view: a 3D view rendered ahead is the picture drawn on arrival", "[e2e][view]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  if (!have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_ahead");
  // Wait on a frame so that its neighbours are loaded and rendered ahead, then step to them.
  const std::string ahead =
      "frame 000007\nwait-loaded\nwait-frames 30\nkey Right\nwait-loaded\nscreenshot a8.png\n"
      "wait-frames 30\nkey Left\nwait-loaded\nscreenshot a7.png\nquit\n";
  const std::string direct =
      "frame 000008\nwait-loaded\nscreenshot d8.png\n"
      "frame 000007\nwait-loaded\nscreenshot d7.png\nquit\n";
  const fs::path dir_a = tmp / "a", dir_d = tmp / "d";
  fs::create_directories(dir_a);
  fs::create_directories(dir_d);
  const Run a = run_view(
      "'" + kitti.string() + "' --script '" + write_script(dir_a, ahead).string() + "'", dir_a);
  const Run d = run_view(
      "'" + kitti.string() + "' --script '" + write_script(dir_d, direct).string() + "'", dir_d);
  INFO(a.output << d.output);
  REQUIRE(a.code == 0);
  REQUIRE(d.code == 0);
  REQUIRE(a.layouts.size() == 2);
  REQUIRE(d.layouts.size() == 2);
  CHECK(a.layouts[0].at("frame") == "000008");
  CHECK(a.layouts[1].at("frame") == "000007");
  // The shortcut was taken: both frames came from the views uploaded and rendered ahead...
  CHECK(a.layouts[0].at("view3d_rendered_ahead") == true);
  CHECK(a.layouts[1].at("view3d_rendered_ahead") == true);
  CHECK(d.layouts[0].at("view3d_rendered_ahead") == false);
  // ... and they are pixel for pixel what opening the frame directly draws.
  for (int k = 0; k < 2; ++k) {
    const std::string id = k == 0 ? "8" : "7";
    const Shot sa = load_shot(dir_a / ("a" + id + ".png"));
    const Shot sd = load_shot(dir_d / ("d" + id + ".png"));
    // The 3D view and the camera view (image texture, lidar points on it, overlays).
    for (const char* canvas : {"view3d_canvas", "camera_canvas"}) {
      const json& r = a.layouts[static_cast<std::size_t>(k)].at(canvas);
      REQUIRE(r == d.layouts[static_cast<std::size_t>(k)].at(canvas));
      long differ = 0, lit = 0;
      for (int y = r.at("y").get<int>(); y < r.at("y").get<int>() + r.at("h").get<int>(); ++y)
        for (int x = r.at("x").get<int>(); x < r.at("x").get<int>() + r.at("w").get<int>(); ++x) {
          const Rgb p = sa.at(x, y), q = sd.at(x, y);
          differ += (p.r != q.r || p.g != q.g || p.b != q.b) ? 1 : 0;
          lit += (p.r + p.g + p.b > 150) ? 1 : 0;
        }
      INFO("frame 00000" << id << ", " << canvas);
      CHECK(lit > 5000);  // points, image and boxes are there
      CHECK(differ == 0);
    }
  }
}
