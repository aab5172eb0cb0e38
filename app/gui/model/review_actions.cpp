// Index: [session] [actions] [QA session] [queries of the panels]
#include "gui/model/review_actions.h"

#include <algorithm>
#include <limits>
#include <system_error>
#include <utility>

#include "gui/model/actions.h"

namespace needle::view {

namespace fs = std::filesystem;

namespace {

const std::string& frame_id_of(const AppState& s, std::size_t index) {
  return s.session->index->frames[index].id;
}

// Leaves a failed action's message where the user sees it.
std::string report(AppState& s, std::string err) {
  if (!err.empty()) s.status_message = err;
  return err;
}

bool same_folder(const fs::path& a, const fs::path& b) {
  std::error_code e1, e2;
  const fs::path ca = fs::weakly_canonical(a, e1), cb = fs::weakly_canonical(b, e2);
  return !e1 && !e2 && ca == cb;
}

const RankingData* ranking(const AppState& s) {
  return s.session ? s.session->rank() : nullptr;
}

// A ranked frame every finding of which has the verdict not_an_error.
bool fully_suppressed(const AppState& s, const FrameRank& fr) {
  if (fr.findings.empty()) return false;
  return std::all_of(fr.findings.begin(), fr.findings.end(), [&](const Finding& f) {
    const auto v = finding_verdict(s, fr.frame, f);
    return v && *v == VerdictKind::NotAnError;
  });
}

// The first frame in rank order after position `start` (-1: from the top, wrapping around)
// that is neither reviewed nor fully suppressed, nor the current frame.
std::string open_next_unreviewed(AppState& s, int start) {
  const RankingData* r = ranking(s);
  if (!r) return "not ranked yet";
  const auto& frames = r->rank.frames;
  const int n = static_cast<int>(frames.size());
  for (int k = 1; k <= n; ++k) {
    const FrameRank& fr = frames[static_cast<std::size_t>(((start + k) % n + n) % n)];
    if (fr.frame_index == s.frame && s.current) continue;
    if (frame_reviewed(s, fr.frame_index) || fully_suppressed(s, fr)) continue;
    go_to_frame(s, fr.frame_index);
    return "";
  }
  return "every suspicious frame is reviewed";
}

const ElementRecord* cursor_element(const AppState& s, std::string* err) {
  const ReviewSession* r = review_of(s);
  if (!r) {
    *err = "no review store";
    return nullptr;
  }
  const IssueDetail* d = r->snapshot().issue(r->current_issue);
  if (!d) {
    *err = r->current_issue.empty() ? "no current issue: create one (Shift+I) or pick one"
                                    : "no issue '" + r->current_issue + "'";
    return nullptr;
  }
  if (d->elements.empty()) {
    *err = "issue '" + d->info.name + "' has no elements yet (I adds the selection)";
    return nullptr;
  }
  const int n = static_cast<int>(d->elements.size());
  return &d->elements[static_cast<std::size_t>(std::clamp(r->element_cursor, 0, n - 1))];
}

}  // namespace

// [SECTION] session

std::unique_ptr<ReviewSession> open_review_session(const ReviewOptions& opt, const fs::path& root,
                                                   std::shared_ptr<const DatasetIndex> index) {
  const fs::path path =
      !opt.store.empty() && same_folder(root, opt.store_for) ? opt.store : default_store_path(root);
  // The index outlives every call: the source holds it.
  ObjectSource files = dataset_object_source(*index);
  ObjectSource source = [index, files](const std::string& frame, const std::string& set) {
    return files(frame, set);
  };
  return std::make_unique<ReviewSession>(path, std::move(source));
}

ReviewSession* review_of(AppState& s) {
  return s.session ? s.session->review.get() : nullptr;
}
const ReviewSession* review_of(const AppState& s) {
  return s.session ? s.session->review.get() : nullptr;
}

ObjectRef review_target(const AppState& s) {
  if (!s.session) return {};
  const std::string& id = frame_id_of(s, s.frame);
  if (s.selection.label >= 0) return {id, "label", s.selection.label};
  const auto& sets = s.session->set_names;
  if (s.selection.pred_set >= 0 && s.selection.pred >= 0 &&
      static_cast<std::size_t>(s.selection.pred_set) < sets.size())
    return {id, sets[static_cast<std::size_t>(s.selection.pred_set)], s.selection.pred};
  return {id, "", -1};
}

// [SECTION] actions

std::string review_tag(AppState& s, const std::string& tag) {
  ReviewSession* r = review_of(s);
  if (!r) return report(s, "no dataset open");
  return report(s, r->add_tag(review_target(s), tag));
}

std::string review_untag(AppState& s, const std::string& tag) {
  ReviewSession* r = review_of(s);
  if (!r) return report(s, "no dataset open");
  return report(s, r->remove_tag(review_target(s), tag));
}

std::string review_new_issue(AppState& s, const std::string& name) {
  ReviewSession* r = review_of(s);
  if (!r) return report(s, "no dataset open");
  std::string err = r->create_issue(name);
  if (err.empty()) r->show_issues = true;
  return report(s, std::move(err));
}

std::string review_open_issue(AppState& s, const std::string& name) {
  ReviewSession* r = review_of(s);
  if (!r) return report(s, "no dataset open");
  if (!r->snapshot().issue(name)) return report(s, "no issue '" + name + "'");
  r->current_issue = name;
  r->element_cursor = 0;
  r->show_issues = true;
  return "";
}

std::string review_add_to_issue(AppState& s) {
  return review_add_ref_to_issue(s, review_target(s));
}

std::string review_add_ref_to_issue(AppState& s, const ObjectRef& t) {
  ReviewSession* r = review_of(s);
  if (!r) return report(s, "no dataset open");
  std::string err = r->add_to_issue(r->current_issue, t);
  if (err.empty()) {
    // The cursor goes to the element just added (elements are kept in the order added; an
    // element added again keeps its place).
    if (const IssueDetail* d = r->snapshot().issue(r->current_issue)) {
      for (std::size_t i = 0; i < d->elements.size(); ++i)
        if (!d->elements[i].object.orphaned && d->elements[i].object.ref == t)
          r->element_cursor = static_cast<int>(i);
    }
  }
  return report(s, std::move(err));
}

std::string review_move_cursor(AppState& s, int delta) {
  std::string err;
  if (!cursor_element(s, &err)) return report(s, err);
  ReviewSession& r = *review_of(s);
  const int n = static_cast<int>(r.snapshot().issue(r.current_issue)->elements.size());
  r.element_cursor = std::clamp(std::clamp(r.element_cursor, 0, n - 1) + delta, 0, n - 1);
  return "";
}

std::string review_triage(AppState& s, ElementState state) {
  std::string err;
  const ElementRecord* e = cursor_element(s, &err);
  if (!e) return report(s, err);
  if (e->object.orphaned)
    return report(s, "element " + e->object.ref.to_string() +
                         " is orphaned (its object is no longer in the file)");
  ReviewSession& r = *review_of(s);
  const ObjectRef ref = e->object.ref;
  err = r.set_element_state(r.current_issue, ref, state);
  if (!err.empty()) return report(s, err);
  // On to the next unsorted element (after this one, wrapping around), so triage is one key per
  // element; the cursor stays when none is left.
  if (const IssueDetail* d = r.snapshot().issue(r.current_issue)) {
    const int n = static_cast<int>(d->elements.size());
    for (int k = 1; k < n; ++k) {
      const int i = (std::clamp(r.element_cursor, 0, n - 1) + k) % n;
      if (d->elements[static_cast<std::size_t>(i)].state == ElementState::Unsorted) {
        r.element_cursor = i;
        break;
      }
    }
  }
  return "";
}

std::string review_open_element(AppState& s) {
  std::string err;
  const ElementRecord* e = cursor_element(s, &err);
  if (!e) return report(s, err);
  if (e->object.orphaned) {
    ObjectRef frame_only;
    frame_only.frame = e->object.ref.frame;
    return review_open_ref(s, frame_only);
  }
  return review_open_ref(s, e->object.ref);
}

std::string review_open_ref(AppState& s, const ObjectRef& ref) {
  if (!review_of(s)) return report(s, "no dataset open");
  if (!go_to_frame_id(s, ref.frame)) return report(s, "no frame '" + ref.frame + "'");
  if (!ref.is_frame()) review_of(s)->pending_select = ref;
  return "";
}

std::string review_verdict(AppState& s, VerdictKind v) {
  ReviewSession* r = review_of(s);
  if (!r) return report(s, "no dataset open");
  const std::vector<Finding>& fs = current_findings(s);
  const int i = s.selection.finding;
  if (i < 0 || static_cast<std::size_t>(i) >= fs.size())
    return report(s, "select a finding first (click one in the inspector)");
  Finding f = fs[static_cast<std::size_t>(i)];
  if (f.frame.empty()) f.frame = frame_id_of(s, s.frame);
  return report(s, r->set_verdict(finding_object(f), f.kind, v));
}

std::string review_mark_reviewed(AppState& s) {
  ReviewSession* r = review_of(s);
  if (!r) return report(s, "no dataset open");
  return report(s, r->mark_reviewed(frame_id_of(s, s.frame)));
}

// [SECTION] QA session

std::string review_next_unreviewed(AppState& s) {
  if (!s.session) return report(s, "no dataset open");
  const RankingData* r = ranking(s);
  int start = -1;
  if (r && s.frame < r->position_of_frame.size()) start = r->position_of_frame[s.frame];
  return report(s, open_next_unreviewed(s, start));
}

bool review_resume(AppState& s) {
  ReviewSession* r = review_of(s);
  if (!r || r->resumed || !ranking(s)) return false;
  r->resumed = true;
  if (r->snapshot().reviewed.empty()) return false;
  return open_next_unreviewed(s, -1).empty();
}

void review_tick(AppState& s, double now_s, bool frame_drawn) {
  ReviewSession* r = review_of(s);
  if (!r) return;
  r->poll(now_s);
  if (r->error() != r->error_shown) {  // a store error (also one from opening) shows once
    if (r->error().empty() && s.status_message == r->error_shown) s.status_message.clear();
    r->error_shown = r->error();
    if (!r->error().empty()) s.status_message = r->error();
  }

  // An element opened from the gallery: select its object once the frame is loaded.
  if (r->pending_select && s.current && s.current->index == s.frame &&
      frame_id_of(s, s.frame) == r->pending_select->frame) {
    const ObjectRef ref = *r->pending_select;
    r->pending_select.reset();
    if (ref.is_label()) {
      select_label(s, ref.index);
    } else {
      select_prediction(s, find_prediction_set(s, ref.source), ref.index);
    }
  }

  // Dwell: the frame on screen, drawn for dwell_s, is recorded as reviewed (once per visit).
  const std::string& id = frame_id_of(s, s.frame);
  if (r->dwell_frame != id) {
    r->dwell_frame = id;
    r->dwell_since = -1;
  }
  if (s.review_options.dwell_s <= 0 || !frame_drawn) return;
  if (r->dwell_since < 0) r->dwell_since = now_s;
  if (now_s - r->dwell_since < s.review_options.dwell_s) return;
  r->dwell_since = std::numeric_limits<double>::infinity();  // one try per visit
  if (!r->snapshot().reviewed.count(id)) report(s, r->mark_reviewed(id));
}

// [SECTION] queries of the panels

std::optional<VerdictKind> finding_verdict(const AppState& s, const std::string& frame_id,
                                           const Finding& f) {
  const ReviewSession* r = review_of(s);
  if (!r || r->snapshot().verdict_by_key.empty()) return std::nullopt;
  if (!f.frame.empty()) return r->snapshot().verdict_of(finding_object(f), f.kind);
  Finding named = f;
  named.frame = frame_id;
  return r->snapshot().verdict_of(finding_object(named), f.kind);
}

bool finding_hidden(const AppState& s, const std::string& frame_id, const Finding& f) {
  const ReviewSession* r = review_of(s);
  if (!r || r->filter.suppressed) return false;
  const auto v = finding_verdict(s, frame_id, f);
  return v && *v == VerdictKind::NotAnError;
}

bool frame_reviewed(const AppState& s, std::size_t index) {
  const ReviewSession* r = review_of(s);
  return r && r->snapshot().reviewed.count(frame_id_of(s, index)) > 0;
}

bool review_row_passes(const AppState& s, std::size_t index) {
  const ReviewSession* r = review_of(s);
  if (!r) return true;
  const ReviewSnapshot& snap = r->snapshot();
  const ReviewFilter& f = r->filter;
  const std::string& id = frame_id_of(s, index);
  if (!f.tag.empty()) {
    const auto it = snap.tags_by_frame.find(id);
    if (it == snap.tags_by_frame.end() ||
        std::none_of(it->second.begin(), it->second.end(),
                     [&](const TagRecord& t) { return t.tag == f.tag; }))
      return false;
  }
  if (!f.issue.empty() && !snap.frame_in_issue(id, f.issue)) return false;
  if (!f.verdict.empty()) {
    const auto it = snap.verdicts_by_frame.find(id);
    if (it == snap.verdicts_by_frame.end() ||
        std::none_of(it->second.begin(), it->second.end(),
                     [&](const VerdictRecord& v) { return verdict_name(v.verdict) == f.verdict; }))
      return false;
  }
  if (f.unreviewed && snap.reviewed.count(id)) return false;
  // In rank order a frame whose every finding is hidden leaves the list (id order lists frames).
  const RankingData* rank = ranking(s);
  if (!f.suppressed && rank && s.order == ListOrder::Rank &&
      index < rank->position_of_frame.size()) {
    const int pos = rank->position_of_frame[index];
    if (pos >= 0 && fully_suppressed(s, rank->rank.frames[static_cast<std::size_t>(pos)]))
      return false;
  }
  return true;
}

ReviewProgress review_progress(const AppState& s) {
  ReviewProgress p;
  const RankingData* rank = ranking(s);
  if (!rank || !review_of(s)) return p;
  for (const FrameRank& fr : rank->rank.frames) {
    if (fully_suppressed(s, fr)) continue;
    ++p.suspicious;
    if (frame_reviewed(s, fr.frame_index)) ++p.reviewed;
  }
  return p;
}

std::string review_status_text(const AppState& s) {
  if (!ranking(s) || !review_of(s)) return "";
  const ReviewProgress p = review_progress(s);
  return "reviewed " + std::to_string(p.reviewed) + " of " + std::to_string(p.suspicious) +
         " suspicious";
}

std::vector<std::string> review_frame_tags(const AppState& s) {
  std::vector<std::string> out;
  const ReviewSession* r = review_of(s);
  if (!r) return out;
  const auto it = r->snapshot().tags_by_frame.find(frame_id_of(s, s.frame));
  if (it == r->snapshot().tags_by_frame.end()) return out;
  for (const TagRecord& t : it->second) out.push_back(t.tag + " " + t.object.ref.to_string());
  return out;
}

const char* verdict_tag(VerdictKind v) {
  switch (v) {
    case VerdictKind::LabelError:
      return "LABEL";
    case VerdictKind::ModelError:
      return "MODEL";
    case VerdictKind::Ambiguous:
      return "AMBIG";
    case VerdictKind::NotAnError:
      return "OK";
  }
  return "?";
}

}  // namespace needle::view
