// Script parsing and the script runner (app/gui/model/script.h) without a window: good lines
// resolve to their commands, bad lines name FILE:LINE and what was expected, and the runner waits
// for the ranking, the frame, key releases and screenshots as its contract says.
#include <catch2/catch.hpp>

#include "gui/model/script.h"
#include "model_fixture.h"

using namespace needle::view;
using needle::test::FakeHost;

namespace {

// The message parse_script throws for `text`, "" when it parses.
std::string parse_error(const std::string& text) {
  try {
    parse_script(text, "s.txt");
  } catch (const ScriptError& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("script lines resolve to commands with their parameters", "[script]") {
  const std::string text =
      "# a comment\n"
      "\n"
      "next-suspicious\r\n"
      "frame 000008\n"
      "   select prediction point_gnn 2   \n"
      "select none\n"
      "toggle lidar-image\n"
      "toggle predictions frustum_pointnets_v1\n"
      "view reset\n"
      "color intensity\n"
      "min-score point_gnn -0.5\n"
      "key Ctrl+O\n"
      "screenshot a.png\n"
      "quit\n";
  const std::vector<ScriptAction> a = parse_script(text, "s.txt");
  REQUIRE(a.size() == 12);
  auto id = [&](std::size_t i) { return std::string(a[i].command->id); };
  CHECK(id(0) == "frame.next_suspicious");
  CHECK(a[0].line == 3);  // comments and blank lines count as lines
  CHECK(id(1) == "frame.goto");
  CHECK(a[1].params == CommandParams{"000008"});
  CHECK(id(2) == "select.prediction");
  CHECK(a[2].params == CommandParams{"point_gnn", "2"});
  CHECK(a[2].line == 5);
  CHECK(id(3) == "select.none");
  CHECK(id(4) == "camera.toggle_lidar");
  CHECK(id(5) == "show.toggle_predictions");
  CHECK(id(6) == "view.reset");
  CHECK(id(7) == "view.color");
  CHECK(a[7].params == CommandParams{"intensity"});
  CHECK(id(8) == "show.min_score");
  CHECK(a[8].params == CommandParams{"point_gnn", "-0.5"});
  CHECK(id(9) == "script.key");
  CHECK(id(10) == "script.screenshot");
  CHECK(id(11) == "app.quit");
  CHECK(a[11].line == 14);
  CHECK(parse_script("", "s.txt").empty());
  CHECK(parse_script("# only a comment\n\n", "s.txt").empty());
}

TEST_CASE("bad script lines name the file, the line and what was expected", "[script]") {
  std::string e = parse_error("# comment\nnext\n\nfly-to-the-moon 3\n");
  CHECK(has(e, "s.txt:4: unknown action 'fly-to-the-moon'"));
  CHECK(has(e, "next-suspicious"));  // the list of known verbs
  e = parse_error("view sideways\n");
  CHECK(has(e, "s.txt:1: "));
  CHECK(has(e, "expected bev, orbit, reset or yaw"));
  e = parse_error("next\nselect label x\n");
  CHECK(has(e, "s.txt:2: 'select label x': expected an index"));
  CHECK(has(e, "usage: select none | select label N"));
  e = parse_error("select\n");
  CHECK(has(e, "expected none, label, prediction or finding"));
  e = parse_error("next 3\n");
  CHECK(has(e, "s.txt:1: wrong arguments for 'next' (usage: next)"));
  e = parse_error("select prediction point_gnn\n");
  CHECK(has(e, "wrong arguments for 'select prediction'"));
  e = parse_error("key N\nkey Ctrl+Shift+Right\nkey Hyper+X\n");
  CHECK(has(e, "s.txt:3: "));
  CHECK(has(e, "unknown key name"));
  CHECK(has(parse_error("wait-frames -1\n"), "expected a count"));
  CHECK(has(parse_error("point-size 0\n"), "expected a positive number"));
  CHECK(has(parse_error("min-score a high\n"), "expected a number"));
  CHECK(has(parse_error("color purple\n"), "expected height, intensity or range"));
  CHECK(has(parse_error("boxes 4d\n"), "expected 3d, 2d or both"));
  CHECK(has(parse_error("order\n"), "wrong arguments for 'order'"));
  CHECK(parse_error("color cycle\ncolor range\n").empty());
}

TEST_CASE("the runner waits for the ranking, then runs lines until one has to wait", "[script]") {
  FakeHost h;
  ScriptRunner r(parse_script("next\nkey N\nscreenshot a.png\nnext\nquit\n", "s.txt"), "s.txt");
  // No dataset yet: nothing runs.
  CHECK(r.step(h) == ScriptRunner::Status::Running);
  CHECK(h.keys_pressed.empty());
  needle::test::open_fake_session(h.s, 10, {4});
  // `next` and `key N` run; the key is released over the next two UI frames.
  CHECK(r.step(h) == ScriptRunner::Status::Running);
  CHECK(h.s.frame == 1);
  REQUIRE(h.keys_pressed.size() == 1);
  CHECK(r.step(h) == ScriptRunner::Status::Running);
  CHECK(h.shots.empty());
  // The screenshot waits for the frame to be drawn.
  h.ready = false;
  CHECK(r.step(h) == ScriptRunner::Status::Running);
  CHECK(h.shots.empty());
  h.ready = true;
  CHECK(r.step(h) == ScriptRunner::Status::Running);
  CHECK(h.shots == std::vector<std::string>{"a.png"});
  CHECK(r.step(h) == ScriptRunner::Status::Running);  // still writing it
  CHECK(h.s.frame == 1);
  h.shot_pending = false;
  CHECK(r.step(h) == ScriptRunner::Status::Finished);  // next, quit
  CHECK(h.s.frame == 2);
  CHECK(h.quit_called);
}

TEST_CASE("a line that fails when run stops the script at its line", "[script]") {
  FakeHost h;
  needle::test::open_fake_session(h.s, 3, {});
  ScriptRunner r(parse_script("next\n# nothing\nselect label 42\nnext\n", "s.txt"), "s.txt");
  CHECK(r.step(h) == ScriptRunner::Status::Failed);
  CHECK(r.error() == "s.txt:3: select label 42: no label 42 (the frame has 0)");
  CHECK(h.s.frame == 1);  // the line after the failure never ran
}

TEST_CASE("a script that waits too long fails naming the line", "[script]") {
  FakeHost h;
  ScriptRunner r(parse_script("\nnext\n", "s.txt"), "s.txt", -1.0);
  CHECK(r.step(h) == ScriptRunner::Status::Failed);
  CHECK(r.error() == "s.txt:2: timed out waiting for the dataset/ranking");
}

TEST_CASE("actions the app adds are built from command ids", "[script]") {
  const ScriptAction a = script_action("script.screenshot", {"my shot.png"});
  CHECK(std::string(a.command->id) == "script.screenshot");
  CHECK(a.params == CommandParams{"my shot.png"});  // a path with a space stays one parameter
  CHECK_THROWS_AS(script_action("no.such.command"), std::logic_error);
  CHECK_THROWS_AS(script_action("script.screenshot"), std::logic_error);
}
