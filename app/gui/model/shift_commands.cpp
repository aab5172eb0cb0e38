// The Shift window's commands (shift_view.h, `needle view PROD --reference TRAIN`): show it, wait
// for the report, order the frame list by novelty (and open the most novel frame), choose the
// attribute whose histograms are drawn. Appended to the command table by make_command_table.
#include <string>

#include "gui/model/actions.h"
#include "gui/model/commands.h"

namespace needle::view {

namespace {

using P = CommandParams;
using R = CommandResult;

R fail(std::string why) {
  R r;
  r.error = std::move(why);
  return r;
}

bool has_reference(const AppState& s) {
  return s.session != nullptr && !s.shift.reference.empty();
}
bool shift_shown(const AppState& s) {
  return has_reference(s) && s.shift.show;
}

}  // namespace

void add_shift_commands(std::vector<Command>& t) {
  t.push_back({.id = "shift.panel",
               .script = "toggle shift",
               .params = {},
               .help = "shift window (--reference): novelty of this frame, attribute shift and "
                       "histograms of both datasets",
               .menu = "View",
               .menu_label = "Shift window",
               .applies = has_reference,
               .checked = shift_shown,
               .run = [](CommandHost& h, const P&) {
                 AppState& s = h.state();
                 s.shift.show = !s.shift.show;
                 return R{};
               }});
  t.push_back({.id = "shift.novelty_order",
               .script = "order novelty",
               .params = {},
               .help = "frame list in novelty order against --reference; opens the most novel frame",
               .menu = "Go",
               .menu_label = "Most novel frames first",
               .applies = has_reference,
               .wait = ScriptWait::ShiftReady,
               .run = [](CommandHost& h, const P&) {
                 AppState& s = h.state();
                 if (!s.shift.report) return fail(s.shift.error.empty() ? "no shift report" : s.shift.error);
                 s.order = ListOrder::Novelty;
                 if (!s.shift.order.empty()) go_to_frame(s, s.shift.order.front());
                 s.scroll_list_to_current = true;
                 return R{};
               }});
  t.push_back({.id = "shift.attribute",
               .script = "shift attribute",
               .params = {{"NAME"}},
               .help = "draw this attribute's histograms of both datasets in the shift window",
               .applies = has_reference,
               .wait = ScriptWait::ShiftReady,
               .run = [](CommandHost& h, const P& p) {
                 AppState& s = h.state();
                 if (!s.shift.report) return fail("no shift report");
                 for (const AttributeShift& a : s.shift.report->attributes)
                   if (a.attribute == p.at(0)) {
                     s.shift.attribute = a.attribute;
                     return R{};
                   }
                 return fail("no attribute '" + p.at(0) + "' in the shift report");
               }});
}

}  // namespace needle::view
