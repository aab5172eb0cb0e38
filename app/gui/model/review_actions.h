// Review actions on the viewer's state: what the review keys, the review panels and the review
// script verbs do (tags, issues and triage, verdicts, the resumable QA session), and what the
// frame list, the inspector and the status bar ask about the review. GL-free; each action is one
// store transaction (review_session.h) and leaves a message in status_message when it fails.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gui/model/app_state.h"

namespace needle::view {

// The review session for a newly opened dataset: the store at `--store` when `root` is the
// dataset it was given for, else default_store_path(root); objects read from `index`'s files.
std::unique_ptr<ReviewSession> open_review_session(const ReviewOptions& opt,
                                                   const std::filesystem::path& root,
                                                   std::shared_ptr<const DatasetIndex> index);

// The session's review, or null (no dataset, or a session built without one in tests).
ReviewSession* review_of(AppState& s);
const ReviewSession* review_of(const AppState& s);

// What the tag, issue and verdict keys act on: the selected label, else the selected
// prediction, else the current frame.
ObjectRef review_target(const AppState& s);

// Actions. Each returns "" or the error, which is also left in status_message.
std::string review_tag(AppState& s, const std::string& tag);
std::string review_untag(AppState& s, const std::string& tag);
std::string review_new_issue(AppState& s, const std::string& name);
std::string review_open_issue(AppState& s, const std::string& name);
std::string review_add_to_issue(AppState& s);  // review_target() into the current issue
std::string review_add_ref_to_issue(AppState& s, const ObjectRef& ref);  // `ref` into it
// The gallery cursor's element of the current issue.
std::string review_move_cursor(AppState& s, int delta);
std::string review_triage(AppState& s, ElementState state);
std::string review_open_element(AppState& s);                    // its frame, its object selected
std::string review_open_ref(AppState& s, const ObjectRef& ref);  // the same for any ref
// A verdict on the selected finding (finding_object names it, as apply_verdicts does).
std::string review_verdict(AppState& s, VerdictKind v);
std::string review_mark_reviewed(AppState& s);
// Opens the next suspicious frame (rank order, after the current one, wrapping around) that is
// not reviewed and not fully suppressed. "" when one was opened.
std::string review_next_unreviewed(AppState& s);
// Resuming a QA session: from the top of the ranking, the first unreviewed suspicious frame;
// only when the store holds reviewed marks. True when a frame was opened.
bool review_resume(AppState& s);

// Called once per UI frame: polls the store for other processes' changes, and marks the frame
// on screen reviewed once it has been drawn (`frame_drawn`) for ReviewOptions::dwell_s.
void review_tick(AppState& s, double now_s, bool frame_drawn);

// ---- What the panels ask ----------------------------------------------------------------------
// The verdict on a finding of frame `frame_id` (its `frame` field may be empty).
std::optional<VerdictKind> finding_verdict(const AppState& s, const std::string& frame_id,
                                           const Finding& f);
// A finding the frame list hides: verdict not_an_error and the suppressed filter off.
bool finding_hidden(const AppState& s, const std::string& frame_id, const Finding& f);
// Whether the frame list shows frame `index` under the review filters (tag, issue, verdict,
// unreviewed, and a ranked frame left with only hidden findings).
bool review_row_passes(const AppState& s, std::size_t index);
bool frame_reviewed(const AppState& s, std::size_t index);

struct ReviewProgress {
  std::size_t reviewed = 0;    // suspicious frames reviewed
  std::size_t suspicious = 0;  // ranked frames with a finding the list shows
};
ReviewProgress review_progress(const AppState& s);
// "reviewed 120 of 400 suspicious"; "" without a ranking or a review.
std::string review_status_text(const AppState& s);

// The current frame's tags and its objects' as "TAG REF" (the layout report of tests).
std::vector<std::string> review_frame_tags(const AppState& s);

// Short verdict names for tags in the list and the inspector ("LABEL", "MODEL", "AMBIG", "OK").
const char* verdict_tag(VerdictKind v);

}  // namespace needle::view
