// Computes the engine's frame ranking on a background thread when a dataset is opened, so the UI
// stays live; progress is readable at any time, the result once done() is true.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "needle/dataset.h"
#include "needle/ranking.h"

namespace needle::view {

struct RankingData {
  RankResult rank;
  std::vector<int> position_of_frame;  // frame index -> position in rank.frames, -1 = not ranked
  std::vector<std::pair<double, double>> score_range;  // per prediction set: min, max score seen
  std::vector<std::string> kinds;                      // finding kinds present (sorted)
  std::vector<std::string> classes;                    // classes named by findings (sorted)
  std::string error;  // non-empty when ranking failed (the viewer still works)
  double seconds = 0;
};

class RankingJob {
 public:
  RankingJob(std::shared_ptr<const DatasetIndex> ds, std::vector<std::string> set_names);
  // A job that is already done with this result (tests of the navigation model).
  explicit RankingJob(RankingData finished);
  ~RankingJob();  // cancels (between chunks of annotation files) and joins: quick
  RankingJob(const RankingJob&) = delete;
  RankingJob& operator=(const RankingJob&) = delete;

  bool done() const { return done_.load(std::memory_order_acquire); }
  // Annotation files read so far / total (the ranking itself is quick after that).
  std::pair<std::size_t, std::size_t> progress() const {
    return {done_count_.load(), total_.load()};
  }
  const RankingData& result() const { return data_; }  // only valid when done()

 private:
  void run();
  std::shared_ptr<const DatasetIndex> ds_;
  std::vector<std::string> set_names_;
  RankingData data_;
  std::atomic<bool> done_{false};
  std::atomic<bool> cancel_{false};
  std::atomic<std::size_t> done_count_{0}, total_{0};
  std::thread thread_;
};

}  // namespace needle::view
