// The embedding map's commands (map_view.h): open the Map window, select by box or the rarest,
// open a selected object, colour the points, clear. Appended to the command table by
// make_command_table. Every verb but the toggle waits (in scripts) until the map is built.
#include <exception>
#include <string>

#include "gui/model/commands.h"
#include "gui/model/keys.h"
#include "gui/model/map_view.h"

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

bool ready(const AppState& s) {
  return map_ready(s);
}

bool to_float(const std::string& t, float* v) {
  try {
    std::size_t used = 0;
    *v = std::stof(t, &used);
    return used == t.size();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

void add_map_commands(std::vector<Command>& t) {
  t.push_back({.id = "map.panel",
               .script = "toggle map",
               .params = {},
               .help = "embedding map: every label object on a 2D map of its descriptors "
                       "(built in the background); drag a box to see its objects",
               .chords = {{keys::letter('M'), keys::kModShift}},
               .menu = "View",
               .menu_label = "Embedding map",
               .applies = has_session,
               .checked = [](const AppState& s) { return s.map.show; },
               .run =
                   [](CommandHost& h, const P&) {
                     map_toggle(h.state());
                     return R{};
                   }});
  t.push_back({.id = "map.select_box",
               .script = "map select-box",
               .params = {{"X0", ParamKind::Number},
                          {"Y0", ParamKind::Number},
                          {"X1", ParamKind::Number},
                          {"Y1", ParamKind::Number}},
               .help = "map: select the objects in a box given as fractions of the map (0 0 is "
                       "the bottom left, 1 1 the top right); the frame list shows their frames",
               .ready = ready,
               .run = [](CommandHost& h, const P& p) {
                 float v[4];
                 for (int i = 0; i < 4; ++i)
                   if (!to_float(p[std::size_t(i)], &v[i])) return fail("expected four numbers");
                 map_select_fraction(h.state(), v[0], v[1], v[2], v[3]);
                 return R{};
               }});
  t.push_back({.id = "map.rarest",
               .script = "map rarest",
               .params = {{"K", ParamKind::Count}},
               .help = "map: select the K rarest objects (fewest neighbours in descriptor space)",
               .ready = ready,
               .run = [](CommandHost& h, const P& p) {
                 std::size_t k = 0;
                 try {
                   k = std::stoul(p[0]);
                 } catch (const std::exception&) {
                   return fail("expected a count");
                 }
                 map_select_rarest(h.state(), k);
                 return R{};
               }});
  t.push_back({.id = "map.open",
               .script = "map open",
               .params = {{"N", ParamKind::Count}},
               .help = "map: open selected object N's frame (1 = the rarest), the object selected",
               .ready = ready,
               .run = [](CommandHost& h, const P& p) {
                 std::size_t n = 0;
                 try {
                   n = std::stoul(p[0]);
                 } catch (const std::exception&) {
                 }
                 if (n < 1) return fail("expected N >= 1");
                 const std::string err = map_open_selected(h.state(), n - 1);
                 return err.empty() ? R{} : fail(err);
               }});
  t.push_back({.id = "map.colour",
               .script = "map colour",
               .params = {{"BY", ParamKind::Choice, "class|finding|dataset|rarity"}},
               .help = "map: colour the points by class, finding kind, dataset or rarity",
               .run = [](CommandHost& h, const P& p) {
                 MapColour& c = h.state().map.colour;
                 c = p[0] == "finding"   ? MapColour::Finding
                     : p[0] == "dataset" ? MapColour::Dataset
                     : p[0] == "rarity"  ? MapColour::Rarity
                                         : MapColour::Class;
                 return R{};
               }});
  t.push_back({.id = "map.clear",
               .script = "map clear",
               .params = {},
               .help = "map: clear the selection (the frame list shows every frame)",
               .run = [](CommandHost& h, const P&) {
                 map_clear_selection(h.state());
                 return R{};
               }});
}

}  // namespace needle::view
