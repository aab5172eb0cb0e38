// needle/pipeline.h — the one way from a dataset index and options to a ranking. `needle rank`,
// `needle eval` (its loading), `needle report` and the viewer's ranking job all call it, so the
// CLI and the viewer rank the same frames the same way.
//
// Phases, in order (each reports progress under its name):
//   "loading"  load_all_annotations with calibration and the quick media checks
//   "lidar"    the lidar pass (needle method, evidence lidar|all, not in compare mode), served from
//              the cache when warm; what is normal is learned from it and becomes two witnesses
//   "ranking"  rank_frames (or the compare ranking), then the post_rank hook
//
// Contracts:
//  * Cancellation is cooperative and part of the contract: when the token is set, the pipeline
//    stops at the next chunk of frames (loading, lidar) or at the next phase boundary (ranking)
//    and returns status Cancelled. Callbacks never need to throw to stop it.
//  * Bad data never fails the run: broken files become problems of their frame (invalid_data
//    findings). Failed means options that cannot be honoured (an unknown compare set) or a
//    resource error; `error` says why.
//  * Option checks that need no data (check_pipeline_options) are separate so that a command line
//    can reject them before any file is read.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "needle/dataset.h"
#include "needle/enum_names.h"
#include "needle/eval.h"
#include "needle/lidar_pass.h"
#include "needle/ranking.h"

namespace needle {

// Which witnesses the needle method listens to (`--evidence`).
enum class Evidence { All, Lidar, Predictions };
inline constexpr EnumName<Evidence> kEvidenceTable[] = {
    {Evidence::Lidar, "lidar"}, {Evidence::Predictions, "predictions"}, {Evidence::All, "all"}};
const char* evidence_name(Evidence e);          // "all" | "lidar" | "predictions"
Evidence parse_evidence(const std::string& s);  // throws std::invalid_argument
inline constexpr const char* kEvidenceNames = "all|lidar|predictions";  // for choices and help

// A cancellation flag shared by the caller and the pipeline's workers.
class CancelToken {
 public:
  void cancel() { flag_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_.load(std::memory_order_relaxed); }
  const std::atomic<bool>* flag() const { return &flag_; }

 private:
  std::atomic<bool> flag_{false};
};

struct PipelineOptions {
  RankMethod method = RankMethod::Needle;
  Evidence evidence = Evidence::All;
  std::string compare;  // "OLD,NEW": rank regressions of set NEW against OLD; empty: no compare
  double min_finding_score = RankOptions{}.min_finding_score;
  unsigned threads = 0;                   // 0 = hardware concurrency
  bool lidar_cache = true;                // false: --no-cache (neither read nor written)
  std::filesystem::path lidar_cache_dir;  // empty: default_lidar_cache_dir()
  // Runs last in the "ranking" phase on the finished ranking, with the annotations it came from:
  // the place for steps that adjust a ranking after the engine (e.g. a review store's verdicts).
  std::function<void(const DatasetIndex&, const std::vector<FrameAnnotations>&, RankResult&)>
      post_rank;
};

// Called from worker threads, serialised within a phase. phase: "loading", "lidar", "ranking".
using PipelineProgress =
    std::function<void(const char* phase, std::size_t done, std::size_t total)>;

enum class PipelineStatus { Ok, Cancelled, Failed };

struct FrameProblem {
  std::size_t frame = 0;  // index into the dataset's frames
  Problem problem;
};

struct PipelineResult {
  PipelineStatus status = PipelineStatus::Failed;
  std::string error;                   // Failed: why
  bool options_error = false;          // Failed because of the options (a usage error), not data
  std::vector<std::string> set_names;  // prediction sets the ranking saw (none for lidar evidence)
  std::vector<FrameAnnotations> frames;  // one per dataset frame; lidar problems appended
  RankResult rank;
  std::string method_name;                   // "needle" | "mistakenness" | "objectlab" | "compare"
  int compare_old = -1, compare_new = -1;    // indices into set_names in compare mode
  std::vector<FrameProblem> load_problems;   // fatal problems found while loading, frame order
  std::vector<FrameProblem> lidar_problems;  // problems the lidar pass found, frame order
  bool lidar_used = false;                   // the lidar witnesses took part in the ranking
  LidarPassStats lidar_stats;
  std::vector<std::string> warnings;  // e.g. evidence lidar but no frame has a scan
  double seconds = 0;
};

// Checks what needs no data: the evidence/compare combination. Returns "" when fine, else a
// message for the user.
std::string check_pipeline_options(const PipelineOptions& opt);

// The prediction sets the pipeline reads for these options: `explicit_sets` when given, else the
// sets DATASET/pred/<name>/ holds; none when the evidence is lidar alone.
std::vector<PredictionSetSpec> pipeline_prediction_sets(
    const std::filesystem::path& root, const std::vector<PredictionSetSpec>& explicit_sets,
    const PipelineOptions& opt);

// Loads, checks, runs every evidence source and ranks `ds`. With evidence lidar the dataset's
// prediction sets are ignored (not read, not ranked). Never throws for bad data or options.
PipelineResult run_pipeline(const DatasetIndex& ds, const PipelineOptions& opt,
                            const PipelineProgress& progress = {},
                            const CancelToken* cancel = nullptr);

// `needle eval`'s loading: the frames of prediction set `pred_set` (load_eval_dataset: only frames
// with a prediction file, no calibration), reported as the pipeline's "loading" phase.
EvalDataset load_eval_frames(const DatasetIndex& ds, std::size_t pred_set, unsigned threads,
                             const PipelineProgress& progress = {});

}  // namespace needle
