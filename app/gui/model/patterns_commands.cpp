// The patterns panel's commands (patterns_view.h): show it, choose the attribute(s), class and
// measure, click a bar / heat-map cell or a precision/recall point, clear the filter. Appended to
// the command table by make_command_table after the compare commands.
#include <exception>
#include <string>

#include "gui/model/commands.h"
#include "gui/model/keys.h"
#include "gui/model/patterns_view.h"

namespace needle::view {

namespace {

using P = CommandParams;
using R = CommandResult;

R result_of(std::string error) {
  R r;
  r.error = std::move(error);
  return r;
}

bool has_session(const AppState& s) { return s.session != nullptr; }

bool parse_index(const std::string& text, std::size_t& out) {
  try {
    const long v = std::stol(text);
    if (v < 0) return false;
    out = static_cast<std::size_t>(v);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

void add_patterns_commands(std::vector<Command>& t) {
  t.push_back({.id = "patterns.panel",
               .script = "toggle patterns",
               .params = {},
               .help = "patterns panel: AP, recall, FP per slice (range, occlusion, ...), heat "
                       "map of two attributes, precision/recall curves",
               .chords = {{keys::letter('P'), keys::kModShift}},
               .menu = "View",
               .menu_label = "Patterns panel",
               .applies = has_session,
               .checked = [](const AppState& s) { return s.patterns.show; },
               .run =
                   [](CommandHost& h, const P&) {
                     patterns_toggle(h.state());
                     return R{};
                   }});
  t.push_back({.id = "patterns.by",
               .script = "patterns by",
               .params = {{"ATTR[,ATTR]", ParamKind::Word}},
               .help = "patterns panel: bars of one attribute, or a heat map of two (a,b)",
               .run = [](CommandHost& h, const P& p) {
                 AppState& s = h.state();
                 s.patterns.show = true;
                 return result_of(patterns_set_by(s, p[0]));
               }});
  t.push_back({.id = "patterns.class",
               .script = "patterns class",
               .params = {{"CLASS", ParamKind::Choice, "Car|Pedestrian|Cyclist"}},
               .help = "patterns panel: the class whose slices and curve are shown",
               .run = [](CommandHost& h, const P& p) {
                 return result_of(patterns_set_class(h.state(), p[0]));
               }});
  t.push_back({.id = "patterns.difficulty",
               .script = "patterns difficulty",
               .params = {{"D", ParamKind::Choice, "easy|moderate|hard"}},
               .help = "patterns panel: the devkit difficulty of AP, intervals, recall and the "
                       "precision/recall curve (recomputes)",
               .run = [](CommandHost& h, const P& p) {
                 return result_of(patterns_set_difficulty(h.state(), p[0]));
               }});
  t.push_back({.id = "patterns.measure",
               .script = "patterns measure",
               .params = {{"M", ParamKind::Choice, kPatternMeasureNames}},
               .help = "patterns panel: the measure of the bars (AP, recall, FP per frame, "
                       "objects, findings)",
               .run = [](CommandHost& h, const P& p) {
                 return result_of(patterns_set_measure(h.state(), p[0]));
               }});
  t.push_back({.id = "patterns.slice",
               .script = "patterns slice",
               .params = {{"N", ParamKind::Index}},
               .help = "patterns panel: click bar (or heat-map cell, row-major) N (0-based): the "
                       "frame list shows the slice's frames, its objects are highlighted",
               .wait = ScriptWait::PatternsReady,
               .run = [](CommandHost& h, const P& p) {
                 std::size_t n = 0;
                 if (!parse_index(p[0], n)) return result_of("N must be an index >= 0");
                 return result_of(patterns_select_row(h.state(), n));
               }});
  t.push_back({.id = "patterns.point",
               .script = "patterns point",
               .params = {{"K", ParamKind::Index}, {"WHAT", ParamKind::Choice, "fp|miss"}},
               .help = "patterns panel: click point K of the precision/recall curve: the frame "
                       "list shows the frames of its false positives or misses",
               .wait = ScriptWait::PatternsReady,
               .run = [](CommandHost& h, const P& p) {
                 std::size_t k = 0;
                 if (!parse_index(p[0], k)) return result_of("K must be an index >= 0");
                 return result_of(patterns_select_point(h.state(), k, p[1] == "fp"));
               }});
  t.push_back({.id = "patterns.wait",
               .script = "patterns wait",
               .params = {},
               .help = "scripts: wait until the patterns panel's slices are computed",
               .wait = ScriptWait::PatternsReady,
               .run = [](CommandHost&, const P&) { return R{}; }});
  t.push_back({.id = "patterns.clear",
               .script = "patterns clear",
               .params = {},
               .help = "patterns panel: the frame list shows every frame again",
               .run = [](CommandHost& h, const P&) {
                 patterns_clear_filter(h.state());
                 return R{};
               }});
}

}  // namespace needle::view
