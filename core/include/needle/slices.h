// needle/slices.h — where a model fails systematically: AP and error counts per slice of the data
// (by an attribute of objects or frames, see attributes.h), worst first.
//
// A slice is one bin of an attribute, or a pair of bins of two attributes (a cell of a heat map).
// Its evaluation is the KITTI devkit's (needle/eval.h, one metric) on the dataset restricted to
// the slice, the restriction being (evaluate_subset):
//  * object attribute: labels in the slice count as usual; labels of other bins become ignored
//    ground truth (as if their occlusion were 3: a detection they match is consumed, neither TP
//    nor FP, and they are no FN); detections whose own value (class, range, height, size,
//    heading, findings) falls outside the slice are removed. Detections have no occlusion,
//    truncation or lidar points: for those attributes every detection stays, so an unmatched
//    detection is a FP in each of their slices;
//  * frame attribute: the slice's frames are evaluated, the others not at all.
// So slice AP equals `needle eval` on a copy of the dataset edited that way (a test checks it).
// A detection just across a bin edge from its label (a car labelled at 29.9 m, detected at
// 30.1 m) is a miss in one slice and a FP in the next: bins are the user's choice of resolution.
//
// Figures per slice and evaluated class (Car, Pedestrian, Cyclist; for the class attribute only
// the slice's own class):
//  * AP (R40 and R11, percent) at the ranked difficulty (every difficulty with
//    SliceOptions::all_difficulties and for the whole set), with a confidence
//    interval: Poisson bootstrap over frames (kSliceBootstrapRuns resamples, fixed seed; each
//    frame weighted by a Poisson(1) draw, the same draws for every slice), each resample's AP recomputed from the frames' TP/FP
//    counts at the slice's own 41 score thresholds, precision interpolated at recall 1/40 .. 1.
//    The interval is the devkit AP plus the 2.5 and 97.5 percentiles of (resampled AP - the
//    sample's AP recomputed the same way), widened to contain the devkit AP, within [0, 100].
//  * recall at the operating score (given, or per class the score thresholds' F1-best on the
//    whole set), with a Wilson score interval; false positives per frame at that score.
//  * objects: labels of the class in the slice (every difficulty); counted: ground truth counted
//    for recall at the ranked difficulty.
//  * findings: the ranking's findings whose object (label, or detection of the evaluated set)
//    is in the slice and of the class, by kind. Frame-level findings are not counted.
// Order: by AP at the ranked difficulty minus the whole set's AP for the class (worst first);
// slices with fewer than SliceOptions::min_objects counted objects are marked small and listed
// after all the others (same order among themselves).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "needle/attributes.h"
#include "needle/eval.h"
#include "needle/pipeline.h"
#include "needle/ranking.h"

