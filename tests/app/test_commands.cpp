// The command table (app/gui/model/commands.h): every user action declared once. Checks the table
// itself (unique chords, ids and script forms; help and a verb for each), that README.md's key
// table is the one generated from it, key names, and what a few commands do, without a window.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "gui/model/commands.h"
#include "gui/model/keys.h"
#include "gui/model/script.h"
#include "model_fixture.h"

using namespace needle::view;
using needle::test::FakeHost;

namespace {

// A valid word for a parameter, to write an example line for each command.
std::string example_word(const Param& p) {
  switch (p.kind) {
    case ParamKind::Index:
      return "0";
    case ParamKind::Count:
      return "3";
    case ParamKind::Number:
      return "0.5";
    case ParamKind::PositiveNumber:
      return "2";
    case ParamKind::Choice: {
      const std::string c = p.choices;
      return c.substr(0, c.find('|'));
    }
    case ParamKind::KeyName:
      return "N";
    case ParamKind::Word:
      return "x";
  }
  return "x";
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("no two commands share a key chord", "[commands]") {
  std::set<std::pair<int, int>> seen;
  int chords = 0;
  for (const Command& c : commands())
    for (const Chord& k : c.chords) {
      INFO(c.id << ": " << chord_name(k));
      CHECK(k.key >= 0);
      CHECK(seen.insert({k.key, k.mods}).second);
      ++chords;
    }
  // N P Right Left Home End G Escape B R C L Ctrl+O F1 ? Ctrl+Q: the keys the viewer had before
  // the table, each still bound; then U (unlabelled clusters) and E (ground estimate), issue 8;
  // M (compare panel), issue 10; the review's 15 (issue 11): T F2 Shift+I I J K A X O 1 2 3 4 V
  // Shift+N; find similar's F3 and Shift+A (issue 11 §4); the patterns panel's Shift+P (#12 §1);
  // the embedding map's Shift+M (#12 §2).
  CHECK(chords == 38);
}

TEST_CASE("every command has an id, help text and a script verb, each unique", "[commands]") {
  std::set<std::string> ids, forms;
  for (const Command& c : commands()) {
    INFO(c.id);
    REQUIRE(c.id != nullptr);
    REQUIRE(c.script != nullptr);
    REQUIRE(c.run != nullptr);
    CHECK(ids.insert(c.id).second);
    CHECK(forms.insert(command_usage(c)).second);
    REQUIRE(c.help != nullptr);
    CHECK(std::string(c.help).size() > 3);
    CHECK(!std::string(c.script).empty());
    if (c.menu) {
      CHECK(c.menu_label != nullptr);
      bool known = false;
      for (const char* m : menu_names()) known = known || std::string(m) == c.menu;
      CHECK(known);
    }
    // Keys and plain menu items run without arguments; a submenu passes its one choice.
    if (!c.chords.empty() || (c.menu && !c.menu_choices)) CHECK(c.params.empty());
    if (c.menu_choices) CHECK(c.params.size() == 1);
    for (const Param& p : c.params)
      if (p.kind == ParamKind::Choice) CHECK(p.choices != nullptr);
  }
}

TEST_CASE("every command's script form parses back to that command", "[commands][script]") {
  for (const Command& c : commands()) {
    std::string line = c.script;
    CommandParams params;
    for (const Param& p : c.params) {
      params.push_back(example_word(p));
      line += " " + params.back();
    }
    INFO(line);
    const std::vector<ScriptAction> a = parse_script(line + "\n", "t.txt");
    REQUIRE(a.size() == 1);
    CHECK(std::string(a[0].command->id) == c.id);
    CHECK(a[0].params == params);
  }
}

TEST_CASE("the script verbs the e2e tests and README use are all in the table", "[commands]") {
  // Every verb of the viewer's script language before the command table (README, tests/app).
  const char* const kVerbs[] = {"next-suspicious",
                                "prev-suspicious",
                                "next",
                                "prev",
                                "first",
                                "last",
                                "frame",
                                "select",
                                "toggle",
                                "view",
                                "color",
                                "boxes",
                                "point-size",
                                "min-score",
                                "order",
                                "wait-loaded",
                                "wait-frames",
                                "screenshot",
                                "key",
                                "type",
                                "drop",
                                "quit"};
  for (const char* v : kVerbs) {
    bool found = false;
    for (const Command& c : commands()) {
      const std::string s = c.script;
      found = found || s.substr(0, s.find(' ')) == v;
    }
    INFO(v);
    CHECK(found);
  }
}

TEST_CASE("README's keyboard table is the one generated from the command table", "[commands]") {
  const std::string readme = read_text(std::filesystem::path(NEEDLE_SOURCE_DIR) / "README.md");
  const std::string begin = "<!-- keys:begin";
  const std::string end = "<!-- keys:end -->";
  const std::size_t b = readme.find(begin);
  REQUIRE(b != std::string::npos);
  const std::size_t table = readme.find('\n', b) + 1;
  const std::size_t e = readme.find(end, table);
  REQUIRE(e != std::string::npos);
  INFO("regenerate with: needle help --keys --markdown");
  CHECK(readme.substr(table, e - table) == keyboard_help_markdown());
}

TEST_CASE("the help rows list every chord and the mouse", "[commands]") {
  const std::vector<HelpRow> rows = keyboard_help();
  bool help_row = false;
  for (const HelpRow& r : rows)
    help_row = help_row || (r.keys == "F1 / ?" && r.text == "keyboard help");
  CHECK(help_row);
  CHECK(rows.back().keys.find("mouse") == 0);
  CHECK(keyboard_help_markdown().find("| `Ctrl+O` | open a dataset folder") != std::string::npos);
}

TEST_CASE("key names parse to GLFW codes and back", "[commands][keys]") {
  int key = 0, mods = 0;
  // GLFW's codes (glfw3.h): 'O' = 79, Right = 262, F12 = 301, Slash = 47; Shift 1, Ctrl 2.
  REQUIRE(keys::parse_key_name("Ctrl+O", &key, &mods));
  CHECK(key == 79);
  CHECK(mods == 2);
  REQUIRE(keys::parse_key_name("Right", &key, &mods));
  CHECK(key == 262);
  CHECK(mods == 0);
  REQUIRE(keys::parse_key_name("Shift+Ctrl+Slash", &key, &mods));
  CHECK(key == 47);
  CHECK(mods == 3);
  REQUIRE(keys::parse_key_name("F12", &key, &mods));
  CHECK(key == 301);
  REQUIRE(keys::parse_key_name("n", &key, &mods));
  CHECK(key == 78);
  CHECK_FALSE(keys::parse_key_name("Hyper+X", &key, &mods));
  CHECK_FALSE(keys::parse_key_name("F13", &key, &mods));
  CHECK_FALSE(keys::parse_key_name("Ctrl+", &key, &mods));
  CHECK(keys::key_name(79, 2) == "Ctrl+O");
  CHECK(keys::key_name(256, 0) == "Escape");
  for (const Command& c : commands())
    for (const Chord& k : c.chords) {
      INFO(c.id);
      REQUIRE(keys::parse_key_name(keys::key_name(k.key, k.mods), &key, &mods));
      CHECK(key == k.key);
      CHECK(mods == k.mods);
    }
}

TEST_CASE("a chord finds its command only with exactly its modifiers", "[commands][keys]") {
  const Command* n = command_for_chord(keys::letter('N'), 0);
  REQUIRE(n != nullptr);
  CHECK(std::string(n->id) == "frame.next_suspicious");
  CHECK(command_for_chord(keys::letter('N'), keys::kModControl) == nullptr);
  CHECK(std::string(command_for_chord(keys::letter('N'), keys::kModShift)->id) ==
        "review.next_unreviewed");
  REQUIRE(command_for_chord(keys::letter('O'), keys::kModControl) != nullptr);
  CHECK(std::string(command_for_chord(keys::letter('O'), keys::kModControl)->id) ==
        "dataset.open_dialog");
  CHECK(command_for_chord(keys::letter('O'), keys::kModShift) == nullptr);
  CHECK(std::string(command_for_chord(keys::kSlash, keys::kModShift)->id) == "help.toggle");
}

TEST_CASE("navigation commands apply only with a dataset open, open, help and quit always",
          "[commands]") {
  FakeHost h;
  for (const char* id : {"frame.next", "frame.next_suspicious", "view.reset", "select.none"})
    CHECK_FALSE(command_applies(*find_command(id), h.s));
  for (const char* id : {"dataset.open_dialog", "help.toggle", "app.quit"})
    CHECK(command_applies(*find_command(id), h.s));
  needle::test::open_fake_session(h.s, 5, {});
  CHECK(command_applies(*find_command("frame.next"), h.s));
}

TEST_CASE("commands change the state as their help says", "[commands]") {
  FakeHost h;
  needle::test::open_fake_session(h.s, 10, {7, 2, 9});

  SECTION("reset camera keeps bird's-eye mode") {
    h.s.camera3d.bev = true;
    h.s.camera3d.yaw = 1.0f;
    h.s.camera3d.distance = 99.0f;
    CHECK(run_command(*find_command("view.reset"), h).error.empty());
    const OrbitCamera fresh;
    CHECK(h.s.camera3d.bev);
    CHECK(h.s.camera3d.yaw == fresh.yaw);
    CHECK(h.s.camera3d.distance == fresh.distance);
    h.s.camera3d.bev = false;
    run_command(*find_command("view.reset"), h);
    CHECK_FALSE(h.s.camera3d.bev);
  }
  SECTION("C cycles the point colour height -> intensity -> range -> height") {
    const Command& c = *command_for_chord(keys::letter('C'), 0);
    CHECK(h.s.display.point_color == PointColorMode::Height);
    run_command(c, h);
    CHECK(h.s.display.point_color == PointColorMode::Intensity);
    run_command(c, h);
    CHECK(h.s.display.point_color == PointColorMode::Range);
    run_command(c, h);
    CHECK(h.s.display.point_color == PointColorMode::Height);
  }
  SECTION("N opens rank 1, then rank 2; Right steps by id") {
    const Command& n = *command_for_chord(keys::letter('N'), 0);
    run_command(n, h);
    CHECK(h.s.frame == 7);
    run_command(n, h);
    CHECK(h.s.frame == 2);
    run_command(*command_for_chord(keys::kRight, 0), h);
    CHECK(h.s.frame == 3);
  }
  SECTION("toggles and settings with parameters") {
    CHECK(run_command(*find_command("show.toggle_predictions"), h, {"b"}).error.empty());
    CHECK(h.s.display.show_pred[1] == 0);
    CHECK(h.s.display.show_pred[0] == 1);
    CHECK(run_command(*find_command("show.toggle_predictions"), h, {"zzz"}).error ==
          "no prediction set 'zzz'");
    CHECK(run_command(*find_command("show.min_score"), h, {"a", "0.25"}).error.empty());
    CHECK(h.s.display.min_score[0] == 0.25f);
    CHECK(run_command(*find_command("show.toggle_class"), h, {"Car"}).error.empty());
    CHECK_FALSE(h.s.display.show_class[static_cast<std::size_t>(needle::ObjectClass::Car)]);
    CHECK_FALSE(run_command(*find_command("show.toggle_class"), h, {"Boat"}).error.empty());
    CHECK(run_command(*find_command("frame.goto"), h, {"5"}).error.empty());
    CHECK(h.s.frame == 5);
    CHECK(run_command(*find_command("frame.goto"), h, {"42"}).error == "no frame with id '42'");
    CHECK(run_command(*find_command("frame.goto"), h).error.find("expected 1 argument") !=
          std::string::npos);
  }
  SECTION("dialogs, layout, quit and raw input go through the host") {
    run_command(*command_for_chord(keys::letter('G'), 0), h);
    CHECK(h.s.show_goto);
    run_command(*command_for_chord(keys::letter('O'), keys::kModControl), h);
    CHECK(h.s.show_open_dialog);
    run_command(*find_command("layout.reset"), h);
    CHECK(h.layout_resets == 1);
    const CommandResult q =
        run_command(*command_for_chord(keys::letter('Q'), keys::kModControl), h);
    CHECK(h.quit_called);
    CHECK(q.finish);
    const CommandResult k = run_command(*find_command("script.key"), h, {"Ctrl+O"});
    REQUIRE(h.keys_pressed.size() == 1);
    CHECK(h.keys_pressed[0] == std::make_pair(keys::letter('O'), keys::kModControl));
    CHECK(k.wait_frames > 0);
  }
}

TEST_CASE("the commands the app runs by id exist", "[commands]") {
  // app.cpp (the Open dialog) and view_command.cpp (--screenshot) name these.
  for (const char* id : {"dataset.open", "script.wait_loaded", "script.screenshot", "app.quit"}) {
    INFO(id);
    CHECK(find_command(id) != nullptr);
  }
}
