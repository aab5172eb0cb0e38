// UI scripts: one command per line, so end-to-end tests drive the real app (`--script FILE`).
// Every line is a command of the command table (commands.h) in its script form, e.g.
//   next-suspicious    frame 000008    select prediction point_gnn 2    toggle lidar-image
//   key Ctrl+O         type 000007     wait-loaded    screenshot a.png    quit
// `needle help --script` lists them all. Blank lines and lines starting with # are ignored.
// Every action waits for the ranking; some (select, wait-loaded, screenshot) also wait until the
// current frame is loaded and drawn (Command::wait).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gui/model/commands.h"

namespace needle::view {

class ScriptError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ScriptAction {
  int line = 0;      // 1-based line in the script file; 0 for actions the app adds
  std::string text;  // the line's words, for error messages
  const Command* command = nullptr;
  CommandParams params;
};

// Throws ScriptError "FILE:LINE: unknown action 'x' (expected one of: ...)" or
// "FILE:LINE: ...: expected ... (usage: ...)" for the first bad line.
std::vector<ScriptAction> parse_script(std::string_view text, const std::string& file);
// An action the app adds itself (line 0), e.g. the screenshot of --screenshot. Throws
// std::logic_error for an unknown id or a wrong parameter count (a programming error).
ScriptAction script_action(std::string_view command_id, CommandParams params = {});
// "" when `word` is a valid value for p, else what was expected ("expected an index").
std::string check_param(const Param& p, const std::string& word);

class ScriptRunner {
 public:
  enum class Status { Running, Finished, Failed };
  ScriptRunner(std::vector<ScriptAction> actions, std::string file, double timeout_s = 120.0);
  // Called once per UI frame before the panels; runs actions until one has to wait.
  // On Failed, error() says which line and why.
  Status step(CommandHost& host);
  const std::string& error() const { return error_; }

 private:
  bool ready_for(const ScriptAction& a, CommandHost& host) const;
  std::vector<ScriptAction> actions_;
  std::string file_;
  std::size_t next_ = 0;
  bool waiting_shot_ = false;
  int wait_frames_ = 0;
  double wait_until_ = -1;  // seconds, steady clock; -1 = no timed wait
  double timeout_s_;
  double wait_started_ = -1;  // seconds, steady clock
  std::string error_;
};

}  // namespace needle::view
