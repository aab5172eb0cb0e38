// needle/eval.h — KITTI object evaluation with the semantics of the official devkit
// (cpp/evaluate_object.cpp, 2017 version with 2D/BEV/3D, 41 recall sample points).
//
// Contracts (all reproduced from the devkit, including its quirks):
//  * Classes Car, Pedestrian, Cyclist; class names compare case-insensitively. Ground truth of a
//    neighbour class (Van for Car, Person_sitting for Pedestrian) is ignored: neither TP nor FN.
//  * Difficulty (easy/moderate/hard) filters ground truth by 2D box height (ignored when
//    height <= 40/25/25 px), occlusion (> 0/1/2) and truncation (> 0.15/0.30/0.50). BEV and 3D use
//    the same 2D-box filters. Filtered ground truth is ignored (matches consume a detection only).
//  * A detection whose 2D box height, truncated to an integer, is < 40/25/25 px is ignored (never
//    a FP) — whatever its class: the devkit then lets such a detection of another class be matched
//    (and consumed) by ground truth of the evaluated class.
//  * Match: overlap > 0.7 (Car) or > 0.5 (Pedestrian, Cyclist), strictly, for 2D IoU, BEV IoU and
//    3D IoU. Unmatched detections whose overlap with a DontCare region (intersection over the
//    detection's own area/volume, in the metric's geometry) exceeds the same value are not FPs;
//    for BEV/3D the DontCare geometry is its (normally invalid) 3D box, so DontCare never helps.
//  * Score thresholds: TP scores of a highest-score matching pass, subsampled at 41 recall points
//    (devkit getThresholds); precision at each threshold from a max-overlap matching pass; then
//    precision[i] = max(precision[i..40]). R40 = mean of points 1..40, R11 = mean of 0,4,...,40.
//  * AOS (orientation similarity, 2D metric only) is computed only when no detection in the whole
//    evaluated set has alpha == -10.
//  * A class metric is evaluated by the devkit only when some detection of the class qualifies
//    (2D: x1 >= 0; BEV: x, z != -1000 and w, l > 0; 3D: also y != -1000 and h > 0). needle also
//    reports (as zeros) the metrics of a class that has ground truth but no detection at all.
//
// Frames: the devkit needs one prediction file per frame. needle evaluates exactly the frames that
// HAVE a prediction file (an empty file = zero detections); a missing file means "not predicted".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "needle/dataset.h"
#include "needle/types.h"

