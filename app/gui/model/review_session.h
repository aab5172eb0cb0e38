// The viewer's side of the review store (needle/store.h): one ReviewSession per open dataset.
// It owns the store connection, a snapshot of what the store holds (tags, verdicts, reviewed
// marks, issues with their elements), and the review UI state of that dataset (list filters,
// the current issue and its gallery cursor, the dwell timer of the QA session).
//
// Contracts:
//  * Viewing never creates a file: an existing store is opened at once; a missing one is created
//    by the first write (a tag, an issue, a verdict, a reviewed mark).
//  * Every action is one store transaction (the store's own), followed by a re-read of the
//    snapshot, so what the user did shows at once. Actions return "" or a message; they never
//    throw (a read-only, corrupt or foreign file gives a message, never a crash or an overwrite).
//  * poll() re-reads the snapshot when the store's change counter moved (another process wrote):
//    one indexed query at most every kReviewPollSeconds; nothing else touches the disk.
// GL-free: the panels draw it, tests drive it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "needle/store.h"

namespace needle::view {

// How long a frame must stay on screen, loaded and drawn, to count as reviewed (seconds). The
// brief's suggestion (issue 11): enough to take in the image and the findings, while frames
// stepped through with a held key (about 0.1 s each) are never marked.
inline constexpr double kReviewDwellSeconds = 2.0;
// How often the viewer asks the store whether another process changed it (seconds): the issue
// asks for changes "without a restart"; 1 s keeps that prompt for a person, and each poll is one
// indexed max(id) lookup.
inline constexpr double kReviewPollSeconds = 1.0;

// Which store a dataset uses and how the QA session behaves (`needle view --store PATH`).
struct ReviewOptions {
  std::filesystem::path store;           // --store: overrides default_store_path for `store_for`
  std::filesystem::path store_for;       // the dataset given on the command line
  double dwell_s = kReviewDwellSeconds;  // <= 0: frames are marked reviewed only by the key
  bool resume = true;  // once ranked, open the next unreviewed suspicious frame (if any reviewed)
};

// Frame list filters of the review (combined with the finding filters of ListFilter).
struct ReviewFilter {
  std::string tag;          // "" = any; else frames with this tag on the frame or an object
  std::string issue;        // "" = any; else frames with an element in this issue
  std::string verdict;      // "" = any; else frames with a verdict of this name
  bool suppressed = false;  // show not_an_error findings (and frames left with only those)
  bool unreviewed = false;  // only frames not yet reviewed
  bool active() const { return !tag.empty() || !issue.empty() || !verdict.empty() || unreviewed; }
};

// What the store held at the last read, indexed for the panels.
struct ReviewSnapshot {
  std::int64_t change = -1;  // the store's change counter when read; -1 = never read
  std::map<std::string, std::vector<TagRecord>> tags_by_frame;          // frame and object tags
  std::vector<std::string> tags_in_use;                                 // sorted, unique
  std::map<std::string, std::vector<VerdictRecord>> verdicts_by_frame;  // resolved ones only
  std::map<std::string, ReviewedRecord> reviewed;                       // by frame id
  std::vector<IssueDetail> issues;                                      // by name
  // (frame, source, index, finding kind) -> verdict, for the list and the inspector.
  std::map<std::tuple<std::string, std::string, int, std::string>, VerdictKind> verdict_by_key;

  const IssueDetail* issue(const std::string& name) const;
  bool frame_in_issue(const std::string& frame, const std::string& issue) const;
  std::optional<VerdictKind> verdict_of(const ObjectRef& object, const std::string& kind) const;
};

class ReviewSession {
 public:
  // `user` empty: the OS user. Opens the store at `store_path` when the file exists.
  ReviewSession(std::filesystem::path store_path, ObjectSource source, std::string user = {});

  const std::filesystem::path& store_path() const { return path_; }
  bool store_open() const { return store_.has_value(); }
  const ReviewSnapshot& snapshot() const { return snap_; }
  // The last store error ("" when the last access worked).
  const std::string& error() const { return error_; }

  // Re-reads the snapshot when the change counter moved (or always with `force`); opens the
  // store when its file has appeared. True when the snapshot changed.
  bool refresh(bool force = false);
  // refresh() at most every kReviewPollSeconds (now_s: any monotonic clock in seconds).
  bool poll(double now_s);

  // Actions: one transaction each. Return "" on success, else the message for the status bar.
  std::string add_tag(const ObjectRef& ref, const std::string& tag);
  std::string remove_tag(const ObjectRef& ref, const std::string& tag);
  std::string create_issue(const std::string& name);
  std::string add_to_issue(const std::string& issue, const ObjectRef& ref);
  std::string set_element_state(const std::string& issue, const ObjectRef& ref, ElementState state);
  std::string set_verdict(const ObjectRef& ref, const std::string& kind, VerdictKind verdict);
  std::string mark_reviewed(const std::string& frame);

  // Review UI state of this dataset.
  ReviewFilter filter;
  std::string current_issue;  // the issue the add key and the gallery use ("" = none)
  int element_cursor = 0;     // selected element of the current issue's gallery
  bool show_issues = false;   // the issues panel is open
  bool show_tag_popup = false, show_issue_popup = false;  // requests: open these popups
  bool resumed = false;                     // the QA session was resumed (once per dataset)
  std::string error_shown;                  // the store error last put in the status bar
  std::optional<ObjectRef> pending_select;  // an opened element: selected once its frame loads
  // Dwell timer: the frame on screen and since when it has been drawn (-1: not yet).
  std::string dwell_frame;
  double dwell_since = -1;

 private:
  template <class Action>
  std::string write(Action action);
  void read_snapshot();
  bool try_open(ReviewStore::Mode mode);

  std::filesystem::path path_;
  ObjectSource source_;
  std::string user_;
  std::optional<ReviewStore> store_;
  ReviewSnapshot snap_;
  std::string error_;
  double last_poll_ = -1e300;
  // Polls a newly appeared store file may fail to open before it is reported (see refresh()).
  static constexpr int kOpenAttempts = 3;
  int open_failures_ = 0;
};

}  // namespace needle::view
