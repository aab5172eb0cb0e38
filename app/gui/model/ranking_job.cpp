#include "gui/model/ranking_job.h"

#include <algorithm>
#include <limits>
#include <set>

#include "gui/model/compare_summary.h"

namespace needle::view {

RankingJob::RankingJob(std::shared_ptr<const DatasetIndex> ds, std::vector<std::string> set_names,
                       PipelineOptions opt)
    : ds_(std::move(ds)), set_names_(std::move(set_names)), opt_(std::move(opt)) {
  if (opt_.threads == 0) opt_.threads = kDefaultThreads;
  progress_ = {"loading", 0, ds_->frames.size()};
  thread_ = std::thread([this] { run(); });
}

RankingJob::RankingJob(RankingData finished) : data_(std::move(finished)) {
  done_.store(true, std::memory_order_release);
}

RankingJob::~RankingJob() {
  cancel_.cancel();
  if (thread_.joinable()) thread_.join();
}

void RankingJob::run() {
  RankingData d;
  d.position_of_frame.assign(ds_->frames.size(), -1);
  d.score_range.assign(set_names_.size(),
                       {std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest()});
  PipelineResult r = run_pipeline(
      *ds_, opt_,
      [this](const char* phase, std::size_t done, std::size_t total) {
        std::lock_guard<std::mutex> lock(progress_mutex_);
        progress_ = {phase, done, total};
      },
      &cancel_);
  d.seconds = r.seconds;
  d.method_name = r.method_name;
  d.lidar_used = r.lidar_used;
  d.warnings = r.warnings;
  if (r.status == PipelineStatus::Cancelled) {
    d.cancelled = true;
    d.error = "cancelled";
  } else if (r.status == PipelineStatus::Failed) {
    d.error = r.error;
  } else {
    // Score ranges per session set (the pipeline's sets are the session's, or none for lidar
    // evidence alone).
    for (const FrameAnnotations& a : r.frames)
      for (std::size_t s = 0; s < a.preds.size() && s < r.set_names.size(); ++s) {
        const auto it = std::find(set_names_.begin(), set_names_.end(), r.set_names[s]);
        if (it == set_names_.end()) continue;
        auto& range = d.score_range[static_cast<std::size_t>(it - set_names_.begin())];
        for (const Object& o : a.preds[s].objects)
          if (o.score) {
            range.first = std::min(range.first, *o.score);
            range.second = std::max(range.second, *o.score);
          }
      }
    if (r.compare_old >= 0 && r.compare_new >= 0)
      d.compare = std::make_shared<const CompareSummary>(build_compare_summary(r, opt_.threads));
    d.rank = std::move(r.rank);
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
  }
  for (auto& range : d.score_range)
    if (range.first > range.second) range = {0.0, 1.0};
  data_ = std::move(d);
  done_.store(true, std::memory_order_release);
}

}  // namespace needle::view
