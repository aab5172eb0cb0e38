// Compare mode in the viewer (GL-free): which two prediction sets are compared, how each is drawn,
// the summary panel's rows and the frame-list filter a row click sets, and N/P over that filter.
// The data come from the ranking job (RankingData::compare, compare_summary.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gui/model/app_state.h"
#include "gui/model/compare_summary.h"
#include "gui/model/overlay_style.h"

namespace needle::view {

// The two sets as indices into the session's sets; both -1 when compare mode is off (or names a
// set the session lacks).
struct CompareSets {
  int old_set = -1, new_set = -1;
  bool active() const { return old_set >= 0 && new_set >= 0; }
};
// From the ranking options (`--compare OLD,NEW`, `rank compare`): the sets the next ranking
// compares, drawn in the compare styles as soon as they are chosen.
CompareSets compare_sets(const AppState& s);

// Compare mode's two box styles, away from the label palette (greens/blues), the highlight yellow
// and the cluster cyan: OLD thin, dashed and amber; NEW solid, thicker and magenta. Every OLD box
// is one colour and every NEW box another, whatever the class, so the two read apart at a glance.
inline constexpr Rgb kCompareOldColor{255, 170, 0};
inline constexpr Rgb kCompareNewColor{255, 40, 220};
inline constexpr float kCompareOldWidth = 0.7f;  // times the line width setting
inline constexpr float kCompareNewWidth = 1.3f;

struct SetStyle {
  Rgb color;
  bool dashed = true;
  float width_scale = 1.0f;
  const char* role = "";  // "OLD" | "NEW"
};
// The compare style of prediction set `set`, nullopt when it is not one of the two (then it is
// drawn as usual: class colours, dashed).
std::optional<SetStyle> compare_style(const AppState& s, std::size_t set);

// One legend line per compared set ("OLD sim_a", style) for the camera and 3D views; empty when
// compare mode is off.
struct LegendEntry {
  std::string text;
  SetStyle style;
};
std::vector<LegendEntry> compare_legend(const AppState& s);

// The finished ranking's compare data, null when unranked or not in compare mode.
const CompareSummary* compare_summary(const AppState& s);
// The summary table as the panel shows it (the current metric).
std::vector<CompareRow> current_compare_rows(const AppState& s);

// A click on row `row` of current_compare_rows: the frame list shows only frames with a
// regression (or a fix, by s.compare.list) of that class and difficulty, and the first of them in
// rank order opens. False when there is no such row.
bool click_compare_row(AppState& s, int row);
void clear_compare_filter(AppState& s);
// Whether frame `frame` passes the compare filter (always when the filter is off or the ranking
// has no compare data).
bool compare_filter_passes(const AppState& s, std::size_t frame);
// Frames passing the filter, in rank order (ranked frames first, then the others by id: a fix
// need not be a ranked frame).
std::vector<std::size_t> compare_filtered_frames(const AppState& s);
// One text line for the frame list and the panel: "regressions of Car (moderate)".
std::string compare_filter_text(const CompareFilter& f);

// N/P while the compare filter is on: opens the next (dir +1) or previous (-1) frame of
// compare_filtered_frames after the current one (the first or last when the current frame is not
// in it; stays at the ends). False, doing nothing, when the filter is off: plain N/P then.
bool step_compare_filtered(AppState& s, int dir);

// The per-label OLD/NEW table of the current frame (empty when compare is off or the frame is
// not loaded).
std::vector<LabelCompare> current_label_compare(const AppState& s);

// Compare mode for the layout report (`--print-layout`, read by tests): the two sets, whether the
// summary is ready, the filter, the frames it lists (ids, rank order), the summary rows and the
// current frame's per-label table. "" when compare mode is off.
std::string compare_layout_json(const AppState& s);

}  // namespace needle::view
