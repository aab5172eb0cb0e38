// End to end (issue 8 §4): while the lidar pass runs, the real viewer shows an interim ranking
// and says so ("ranking: lidar 37% - list will refine"); scripts' ordinary actions still wait for
// the final ranking. Runs `needle view` under Xvfb (tests/support/viewer_run.h).
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "needle/kitti_io.h"
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

}  // namespace

TEST_CASE(
    "e2e view: an interim ranking is shown while the lidar pass runs, scripts wait for the "
    "final",
    "[e2e][view][interim]") {
  if (!needle::test::have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_interim");
  const fs::path demo = tmp / "demo";
  std::string out;
  // 60 frames without images; the viewer analyses every scan on one thread, with no cache: a
  // lidar pass of seconds, while loading and the first ranking take a fraction of one.
  std::string demo_cmd = quoted(needle::test::needle_binary());
  demo_cmd.append(" demo ").append(quoted(demo.string())).append(" --frames 60 --no-images");
  REQUIRE(needle::test::run_command(demo_cmd, &out) == 0);

  needle::test::write_file(tmp / "script.txt",
                           "screenshot-interim interim.png\nscreenshot final.png\nquit\n");
  std::string args = quoted(demo.string());
  args.append(" --no-cache --threads 1 --script ").append(quoted((tmp / "script.txt").string()));
  const needle::test::ViewRun run = needle::test::run_view(args, tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 2);
  const json& interim = run.layouts[0];
  const json& final_ = run.layouts[1];
  CHECK(interim.at("ranking_state") == "interim");
  const std::string text = interim.at("ranking_text").get<std::string>();
  CHECK(text.rfind("ranking: lidar ", 0) == 0);
  CHECK(text.find("% - list will refine") != std::string::npos);
  CHECK(interim.at("rank_method") == "needle");
  // The plain screenshot waited for the final ranking.
  CHECK(final_.at("ranking_state") == "final");
  CHECK(final_.at("ranking_text") == "");
  // Both were written and are whole windows.
  const needle::Image a = needle::load_image(tmp / "interim.png");
  const needle::Image b = needle::load_image(tmp / "final.png");
  CHECK(a.width == 1600);
  CHECK(b.width == 1600);
}
