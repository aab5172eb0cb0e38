// End-to-end test of find similar in the viewer (issue 11 §4): the real `needle view` on a
// private Xvfb selects a label, asks for its most similar objects (F3's script verb), waits for
// the background build, adds result 1 to a new issue and takes a screenshot of the Similar
// window; then the CLI reads the store (`needle review ... issue show`) and answers the same
// query (`needle similar`), whose order the viewer's must match.
#include <catch2/catch.hpp>

#include <filesystem>
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

// Runs `needle ARGS` with the test's own descriptor cache; its stdout as JSON.
json cli_json(const fs::path& tmp, const std::string& args) {
  std::string cmd = "XDG_CACHE_HOME=";
  cmd.append(q((tmp / "cache").string())).append(" ").append(q(needle::test::needle_binary()));
  cmd.append(" ").append(args).append(" 2>/dev/null");
  std::string out;
  const int code = needle::test::run_command(cmd, &out);
  INFO("needle " << args << "\n" << out);
  REQUIRE(code == 0);
  return json::parse(out);
}

}  // namespace

TEST_CASE("e2e similar: a script finds an object's look-alikes and files the first in an issue",
          "[e2e][similar][review]") {
  if (!needle::test::have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_similar");
  const fs::path demo = tmp / "demo";
  {
    std::string cmd = q(needle::test::needle_binary());
    cmd.append(" demo ").append(q(demo.string())).append(" --frames 30 >/dev/null 2>&1");
    REQUIRE(needle::test::run_command(cmd) == 0);
  }
  // Frame 000002's first label: a valid frame of the demo set (its broken frames come later).
  const std::string query = "000002/label/0";
  const fs::path script = tmp / "similar.txt";
  needle::test::write_file(script,
                           "frame 000002\n"
                           "wait-loaded\n"
                           "select label 0\n"
                           "similar\n"
                           "issue new look_alike\n"
                           "similar add 1\n"
                           "wait-frames 20\n"
                           "screenshot similar.png\n"
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
  REQUIRE(fs::exists(tmp / "similar.png"));

  const json answer =
      cli_json(tmp, "similar " + q(demo.string()) + " " + query + " --top 20 --format json");
  REQUIRE(answer.at("query") == query);
  const json& results = answer.at("results");
  REQUIRE(results.size() == 20);

  const json issue =
      cli_json(tmp, "review " + q(demo.string()) + " --format json issue show look_alike");
  REQUIRE(issue.at("elements").size() == 1);
  CHECK(issue["elements"][0]["ref"] == results[0]["ref"]);
  CHECK(issue["elements"][0]["state"] == "unsorted");

  // The viewer's order, from its layout report at the screenshot, is the CLI's.
  std::istringstream lines(out);
  json layout;
  const std::string tag = "NEEDLE-LAYOUT ";
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(tag, 0) == 0) layout = json::parse(line.substr(tag.size()));
  REQUIRE(layout.contains("similar"));
  const json& shown = layout["similar"];
  CHECK(shown.at("query") == query);
  REQUIRE(shown.at("results").size() == results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    CHECK(shown["results"][i] == results[i]["ref"]);
  }
}
