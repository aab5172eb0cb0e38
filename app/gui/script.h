// UI scripts: one action per line, so end-to-end tests drive the real app (`--script FILE`).
//
//   next-suspicious | prev-suspicious | next | prev | first | last | frame ID
//   select label N | select prediction SET N | select finding N | select none
//   toggle labels | toggle predictions SET | toggle dontcare | toggle class NAME |
//   toggle lidar-image | toggle grid | toggle scores | toggle heading | toggle help
//   view bev | view orbit | view reset          color height|intensity|range
//   boxes 3d|2d|both    point-size PX    min-score SET VALUE    order rank|id
//   wait-loaded    wait-frames N    screenshot FILE    quit
//   key NAME        a real key press through the GLFW backend, as the keyboard delivers it:
//                   A-Z, 0-9, Right, Left, Up, Down, Home, End, Enter, Escape, Space, Tab,
//                   Backspace, Slash, F1-F12, optionally prefixed Ctrl+ and/or Shift+
//   type TEXT       typed characters (e.g. into the go-to-frame field)
//   drop PATH       a folder dropped on the window (same path as a real drop)
// Blank lines and lines starting with # are ignored. Every action waits for the ranking; select,
// wait-loaded and screenshot also wait until the current frame is loaded and drawn.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gui/app_state.h"

namespace needle::view {

class ScriptError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ScriptAction {
  int line = 0;  // 1-based line in the script file
  std::string verb;
  std::vector<std::string> args;
};

// Throws ScriptError "FILE:LINE: unknown action 'x' (expected ...)" or a wrong-arguments message.
std::vector<ScriptAction> parse_script(std::string_view text, const std::string& file);

class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  virtual AppState& state() = 0;
  virtual bool frame_ready() const = 0;  // the current frame is loaded, uploaded and drawn
  virtual void request_screenshot(const std::string& path) = 0;
  virtual bool screenshot_pending() const = 0;
  // Input as the window system delivers it (key codes are GLFW's; mods GLFW_MOD_* bits).
  virtual void press_key(int key, int mods) = 0;
  virtual void type_text(const std::string& text) = 0;
  virtual void drop_path(const std::string& path) = 0;
};

// GLFW key and modifier bits of a script key name ("Right", "Ctrl+O", "G"); false if unknown.
bool script_key(const std::string& name, int* key, int* mods);

class ScriptRunner {
 public:
  enum class Status { Running, Finished, Failed };
  ScriptRunner(std::vector<ScriptAction> actions, std::string file, double timeout_s = 120.0);
  // Called once per UI frame before the panels; runs actions until one has to wait.
  // On Failed, error() says which line and why.
  Status step(ScriptHost& host);
  const std::string& error() const { return error_; }

 private:
  bool ready_for(const ScriptAction& a, ScriptHost& host) const;
  bool execute(const ScriptAction& a, ScriptHost& host);  // false: error_ set
  std::vector<ScriptAction> actions_;
  std::string file_;
  std::size_t next_ = 0;
  bool waiting_shot_ = false;
  int wait_frames_ = 0;
  double timeout_s_;
  double wait_started_ = -1;  // seconds, steady clock
  std::string error_;
};

}  // namespace needle::view
