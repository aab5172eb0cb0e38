// Computes the engine's frame ranking on a background thread when a dataset is opened (or its
// ranking options change), so the UI stays live. The work is run_pipeline (needle/pipeline.h):
// the same loading, lidar pass (served from its cache when warm) and ranking as `needle rank`
// with the same options. Progress (phase, done, total) is readable at any time, the result once
// done() is true.
//
// Interim rankings: when the lidar takes part the job also publishes the pipeline's interim
// rankings (PipelineOptions::interim: one without the lidar right after loading, then refreshed
// ones as the lidar pass proceeds), so that a large dataset's list is usable at once. The UI
// thread takes the newest snapshot with poll() (ranking_swap.h moves the user's place over), and
// shown() is what the panels draw: an interim snapshot or, once polled after done(), the final.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "needle/dataset.h"
#include "needle/pipeline.h"
#include "needle/ranking.h"

namespace needle::view {

struct CompareSummary;  // compare_summary.h

struct RankingData {
  RankResult rank;
  std::vector<int> position_of_frame;  // frame index -> position in rank.frames, -1 = not ranked
  std::vector<std::pair<double, double>> score_range;  // per prediction set: min, max score seen
  std::vector<std::string> kinds;                      // finding kinds present (sorted)
  std::vector<std::string> classes;                    // classes named by findings (sorted)
  std::string error;        // non-empty when ranking failed (the viewer still works)
  bool cancelled = false;   // the job was cancelled before it finished (rank is empty)
  std::string method_name;  // "needle", ..., "compare"
  bool lidar_used = false;  // the lidar witnesses took part
  std::vector<std::string> warnings;
  double seconds = 0;
  // Compare mode: AP of both sets, regressions and fixes per class and frame (null otherwise).
  std::shared_ptr<const CompareSummary> compare;
  // An interim snapshot (the final result has interim = false): "predictions" (before the lidar
  // pass) or "lidar" (the lidar witnesses of the frames done so far), and how far the pass was.
  bool interim = false;
  std::string interim_stage;
  std::size_t lidar_done = 0, lidar_total = 0;
  // Per frame, per label: the lidar model's expected points inside (PipelineResult).
  std::vector<std::vector<std::optional<ExpectedPoints>>> label_expected;
};

struct RankingProgress {
  std::string phase;  // "", "loading", "lidar", "ranking" (pipeline.h)
  std::size_t done = 0, total = 0;
};

class RankingJob {
 public:
  // `set_names`: the session's prediction sets (the score ranges are per set). `opt.threads` 0
  // means kDefaultThreads here, not every core: the UI thread and the frame loader keep the rest.
  RankingJob(std::shared_ptr<const DatasetIndex> ds, std::vector<std::string> set_names,
             PipelineOptions opt = {});
  // A job that is already done with this result (tests of the navigation model).
  explicit RankingJob(RankingData finished);
  ~RankingJob();  // cancels (the pipeline stops at its next chunk) and joins: quick
  RankingJob(const RankingJob&) = delete;
  RankingJob& operator=(const RankingJob&) = delete;

  static constexpr unsigned kDefaultThreads = 2;

  bool done() const { return done_.load(std::memory_order_acquire); }
  // Asks the pipeline to stop; done() follows soon with result().cancelled.
  void cancel() { cancel_.cancel(); }
  RankingProgress progress() const {
    std::lock_guard<std::mutex> lock(progress_mutex_);
    return progress_;
  }
  const PipelineOptions& options() const { return opt_; }
  const RankingData& result() const { return data_; }  // only valid when done()

  // Interim snapshots published so far (0 when none; the lidar takes no part, or not yet).
  std::size_t interims_published() const {
    std::lock_guard<std::mutex> lock(interim_mutex_);
    return interims_;
  }
  // The newest interim snapshot (null when none was published), from any thread.
  std::shared_ptr<const RankingData> latest_interim() const {
    std::lock_guard<std::mutex> lock(interim_mutex_);
    return interim_;
  }
  // UI thread: takes the newest snapshot, the final result once done(). Returns true when
  // shown() changed; *previous then keeps the snapshot shown until now alive (null when there
  // was none or it was the final one) so the caller can move the user's place over.
  bool poll(std::shared_ptr<const RankingData>* previous = nullptr);
  // UI thread: what the panels show (null: nothing yet). A finished job built from a result
  // shows it from the start.
  const RankingData* shown() const { return shown_; }
  bool shown_final() const { return shown_ != nullptr && shown_ == &data_; }

 private:
  void run();
  void publish_interim(const PipelineResult& r, const PipelineInterim& what);
  std::shared_ptr<const DatasetIndex> ds_;
  std::vector<std::string> set_names_;
  PipelineOptions opt_;
  RankingData data_;
  std::atomic<bool> done_{false};
  CancelToken cancel_;
  mutable std::mutex progress_mutex_;
  RankingProgress progress_;
  mutable std::mutex interim_mutex_;
  std::shared_ptr<const RankingData> interim_;  // newest published interim
  std::size_t interims_ = 0;
  // UI thread only.
  const RankingData* shown_ = nullptr;
  std::shared_ptr<const RankingData> shown_interim_;
  std::thread thread_;
};

}  // namespace needle::view
