// Index: [lookup and running] [help text]   (the table itself: command_table.cpp)
#include "gui/model/commands.h"

#include <algorithm>
#include <string>

#include "gui/model/keys.h"

namespace needle::view {

// [SECTION] lookup and running

const std::vector<Command>& commands() {
  static const std::vector<Command> kTable = make_command_table();
  return kTable;
}

const std::vector<const char*>& menu_names() {
  static const std::vector<const char*> kMenus = {"File", "Go", "View", "Review", "Help"};
  return kMenus;
}

const Command* find_command(std::string_view id) {
  for (const Command& c : commands())
    if (id == c.id) return &c;
  return nullptr;
}

bool command_applies(const Command& c, const AppState& s) {
  return !c.applies || c.applies(s);
}

CommandResult run_command(const Command& c, CommandHost& host, const CommandParams& params) {
  if (params.size() != c.params.size()) {
    CommandResult r;
    r.error = std::string(c.script) + ": expected " + std::to_string(c.params.size()) +
              " argument(s), got " + std::to_string(params.size());
    return r;
  }
  return c.run(host, params);
}

const Command* command_for_chord(int key, int mods) {
  for (const Command& c : commands())
    for (const Chord& k : c.chords)
      if (k.key == key && k.mods == mods) return &c;
  return nullptr;
}

// [SECTION] help text

std::string command_usage(const Command& c) {
  std::string u = c.script;
  for (const Param& p : c.params) u += std::string(" ") + (p.choices ? p.choices : p.name);
  return u;
}

std::string chord_name(const Chord& k) {
  return k.label ? k.label : keys::key_name(k.key, k.mods);
}

std::string chords_text(const Command& c) {
  std::string s;
  for (const Chord& k : c.chords) s += (s.empty() ? "" : " / ") + chord_name(k);
  return s;
}

namespace {
// The mouse is not a command: its gestures live in the panels that handle them
// (panel_view3d.cpp, panel_camera.cpp).
const std::vector<HelpRow>& mouse_rows() {
  static const std::vector<HelpRow> kRows = {
      {"mouse, 3D view", "left drag orbit, right drag pan, wheel zoom"},
      {"mouse, camera view", "wheel zoom, drag pan, double-click reset"}};
  return kRows;
}
}  // namespace

std::vector<HelpRow> keyboard_help() {
  std::vector<HelpRow> rows;
  for (const Command& c : commands())
    if (!c.chords.empty()) rows.push_back({chords_text(c), c.help});
  for (const HelpRow& r : mouse_rows()) rows.push_back(r);
  return rows;
}

std::string keyboard_help_markdown() {
  std::string md = "| Key | Action |\n|---|---|\n";
  for (const Command& c : commands()) {
    if (c.chords.empty()) continue;
    std::string keys_md;
    for (const Chord& k : c.chords)
      keys_md += (keys_md.empty() ? "`" : " / `") + chord_name(k) + "`";
    md += "| " + keys_md + " | " + c.help + " |\n";
  }
  for (const HelpRow& r : mouse_rows()) md += "| " + r.keys + " | " + r.text + " |\n";
  return md;
}

std::string script_help_text() {
  std::size_t width = 0;
  for (const Command& c : commands()) width = std::max(width, command_usage(c).size());
  std::string out;
  for (const Command& c : commands()) {
    const std::string u = command_usage(c);
    out += u + std::string(width + 2 - u.size(), ' ') + c.help;
    if (!c.chords.empty()) out += " [" + chords_text(c) + "]";
    out += '\n';
  }
  return out;
}

}  // namespace needle::view
