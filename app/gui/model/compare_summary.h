// Compare mode's view data, computed once per ranking from the pipeline's result (GL-free, no
// AppState): AP per class and difficulty for the OLD and the NEW set, regressions and fixes per
// class, the per-frame events the summary panel filters the frame list by, and the per-label
// OLD/NEW match table the inspector shows.
//
// Contracts:
//  * Regressions are the compare ranking's findings (regression_miss, model_class_flip,
//    new_false_positive; core/src/compare.cpp): one event each, of the finding's class, with the
//    devkit difficulty of its label (none for a new false positive).
//  * Fixes are label fixes found by compare_labels: a label only NEW detects (with a compatible
//    class), or a class flip back to the label's class. The engine also counts an OLD false
//    positive that NEW no longer makes as a fix (summary "fixes:<class>"); those have no label and
//    are not listed per frame.
//  * compare_labels matches each set against the labels as the engine does (match_frame, default
//    MatchConfig, predictions in raw score order), so its regressions are the engine's.
//  * Raw scores of two sets need not share a scale (Point-GNN's reach ~140): the score change is
//    that of the calibrated confidence (needle/confidence.h), fitted per set over the dataset the
//    way the engine fits it (fit_set_confidence).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "needle/confidence.h"
#include "needle/eval.h"
#include "needle/matching.h"
#include "needle/pipeline.h"

namespace needle::view {

// How one prediction set saw one label.
struct LabelSide {
  int pred = -1;                // index into the set's objects, -1 = nothing there
  std::string cls;              // the prediction's class ("" when none)
  bool compatible = false;      // a compatible class (same or neighbour), paired with the label
  bool paired = false;          // paired by the matcher (else only overlapping: "seen")
  double iou = -1;              // BEV IoU when both have a 3D box, else 2D IoU; -1 when none
  std::optional<double> score;  // the prediction's raw score
  std::optional<double> conf;   // its calibrated confidence, when the set's map is known
  bool detects() const { return pred >= 0 && compatible; }
};

enum class LabelOutcome {
  Kept,       // both sets detect it with a compatible class
  Missed,     // neither does
  Regressed,  // OLD detects it, NEW does not (a miss or a class flip)
  Fixed,      // NEW detects it, OLD did not (a miss or a class flip)
};
const char* label_outcome_name(LabelOutcome o);  // "kept", "missed", "regressed", "fixed"

struct LabelCompare {
  std::size_t label = 0;  // index into the frame's labels
  std::string cls;
  int difficulty = -1;  // kitti_difficulty as 0/1/2, -1 = none
  LabelSide old_side, new_side;
  LabelOutcome outcome = LabelOutcome::Missed;
  // NEW's calibrated confidence minus OLD's (both known), else nullopt.
  std::optional<double> conf_change() const;
};

// One row per non-DontCare label of `ann`, in label order. Empty when the frame has no labels or
// either set did not predict it (missing or invalid file).
// With the sets' confidence maps (null: no conf) the sides carry their calibrated confidence.
std::vector<LabelCompare> compare_labels(const FrameAnnotations& ann, std::size_t old_set,
                                         std::size_t new_set,
                                         const ConfidenceMap* conf_old = nullptr,
                                         const ConfidenceMap* conf_new = nullptr,
                                         const MatchConfig& cfg = {});

// The engine's confidence map of prediction set `set` (core/src/ranking.cpp): every raw score
// of the set (missing = 0), outcome from labelled frames the set predicted: 1 paired with a
// label, 0 unmatched, left out when in DontCare or a duplicate.
ConfidenceMap fit_set_confidence(const std::vector<FrameAnnotations>& frames, std::size_t set,
                                 const MatchConfig& cfg = {});

// A regression or a fix in one frame.
struct CompareEvent {
  std::string cls;
  int difficulty = -1;  // 0/1/2, -1 = none (no label)
  bool fix = false;     // false: a regression
};

struct CompareSummary {
  std::string old_name, new_name;
  int old_set = -1, new_set = -1;            // indices into the pipeline's (= the session's) sets
  std::size_t frames_compared = 0;           // labelled frames both sets predicted
  std::optional<EvalReport> ap_old, ap_new;  // nullopt: no frame to evaluate
  ConfidenceMap conf_old, conf_new;          // fit_set_confidence of each set
  std::map<std::string, long> regressions, fixes;  // per class, the engine's counts
  long regressions_total = 0, fixes_total = 0;
  std::vector<std::vector<CompareEvent>> events;  // per dataset frame
};

// From a finished compare run (res.compare_old >= 0). Evaluates both sets on the labelled frames
// both predicted (the same frames for both, so the APs compare).
CompareSummary build_compare_summary(const PipelineResult& res, unsigned threads = 0);

// What a row click filters the frame list to.
enum class CompareList { Regressions, Fixes };
const char* compare_list_name(CompareList l);  // "regressions" | "fixes"

// One row of the summary table: a class (difficulty -1: all difficulties) with its AP in both sets
// for one metric and its regressions and fixes.
struct CompareRow {
  std::string cls;
  int difficulty = -1;                   // -1: the class's total row
  std::optional<double> ap_old, ap_new;  // R40, percent; nullopt: not evaluated
  std::optional<double> delta() const {
    if (!ap_old || !ap_new) return std::nullopt;
    return *ap_new - *ap_old;
  }
  long regressions = 0, fixes = 0;
};

// Rows in table order: for each class (Car, Pedestrian, Cyclist, then any other class with
// regressions or fixes, alphabetically) a total row (the engine's counts; AP at moderate), then
// for the evaluated classes one row per difficulty (events of that difficulty).
std::vector<CompareRow> compare_rows(const CompareSummary& c, EvalMetric metric);

// Whether the events of one frame contain one that a row with this class/difficulty lists.
bool events_match(const std::vector<CompareEvent>& events, const std::string& cls, int difficulty,
                  CompareList list);

}  // namespace needle::view