namespace needle {

inline constexpr int kEvalRecallPoints = 41;
inline constexpr int kEvalClasses = 3;       // Car, Pedestrian, Cyclist
inline constexpr int kEvalMetrics = 3;       // 2D, BEV, 3D (AOS rides on 2D)
inline constexpr int kEvalDifficulties = 3;  // easy, moderate, hard

enum class EvalClass : std::uint8_t { Car = 0, Pedestrian = 1, Cyclist = 2 };
enum class EvalMetric : std::uint8_t { Image2D = 0, Bev = 1, Box3D = 2 };
enum class Difficulty : std::uint8_t { Easy = 0, Moderate = 1, Hard = 2 };

const char* eval_class_name(EvalClass c);   // "Car", "Pedestrian", "Cyclist"
const char* eval_metric_key(EvalMetric m);  // "2d", "bev", "3d"
const char* difficulty_key(Difficulty d);   // "easy", "moderate", "hard"

// The devkit difficulty of a label: the easiest level whose limits it meets (2D box height
// > 40/25/25 px, occlusion <= 0/1/2, truncation <= 0.15/0.30/0.50); nullopt when it meets none or
// has -1 truncation/occlusion (DontCare regions, predictions).
std::optional<Difficulty> kitti_difficulty(const Object& o);

// One evaluated frame. Pointers stay owned by the caller and must outlive the call.
struct EvalFrameInput {
  const std::vector<Object>* labels = nullptr;  // ground truth incl. DontCare, in file order
  const std::vector<Object>* preds = nullptr;   // detections (score required), in file order
};

// Interpolated precision (or orientation similarity) at the 41 recall sample points, in [0,1].
using RecallCurve = std::array<double, kEvalRecallPoints>;

struct ApFigures {
  double r40 = 0;  // percent
  double r11 = 0;  // percent
};

struct MetricEval {
  bool evaluated = false;
  std::array<RecallCurve, kEvalDifficulties> curve{};
  std::array<ApFigures, kEvalDifficulties> ap{};
};

struct ClassEval {
  EvalClass cls = EvalClass::Car;
  bool has_labels = false;                    // some ground truth of exactly this class
  bool has_predictions = false;               // some detection of this class
  std::array<int, kEvalDifficulties> n_gt{};  // ground truth counted for recall
  MetricEval box2d, bev, box3d, aos;
  const MetricEval& metric(EvalMetric m) const;
};

struct EvalReport {
  std::size_t frames = 0;     // frames evaluated
  bool aos_computed = false;  // some detection exists and none has alpha == -10
  std::vector<ClassEval>
      classes;  // classes with labels or predictions; Car, Pedestrian, Cyclist order
  const ClassEval* find(EvalClass c) const;
};

// Frames of the index read at a time by the streaming evaluation: a chunk's parsed objects are
// ~8 KB a frame on KITTI-like data, so a chunk holds ~32 MB at most.
inline constexpr std::size_t kEvalStreamFrames = 4096;
// Prepared chunks the first pass keeps for the second, in bytes: up to this much the files are
// read once; beyond it the second pass reads the chunks it did not keep again (memory stays
// bounded: ~1 KB a frame of prepared data on KITTI-like data, so ~130,000 frames are read once).
inline constexpr std::size_t kEvalRetainBytes = std::size_t{128} << 20;

struct EvalOptions {
  unsigned threads = 0;  // 0 = hardware concurrency; results do not depend on it
  // Streaming runs (evaluate_kitti_dataset, merge_eval_partials); results do not depend on them.
  std::size_t stream_frames = kEvalStreamFrames;
  std::size_t retain_bytes = kEvalRetainBytes;
};

// The whole evaluation. Pure function of its input; deterministic whatever the thread count.
EvalReport evaluate_kitti(const std::vector<EvalFrameInput>& frames, const EvalOptions& opt = {});

// --- one preparation, many restricted evaluations (slices) -----------------------------------
//
// prepare_eval computes the overlaps of one metric once; evaluate_subset then evaluates any
// restriction of the inputs with the devkit's rules, as evaluate_kitti would on inputs edited
// that way:
//  * a label not kept is ignored ground truth at every difficulty, exactly as if its occlusion
//    were 3 (devkit: a detection it matches is consumed, neither TP nor FP; it is no FN);
//  * a detection not kept is removed (as if absent from its file).
// Both keep-vectors are flat over the inputs, frame by frame in input order, objects in file
// order (label i of frame f is entry sum(labels of frames < f) + i); empty = all kept.
// Difference from evaluate_kitti on edited files: a class's metrics are always evaluated (the
// devkit skips a metric when no detection of the class qualifies for it) and AOS is not computed.
struct EvalSubset {
  std::vector<std::uint8_t> label_keep, pred_keep;
};

// One frame's counts for one class and difficulty (evaluate_subset's detail).
struct EvalFrameCounts {
  std::uint32_t input = 0;          // index into the prepared inputs
  std::int32_t n_gt = 0;            // ground truth counted for recall
  std::int32_t tp_op = 0, fp_op = 0;  // at the operating score
  // TP and FP from threshold index k on: {k, tp, fp}, ascending k, counts 0 before the first.
  std::vector<std::array<std::int32_t, 3>> steps;
};

struct SubsetClassEval {
  EvalClass cls = EvalClass::Car;
  bool has_labels = false;       // some kept ground truth of exactly this class
  bool has_predictions = false;  // some kept detection of this class
  std::array<int, kEvalDifficulties> n_gt{};
  std::array<ApFigures, kEvalDifficulties> ap{};
  std::array<RecallCurve, kEvalDifficulties> curve{};
  // Detail for SubsetEvalOptions::detail (empty otherwise): the score thresholds of the 41
  // recall points (at most 41, descending), per frame with counted ground truth or a valid
  // detection its counts, and the totals at the operating score.
  std::vector<double> thresholds;
  std::vector<EvalFrameCounts> frames;
  long tp_op = 0, fp_op = 0;
};

struct SubsetEvalOptions {
  unsigned threads = 1;
  std::array<bool, kEvalDifficulties> difficulties{true, true, true};  // which are evaluated
  std::optional<Difficulty> detail;  // per-frame counts for this difficulty
  std::array<std::optional<double>, kEvalClasses> operating_score{};  // per class, for detail
};

class PreparedEval;
struct PreparedEvalDeleter {
  void operator()(PreparedEval* p) const;
};
using PreparedEvalPtr = std::unique_ptr<PreparedEval, PreparedEvalDeleter>;

// The inputs must outlive the result. Throws std::invalid_argument when the inputs hold more
// than 2^32 objects.
PreparedEvalPtr prepare_eval(const std::vector<EvalFrameInput>& frames, EvalMetric metric,
                             unsigned threads = 0);
// Car, Pedestrian, Cyclist in that order. Thread-safe: several subsets may be evaluated at once.
std::vector<SubsetClassEval> evaluate_subset(const PreparedEval& prepared, const EvalSubset& subset,
                                             const SubsetEvalOptions& opt = {});

// --- devkit building blocks (exposed for tests) ---------------------------------------------

// Score thresholds for the recall sample points (devkit getThresholds): `tp_scores` are the TP
// scores of the highest-score matching pass, n_gt the ground truth counted for recall.
std::vector<double> kitti_score_thresholds(std::vector<double> tp_scores, int n_gt);

// Turns raw per-threshold values (precision or AOS; entries past the thresholds are 0) into the
// devkit's curve: value[i] = max(value[i..40]) for i < n_thresholds.
RecallCurve kitti_interpolate(RecallCurve raw, std::size_t n_thresholds);

// AP in percent from an interpolated curve: R40 = mean(curve[1..40]), R11 = mean(curve[0,4..40]).
ApFigures kitti_ap(const RecallCurve& curve);

// --- dataset glue ------------------------------------------------------------------------------

// Frames of one prediction set, loaded for evaluation.
struct EvalDataset {
  std::vector<FrameAnnotations> frames;  // only frames with a prediction file (Empty or Present)
  std::vector<std::string> ids;          // ids of the evaluated frames (subset of `frames`)
  std::vector<EvalFrameInput> inputs;    // parallel to ids; point into `frames`
  std::size_t missing = 0;               // frames without a prediction file: not evaluated
  std::size_t empty = 0;                 // evaluated frames whose prediction file has no detection
  std::vector<std::string> skipped;      // one message per bad frame (not evaluated)
};

// Loads the frames of prediction set `pred_set` that have a prediction file, in id order, with
// `threads` workers. A frame is skipped (and described in `skipped`) when its prediction file is
// invalid, or its label file is missing or invalid. progress(done, total) may be called from
// worker threads, serialised.
EvalDataset load_eval_dataset(const DatasetIndex& ds, std::size_t pred_set, unsigned threads = 0,
                              const std::function<void(std::size_t, std::size_t)>& progress = {});

// load_eval_dataset over the frames [begin, end) of the index only (a chunk of a streaming run,
// a shard). Frames without a prediction file in the range are counted in `missing`.
EvalDataset load_eval_range(const DatasetIndex& ds, std::size_t pred_set, std::size_t begin,
                            std::size_t end, unsigned threads = 0,
                            const std::function<void(std::size_t, std::size_t)>& progress = {});

// What `needle eval` reports besides the AP table: the frames evaluated, skipped and missing.
struct EvalRunCounts {
  std::size_t evaluated = 0;  // frames evaluated
  std::size_t empty = 0;      // evaluated frames whose prediction file has no detection
  std::size_t missing = 0;    // frames without a prediction file: not evaluated
  std::size_t skipped = 0;    // frames skipped for bad data
  std::vector<std::string> skipped_messages;  // the first kEvalSkippedKept of them, frame order
  void add(const EvalRunCounts& o);           // o's frames follow these
};
// Skipped-frame messages kept (the CLI lists 50 of them and counts the rest).
inline constexpr std::size_t kEvalSkippedKept = 64;

// `needle eval` of prediction set `pred_set` of `ds` in bounded memory: the same report as
// evaluate_kitti(load_eval_dataset(ds, pred_set).inputs), from two passes over chunks of
// kEvalStreamFrames frames (eval_internal.h): pass 1 collects the flags, ground truth counts and
// TP scores, pass 2 the per-threshold counts. Peak memory: a chunk, the kept prepared chunks and
// one double per true positive per class, metric and difficulty. progress(phase, done, total)
// with phase "pass 1" / "pass 2" over the index's frames.
EvalReport evaluate_kitti_dataset(
    const DatasetIndex& ds, std::size_t pred_set, EvalRunCounts& counts,
    const EvalOptions& opt = {},
    const std::function<void(const char*, std::size_t, std::size_t)>& progress = {});

// --- output ------------------------------------------------------------------------------------

// {"Car": {"2d": {"easy": {"r40": .., "r11": ..}, "moderate": .., "hard": ..}, "bev": .., "3d": ..,
//  "aos": ..}, "Pedestrian": ..}. AP in percent; metrics not evaluated are omitted.
std::string eval_report_json(const EvalReport& r, int indent = 2);
// A readable table.
std::string eval_report_text(const EvalReport& r);

}  // namespace needle
