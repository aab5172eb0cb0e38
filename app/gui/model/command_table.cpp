// The command table itself: every user action of the viewer, one entry each, in the order the
// help and the README list them (commands.h says what each field means).
// Index: [helpers] [the table]
#include <cmath>
#include <exception>
#include <numbers>
#include <stdexcept>
#include <string>

#include "gui/model/actions.h"
#include "gui/model/commands.h"
#include "gui/model/keys.h"

namespace needle::view {

namespace {

// [SECTION] helpers

using P = CommandParams;
using R = CommandResult;

bool has_session(const AppState& s) {
  return s.session != nullptr;
}

R ok() {
  return {};
}
R fail(std::string why) {
  R r;
  r.error = std::move(why);
  return r;
}

// Integer or real parameters were checked by the script parser (check_param); a bad one read
// here (a caller that skipped the check) becomes an error, never an exception.
bool to_int(const std::string& s, int* out) {
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
bool to_float(const std::string& s, float* out) {
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

// The prediction set named `name`, or -1 with `r` set to the error.
int set_or_error(const AppState& s, const std::string& name, R* r) {
  const int set = find_prediction_set(s, name);
  if (set < 0) r->error = "no prediction set '" + name + "'";
  return set;
}

R toggle(bool& b) {
  b = !b;
  return ok();
}

// Re-ranks with the current options changed by `edit` (which may refuse with a message).
template <class Edit>
R rerank_with(CommandHost& h, Edit edit) {
  PipelineOptions o = h.state().rank_options;
  try {
    if (std::string why = edit(o); !why.empty()) return fail(why);
  } catch (const std::invalid_argument& e) {
    return fail(e.what());
  }
  if (std::string why = check_pipeline_options(o); !why.empty()) return fail(why);
  set_rank_options(h.state(), o);
  return ok();
}

std::vector<std::string> rank_method_choices(const AppState&) {
  return {"needle", "mistakenness", "objectlab"};
}
// "OLD,NEW" for every ordered pair of the session's sets, then "off".
std::vector<std::string> compare_choices(const AppState& s) {
  std::vector<std::string> out;
  if (!s.session) return out;
  for (const std::string& a : s.session->set_names)
    for (const std::string& b : s.session->set_names)
      if (a != b) out.push_back(a + "," + b);
  out.push_back("off");
  return out;
}
std::vector<std::string> evidence_choices(const AppState&) {
  return {"all", "lidar", "predictions"};
}

void reset_camera_keep_bev(AppState& s) {
  const bool bev = s.camera3d.bev;
  s.camera3d.reset();
  s.camera3d.bev = bev;
}

PointColorMode color_mode(const std::string& name) {
  return name == "height"      ? PointColorMode::Height
         : name == "intensity" ? PointColorMode::Intensity
                               : PointColorMode::Range;
}

// Point colour modes in the order C cycles through them.
constexpr int kPointColorModes = 3;

R wait(int frames) {
  R r;
  r.wait_frames = frames;
  return r;
}

// A scripted key is released in the next UI frame; a second press in between would be lost.
constexpr int kFramesAfterKey = 2;
// Typed text and dropped folders are handled by the next UI frame.
constexpr int kFramesAfterInput = 1;

// [SECTION] the table

}  // namespace

std::vector<Command> make_command_table() {
  using keys::kModControl;
  using keys::kModShift;
  using keys::letter;
  std::vector<Command> t;

  // Navigation.
  t.push_back({.id = "frame.next_suspicious",
               .script = "next-suspicious",
               .params = {},
               .help = "next suspicious frame (rank order)",
               .chords = {{letter('N'), 0, true}},
               .menu = "Go",
               .menu_label = "Next suspicious",
               .applies = has_session,
               .run = [](CommandHost& h, const P&) {
                 next_suspicious(h.state());
                 return ok();
               }});
  t.push_back({.id = "frame.prev_suspicious",
               .script = "prev-suspicious",
               .params = {},
               .help = "previous suspicious frame (rank order)",
               .chords = {{letter('P'), 0, true}},
               .menu = "Go",
               .menu_label = "Previous suspicious",
               .applies = has_session,
               .run = [](CommandHost& h, const P&) {
                 prev_suspicious(h.state());
                 return ok();
               }});
  t.push_back({.id = "frame.next",
               .script = "next",
               .params = {},
               .help = "next frame by id",
               .chords = {{keys::kRight, 0, true}},
               .menu = "Go",
               .menu_label = "Next frame",
               .applies = has_session,
               .run = [](CommandHost& h, const P&) {
                 next_frame(h.state());
                 return ok();
               }});
  t.push_back({.id = "frame.prev",
               .script = "prev",
               .params = {},
               .help = "previous frame by id",
               .chords = {{keys::kLeft, 0, true}},
               .menu = "Go",
               .menu_label = "Previous frame",
               .applies = has_session,
               .run = [](CommandHost& h, const P&) {
                 prev_frame(h.state());
                 return ok();
               }});
  t.push_back({.id = "frame.first",
               .script = "first",
               .params = {},
               .help = "first frame",
               .chords = {{keys::kHome}},
               .menu = "Go",
               .menu_label = "First frame",
               .applies = has_session,
               .run = [](CommandHost& h, const P&) {
                 first_frame(h.state());
                 return ok();
               }});
  t.push_back({.id = "frame.last",
               .script = "last",
               .params = {},
               .help = "last frame",
               .chords = {{keys::kEnd}},
               .menu = "Go",
               .menu_label = "Last frame",
               .applies = has_session,
               .run = [](CommandHost& h, const P&) {
                 last_frame(h.state());
                 return ok();
               }});
  t.push_back({.id = "frame.goto_dialog",
               .script = "goto-dialog",
               .params = {},
               .help = "go to a frame id (asks for it)",
               .chords = {{letter('G')}},
               .menu = "Go",
               .menu_label = "Go to frame...",
               .applies = has_session,
               .run = [](CommandHost& h, const P&) {
                 h.state().show_goto = true;
                 return ok();
               }});
  t.push_back({.id = "frame.goto",
               .script = "frame",
               .params = {{"ID"}},
               .help = "open the frame with this id (leading zeros may be left out)",
               .run = [](CommandHost& h, const P& p) {
                 return go_to_frame_id(h.state(), p[0]) ? ok()
                                                        : fail("no frame with id '" + p[0] + "'");
               }});

  // Selection.
  t.push_back({.id = "select.none",
               .script = "select none",
               .params = {},
               .help = "clear the selection",
               .chords = {{keys::kEscape}},
               .applies = has_session,
               .wait = ScriptWait::FrameDrawn,
               .run = [](CommandHost& h, const P&) {
                 clear_selection(h.state());
                 return ok();
               }});
  t.push_back({.id = "select.label",
               .script = "select label",
               .params = {{"N", ParamKind::Index}},
               .help = "select label N of the current frame (0-based)",
               .wait = ScriptWait::FrameDrawn,
               .run = [](CommandHost& h, const P& p) {
                 AppState& s = h.state();
                 int n = 0;
                 if (to_int(p[0], &n) && select_label(s, n)) return ok();
                 return fail("no label " + p[0] + " (the frame has " +
                             std::to_string(s.current ? s.current->data.ann.labels.size() : 0) +
                             ")");
               }});
  t.push_back({.id = "select.prediction",
               .script = "select prediction",
               .params = {{"SET"}, {"N", ParamKind::Index}},
               .help = "select prediction N of set SET in the current frame (0-based)",
               .wait = ScriptWait::FrameDrawn,
               .run = [](CommandHost& h, const P& p) {
                 R r;
                 const int set = set_or_error(h.state(), p[0], &r);
                 int n = 0;
                 if (set >= 0 && !(to_int(p[1], &n) && select_prediction(h.state(), set, n)))
                   r.error = "no prediction " + p[1] + " in set '" + p[0] + "'";
                 return r;
               }});
  t.push_back({.id = "select.finding",
               .script = "select finding",
               .params = {{"N", ParamKind::Index}},
               .help = "select finding N of the current frame (its label and prediction)",
               .wait = ScriptWait::FrameDrawn,
               .run = [](CommandHost& h, const P& p) {
                 AppState& s = h.state();
                 int n = 0;
                 if (to_int(p[0], &n) && select_finding(s, n)) return ok();
                 return fail("no finding " + p[0] + " (the frame has " +
                             std::to_string(current_findings(s).size()) + ")");
               }});

  // Ranking: the options of `needle rank`, changed at run time (each change re-ranks).
  t.push_back({.id = "frame.first_label_error",
               .script = "first-label-error",
               .params = {},
               .help = "open the top-ranked label error (not a broken file), its finding selected",
               .menu = "Go",
               .menu_label = "First label error",
               .menu_separator_before = true,
               .applies = has_session,
               .run = [](CommandHost& h, const P&) {
                 if (go_to_first_label_error(h.state())) return ok();
                 return fail("no ranked frame has a label finding");
               }});
  t.push_back({.id = "rank.method",
               .script = "rank method",
               .params = {{"METHOD", ParamKind::Choice, "needle|mistakenness|objectlab"}},
               .help = "re-rank with this method (needle rank --method)",
               .menu = "Go",
               .menu_label = "Ranking method",
               .menu_separator_before = true,
               .applies = has_session,
               .menu_choices = rank_method_choices,
               .run = [](CommandHost& h, const P& p) {
                 return rerank_with(h, [&](PipelineOptions& o) -> std::string {
                   try {
                     o.method = parse_rank_method(p[0]);
                   } catch (const std::invalid_argument& e) {
                     return e.what();
                   }
                   return "";
                 });
               }});
  t.push_back({.id = "rank.evidence",
               .script = "rank evidence",
               .params = {{"EVIDENCE", ParamKind::Choice, "all|lidar|predictions"}},
               .help = "re-rank with these witnesses (needle rank --evidence)",
               .menu = "Go",
               .menu_label = "Ranking evidence",
               .applies = has_session,
               .menu_choices = evidence_choices,
               .run = [](CommandHost& h, const P& p) {
                 return rerank_with(h, [&](PipelineOptions& o) -> std::string {
                   o.evidence = parse_evidence(p[0]);
                   return "";
                 });
               }});
  t.push_back({.id = "rank.compare",
               .script = "rank compare",
               .params = {{"OLD,NEW"}},
               .help = "re-rank by regressions of set NEW against OLD; 'off' ends compare mode",
               .menu = "Go",
               .menu_label = "Compare sets",
               .applies = has_session,
               .menu_choices = compare_choices,
               .run = [](CommandHost& h, const P& p) {
                 return rerank_with(h, [&](PipelineOptions& o) -> std::string {
                   if (p[0] == "off") {
                     o.compare.clear();
                     return "";
                   }
                   const std::size_t comma = p[0].find(',');
                   if (comma == std::string::npos) return "expected OLD,NEW or off";
                   const AppState& s = h.state();
                   for (const std::string& n : {p[0].substr(0, comma), p[0].substr(comma + 1)})
                     if (find_prediction_set(s, n) < 0) return "no prediction set '" + n + "'";
                   o.compare = p[0];
                   return "";
                 });
               }});
  t.push_back({.id = "rank.min_score",
               .script = "rank min-score",
               .params = {{"S", ParamKind::Number}},
               .help = "re-rank dropping findings scoring below S (needle rank --min-score)",
               .run = [](CommandHost& h, const P& p) {
                 return rerank_with(h, [&](PipelineOptions& o) -> std::string {
                   float v = 0;
                   if (!to_float(p[0], &v) || !(v >= 0.0f && v <= 1.0f))
                     return "expected a number in [0, 1]";
                   o.min_finding_score = static_cast<double>(v);
                   return "";
                 });
               }});
  t.push_back({.id = "rank.cache",
               .script = "rank cache",
               .params = {{"ON", ParamKind::Choice, "on|off"}},
               .help = "re-rank reading and writing the lidar cache, or not (--no-cache)",
               .run = [](CommandHost& h, const P& p) {
                 return rerank_with(h, [&](PipelineOptions& o) -> std::string {
                   o.lidar_cache = p[0] == "on";
                   return "";
                 });
               }});
  t.push_back({.id = "rank.rerun",
               .script = "rank rerun",
               .params = {},
               .help = "rank the open dataset again with the current options",
               .menu = "Go",
               .menu_label = "Re-rank",
               .applies = has_session,
               .run = [](CommandHost& h, const P&) {
                 return rerank_with(h, [](PipelineOptions&) { return std::string(); });
               }});

  add_compare_commands(t);   // compare_commands.cpp
  add_patterns_commands(t);  // patterns_commands.cpp
  add_shift_commands(t);    // shift_commands.cpp
  add_map_commands(t);      // map_commands.cpp

  // 3D view.
  t.push_back({.id = "view.toggle_bev",
               .script = "toggle bev",
               .params = {},
               .help = "3D view: bird's-eye / orbit",
               .chords = {{letter('B')}},
               .menu = "View",
               .menu_label = "Bird's-eye 3D view",
               .applies = has_session,
               .checked = [](const AppState& s) { return s.camera3d.bev; },
               .run = [](CommandHost& h, const P&) { return toggle(h.state().camera3d.bev); }});
  t.push_back({.id = "view.bev",
               .script = "view bev",
               .params = {},
               .help = "3D view: bird's-eye (top-down)",
               .run = [](CommandHost& h, const P&) {
                 h.state().camera3d.bev = true;
                 return ok();
               }});
  t.push_back({.id = "view.orbit",
               .script = "view orbit",
               .params = {},
               .help = "3D view: orbit (perspective)",
               .run = [](CommandHost& h, const P&) {
                 h.state().camera3d.bev = false;
                 return ok();
               }});
  t.push_back({.id = "view.reset",
               .script = "view reset",
               .params = {},
               .help = "3D view: reset the camera (keeps bird's-eye or orbit)",
               .chords = {{letter('R')}},
               .menu = "View",
               .menu_label = "Reset 3D camera",
               .applies = has_session,
               .run = [](CommandHost& h, const P&) {
                 reset_camera_keep_bev(h.state());
                 return ok();
               }});
  t.push_back({.id = "view.color_cycle",
               .script = "color cycle",
               .params = {},
               .help = "3D view: cycle point colour (height, intensity, range)",
               .chords = {{letter('C')}},
               .applies = has_session,
               .run = [](CommandHost& h, const P&) {
                 PointColorMode& m = h.state().display.point_color;
                 m = static_cast<PointColorMode>((static_cast<int>(m) + 1) % kPointColorModes);
                 return ok();
               }});
  t.push_back({.id = "view.yaw",
               .script = "view yaw",
               .params = {{"DEG", ParamKind::Number}},
               .help = "3D view: turn the orbit camera to DEG degrees around the vertical axis",
               .run = [](CommandHost& h, const P& p) {
                 float deg = 0;
                 if (!to_float(p[0], &deg) || !std::isfinite(deg)) return fail("expected a number");
                 h.state().camera3d.yaw = deg * std::numbers::pi_v<float> / 180.0f;
                 return wait(kFramesAfterInput);  // one camera move a UI frame, as a drag
               }});
  t.push_back({.id = "view.color",
               .script = "color",
               .params = {{"MODE", ParamKind::Choice, "height|intensity|range"}},
               .help = "3D view: colour points by height, intensity or range",
               .run = [](CommandHost& h, const P& p) {
                 h.state().display.point_color = color_mode(p[0]);
                 return ok();
               }});
  t.push_back({.id = "view.point_size",
               .script = "point-size",
               .params = {{"PX", ParamKind::PositiveNumber}},
               .help = "3D view: point size in pixels",
               .run = [](CommandHost& h, const P& p) {
                 float x = 0;
                 if (!to_float(p[0], &x) || !(x > 0)) return fail("expected a positive number");
                 h.state().display.point_size = x;
                 return ok();
               }});
  t.push_back(
      {.id = "view.toggle_grid",
       .script = "toggle grid",
       .params = {},
       .help = "3D view: ground grid and range rings",
       .run = [](CommandHost& h, const P&) { return toggle(h.state().display.show_grid); }});
  t.push_back({.id = "view.toggle_clusters",
               .script = "toggle clusters",
               .params = {},
               .help = "3D and camera views: unlabelled lidar clusters (cyan boxes and points)",
               .chords = {{letter('U')}},
               .menu = "View",
               .menu_label = "Unlabelled clusters",
               .applies = has_session,
               .checked = [](const AppState& s) { return s.display.show_clusters; },
               .run = [](CommandHost& h, const P&) {
                 return toggle(h.state().display.show_clusters);
               }});
  t.push_back({.id = "view.toggle_ground",
               .script = "toggle ground",
               .params = {},
               .help = "3D view: the lidar's local ground estimate (bright: observed cells)",
               .chords = {{letter('E')}},
               .menu = "View",
               .menu_label = "Ground estimate",
               .applies = has_session,
               .checked = [](const AppState& s) { return s.display.show_ground; },
               .run = [](CommandHost& h, const P&) {
                 return toggle(h.state().display.show_ground);
               }});
  t.push_back(
      {.id = "view.toggle_heading",
       .script = "toggle heading",
       .params = {},
       .help = "3D view: heading markers on boxes",
       .run = [](CommandHost& h, const P&) { return toggle(h.state().display.heading_marker); }});

  // Camera view.
  t.push_back(
      {.id = "camera.toggle_lidar",
       .script = "toggle lidar-image",
       .params = {},
       .help = "camera view: lidar points on the image",
       .chords = {{letter('L')}},
       .menu = "View",
       .menu_label = "Lidar on image",
       .applies = has_session,
       .checked = [](const AppState& s) { return s.display.lidar_on_image; },
       .run = [](CommandHost& h, const P&) { return toggle(h.state().display.lidar_on_image); }});
  t.push_back({.id = "camera.boxes",
               .script = "boxes",
               .params = {{"STYLE", ParamKind::Choice, "3d|2d|both"}},
               .help = "camera view: boxes as 3D wireframes, 2D boxes or both",
               .run = [](CommandHost& h, const P& p) {
                 h.state().display.camera_boxes = p[0] == "3d"   ? CameraBoxStyle::Wireframe3D
                                                  : p[0] == "2d" ? CameraBoxStyle::Box2D
                                                                 : CameraBoxStyle::Both;
                 return ok();
               }});

  // What is shown.
  t.push_back(
      {.id = "show.toggle_labels",
       .script = "toggle labels",
       .params = {},
       .help = "show or hide the label boxes",
       .run = [](CommandHost& h, const P&) { return toggle(h.state().display.show_labels); }});
  t.push_back({.id = "show.toggle_predictions",
               .script = "toggle predictions",
               .params = {{"SET"}},
               .help = "show or hide prediction set SET",
               .run = [](CommandHost& h, const P& p) {
                 R r;
                 const int set = set_or_error(h.state(), p[0], &r);
                 if (set >= 0) {
                   char& shown = h.state().display.show_pred[static_cast<std::size_t>(set)];
                   shown = shown ? 0 : 1;
                 }
                 return r;
               }});
  t.push_back(
      {.id = "show.toggle_dontcare",
       .script = "toggle dontcare",
       .params = {},
       .help = "show or hide DontCare regions",
       .run = [](CommandHost& h, const P&) { return toggle(h.state().display.show_dontcare); }});
  t.push_back({.id = "show.toggle_class",
               .script = "toggle class",
               .params = {{"NAME"}},
               .help = "show or hide objects of class NAME (Car, Pedestrian, ...)",
               .run = [](CommandHost& h, const P& p) {
                 const ObjectClass c = parse_class(p[0]);
                 if (c == ObjectClass::Unknown && p[0] != "Unknown")
                   return fail("unknown class '" + p[0] + "'");
                 bool& shown = h.state().display.show_class[static_cast<std::size_t>(c)];
                 return toggle(shown);
               }});
  t.push_back(
      {.id = "show.toggle_scores",
       .script = "toggle scores",
       .params = {},
       .help = "show or hide prediction scores",
       .run = [](CommandHost& h, const P&) { return toggle(h.state().display.score_text); }});
  t.push_back({.id = "show.min_score",
               .script = "min-score",
               .params = {{"SET"}, {"VALUE", ParamKind::Number}},
               .help = "hide predictions of set SET scored below VALUE",
               .run = [](CommandHost& h, const P& p) {
                 R r;
                 const int set = set_or_error(h.state(), p[0], &r);
                 float x = 0;
                 if (set >= 0 && !to_float(p[1], &x)) r.error = "expected a number";
                 if (r.error.empty())
                   h.state().display.min_score[static_cast<std::size_t>(set)] = x;
                 return r;
               }});
  t.push_back({.id = "list.order",
               .script = "order",
               .params = {{"ORDER", ParamKind::Choice, "rank|id"}},
               .help = "frame list in rank order or id order",
               .run = [](CommandHost& h, const P& p) {
                 AppState& s = h.state();
                 s.order = p[0] == "rank" ? ListOrder::Rank : ListOrder::Id;
                 s.scroll_list_to_current = true;
                 return ok();
               }});

  // Review: tags, issues, verdicts, the QA session (review_commands.cpp).
  add_review_commands(t);

  // Datasets, layout, help, quit.
  t.push_back({.id = "dataset.open_dialog",
               .script = "open-dialog",
               .params = {},
               .help = "open a dataset folder (or drop one on the window)",
               .chords = {{letter('O'), kModControl}},
               .menu = "File",
               .menu_label = "Open dataset...",
               .run = [](CommandHost& h, const P&) {
                 h.state().show_open_dialog = true;
                 return ok();
               }});
  t.push_back({.id = "dataset.open",
               .script = "open",
               .params = {{"PATH"}},
               .help = "open the dataset folder PATH",
               .menu = "File",
               .menu_label = "Recent",
               .menu_choices = [](const AppState& s) { return s.recent; },
               .run =
                   [](CommandHost& h, const P& p) {
                     std::string err;
                     return open_dataset(h.state(), p[0], {}, &err) ? ok() : fail(err);
                   }});
  t.push_back({.id = "layout.reset",
               .script = "layout reset",
               .params = {},
               .help = "panel sizes back to the defaults",
               .menu = "View",
               .menu_label = "Reset layout",
               .run = [](CommandHost& h, const P&) {
                 h.reset_layout();
                 return ok();
               }});
  t.push_back({.id = "help.toggle",
               .script = "toggle help",
               .params = {},
               .help = "keyboard help",
               .chords = {{keys::kF1}, {keys::kSlash, kModShift, false, "?"}},
               .menu = "Help",
               .menu_label = "Keyboard shortcuts",
               .checked = [](const AppState& s) { return s.show_help; },
               .run = [](CommandHost& h, const P&) { return toggle(h.state().show_help); }});
  t.push_back({.id = "app.quit",
               .script = "quit",
               .params = {},
               .help = "quit",
               .chords = {{letter('Q'), kModControl}},
               .menu = "File",
               .menu_label = "Quit",
               .menu_separator_before = true,
               .wait = ScriptWait::Nothing,
               .run = [](CommandHost& h, const P&) {
                 h.quit();
                 R r;
                 r.finish = true;
                 return r;
               }});

  // Script control: waiting, screenshots and raw input (no key, no menu).
  t.push_back({.id = "script.wait_loaded",
               .script = "wait-loaded",
               .params = {},
               .help = "wait until the current frame is loaded and drawn",
               .wait = ScriptWait::FrameDrawn,
               .run = [](CommandHost&, const P&) { return ok(); }});
  t.push_back({.id = "script.wait_frames",
               .script = "wait-frames",
               .params = {{"N", ParamKind::Count}},
               .help = "let N UI frames pass",
               .run = [](CommandHost&, const P& p) {
                 int n = 0;
                 return to_int(p[0], &n) && n >= 0 ? wait(n) : fail("expected a count");
               }});
  t.push_back({.id = "script.screenshot",
               .script = "screenshot",
               .params = {{"FILE"}},
               .help = "write the window to a PNG once the current frame is drawn",
               .wait = ScriptWait::FrameDrawn,
               .run = [](CommandHost& h, const P& p) {
                 h.request_screenshot(p[0]);
                 R r;
                 r.wait_screenshot = true;
                 return r;
               }});
  t.push_back({.id = "script.screenshot_interim",
               .script = "screenshot-interim",
               .params = {{"FILE"}},
               .help = "write the window to a PNG while the ranking shown is still interim "
                       "(fails if the final ranking came first)",
               .wait = ScriptWait::InterimDrawn,
               .run = [](CommandHost& h, const P& p) {
                 if (h.state().session && h.state().session->final_rank())
                   return fail("the final ranking arrived before an interim one was shown");
                 h.request_screenshot(p[0]);
                 R r;
                 r.wait_screenshot = true;
                 return r;
               }});
  t.push_back({.id = "script.key",
               .script = "key",
               .params = {{"NAME", ParamKind::KeyName}},
               .help = "press a key through the window system (N, Right, Home, Enter, Ctrl+O, ...)",
               .run = [](CommandHost& h, const P& p) {
                 int key = 0, mods = 0;
                 if (!keys::parse_key_name(p[0], &key, &mods)) return fail("unknown key name");
                 h.press_key(key, mods);
                 return wait(kFramesAfterKey);
               }});
  t.push_back({.id = "script.type",
               .script = "type",
               .params = {{"TEXT"}},
               .help = "type characters (e.g. into the go-to-frame field)",
               .run = [](CommandHost& h, const P& p) {
                 h.type_text(p[0]);
                 return wait(kFramesAfterInput);
               }});
  t.push_back({.id = "script.drop",
               .script = "drop",
               .params = {{"PATH"}},
               .help = "drop a folder on the window",
               .run = [](CommandHost& h, const P& p) {
                 h.drop_path(p[0]);
                 return wait(kFramesAfterInput);
               }});
  return t;
}

}  // namespace needle::view