namespace needle {

// Bootstrap resamples for the AP interval (200 keeps the 2.5/97.5 percentiles within about a
// point of AP of a 2,000-run reference on the demo set while costing ~1 ms a slice).
inline constexpr int kSliceBootstrapRuns = 200;
// Fixed seed: the same data gives the same intervals.
inline constexpr std::uint64_t kSliceBootstrapSeed = 0x5EED51CE5ULL;
// Fewer counted objects than this and one object moves recall by more than 3 points: the slice
// is marked small and not ranked among the others.
inline constexpr int kSliceMinObjects = 30;
// z for the two-sided 95% Wilson interval of recall.
inline constexpr double kWilsonZ95 = 1.959963984540054;

struct SliceOptions {
  // Attributes: each name alone, or a pair "a,b" (a cross of two attributes). Empty: every
  // attribute given to compute_slices, each alone.
  std::vector<std::string> by;
  EvalMetric metric = EvalMetric::Box3D;
  Difficulty difficulty = Difficulty::Moderate;  // ranked, with intervals, recall, FP/frame
  std::optional<double> operating_score;         // empty: per class F1-best on the whole set
  bool all_difficulties = false;  // slices: AP at every difficulty (3x the time), else the ranked
  int min_objects = kSliceMinObjects;
  int bootstrap_runs = kSliceBootstrapRuns;
  unsigned threads = 0;  // 0 = hardware concurrency
};

// Throws std::invalid_argument naming the unknown attribute or a malformed list ("a,b,c").
std::vector<std::vector<std::string>> parse_slice_by(const std::string& by);

struct SliceCondition {
  std::size_t attribute = 0;  // index into the attributes
  int bin = 0;
};

struct SliceRow {
  std::string attribute;  // "range", or "range,occlusion" for a cross
  std::string slice;      // "30-40 m", or "30-40 m, 1"
  std::vector<SliceCondition> conditions;
  EvalClass cls = EvalClass::Car;
  std::size_t objects = 0;  // labels of the class in the slice
  int counted = 0;          // counted for recall at the ranked difficulty
  std::size_t frames = 0;   // evaluated frames in the slice
  std::array<ApFigures, kEvalDifficulties> ap{};
  std::array<bool, kEvalDifficulties> ap_computed{};  // difficulties evaluated
  double ap_low = 0, ap_high = 0;  // ranked difficulty, R40, percent
  double recall = 0, recall_low = 0, recall_high = 0;  // at the operating score
  double fp_per_frame = 0;
  std::map<std::string, long> findings;
  bool small = false;
  double gap = 0;  // R40 AP at the ranked difficulty minus the whole set's, points
};

// The precision/recall curve of one class at the ranked difficulty over the whole set, with the
// per-frame counts behind it (to list the frames of a point's false positives or misses).
struct PrCurve {
  EvalClass cls = EvalClass::Car;
  std::vector<double> threshold, precision, recall;  // one per score threshold, descending score
  std::vector<EvalFrameCounts> frames;  // EvalFrameCounts::input indexes SlicesResult::frames
};

struct SlicesResult {
  std::vector<SliceRow> rows;     // worst first, small ones last
  std::vector<SliceRow> overall;  // the whole set, one per evaluated class
  std::vector<PrCurve> curves;    // one per evaluated class
  std::vector<AttributeSpec> attributes;
  std::vector<std::size_t> frames;  // evaluated frames (dataset indices), in evaluation order
  std::array<std::optional<double>, kEvalClasses> operating_score{};
  EvalMetric metric = EvalMetric::Box3D;
  Difficulty difficulty = Difficulty::Moderate;
};

// What the slicer reads. `frames` are all dataset frames; `evaluated` the indices of those that
// are evaluated (a prediction file of set `pred_set` and usable labels, see eval_frame_usable).
struct SliceInputs {
  const std::vector<FrameAnnotations>* frames = nullptr;
  std::vector<std::size_t> evaluated;
  std::size_t pred_set = 0;
  std::string pred_set_name;
  const std::vector<AttributeValues>* attributes = nullptr;
  const RankResult* ranking = nullptr;  // findings; optional
};

// Throws std::invalid_argument for an unknown attribute in opt.by.
SlicesResult compute_slices(const SliceInputs& in, const SliceOptions& opt);

// The evaluation's rule for a frame (as load_eval_dataset): a prediction file of the set (empty
// or not) that is valid, a valid label file, no invalid label or prediction line.
bool eval_frame_usable(const FrameAnnotations& a, std::size_t pred_set,
                       const std::string& pred_set_name);

// Frames (dataset indices) with a false positive (fp = true) or a miss at point k of a curve.
std::vector<std::size_t> pr_point_frames(const SlicesResult& r, const PrCurve& c, std::size_t k,
                                         bool fp);

// Wilson score interval of a proportion k/n (n = 0: [0, 1]).
std::pair<double, double> wilson_interval(long k, long n, double z = kWilsonZ95);

// --- from a dataset (the CLI and the viewer) ---------------------------------------------------

struct SlicesJob {
  SliceOptions slice;
  std::optional<MetadataTable> metadata;
  bool image_stats = true;  // decode the images for brightness/contrast (skipped when none)
  bool lidar = true;        // points inside boxes from the lidar pass (cached) when scans exist
  PipelineOptions pipeline;  // the ranking behind the findings (evidence, cache ...)
};

struct SlicesRun {
  PipelineStatus status = PipelineStatus::Failed;
  std::string error;
  SlicesResult result;
  std::vector<std::string> warnings;  // metadata rows for unknown frames, skipped frames ...
  std::vector<std::string> frame_ids;  // the dataset's frame ids
  std::vector<AttributeValues> attributes;  // all values (for the viewer's highlights)
  double seconds = 0;           // the whole run
  double pipeline_seconds = 0;  // of which loading and ranking (run_pipeline)
  double slice_seconds = 0;     // of which compute_slices
};

// Runs the pipeline (loading, lidar, ranking) on `ds` (whose prediction set `pred_set` is
// evaluated), computes the attributes and the slices. Phases reported to progress: the
// pipeline's, then "images" and "slices". Never throws for bad data.
SlicesRun run_slices(const DatasetIndex& ds, std::size_t pred_set, const SlicesJob& job,
                     const PipelineProgress& progress = {}, const CancelToken* cancel = nullptr);

// Output: JSON {"slices": [...], "overall": [...], ...} (README's `needle slices`), CSV (one row
// per slice row) and a readable table.
std::string slices_json(const SlicesResult& r, int indent = 2);
std::string slices_csv(const SlicesResult& r);
std::string slices_text(const SlicesResult& r);

}  // namespace needle
