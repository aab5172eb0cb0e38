// needle/store.h — the review store: what people decided about a dataset, kept in one SQLite
// file per dataset (tags, issues and their elements, verdicts on findings, reviewed marks, and an
// append-only history of every change with who and when).
//
// Contracts:
//  * Location: default_store_path(). `--store PATH` overrides it.
//  * Every action is one transaction, committed before the call returns (WAL mode, so a process
//    killed during a burst of writes loses at most the action in flight). Several processes may
//    share one store: writers wait for each other (busy timeout) and each call reads the latest
//    committed state, so another process's changes show up at the next call.
//  * open() never modifies a file that is not a needle store, is corrupt or comes from a newer
//    schema: it throws StoreError (kind NotAStore / Corrupt / NewerSchema) first.
//  * Objects are referenced by (frame, source, line index) plus a fingerprint (object_identity.h)
//    and re-resolved on every read against the current files through an ObjectSource; records
//    whose object is gone are returned with orphaned = true, never dropped or re-attached.
// SQLite stays inside core/src/store/; this header speaks needle's own types.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "needle/dataset.h"
#include "needle/enum_names.h"
#include "needle/object_identity.h"
#include "needle/ranking.h"

namespace needle {

// ---- References ------------------------------------------------------------------------------
// "FRAME" (the frame), "FRAME/label/N" (label line N, 0-based among object lines),
// "FRAME/pred/SET/N" (prediction N of set SET).
struct ObjectRef {
  std::string frame;
  std::string source;  // "" = the frame itself, "label", or a prediction set's name
  int index = -1;      // -1 for a frame
  bool is_frame() const { return source.empty(); }
  bool is_label() const { return source == "label"; }
  std::string to_string() const;
  bool operator==(const ObjectRef&) const = default;
};
// Throws std::invalid_argument naming what is wrong.
ObjectRef parse_object_ref(const std::string& text);

enum class ElementState { Unsorted, Added, Discarded };
inline constexpr EnumName<ElementState> kElementStateTable[] = {
    {ElementState::Unsorted, "unsorted"},
    {ElementState::Added, "added"},
    {ElementState::Discarded, "discarded"}};
const char* element_state_name(ElementState s);
ElementState parse_element_state(const std::string& s);  // throws std::invalid_argument

enum class VerdictKind { LabelError, ModelError, Ambiguous, NotAnError };
inline constexpr EnumName<VerdictKind> kVerdictTable[] = {
    {VerdictKind::LabelError, "label_error"},
    {VerdictKind::ModelError, "model_error"},
    {VerdictKind::Ambiguous, "ambiguous"},
    {VerdictKind::NotAnError, "not_an_error"}};
const char* verdict_name(VerdictKind v);
VerdictKind parse_verdict(const std::string& s);  // throws std::invalid_argument

// ---- Errors ----------------------------------------------------------------------------------
class StoreError : public std::runtime_error {
 public:
  enum class Kind {
    NotAStore,    // the file exists but is not a needle store (never touched)
    Corrupt,      // SQLite reports corruption (never touched)
    NewerSchema,  // written by a newer needle (never touched)
    Io,           // cannot create/open/write
    Usage,        // unknown issue, bad reference, index past the file's end ...
  };
  StoreError(Kind k, const std::string& msg) : std::runtime_error(msg), kind_(k) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// ---- Records ---------------------------------------------------------------------------------
// A stored reference resolved against the current files: `ref` is where the object is now (or,
// when orphaned, where it was when stored) and `fingerprint` what it looked like then.
struct ResolvedRef {
  ObjectRef ref;
  bool orphaned = false;
  std::optional<ObjectFingerprint> fingerprint;
  std::string problem;  // why it could not be resolved when its file is unreadable (orphaned)
};
struct TagRecord {
  ResolvedRef object;
  std::string tag, user, time;
};
struct ElementRecord {
  ResolvedRef object;
  ElementState state = ElementState::Unsorted;
  std::string user, time;
};
struct IssueInfo {
  std::string name, description, created, updated;
  std::map<ElementState, long> counts;  // every state present, 0 when none
};
struct IssueDetail {
  IssueInfo info;
  std::vector<ElementRecord> elements;  // in the order they were added
};
struct VerdictRecord {
  ResolvedRef object;
  std::string kind;  // finding kind, e.g. "poor_overlap"
  VerdictKind verdict = VerdictKind::Ambiguous;
  std::string note, user, time;
};
struct ReviewedRecord {
  std::string frame, user, time;
};
struct HistoryRecord {
  long id = 0;
  std::string time, user, action, ref, detail;  // ref: as written at the time
};

// The current objects of (frame, source) where source is "label" or a prediction set name;
// nullopt when the frame or the set does not exist. May throw ParseError for a broken file.
using ObjectSource = std::function<std::optional<std::vector<Object>>(const std::string& frame,
                                                                      const std::string& source)>;
// Reads label and prediction files of a scanned dataset (no caching: files may change).
ObjectSource dataset_object_source(const DatasetIndex& ds);

// DATASET/.needle/review.sqlite when that exists or DATASET is writable (a folder without any
// write permission bit counts as read-only, even for root); otherwise
// $XDG_DATA_HOME/needle/stores/<16 hex digits of FNV-1a 64 of the absolute path>.sqlite
// (XDG_DATA_HOME defaults to ~/.local/share).
std::filesystem::path default_store_path(const std::filesystem::path& dataset);

class ReviewStore {
 public:
  static constexpr int kSchemaVersion = 2;
  enum class Mode { Create, Existing };  // Existing: a missing file is an Io error
  // Opens (or creates) the store; migrates an older schema forward in one transaction.
  static ReviewStore open(const std::filesystem::path& path, ObjectSource source,
                          Mode mode = Mode::Create);
  // Test hook: creates a new store at schema `version` (1..kSchemaVersion) and closes it.
  static void create_at_version(const std::filesystem::path& path, int version);

