// End-to-end test of the embedding map window (issue #12 §2): the real `needle view` on a private
// Xvfb opens the map (Shift+M's script verb), waits for the background build, selects the 12
// rarest objects (the gallery and the frame-list filter), then a box, then opens the first
// selected object; the layout report must show what `needle map` says (the same pipeline: the
// rarest objects in the same order) and the frame list must shrink to the selection's frames.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "support/viewer_run.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string q(const std::string& text) {
  std::string s("'");
  s.append(text).append("'");
  return s;
}

}  // namespace

TEST_CASE("e2e map: rarest objects and a box selection in the map window", "[e2e][map]") {
  if (!needle::test::have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_map");
  const fs::path demo = tmp / "demo";
  {
    std::string cmd = q(needle::test::needle_binary());
    // Images for the gallery's crops; no scans: the map needs no lidar and builds faster.
    cmd.append(" demo ").append(q(demo.string())).append(" --frames 30 --no-lidar >/dev/null 2>&1");
    REQUIRE(needle::test::run_command(cmd) == 0);
  }
  const fs::path script = tmp / "map.txt";
  needle::test::write_file(script,
                           "toggle map\n"
                           "map rarest 12\n"
                           "wait-frames 20\n"
                           "screenshot map_rarest.png\n"
                           "map colour finding\n"
                           "map select-box 0 0 0.5 0.5\n"
                           "wait-frames 5\n"
                           "screenshot map_box.png\n"
                           "map open 1\n"
                           "wait-loaded\n"
                           "wait-frames 5\n"
                           "screenshot map_open.png\n"
                           "quit\n");
  std::string cmd = "cd ";
  cmd.append(q(tmp.string())).append(" && XDG_CONFIG_HOME=").append(q((tmp / "config").string()));
  cmd.append(" XDG_CACHE_HOME=").append(q((tmp / "cache").string())).append(" ");
  cmd.append(q(std::string(NEEDLE_SOURCE_DIR) + "/tests/support/with_xvfb.sh")).append(" ");
  cmd.append(q(needle::test::needle_binary())).append(" view ").append(q(demo.string()));
  cmd.append(" --script ").append(q(script.string())).append(" --check-gl --print-layout -");
  std::string out;
  const int code = needle::test::run_command(cmd, &out);
  INFO(out);
  REQUIRE(code == 0);
  for (const char* png : {"map_rarest.png", "map_box.png", "map_open.png"})
    REQUIRE(fs::exists(tmp / png));
  std::vector<json> layouts;
  std::istringstream lines(out);
  const std::string tag = "NEEDLE-LAYOUT ";
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(tag, 0) == 0) layouts.push_back(json::parse(line.substr(tag.size())));
  REQUIRE(layouts.size() == 3);

  // 1. The 12 rarest, in the order `needle map --rarest 12` gives (same seed, same pipeline).
  std::string cli = "XDG_CACHE_HOME=" + q((tmp / "cache").string()) + " " +
                    q(needle::test::needle_binary()) + " map " + q(demo.string()) +
                    " --rarest 12 --out " + q((tmp / "rarest.json").string()) + " 2>/dev/null";
  REQUIRE(needle::test::run_command(cli) == 0);
  std::ifstream in(tmp / "rarest.json");
  const json rarest = json::parse(in);
  const json& m1 = layouts[0].at("map");
  CHECK(m1.at("ready") == true);
  REQUIRE(m1.at("selected").size() == 12);
  for (std::size_t i = 0; i < 12; ++i) CHECK(m1["selected"][i] == rarest["objects"][i]["ref"]);
  CHECK(m1.at("points") == rarest.at("count"));
  // The frame list shows exactly the selection's frames.
  std::set<std::string> frames;
  for (const auto& o : rarest["objects"]) frames.insert(o["frame"].get<std::string>());
  CHECK(m1.at("selected_frames").get<std::size_t>() == frames.size());
  CHECK(layouts[0]["review"]["list_rows"].get<std::size_t>() <= frames.size());

  // 2. A box: some objects, fewer than all; the colour mode is the finding kind.
  const json& m2 = layouts[1].at("map");
  CHECK(m2.at("colour") == 1);
  CHECK(m2.at("selected").size() > 0);
  CHECK(m2.at("selected").size() < m2.at("points").get<std::size_t>());
  // 3. Opening the first selected object: its frame is current.
  const std::string first = m2["selected"][0].get<std::string>();
  CHECK(layouts[2].at("frame") == first.substr(0, first.find('/')));
}
