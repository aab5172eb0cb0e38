#include "gui/model/compare_view.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "gui/model/actions.h"

namespace needle::view {

CompareSets compare_sets(const AppState& s) {
  CompareSets c;
  const std::string& spec = s.rank_options.compare;
  const std::size_t comma = spec.find(',');
  if (!s.session || comma == std::string::npos) return c;
  const int o = find_prediction_set(s, spec.substr(0, comma));
  const int n = find_prediction_set(s, spec.substr(comma + 1));
  if (o < 0 || n < 0 || o == n) return c;
  c.old_set = o;
  c.new_set = n;
  return c;
}

std::optional<SetStyle> compare_style(const AppState& s, std::size_t set) {
  const CompareSets c = compare_sets(s);
  if (!c.active()) return std::nullopt;
  if (set == static_cast<std::size_t>(c.old_set))
    return SetStyle{kCompareOldColor, true, kCompareOldWidth, "OLD"};
  if (set == static_cast<std::size_t>(c.new_set))
    return SetStyle{kCompareNewColor, false, kCompareNewWidth, "NEW"};
  return std::nullopt;
}

std::vector<LegendEntry> compare_legend(const AppState& s) {
  std::vector<LegendEntry> out;
  const CompareSets c = compare_sets(s);
  if (!c.active()) return out;
  for (int set : {c.old_set, c.new_set}) {
    const std::size_t k = static_cast<std::size_t>(set);
    const std::optional<SetStyle> st = compare_style(s, k);
    out.push_back({std::string(st->role) + " " + s.session->set_names[k], *st});
  }
  return out;
}

const CompareSummary* compare_summary(const AppState& s) {
  const RankingData* r = s.session ? s.session->rank() : nullptr;
  return r && r->compare ? r->compare.get() : nullptr;
}

std::vector<CompareRow> current_compare_rows(const AppState& s) {
  const CompareSummary* c = compare_summary(s);
  return c ? compare_rows(*c, s.compare.metric) : std::vector<CompareRow>{};
}

bool compare_filter_passes(const AppState& s, std::size_t frame) {
  const CompareFilter& f = s.compare.filter;
  if (!f.active) return true;
  const CompareSummary* c = compare_summary(s);
  if (!c) return true;
  return frame < c->events.size() && events_match(c->events[frame], f.cls, f.difficulty, f.list);
}

std::vector<std::size_t> compare_filtered_frames(const AppState& s) {
  std::vector<std::size_t> out;
  const RankingData* r = s.session ? s.session->rank() : nullptr;
  if (!r) return out;
  for (const FrameRank& fr : r->rank.frames)
    if (compare_filter_passes(s, fr.frame_index)) out.push_back(fr.frame_index);
  for (std::size_t i = 0; i < s.session->frame_count(); ++i) {
    const bool ranked = i < r->position_of_frame.size() && r->position_of_frame[i] >= 0;
    if (!ranked && compare_filter_passes(s, i)) out.push_back(i);
  }
  return out;
}

bool click_compare_row(AppState& s, int row) {
  const std::vector<CompareRow> rows = current_compare_rows(s);
  if (row < 0 || static_cast<std::size_t>(row) >= rows.size()) return false;
  const CompareRow& r = rows[static_cast<std::size_t>(row)];
  s.compare.filter = {true, r.cls, r.difficulty, s.compare.list};
  s.compare.selected_row = row;
  s.scroll_list_to_current = true;
  const std::vector<std::size_t> frames = compare_filtered_frames(s);
  if (!frames.empty()) go_to_frame(s, frames.front());
  return true;
}

void clear_compare_filter(AppState& s) {
  s.compare.filter = {};
  s.compare.selected_row = -1;
  s.scroll_list_to_current = true;
}

std::string compare_filter_text(const CompareFilter& f) {
  if (!f.active) return "";
  std::string t = compare_list_name(f.list);
  t += " of " + (f.cls.empty() ? std::string("any class") : f.cls);
  if (f.difficulty >= 0)
    t += std::string(" (") + difficulty_key(static_cast<Difficulty>(f.difficulty)) + ")";
  return t;
}

bool step_compare_filtered(AppState& s, int dir) {
  if (!s.compare.filter.active || !compare_summary(s)) return false;
  const std::vector<std::size_t> frames = compare_filtered_frames(s);
  if (frames.empty()) return true;
  const auto it = std::find(frames.begin(), frames.end(), s.frame);
  std::size_t pos = 0;
  if (it == frames.end()) {
    pos = dir > 0 ? 0 : frames.size() - 1;
  } else {
    const std::size_t k = static_cast<std::size_t>(it - frames.begin());
    pos = dir > 0 ? std::min(k + 1, frames.size() - 1) : (k > 0 ? k - 1 : 0);
  }
  go_to_frame(s, frames[pos]);
  return true;
}

std::vector<LabelCompare> current_label_compare(const AppState& s) {
  const CompareSets c = compare_sets(s);
  if (!c.active() || !s.current || s.current->index != s.frame) return {};
  const CompareSummary* sum = compare_summary(s);
  return compare_labels(s.current->data.ann, static_cast<std::size_t>(c.old_set),
                        static_cast<std::size_t>(c.new_set), sum ? &sum->conf_old : nullptr,
                        sum ? &sum->conf_new : nullptr);
}

std::string compare_layout_json(const AppState& s) {
  const CompareSets sets = compare_sets(s);
  if (!sets.active()) return "";
  using nlohmann::json;
  json j;
  j["old"] = s.session->set_names[static_cast<std::size_t>(sets.old_set)];
  j["new"] = s.session->set_names[static_cast<std::size_t>(sets.new_set)];
  const CompareSummary* c = compare_summary(s);
  j["ready"] = c != nullptr;
  const CompareFilter& f = s.compare.filter;
  j["filter"] = {{"active", f.active && c},
                 {"class", f.cls},
                 {"difficulty", f.difficulty},
                 {"list", compare_list_name(f.list)}};
  json ids = json::array();
  if (c)
    for (std::size_t i : compare_filtered_frames(s)) ids.push_back(s.session->index->frames[i].id);
  j["listed"] = ids;
  json rows = json::array();
  for (const CompareRow& r : current_compare_rows(s)) {
    json row = {{"class", r.cls},
                {"difficulty", r.difficulty},
                {"regressions", r.regressions},
                {"fixes", r.fixes}};
    if (r.ap_old) row["ap_old"] = *r.ap_old;
    if (r.ap_new) row["ap_new"] = *r.ap_new;
    rows.push_back(row);
  }
  j["rows"] = rows;
  if (c) j["totals"] = {{"regressions", c->regressions_total}, {"fixes", c->fixes_total}};
  json labels = json::array();
  for (const LabelCompare& l : current_label_compare(s))
    labels.push_back({{"label", l.label},
                      {"class", l.cls},
                      {"outcome", label_outcome_name(l.outcome)},
                      {"old_pred", l.old_side.pred},
                      {"new_pred", l.new_side.pred},
                      {"old_iou", l.old_side.iou},
                      {"new_iou", l.new_side.iou}});
  j["labels"] = labels;
  json legend = json::array();
  for (const LegendEntry& e : compare_legend(s))
    legend.push_back({{"text", e.text},
                      {"rgb", {e.style.color.r, e.style.color.g, e.style.color.b}},
                      {"dashed", e.style.dashed}});
  j["legend"] = legend;
  return j.dump();
}

}  // namespace needle::view