  ReviewStore(ReviewStore&&) noexcept;
  ReviewStore& operator=(ReviewStore&&) noexcept;
  ~ReviewStore();

  int schema_version() const;
  const std::filesystem::path& path() const;
  // Who is recorded in the history (default: the OS user).
  void set_user(const std::string& user);

  // Actions: each one transaction, with its history entry. Throw StoreError(Usage) for a bad
  // reference (unknown frame/set, index past the end) or an unknown issue.
  bool add_tag(const ObjectRef& ref, const std::string& tag);     // false: already tagged
  bool remove_tag(const ObjectRef& ref, const std::string& tag);  // false: was not tagged
  void create_issue(const std::string& name, const std::string& description);
  // Adds elements (existing ones get `state`); returns how many were new.
  int add_to_issue(const std::string& name, const std::vector<ObjectRef>& refs,
                   ElementState state = ElementState::Unsorted);
  void set_element_state(const std::string& name, const ObjectRef& ref, ElementState state);
  void set_verdict(const ObjectRef& ref, const std::string& finding_kind, VerdictKind verdict,
                   const std::string& note);
  void mark_reviewed(const std::string& frame);

  // Queries (read the latest committed state).
  std::vector<TagRecord> tags(const std::optional<ObjectRef>& ref = {},
                              const std::optional<std::string>& tag = {});
  std::vector<IssueInfo> issues();
  IssueDetail issue(const std::string& name);
  std::vector<VerdictRecord> verdicts(const std::optional<ObjectRef>& ref = {});
  std::vector<ReviewedRecord> reviewed();
  std::vector<HistoryRecord> history(const std::optional<ObjectRef>& ref = {});
  // The id of the newest history entry (0 when none). Every action of any process appends one,
  // so a change of this number means the store changed: one indexed lookup, cheap enough to poll.
  std::int64_t change_counter();

  struct Impl;

 private:
  explicit ReviewStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---- Ranking hook ----------------------------------------------------------------------------
// The object a finding is named by (see apply_verdicts): its label, else its prediction, else
// the frame. `f.frame` must be set.
ObjectRef finding_object(const Finding& f);
struct Verdict {
  ObjectRef ref;     // where the object is now
  std::string kind;  // finding kind
  VerdictKind verdict = VerdictKind::Ambiguous;
};
// Applies reviewed verdicts to a ranking of the same data. A finding is named by its object and
// kind: a label finding by (frame, "label", label index), a prediction finding (no label) by
// (frame, set, prediction index), a frame finding (neither) by the frame. not_an_error findings
// are removed (unless keep_suppressed) and counted in summary["suppressed"]; the frames' scores
// are then recomputed as the noisy-or of their remaining findings, frames left with none drop out
// and the ranks are renumbered. Matched label_error verdicts are counted in
// summary["confirmed_label_errors"]. Orphaned verdicts are not passed in.
void apply_verdicts(RankResult& result, const std::vector<Verdict>& verdicts,
                    bool keep_suppressed = false);
// The verdicts of the store for `dataset` (default_store_path unless store_path is given) that
// still resolve to an object; empty when no store exists (none is created). Throws StoreError.
std::vector<Verdict> load_verdicts(const DatasetIndex& ds, const std::filesystem::path& dataset,
                                   const std::filesystem::path& store_path = {});

}  // namespace needle
