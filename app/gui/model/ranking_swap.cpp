#include "gui/model/ranking_swap.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "gui/model/actions.h"

namespace needle::view {

namespace {

const std::vector<Finding>* findings_of(const RankingData* r, std::size_t frame) {
  if (!r || frame >= r->position_of_frame.size() || r->position_of_frame[frame] < 0) return nullptr;
  return &r->rank.frames[static_cast<std::size_t>(r->position_of_frame[frame])].findings;
}

// The finding of `after` that stands for `f` (same kind, label and prediction; else the same
// label or prediction); -1 when none does.
int matching_finding(const Finding& f, const std::vector<Finding>& after) {
  auto same_pred = [&](const Finding& g) {
    return f.prediction >= 0 && g.prediction == f.prediction &&
           g.prediction_set == f.prediction_set;
  };
  for (std::size_t k = 0; k < after.size(); ++k) {
    const Finding& g = after[k];
    if (g.kind == f.kind && g.label == f.label && g.prediction == f.prediction &&
        g.prediction_set == f.prediction_set)
      return static_cast<int>(k);
  }
  for (std::size_t k = 0; k < after.size(); ++k)
    if ((f.label >= 0 && after[k].label == f.label) || same_pred(after[k]))
      return static_cast<int>(k);
  return -1;
}

}  // namespace

void keep_place(AppState& s, const RankingData* before, const RankingData& after) {
  // The selected finding, by what it is about.
  if (s.selection.finding >= 0) {
    const std::vector<Finding>* old_f = findings_of(before, s.frame);
    const std::vector<Finding>* new_f = findings_of(&after, s.frame);
    int k = -1;
    if (old_f && new_f && static_cast<std::size_t>(s.selection.finding) < old_f->size())
      k = matching_finding((*old_f)[static_cast<std::size_t>(s.selection.finding)], *new_f);
    s.selection.finding = k;
  }
  // The rank cursor: on the current frame, else on the frame it was on.
  const int n = static_cast<int>(after.rank.frames.size());
  if (s.frame < after.position_of_frame.size() && after.position_of_frame[s.frame] >= 0 &&
      s.rank_cursor >= 0) {
    s.rank_cursor = after.position_of_frame[s.frame];
  } else if (s.rank_cursor >= 0) {
    int moved = -1;
    if (before && s.rank_cursor < static_cast<int>(before->rank.frames.size())) {
      const std::size_t f =
          before->rank.frames[static_cast<std::size_t>(s.rank_cursor)].frame_index;
      if (f < after.position_of_frame.size()) moved = after.position_of_frame[f];
    }
    s.rank_cursor = moved >= 0 ? moved : std::min(s.rank_cursor, n - 1);
  }
  // The list keeps the frame of its first visible row at the top (where the user scrolled to),
  // or, before it was drawn, brings the current frame into view. A filter on a kind or class the
  // new ranking lacks empties the list: it stays (the user chose it).
  if (s.list_top_frame >= 0)
    s.scroll_list_to_top_frame = true;
  else
    s.scroll_list_to_current = true;
}

bool refresh_ranking(AppState& s) {
  if (!s.session || !s.session->ranking) return false;
  std::shared_ptr<const RankingData> previous;
  // The snapshot shown until now (the final is never replaced, so previous covers it).
  if (!s.session->ranking->poll(&previous)) return false;
  const RankingData* after = s.session->ranking->shown();
  if (!after) return false;
  keep_place(s, previous.get(), *after);
  update_prefetch(s);
  return true;
}

std::string ranking_state_text(const RankingData* shown, const RankingProgress& p) {
  char buf[160];
  if (shown && !shown->interim) return "";
  if (shown) {
    const bool lidar = p.phase == "lidar";
    const std::size_t done = lidar ? p.done : shown->lidar_done;
    const std::size_t total = lidar ? p.total : shown->lidar_total;
    if (p.phase == "ranking")
      std::snprintf(buf, sizeof buf, "ranking: final ranking - list will refine");
    else
      std::snprintf(
          buf, sizeof buf, "ranking: lidar %d%% - list will refine",
          total ? static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total))
                : 0);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "ranking: %s %zu/%zu...", p.phase.c_str(), p.done, p.total);
  return buf;
}

const char* ranking_state_name(const RankingData* shown) {
  return !shown ? "none" : shown->interim ? "interim" : "final";
}

}  // namespace needle::view
