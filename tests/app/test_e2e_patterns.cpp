// End-to-end: the patterns panel on a demo dataset under Xvfb with a script. The bars of `range`
// show `needle slices --by range` (the CLI, a separate process); a bar click filters the frame
// list to the frames holding a Car of that range among the evaluated frames (computed here from
// the label files with the test's own range, hypot(x, z)) and outlines those Cars on the camera
// image (pixels checked along the outline, mapped with the layout's image mapping); a heat map of
// range x occlusion has a cell per pair of bins; a curve point click lists frames.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "needle/dataset.h"
#include "needle/kitti_io.h"
#include "support/test_support.h"
#include "support/viewer_run.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string sh_quoted(const fs::path& p) {
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

// The outline colour (panel_patterns.cpp kSelected) and a tolerance for antialiasing.
constexpr int kYellow[3] = {255, 240, 0};
constexpr int kTol = 40;

bool yellow_near(const needle::Image& img, int x, int y) {
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx) {
      const int px = x + dx, py = y + dy;
      if (px < 0 || py < 0 || px >= img.width || py >= img.height) continue;
      const std::size_t i =
          (static_cast<std::size_t>(py) * static_cast<std::size_t>(img.width) +
           static_cast<std::size_t>(px)) * 3;
      if (std::abs(img.rgb[i] - kYellow[0]) <= kTol &&
          std::abs(img.rgb[i + 1] - kYellow[1]) <= kTol &&
          std::abs(img.rgb[i + 2] - kYellow[2]) <= kTol)
        return true;
    }
  return false;
}

}  // namespace

