// The compare panel's commands (compare_view.h): show it, click a summary row, choose what a row
// lists and which AP it shows. Appended to the command table by make_command_table, after the
// ranking commands (`rank compare OLD,NEW` picks the two sets).
#include <exception>
#include <string>

#include "gui/model/commands.h"
#include "gui/model/compare_view.h"
#include "gui/model/keys.h"

namespace needle::view {

namespace {

using P = CommandParams;
using R = CommandResult;

R fail(std::string why) {
  R r;
  r.error = std::move(why);
  return r;
}

bool has_session(const AppState& s) {
  return s.session != nullptr;
}

EvalMetric metric_of(const std::string& name) {
  return name == "2d" ? EvalMetric::Image2D : name == "bev" ? EvalMetric::Bev : EvalMetric::Box3D;
}

}  // namespace

void add_compare_commands(std::vector<Command>& t) {
  t.push_back({.id = "compare.panel",
               .script = "toggle compare",
               .params = {},
               .help = "compare panel: pick OLD and NEW, AP and regressions/fixes per class",
               .chords = {{keys::letter('M')}},
               .menu = "View",
               .menu_label = "Compare panel",
               .applies = has_session,
               .checked = [](const AppState& s) { return s.compare.show_panel; },
               .run =
                   [](CommandHost& h, const P&) {
                     bool& shown = h.state().compare.show_panel;
                     shown = !shown;
                     return R{};
                   }});
  t.push_back({.id = "compare.row",
               .script = "compare row",
               .params = {{"N", ParamKind::Index}},
               .help = "compare panel: click summary row N (0-based): the frame list shows its "
                       "regressions (or fixes) and the first opens",
               .run = [](CommandHost& h, const P& p) {
                 AppState& s = h.state();
                 if (!compare_summary(s)) return fail("not in compare mode (rank compare OLD,NEW)");
                 const std::size_t n = current_compare_rows(s).size();
                 int row = -1;
                 try {
                   row = std::stoi(p[0]);
                 } catch (const std::exception&) {
                 }
                 if (!click_compare_row(s, row))
                   return fail("no summary row " + p[0] + " (the panel has " + std::to_string(n) +
                               ")");
                 return R{};
               }});
  t.push_back({.id = "compare.list",
               .script = "compare list",
               .params = {{"WHAT", ParamKind::Choice, "regressions|fixes"}},
               .help = "compare panel: a row click lists the frames with regressions or fixes",
               .run = [](CommandHost& h, const P& p) {
                 AppState& s = h.state();
                 s.compare.list = p[0] == "fixes" ? CompareList::Fixes : CompareList::Regressions;
                 if (s.compare.filter.active) click_compare_row(s, s.compare.selected_row);
                 return R{};
               }});
  t.push_back({.id = "compare.metric",
               .script = "compare metric",
               .params = {{"METRIC", ParamKind::Choice, "2d|bev|3d"}},
               .help = "compare panel: AP of 2D boxes, bird's-eye boxes or 3D boxes",
               .run = [](CommandHost& h, const P& p) {
                 h.state().compare.metric = metric_of(p[0]);
                 return R{};
               }});
  t.push_back({.id = "compare.clear",
               .script = "compare clear",
               .params = {},
               .help = "compare panel: clear the row filter (the list shows every frame)",
               .run = [](CommandHost& h, const P&) {
                 clear_compare_filter(h.state());
                 return R{};
               }});
}

}  // namespace needle::view
