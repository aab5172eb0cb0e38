#include "gui/model/ranking_job.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <set>
#include <stdexcept>

namespace needle::view {

RankingJob::RankingJob(std::shared_ptr<const DatasetIndex> ds, std::vector<std::string> set_names)
    : ds_(std::move(ds)), set_names_(std::move(set_names)) {
  total_ = ds_->frames.size();
  thread_ = std::thread([this] { run(); });
}

RankingJob::RankingJob(RankingData finished) : data_(std::move(finished)) {
  done_.store(true, std::memory_order_release);
}

namespace {
struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("cancelled") {}
};
}  // namespace

RankingJob::~RankingJob() {
  cancel_.store(true);
  if (thread_.joinable()) thread_.join();
}

void RankingJob::run() {
  const auto t0 = std::chrono::steady_clock::now();
  RankingData d;
  d.position_of_frame.assign(ds_->frames.size(), -1);
  d.score_range.assign(set_names_.size(),
                       {std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest()});
  try {
    // Two workers: the UI thread and the frame loader keep the remaining cores.
    const std::vector<FrameAnnotations> ann =
        load_all_annotations(*ds_, true, 2, [this](std::size_t done, std::size_t total) {
          // Opening another dataset or closing the app must not wait for a whole scan: the
          // loader stops at the next chunk when its progress callback throws.
          if (cancel_.load()) throw Cancelled();
          done_count_.store(done);
          total_.store(total);
        });
    for (const FrameAnnotations& a : ann)
      for (std::size_t s = 0; s < a.preds.size() && s < d.score_range.size(); ++s)
        for (const Object& o : a.preds[s].objects)
          if (o.score) {
            d.score_range[s].first = std::min(d.score_range[s].first, *o.score);
            d.score_range[s].second = std::max(d.score_range[s].second, *o.score);
          }
    d.rank = rank_frames(ann, set_names_);
    std::set<std::string> kinds, classes;
    for (std::size_t p = 0; p < d.rank.frames.size(); ++p) {
      const FrameRank& fr = d.rank.frames[p];
      if (fr.frame_index < d.position_of_frame.size())
        d.position_of_frame[fr.frame_index] = static_cast<int>(p);
      for (const Finding& f : fr.findings) {
        kinds.insert(f.kind);
        if (!f.cls.empty()) classes.insert(f.cls);
        if (!f.predicted_class.empty()) classes.insert(f.predicted_class);
      }
    }
    d.kinds.assign(kinds.begin(), kinds.end());
    d.classes.assign(classes.begin(), classes.end());
  } catch (const std::exception& e) {
    d.error = e.what();
  }
  for (auto& r : d.score_range)
    if (r.first > r.second) r = {0.0, 1.0};
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  data_ = std::move(d);
  done_.store(true, std::memory_order_release);
}

}  // namespace needle::view