TEST_CASE("e2e patterns: bars, a slice filters the list and outlines its objects, heat map, PR",
          "[e2e][view][patterns]") {
  if (!needle::test::have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_patterns");
  const fs::path demo = tmp / "demo";
  const std::string needle = sh_quoted(needle::test::needle_binary());
  REQUIRE(needle::test::run_command(needle + " demo " + sh_quoted(demo) +
                                    " --frames 40 >/dev/null 2>&1") == 0);

  // The CLI's slices of range (same core, another process).
  std::string cli_out;
  REQUIRE(needle::test::run_command(needle + " slices " + sh_quoted(demo) +
                                        " --pred sim_a --by range --format json 2>/dev/null",
                                    &cli_out) == 0);
  const json cli = json::parse(cli_out);

  // The frames the test expects for bar 2 (range 20-30 m, Car): evaluated frames (a sim_a file,
  // a valid label file) holding a Car whose own range is in [20, 30).
  const needle::DatasetIndex ds = needle::scan_dataset(demo, {{"sim_a", demo / "pred" / "sim_a"}});
  std::vector<std::string> expected;
  std::string shown_frame;
  std::vector<needle::Object> shown_cars;
  for (std::size_t f = 0; f < ds.frames.size(); ++f) {
    if (ds.frames[f].preds[0].empty() || ds.frames[f].label.empty()) continue;
    const needle::FrameAnnotations a = needle::load_annotations(ds, f, false);
    bool bad = !a.has_labels || a.preds[0].status == needle::PredStatus::Invalid;
    for (const needle::Problem& p : a.problems)
      if (p.fatal && (p.modality == "label" || p.modality == "pred:sim_a")) bad = true;
    if (bad) continue;
    std::vector<needle::Object> cars;
    for (const needle::Object& o : a.labels) {
      if (o.type != "Car" || !(o.h > 0 && o.w > 0 && o.l > 0)) continue;
      const double r = std::hypot(o.loc_cam.x, o.loc_cam.z);
      if (r >= 20 && r < 30) cars.push_back(o);
    }
    if (cars.empty()) continue;
    expected.push_back(a.id);
    if (shown_frame.empty()) {
      shown_frame = a.id;
      shown_cars = cars;
    }
  }
  REQUIRE(!expected.empty());

  const std::string script =
      "toggle patterns\n"
      "patterns by range\n"
      "patterns wait\n"
      "screenshot bars.png\n"
      "patterns slice 2\n"
      "frame " + shown_frame + "\n"
      "wait-loaded\n"
      "screenshot slice.png\n"
      "patterns by range,occlusion\n"
      "patterns wait\n"
      "screenshot heat.png\n"
      "patterns point 3 miss\n"
      "screenshot pr.png\n"
      "patterns by range\n"
      "patterns difficulty easy\n"
      "patterns wait\n"
      "screenshot easy.png\n"
      "quit\n";
  needle::test::write_file(tmp / "script.txt", script);
  const needle::test::ViewRun run = needle::test::run_view(
      sh_quoted(demo) + " --size 1600x900 --script " + sh_quoted(tmp / "script.txt"), tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 5);

  // 1. Bars of range for Car: the CLI's AP per bin, in bin order.
  const json& bars = run.layouts[0].at("patterns");
  CHECK(bars.at("ready") == true);
  CHECK(bars.at("class") == "Car");
  const json& rows = bars.at("rows");
  REQUIRE(rows.size() == 6);  // 0-10 ... 50+ m
  int matched = 0;
  for (const json& s : cli.at("slices")) {
    if (s.at("class") != "Car") continue;
    for (const json& r : rows)
      if (!r.is_null() && r.at("slice") == s.at("slice")) {
        CHECK(r.at("value").get<double>() ==
              Approx(s.at("ap").at("moderate").at("r40").get<double>()).margin(1e-3));
        CHECK(r.at("low").get<double>() ==
              Approx(s.at("ap").at("moderate").at("r40_low").get<double>()).margin(1e-3));
        ++matched;
      }
  }
  CHECK(matched >= 4);

  // 2. The slice's frames, and its Cars outlined on the camera image.
  const json& sl = run.layouts[1];
  const json& sp = sl.at("patterns");
  CHECK(sp.at("selected_row") == 2);
  std::vector<std::string> got;
  for (const json& f : sp.at("filter_frames")) got.push_back(f);
  CHECK(got == expected);
  CHECK(sl.at("frame") == shown_frame);
  const needle::Image shot = needle::load_image(tmp / "slice.png");
  const json& im = sl.at("image");
  const double ox = im.at("origin_x"), oy = im.at("origin_y"), sc = im.at("scale");
  for (const needle::Object& car : shown_cars) {
    // The outline is 3 px outside the 2D box; sample its top and bottom edges.
    int hits = 0, samples = 0;
    const double x0 = ox + car.box2d.x1 * sc - 3, x1 = ox + car.box2d.x2 * sc + 3;
    for (double yv : {oy + car.box2d.y1 * sc - 3, oy + car.box2d.y2 * sc + 3})
      for (double x = x0 + 2; x < x1 - 2; x += 2) {
        ++samples;
        hits += yellow_near(shot, static_cast<int>(std::lround(x)), static_cast<int>(std::lround(yv)))
                    ? 1
                    : 0;
      }
    INFO("car at " << car.box2d.x1 << "," << car.box2d.y1);
    CHECK(samples > 0);
    CHECK(hits >= samples * 8 / 10);
  }

  // 3. The heat map: a cell per (range, occlusion) pair.
  const json& heat = run.layouts[2].at("patterns");
  CHECK(heat.at("attribute2") == "occlusion");
  CHECK(heat.at("rows").size() == 6 * 4);
  std::size_t cells = 0;
  for (const json& r : heat.at("rows")) cells += r.is_null() ? 0 : 1;
  CHECK(cells > 0);

  // 4. A curve point's misses: a non-empty list of evaluated frames.
  const json& pr = run.layouts[3].at("patterns");
  CHECK(pr.at("pr_point") == 3);
  CHECK(!pr.at("filter_frames").empty());
  std::set<std::string> all_eval;
  for (std::size_t f = 0; f < ds.frames.size(); ++f)
    if (!ds.frames[f].preds[0].empty()) all_eval.insert(ds.frames[f].id);
  for (const json& f : pr.at("filter_frames")) CHECK(all_eval.count(f.get<std::string>()) == 1);

  // 5. Another difficulty recomputes: the easy AP per bin is the CLI's `--difficulty easy`.
  const json& easy = run.layouts[4].at("patterns");
  CHECK(easy.at("ready") == true);
  CHECK(easy.at("difficulty") == "easy");
  REQUIRE(easy.at("rows").size() == 6);
  std::string easy_out;
  REQUIRE(needle::test::run_command(needle + " slices " + sh_quoted(demo) +
                                        " --pred sim_a --by range --difficulty easy --format "
                                        "json 2>/dev/null",
                                    &easy_out) == 0);
  int easy_matched = 0;
  const json easy_cli = json::parse(easy_out);  // kept alive: the loop reads its members
  for (const json& s : easy_cli.at("slices")) {
    if (s.at("class") != "Car") continue;
    for (const json& r : easy.at("rows"))
      if (!r.is_null() && r.at("slice") == s.at("slice")) {
        CHECK(r.at("value").get<double>() ==
              Approx(s.at("ap").at("easy").at("r40").get<double>()).margin(1e-3));
        ++easy_matched;
      }
  }
  CHECK(easy_matched >= 3);
}
