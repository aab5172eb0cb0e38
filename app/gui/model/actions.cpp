#include "gui/model/actions.h"
#include "gui/model/review_actions.h"

#include <algorithm>
#include <exception>

#include "gui/model/compare_view.h"

namespace needle::view {

namespace {

const RankingData* ranking(const AppState& s) {
  return s.session ? s.session->rank() : nullptr;
}

void frame_changed(AppState& s) {
  s.selection = {};
  s.pending_finding = -1;
  s.current.reset();
  s.scroll_list_to_current = true;
  update_prefetch(s);
}

}  // namespace

bool open_dataset(AppState& s, const std::filesystem::path& root,
                  std::vector<PredictionSetSpec> preds, std::string* error) {
  try {
    namespace fs = std::filesystem;
    if (preds.empty()) preds = default_prediction_sets(root);
    auto index = std::make_shared<const DatasetIndex>(scan_dataset(root, preds));
    if (index->frames.empty()) throw std::runtime_error("no frames found under " + root.string());
    auto session = std::make_unique<Session>();
    session->root = root;
    session->index = index;
    for (const auto& p : index->pred_sets) session->set_names.push_back(p.name);
    session->loader = std::make_unique<FrameLoader>(index, 16, 2, s.on_frame_loaded);
    session->ranking = std::make_unique<RankingJob>(index, session->set_names, s.rank_options);
    session->review = open_review_session(s.review_options, root, index);
    s.session = std::move(session);  // the old session's threads are joined here
    s.display.show_pred.assign(s.session->set_names.size(), 1);
    s.display.min_score.assign(s.session->set_names.size(), 0.0f);
    s.filter = {};
    s.compare.filter = {};  // the compare panel stays open; its rows and pickers are new
    s.compare.selected_row = s.compare.pick_old = s.compare.pick_new = -1;
    s.rank_cursor = -1;
    s.frame = 0;
    s.status_message.clear();
    const std::string abs = std::filesystem::absolute(root).lexically_normal().string();
    s.recent.erase(std::remove(s.recent.begin(), s.recent.end(), abs), s.recent.end());
    s.recent.insert(s.recent.begin(), abs);
    if (s.recent.size() > 8) s.recent.resize(8);
    frame_changed(s);
    return true;
  } catch (const std::exception& e) {
    s.status_message = std::string("cannot open ") + root.string() + ": " + e.what();
    if (error) *error = s.status_message;
    return false;
  }
}

void go_to_frame(AppState& s, std::size_t index) {
  if (!s.session || index >= s.session->frame_count()) return;
  const bool changed = index != s.frame || !s.current;
  s.frame = index;
  // Keep the rank cursor on the frame when it is ranked, so N/P continue from here.
  if (const RankingData* r = ranking(s)) {
    if (index < r->position_of_frame.size() && r->position_of_frame[index] >= 0)
      s.rank_cursor = r->position_of_frame[index];
  }
  if (changed) frame_changed(s);
}

bool go_to_frame_id(AppState& s, const std::string& id) {
  if (!s.session || id.empty()) return false;
  const auto& frames = s.session->index->frames;
  auto zero_padded = [&](const std::string& f) {
    return f.size() > id.size() && f.compare(f.size() - id.size(), id.size(), id) == 0 &&
           std::all_of(f.begin(), f.end() - static_cast<long>(id.size()),
                       [](char c) { return c == '0'; });
  };
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t i = 0; i < frames.size(); ++i)
      if (pass == 0 ? frames[i].id == id : zero_padded(frames[i].id)) {
        go_to_frame(s, i);
        return true;
      }
  return false;
}

void next_frame(AppState& s) {
  if (s.session && s.frame + 1 < s.session->frame_count()) go_to_frame(s, s.frame + 1);
}
void prev_frame(AppState& s) {
  if (s.session && s.frame > 0) go_to_frame(s, s.frame - 1);
}
void first_frame(AppState& s) {
  go_to_frame(s, 0);
}
void last_frame(AppState& s) {
  if (s.session && s.session->frame_count() > 0) go_to_frame(s, s.session->frame_count() - 1);
}

void next_suspicious(AppState& s) {
  if (step_compare_filtered(s, +1)) return;  // a compare summary row is the list
  const RankingData* r = ranking(s);
  if (!r || r->rank.frames.empty()) return;
  const int n = static_cast<int>(r->rank.frames.size());
  const int pos = std::min(s.rank_cursor + 1, n - 1);
  s.rank_cursor = pos;
  go_to_frame(s, r->rank.frames[static_cast<std::size_t>(pos)].frame_index);
}

void prev_suspicious(AppState& s) {
  if (step_compare_filtered(s, -1)) return;
  const RankingData* r = ranking(s);
  if (!r || r->rank.frames.empty()) return;
  const int pos = std::max(s.rank_cursor - 1, 0);
  s.rank_cursor = pos;
  go_to_frame(s, r->rank.frames[static_cast<std::size_t>(pos)].frame_index);
}

