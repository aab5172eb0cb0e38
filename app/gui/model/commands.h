// The command table: every user action of the viewer declared once (id, script form, help, key
// chords, menu place, when it applies, what it does). Keyboard shortcuts and menus (app.cpp), the
// help window (panel_dialogs.cpp), the script runner (script.h) and `needle help --keys` all read
// this one table; tests/app/test_commands.cpp checks it (unique chords, help, verbs, README table).
//
// Contracts:
//  * A command's script form is its literal words (the verb, then any fixed sub-words, e.g.
//    "toggle lidar-image") followed by its parameters. Commands with a key chord or a plain menu
//    item take no parameters; a menu item with `menu_choices` takes exactly one (the choice).
//  * A chord matches when its key is pressed with exactly its Ctrl/Shift modifiers.
//  * run() never touches GL and never waits on disk; what needs the window goes through
//    CommandHost, which the app implements and tests fake.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gui/model/app_state.h"

namespace needle::view {

// What commands need beyond AppState: the window and the app around it.
class CommandHost {
 public:
  virtual ~CommandHost() = default;
  virtual AppState& state() = 0;
  virtual bool frame_ready() const = 0;  // the current frame is loaded, uploaded and drawn
  virtual void request_screenshot(const std::string& path) = 0;
  virtual bool screenshot_pending() const = 0;
  // Input as the window system delivers it (key codes and mods: gui/model/keys.h).
  virtual void press_key(int key, int mods) = 0;
  virtual void type_text(const std::string& text) = 0;
  virtual void drop_path(const std::string& path) = 0;
  virtual void quit() = 0;
  virtual void reset_layout() = 0;  // panel sizes back to the defaults
};

struct Chord {
  int key = -1;                 // gui/model/keys.h
  int mods = 0;                 // keys::kMod* bits, matched exactly
  bool repeat = false;          // fires again while the key is held (stepping through frames)
  const char* label = nullptr;  // shown instead of the key name ("?" for Shift+Slash)
};

enum class ParamKind {
  Index,           // an integer (range checked when run, against the frame)
  Count,           // an integer >= 0
  Number,          // a real number
  PositiveNumber,  // a real number > 0
  Word,            // any word (a name, an id, a path, text)
  Choice,          // one of Param::choices
  KeyName,         // a key name keys::parse_key_name accepts
};

struct Param {
  const char* name;  // as usage shows it: "N", "SET", "FILE"
  ParamKind kind = ParamKind::Word;
  const char* choices = nullptr;  // Choice: "a|b|c"
};

// What a script waits for before the command runs.
enum class ScriptWait {
  Nothing,     // runs at once (quit)
  Ranked,      // a dataset is open and ranked (every command by default)
  FrameDrawn,  // ... and the current frame is loaded, uploaded and drawn
  // A ranking is shown, interim or final, and the current frame is drawn (screenshot-interim)
  InterimDrawn,
  // ... and the find-similar query asked last is answered (similar_view.h)
  SimilarReady,
  PatternsReady,  // ... and the patterns panel's slices for its current choice are computed
  // ... and the shift report against --reference is done (shift_view.h)
  ShiftReady,
};

using CommandParams = std::vector<std::string>;

struct CommandResult {
  std::string error;             // non-empty: the command could not run (why)
  int wait_frames = 0;           // scripts: UI frames to let pass before the next line
  double wait_seconds = 0;       // scripts: seconds to let pass before the next line
  bool wait_screenshot = false;  // scripts: wait until the requested screenshot is written
  bool finish = false;           // scripts: the script ends here
};

struct Command {
  const char* id = nullptr;      // "frame.next": stable name for code and tests
  const char* script = nullptr;  // literal words of the script form: "next", "toggle lidar-image"
  std::vector<Param> params = {};
  const char* help = nullptr;  // one line for the help window, the README and `needle help`
  std::vector<Chord> chords = {};
  const char* menu = nullptr;  // "File", "Go", "View", "Review" or "Help"; null: in no menu
  const char* menu_label = nullptr;
  bool menu_separator_before = false;
  bool (*applies)(const AppState&) = nullptr;  // null: always; keys skip it, menus grey it
  bool (*checked)(const AppState&) = nullptr;  // a menu check mark (toggles)
  // A submenu of values for the single parameter (e.g. recent datasets).
  std::vector<std::string> (*menu_choices)(const AppState&) = nullptr;
  ScriptWait wait = ScriptWait::Ranked;
  // Scripts also wait until this holds (null: nothing more), e.g. a background map is built.
  bool (*ready)(const AppState&) = nullptr;
  CommandResult (*run)(CommandHost&, const CommandParams&) = nullptr;
};

// The table, in the order the help and the README list it.
const std::vector<Command>& commands();
// Builds the table (command_table.cpp); commands() builds it once.
std::vector<Command> make_command_table();
// The review commands (review_commands.cpp), appended by make_command_table.
void add_review_commands(std::vector<Command>& table);
// The compare panel's commands (compare_commands.cpp), appended by make_command_table.
void add_compare_commands(std::vector<Command>& t);
// The patterns panel's commands (patterns_commands.cpp), appended by make_command_table.
void add_patterns_commands(std::vector<Command>& t);
// The Shift window's commands (shift_commands.cpp), appended by make_command_table.
void add_shift_commands(std::vector<Command>& t);
// The embedding map's commands (map_commands.cpp), appended by make_command_table.
void add_map_commands(std::vector<Command>& t);
const Command* find_command(std::string_view id);
// Menus in menu-bar order.
const std::vector<const char*>& menu_names();

bool command_applies(const Command& c, const AppState& s);
// Runs c with its parameters (already checked by the script parser when they come from a script).
CommandResult run_command(const Command& c, CommandHost& host, const CommandParams& params = {});

// "select prediction SET N", "color height|intensity|range".
std::string command_usage(const Command& c);
// "Ctrl+O", "?", "F1".
std::string chord_name(const Chord& k);
// Every chord of c, e.g. "F1 / ?".
std::string chords_text(const Command& c);
// The command bound to exactly this key and modifiers, or null.
const Command* command_for_chord(int key, int mods);

// Keyboard reference: one row per command with a chord (table order), then the mouse.
struct HelpRow {
  std::string keys, text;
};
std::vector<HelpRow> keyboard_help();
// That reference as the Markdown table in README.md (`needle help --keys --markdown`).
std::string keyboard_help_markdown();
// Every script form with its help, one per line (`needle help --script`).
std::string script_help_text();

}  // namespace needle::view
