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
// Bounded memory (PipelineOptions::stream_chunk_frames, `needle rank`): when the lidar takes no
// part (evidence predictions, or evidence all and no frame has a scan) and the method is needle
// without compare, the frames are not all loaded: rank_frames_streaming reads them a chunk at a
// time from the dataset's files (dataset_frame_source), in three passes reported as phases
// "loading", "fitting" and "scoring", then the post_rank hook runs. The ranking is the same;
// PipelineResult::frames stays empty (post_rank gets an empty vector) and load_problems lists the
// fatal problems as usual. The viewer, the lidar evidence and compare mode load every frame.
//
// Interim rankings (PipelineOptions::interim, used by the viewer so that its list is usable at
// once on a large dataset): when the lidar takes part, a ranking without it is published right
// after loading (stage "predictions"), then, while the lidar pass runs in chunks of frames,
// rankings with the lidar witnesses learned from the frames done so far (stage "lidar"), and
// finally the result itself. Interims never change the final result: the pass is only split
// into frame ranges, each frame's analysis is independent, and the model is learned once more
// from every frame at the end. Interims carry no scan problems (invalid_data from the pass).
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
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "needle/dataset.h"
#include "needle/enum_names.h"
#include "needle/eval.h"
#include "needle/frame_source.h"
#include "needle/lidar_pass.h"
#include "needle/lidar_witness.h"
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

struct PipelineResult;

// What an interim ranking is (PipelineOptions::interim).
struct PipelineInterim {
  const char* stage = "";  // "predictions" (after loading, no lidar yet) or "lidar"
  std::size_t lidar_done = 0, lidar_total = 0;  // frames of the lidar pass finished, in the pass
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
  // Called on the pipeline's thread with each interim ranking (in `result.rank`; the rest of
  // `result` as far as it is built: set_names, frames, method_name, label_expected for stage
  // "lidar"). Only when the lidar takes part. Empty: no interims, the pass runs in one piece.
  std::function<void(const PipelineResult& result, const PipelineInterim&)> interim;
  // Least time between two "lidar" interims, seconds; the pipeline also waits kInterimCostFactor
  // times what the last interim cost, so that interims never take much of the lidar pass's time.
  double interim_every_s = 2.0;
  // Frames read at a time by the streaming ranking (see the top of this file; kStreamChunkFrames
  // is a good value); 0: every frame in memory, returned in PipelineResult::frames.
  std::size_t stream_chunk_frames = 0;
};

// An interim costs a model fit and a ranking while the lidar workers wait: the next one is
// published no sooner than this many times that cost after it (<= ~1/(1+4) = 20% of the pass).
inline constexpr double kInterimCostFactor = 4.0;
// The lidar pass runs in this many chunks of frames when interims are wanted (5% each): an
// interim can follow any chunk, and the workers idle only at the chunk's tail (one frame each).
inline constexpr std::size_t kInterimLidarChunks = 20;

// Called from worker threads, serialised within a phase. phase: "loading", "lidar", "ranking".
using PipelineProgress =
    std::function<void(const char* phase, std::size_t done, std::size_t total)>;

enum class PipelineStatus { Ok, Cancelled, Failed };

struct FrameProblem {
  std::size_t frame = 0;  // index into the dataset's frames
  Problem problem;
  std::string id;  // the frame's id (a streaming run keeps no frames to look it up in)
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
  // What the lidar model expects per label (the inspector's "points inside 312 (Cars 10-15 m,
  // occl 0: 180-900 in this dataset)"): [frame][label], empty when the lidar took no part;
  // nullopt for labels the pass has no statistics for (DontCare, no scan).
  std::vector<std::vector<std::optional<ExpectedPoints>>> label_expected;
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

// The frames of `ds` as the pipeline loads them (load_annotations with calibration, then
// quick_check_media), a range at a time on `threads` workers (0 = hardware concurrency).
FrameSource dataset_frame_source(const DatasetIndex& ds, unsigned threads);

// Whether run_pipeline with `opt` ranks `ds` streaming (see the top of this file).
bool pipeline_streams(const DatasetIndex& ds, const PipelineOptions& opt);

// The index the pipeline reads for these options: `ds` itself, or with evidence lidar `ds` without
// its prediction sets (neither read nor ranked).
DatasetIndex pipeline_index(const DatasetIndex& ds, const PipelineOptions& opt);

// The pipeline from its lidar phase's end on, with frames loaded elsewhere (the merge of sharded
// runs, needle/partial.h): `frames` exactly as load_all_annotations (with calibration) gives them
// for pipeline_index(ds, opt); `lidar` one pass result per frame when the lidar takes part (else
// ignored) with the pass's summed statistics. `ds` lends its root, prediction sets and frame ids
// (post_rank). No interims, no cancellation. Same result as run_pipeline on the same data.
PipelineResult run_pipeline_on_frames(const DatasetIndex& ds, std::vector<FrameAnnotations> frames,
                                      std::vector<FrameLidar> lidar,
                                      const LidarPassStats& lidar_stats, const PipelineOptions& opt,
                                      const PipelineProgress& progress = {});

// The streaming ranking of frames that come from elsewhere (the merge of sharded runs reads them
// from the partial files): what run_pipeline does when pipeline_streams, with `src` in place of
// the dataset's files. `ds` lends its root and prediction sets (post_rank); needs
// opt.stream_chunk_frames > 0, method needle, no compare, and no lidar (the caller checks).
PipelineResult run_pipeline_streaming(const DatasetIndex& ds, const FrameSource& src,
                                      const PipelineOptions& opt,
                                      const PipelineProgress& progress = {});

// `needle eval`'s loading: the frames of prediction set `pred_set` (load_eval_dataset: only frames
// with a prediction file, no calibration), reported as the pipeline's "loading" phase.
EvalDataset load_eval_frames(const DatasetIndex& ds, std::size_t pred_set, unsigned threads,
                             const PipelineProgress& progress = {});

}  // namespace needle
