#include "gui/script.h"

#include <GLFW/glfw3.h>

#include <chrono>
#include <sstream>

#include "gui/actions.h"

namespace needle::view {

namespace {

struct Verb {
  const char* name;
  int min_args, max_args;
  const char* usage;
};
constexpr Verb kVerbs[] = {
    {"next-suspicious", 0, 0, "next-suspicious"},
    {"prev-suspicious", 0, 0, "prev-suspicious"},
    {"next", 0, 0, "next"},
    {"prev", 0, 0, "prev"},
    {"first", 0, 0, "first"},
    {"last", 0, 0, "last"},
    {"frame", 1, 1, "frame ID"},
    {"select", 1, 3, "select label N | select prediction SET N | select finding N | select none"},
    {"toggle", 1, 2,
     "toggle labels|predictions SET|dontcare|class NAME|lidar-image|grid|scores|heading|help"},
    {"view", 1, 1, "view bev|orbit|reset"},
    {"color", 1, 1, "color height|intensity|range"},
    {"boxes", 1, 1, "boxes 3d|2d|both"},
    {"point-size", 1, 1, "point-size PX"},
    {"min-score", 2, 2, "min-score SET VALUE"},
    {"order", 1, 1, "order rank|id"},
    {"wait-loaded", 0, 0, "wait-loaded"},
    {"wait-frames", 1, 1, "wait-frames N"},
    {"screenshot", 1, 1, "screenshot FILE"},
    {"key", 1, 1, "key NAME (e.g. N, Right, Home, G, Enter, Ctrl+O)"},
    {"type", 1, 1, "type TEXT"},
    {"drop", 1, 1, "drop PATH"},
    {"quit", 0, 0, "quit"},
};

bool one_of(const std::string& v, std::initializer_list<const char*> options) {
  for (const char* o : options)
    if (v == o) return true;
  return false;
}

bool parse_int(const std::string& s, int* out) {
  try {
    std::size_t pos = 0;
    const int v = std::stoi(s, &pos);
    if (pos != s.size()) return false;
    *out = v;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool parse_float(const std::string& s, float* out) {
  try {
    std::size_t pos = 0;
    const float v = std::stof(s, &pos);
    if (pos != s.size()) return false;
    *out = v;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// Argument shapes that can be checked without a dataset.
std::string check_args(const ScriptAction& a) {
  const auto& g = a.args;
  const std::string& v = a.verb;
  int n = 0;
  float x = 0;
  if (v == "select") {
    if (g[0] == "label" || g[0] == "finding")
      return g.size() == 2 && parse_int(g[1], &n) ? "" : "expected an index";
    if (g[0] == "prediction")
      return g.size() == 3 && parse_int(g[2], &n) ? "" : "expected a set name and an index";
    if (g[0] == "none") return g.size() == 1 ? "" : "takes no index";
    return "expected label, prediction, finding or none";
  }
  if (v == "toggle") {
    if (one_of(g[0], {"labels", "dontcare", "lidar-image", "grid", "scores", "heading", "help"}))
      return g.size() == 1 ? "" : "takes no further argument";
    if (g[0] == "predictions" || g[0] == "class") return g.size() == 2 ? "" : "expected a name";
    return "expected labels, predictions SET, dontcare, class NAME, lidar-image, grid, scores, "
           "heading or help";
  }
  if (v == "view")
    return one_of(g[0], {"bev", "orbit", "reset"}) ? "" : "expected bev, orbit or reset";
  if (v == "color")
    return one_of(g[0], {"height", "intensity", "range"}) ? ""
                                                          : "expected height, intensity or range";
  if (v == "boxes") return one_of(g[0], {"3d", "2d", "both"}) ? "" : "expected 3d, 2d or both";
  if (v == "order") return one_of(g[0], {"rank", "id"}) ? "" : "expected rank or id";
  if (v == "point-size") return parse_float(g[0], &x) && x > 0 ? "" : "expected a positive number";
  if (v == "min-score") return parse_float(g[1], &x) ? "" : "expected a number";
  if (v == "wait-frames") return parse_int(g[0], &n) && n >= 0 ? "" : "expected a frame count";
  if (v == "key") return script_key(g[0], &n, &n) ? "" : "unknown key name";
  return "";
}

struct NamedKey {
  const char* name;
  int key;
};
constexpr NamedKey kNamedKeys[] = {
    {"Right", GLFW_KEY_RIGHT}, {"Left", GLFW_KEY_LEFT},           {"Up", GLFW_KEY_UP},
    {"Down", GLFW_KEY_DOWN},   {"Home", GLFW_KEY_HOME},           {"End", GLFW_KEY_END},
    {"Enter", GLFW_KEY_ENTER}, {"Escape", GLFW_KEY_ESCAPE},       {"Space", GLFW_KEY_SPACE},
    {"Tab", GLFW_KEY_TAB},     {"Backspace", GLFW_KEY_BACKSPACE}, {"Slash", GLFW_KEY_SLASH},
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

bool script_key(const std::string& name, int* key, int* mods) {
  std::string rest = name;
  int m = 0;
  for (bool again = true; again;) {
    again = false;
    if (rest.rfind("Ctrl+", 0) == 0 && rest.size() > 5) {
      m |= GLFW_MOD_CONTROL;
      rest = rest.substr(5);
      again = true;
    } else if (rest.rfind("Shift+", 0) == 0 && rest.size() > 6) {
      m |= GLFW_MOD_SHIFT;
      rest = rest.substr(6);
      again = true;
    }
  }
  int k = -1;
  if (rest.size() == 1 && rest[0] >= 'A' && rest[0] <= 'Z') k = GLFW_KEY_A + (rest[0] - 'A');
  if (rest.size() == 1 && rest[0] >= 'a' && rest[0] <= 'z') k = GLFW_KEY_A + (rest[0] - 'a');
  if (rest.size() == 1 && rest[0] >= '0' && rest[0] <= '9') k = GLFW_KEY_0 + (rest[0] - '0');
  if (rest.size() >= 2 && rest[0] == 'F') {
    int f = 0;
    if (parse_int(rest.substr(1), &f) && f >= 1 && f <= 12) k = GLFW_KEY_F1 + f - 1;
  }
  for (const NamedKey& nk : kNamedKeys)
    if (rest == nk.name) k = nk.key;
  if (k < 0) return false;
  *key = k;
  *mods = m;
  return true;
}

std::vector<ScriptAction> parse_script(std::string_view text, const std::string& file) {
  std::vector<ScriptAction> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream words(line);
    ScriptAction a;
    a.line = number;
    if (!(words >> a.verb) || a.verb[0] == '#') continue;
    for (std::string w; words >> w;) a.args.push_back(w);
    const Verb* verb = nullptr;
    for (const Verb& v : kVerbs)
      if (a.verb == v.name) verb = &v;
    const std::string where = file + ":" + std::to_string(number) + ": ";
    if (!verb) {
      std::string names;
      for (const Verb& v : kVerbs) names += std::string(names.empty() ? "" : ", ") + v.name;
      throw ScriptError(where + "unknown action '" + a.verb + "' (expected one of: " + names + ")");
    }
    const int n = static_cast<int>(a.args.size());
    if (n < verb->min_args || n > verb->max_args)
      throw ScriptError(where + "wrong arguments for '" + a.verb + "' (usage: " + verb->usage +
                        ")");
    const std::string bad = check_args(a);
    if (!bad.empty())
      throw ScriptError(where + "'" + line + "': " + bad + " (usage: " + verb->usage + ")");
    out.push_back(std::move(a));
  }
  return out;
}

ScriptRunner::ScriptRunner(std::vector<ScriptAction> actions, std::string file, double timeout_s)
    : actions_(std::move(actions)), file_(std::move(file)), timeout_s_(timeout_s) {}

bool ScriptRunner::ready_for(const ScriptAction& a, ScriptHost& host) const {
  if (a.verb == "quit") return true;
  AppState& s = host.state();
  if (!s.session || !s.session->rank()) return false;
  if (a.verb == "select" || a.verb == "wait-loaded" || a.verb == "screenshot")
    return host.frame_ready();
  return true;
}

ScriptRunner::Status ScriptRunner::step(ScriptHost& host) {
  while (true) {
    if (waiting_shot_) {
      if (host.screenshot_pending()) return Status::Running;
      waiting_shot_ = false;
    }
    if (wait_frames_ > 0) {
      --wait_frames_;
      return Status::Running;
    }
    if (next_ >= actions_.size()) return Status::Finished;
    const ScriptAction& a = actions_[next_];
    if (!ready_for(a, host)) {
      if (wait_started_ < 0) wait_started_ = now_s();
      if (now_s() - wait_started_ > timeout_s_) {
        error_ = file_ + ":" + std::to_string(a.line) + ": timed out waiting for the " +
                 (host.state().session && host.state().session->rank() ? "frame to load"
                                                                       : "dataset/ranking");
        return Status::Failed;
      }
      return Status::Running;
    }
    wait_started_ = -1;
    ++next_;
    if (a.verb == "quit") return Status::Finished;
    if (!execute(a, host)) return Status::Failed;
  }
}

bool ScriptRunner::execute(const ScriptAction& a, ScriptHost& host) {
  AppState& s = host.state();
  const auto& g = a.args;
  auto fail = [&](const std::string& why) {
    error_ = file_ + ":" + std::to_string(a.line) + ": " + a.verb + (g.empty() ? "" : " " + g[0]) +
             ": " + why;
    return false;
  };
  auto set_index = [&](const std::string& name, int* out) {
    *out = find_prediction_set(s, name);
    return *out >= 0;
  };
  int set = -1, n = 0;
  float x = 0;
  const std::string& v = a.verb;
  if (v == "next-suspicious")
    next_suspicious(s);
  else if (v == "prev-suspicious")
    prev_suspicious(s);
  else if (v == "next")
    next_frame(s);
  else if (v == "prev")
    prev_frame(s);
  else if (v == "first")
    first_frame(s);
  else if (v == "last")
    last_frame(s);
  else if (v == "frame") {
    if (!go_to_frame_id(s, g[0])) return fail("no frame with id '" + g[0] + "'");
  } else if (v == "select") {
    if (g[0] == "none")
      clear_selection(s);
    else if (g[0] == "label") {
      parse_int(g[1], &n);
      if (!select_label(s, n))
        return fail("no label " + g[1] + " (the frame has " +
                    std::to_string(s.current->data.ann.labels.size()) + ")");
    } else if (g[0] == "prediction") {
      if (!set_index(g[1], &set)) return fail("no prediction set '" + g[1] + "'");
      parse_int(g[2], &n);
      if (!select_prediction(s, set, n))
        return fail("no prediction " + g[2] + " in set '" + g[1] + "'");
    } else {
      parse_int(g[1], &n);
      if (!select_finding(s, n))
        return fail("no finding " + g[1] + " (the frame has " +
                    std::to_string(current_findings(s).size()) + ")");
    }
  } else if (v == "toggle") {
    DisplaySettings& d = s.display;
    if (g[0] == "labels")
      d.show_labels = !d.show_labels;
    else if (g[0] == "dontcare")
      d.show_dontcare = !d.show_dontcare;
    else if (g[0] == "lidar-image")
      d.lidar_on_image = !d.lidar_on_image;
    else if (g[0] == "grid")
      d.show_grid = !d.show_grid;
    else if (g[0] == "scores")
      d.score_text = !d.score_text;
    else if (g[0] == "heading")
      d.heading_marker = !d.heading_marker;
    else if (g[0] == "help")
      s.show_help = !s.show_help;
    else if (g[0] == "predictions") {
      if (!set_index(g[1], &set)) return fail("no prediction set '" + g[1] + "'");
      d.show_pred[static_cast<std::size_t>(set)] =
          d.show_pred[static_cast<std::size_t>(set)] ? 0 : 1;
    } else {
      const ObjectClass c = parse_class(g[1]);
      if (c == ObjectClass::Unknown && g[1] != "Unknown")
        return fail("unknown class '" + g[1] + "'");
      d.show_class[static_cast<std::size_t>(c)] = !d.show_class[static_cast<std::size_t>(c)];
    }
  } else if (v == "view") {
    if (g[0] == "bev")
      s.camera3d.bev = true;
    else if (g[0] == "orbit")
      s.camera3d.bev = false;
    else {
      const bool bev = s.camera3d.bev;
      s.camera3d.reset();
      s.camera3d.bev = bev;
    }
  } else if (v == "color") {
    s.display.point_color = g[0] == "height"      ? PointColorMode::Height
                            : g[0] == "intensity" ? PointColorMode::Intensity
                                                  : PointColorMode::Range;
  } else if (v == "boxes") {
    s.display.camera_boxes = g[0] == "3d"   ? CameraBoxStyle::Wireframe3D
                             : g[0] == "2d" ? CameraBoxStyle::Box2D
                                            : CameraBoxStyle::Both;
  } else if (v == "point-size") {
    parse_float(g[0], &x);
    s.display.point_size = x;
  } else if (v == "min-score") {
    if (!set_index(g[0], &set)) return fail("no prediction set '" + g[0] + "'");
    parse_float(g[1], &x);
    s.display.min_score[static_cast<std::size_t>(set)] = x;
  } else if (v == "order") {
    s.order = g[0] == "rank" ? ListOrder::Rank : ListOrder::Id;
    s.scroll_list_to_current = true;
  } else if (v == "wait-loaded") {
    // ready_for() already waited for the frame
  } else if (v == "wait-frames") {
    parse_int(g[0], &n);
    wait_frames_ = n;
  } else if (v == "screenshot") {
    host.request_screenshot(g[0]);
    waiting_shot_ = true;
  } else if (v == "key") {
    int key = 0, mods = 0;
    script_key(g[0], &key, &mods);
    host.press_key(key, mods);
    // The key is released in the next UI frame; a second press in between would be lost.
    wait_frames_ = 2;
  } else if (v == "type") {
    host.type_text(g[0]);
    wait_frames_ = 1;
  } else if (v == "drop") {
    host.drop_path(g[0]);
    wait_frames_ = 1;
  }
  return true;
}

}  // namespace needle::view
