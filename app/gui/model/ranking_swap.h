// Swapping in a newer ranking (an interim snapshot, then the final one: ranking_job.h) without
// losing the user's place. GL-free; the app calls refresh_ranking once per UI frame, before the
// panels, and tests call it directly.
//
// Contracts (the user's place is kept by frame, not by row):
//  * The current frame stays the current frame; the rank cursor (N/P) moves to that frame's
//    position in the new list (or, when it is not ranked there, to the position of the frame the
//    cursor was on, else the nearest position that exists).
//  * The selected label and prediction stay selected (they index the frame's data, which does
//    not change). The selected finding is looked up again in the new ranking: the same kind on
//    the same label and prediction, else a finding on the same label (or prediction), else none.
//  * A frame list scrolled down keeps the frame of its first visible row at the top (the user's
//    scroll position, by frame); one at its very top (or not drawn yet) stays there unless the
//    current frame's row moved out of view, which it then brings into view.
#pragma once

#include <string>

#include "gui/model/app_state.h"

namespace needle::view {

// Takes the ranking job's newest snapshot; true when what the panels show changed.
bool refresh_ranking(AppState& s);

// Moves the user's place from ranking `before` (null: none was shown) to `after`, which is now
// shown (the contracts above). Separate for tests.
void keep_place(AppState& s, const RankingData* before, const RankingData& after);

// The ranking's state for the status bar and the list header: "" when the final ranking is
// shown, "ranking: lidar 37% - list will refine" while an interim one is, "ranking: loading
// 120/1000..." before any. `progress` is the job's current progress.
std::string ranking_state_text(const RankingData* shown, const RankingProgress& progress);
// "none", "interim" or "final" (the layout report).
const char* ranking_state_name(const RankingData* shown);

}  // namespace needle::view
