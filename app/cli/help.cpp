// needle help --keys [--markdown] | --script
// The viewer's keyboard shortcuts and script actions, printed from the command table
// (app/gui/model/commands.h) that the viewer itself reads. README.md's key table is the output of
// `needle help --keys --markdown` (tests/app/test_commands.cpp checks it is up to date).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "gui/model/commands.h"

namespace needle::cli {

int cmd_help(int argc, char** argv) {
  CLI::App cli{"The viewer's keyboard shortcuts and script actions", "needle help"};
  bool keys = false, markdown = false, script = false;
  cli.add_flag("--keys", keys, "keyboard shortcuts of the viewer");
  cli.add_flag("--markdown", markdown, "with --keys: as the Markdown table in README.md");
  cli.add_flag("--script", script, "every script action (`needle view --script FILE`)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }
  if (keys == script) {
    std::fprintf(stderr, "needle help: give one of --keys or --script\n");
    return 2;
  }
  if (script) {
    std::fputs(view::script_help_text().c_str(), stdout);
  } else if (markdown) {
    std::fputs(view::keyboard_help_markdown().c_str(), stdout);
  } else {
    std::size_t width = 0;
    for (const view::HelpRow& r : view::keyboard_help()) width = std::max(width, r.keys.size());
    for (const view::HelpRow& r : view::keyboard_help())
      std::printf("%-*s  %s\n", static_cast<int>(width), r.keys.c_str(), r.text.c_str());
  }
  return 0;
}

}  // namespace needle::cli