bool go_to_first_label_error(AppState& s) {
  const RankingData* r = ranking(s);
  if (!r) return false;
  for (std::size_t p = 0; p < r->rank.frames.size(); ++p) {
    const FrameRank& fr = r->rank.frames[p];
    if (fr.findings.empty() || fr.findings.front().kind == kind::kInvalidData) continue;
    go_to_frame(s, fr.frame_index);
    s.rank_cursor = static_cast<int>(p);
    s.pending_finding = 0;  // findings are sorted by score: 0 is the top one
    apply_pending_selection(s);
    return true;
  }
  return false;
}

void apply_pending_selection(AppState& s) {
  if (s.pending_finding < 0 || !s.current || s.current->index != s.frame) return;
  select_finding(s, s.pending_finding);
  s.pending_finding = -1;
}

void set_rank_options(AppState& s, const PipelineOptions& opt) {
  s.rank_options = opt;
  if (!s.session) return;
  s.session->ranking.reset();  // cancels and joins the running job first
  s.session->ranking =
      std::make_unique<RankingJob>(s.session->index, s.session->set_names, s.rank_options);
  s.rank_cursor = -1;
  s.filter = {};
  s.compare.filter = {};  // its rows change with the ranking
  s.compare.selected_row = -1;
  s.selection = {};
  s.pending_finding = -1;
  update_prefetch(s);
}

const std::vector<Finding>& current_findings(const AppState& s) {
  static const std::vector<Finding> kNone;
  const RankingData* r = ranking(s);
  if (!r || s.frame >= r->position_of_frame.size()) return kNone;
  const int p = r->position_of_frame[s.frame];
  return p < 0 ? kNone : r->rank.frames[static_cast<std::size_t>(p)].findings;
}

int rank_of_frame(const AppState& s, std::size_t index) {
  const RankingData* r = ranking(s);
  if (!r || index >= r->position_of_frame.size()) return 0;
  const int p = r->position_of_frame[index];
  return p < 0 ? 0 : r->rank.frames[static_cast<std::size_t>(p)].rank;
}

bool select_label(AppState& s, int index) {
  if (!s.current || index < 0 || index >= static_cast<int>(s.current->data.ann.labels.size()))
    return false;
  s.selection = {};
  s.selection.label = index;
  s.centre_on_selection = true;
  return true;
}

bool select_prediction(AppState& s, int set, int index) {
  if (!s.current || set < 0 || set >= static_cast<int>(s.current->data.ann.preds.size()))
    return false;
  const auto& objs = s.current->data.ann.preds[static_cast<std::size_t>(set)].objects;
  if (index < 0 || index >= static_cast<int>(objs.size())) return false;
  s.selection = {};
  s.selection.pred_set = set;
  s.selection.pred = index;
  s.centre_on_selection = true;
  return true;
}

bool select_finding(AppState& s, int index) {
  const auto& findings = current_findings(s);
  if (!s.current || index < 0 || index >= static_cast<int>(findings.size())) return false;
  const Finding& f = findings[static_cast<std::size_t>(index)];
  Selection sel;
  sel.finding = index;
  const auto& ann = s.current->data.ann;
  if (f.label >= 0 && f.label < static_cast<int>(ann.labels.size())) sel.label = f.label;
  const int set = find_prediction_set(s, f.prediction_set);
  if (set >= 0 && f.prediction >= 0 &&
      f.prediction < static_cast<int>(ann.preds[static_cast<std::size_t>(set)].objects.size())) {
    sel.pred_set = set;
    sel.pred = f.prediction;
  }
  s.selection = sel;
  s.centre_on_selection = true;
  return true;
}

void clear_selection(AppState& s) {
  s.selection = {};
}

int find_prediction_set(const AppState& s, const std::string& name) {
  if (!s.session || name.empty()) return -1;
  const auto& names = s.session->set_names;
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

void update_prefetch(AppState& s) {
  if (!s.session || !s.session->loader) return;
  s.session->loader->prefetch(likely_next_frames(s));
}

std::vector<std::size_t> likely_next_frames(const AppState& s) {
  if (!s.session) return {};
  return likely_next_frames(s.frame, s.session->frame_count(), s.rank_cursor, ranking(s));
}

std::vector<std::size_t> likely_next_frames(std::size_t frame, std::size_t n, int rank_cursor,
                                            const RankingData* r) {
  std::vector<std::size_t> order;
  auto add = [&](long i) {
    if (i < 0 || static_cast<std::size_t>(i) >= n || static_cast<std::size_t>(i) == frame) return;
    if (std::find(order.begin(), order.end(), static_cast<std::size_t>(i)) == order.end())
      order.push_back(static_cast<std::size_t>(i));
  };
  const long f = static_cast<long>(frame);
  auto ranked = [&](int pos) -> long {
    if (!r || pos < 0 || pos >= static_cast<int>(r->rank.frames.size())) return -1;
    return static_cast<long>(r->rank.frames[static_cast<std::size_t>(pos)].frame_index);
  };
  // Most likely next moves first: next by id, next suspicious, previous by id, previous
  // suspicious; then the same two steps away.
  for (int step = 1; step <= 2; ++step) {
    add(f + step);
    add(ranked(rank_cursor + step));
    add(f - step);
    add(ranked(rank_cursor - step));
  }
  return order;
}

}  // namespace needle::view
