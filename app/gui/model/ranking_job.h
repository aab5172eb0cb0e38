// Computes the engine's frame ranking on a background thread when a dataset is opened (or its
// ranking options change), so the UI stays live. The work is run_pipeline (needle/pipeline.h):
// the same loading, lidar pass (served from its cache when warm) and ranking as `needle rank`
// with the same options. Progress (phase, done, total) is readable at any time, the result once
// done() is true.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
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

 private:
  void run();
  std::shared_ptr<const DatasetIndex> ds_;
  std::vector<std::string> set_names_;
  PipelineOptions opt_;
  RankingData data_;
  std::atomic<bool> done_{false};
  CancelToken cancel_;
  mutable std::mutex progress_mutex_;
  RankingProgress progress_;
  std::thread thread_;
};

}  // namespace needle::view
