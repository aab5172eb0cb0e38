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
  shown_ = &data_;
}

RankingJob::~RankingJob() {
  cancel_.cancel();
  if (thread_.joinable()) thread_.join();
}

namespace {

// The viewer's view of a pipeline result (final, or interim: then r's status means nothing yet):
// score ranges per session set, the position of each frame in the list, the kinds and classes
// present.
RankingData ranking_data(const DatasetIndex& ds, const std::vector<std::string>& set_names,
                         const PipelineResult& r, RankResult rank, bool interim) {
  RankingData d;
  d.position_of_frame.assign(ds.frames.size(), -1);
  d.score_range.assign(set_names.size(),
                       {std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest()});
  d.seconds = r.seconds;
  d.method_name = r.method_name;
  d.lidar_used = r.lidar_used;
  d.warnings = r.warnings;
  if (!interim && r.status == PipelineStatus::Cancelled) {
    d.cancelled = true;
    d.error = "cancelled";
  } else if (!interim && r.status == PipelineStatus::Failed) {
    d.error = r.error;
  } else {
    // Score ranges per session set (the pipeline's sets are the session's, or none for lidar
    // evidence alone).
    for (const FrameAnnotations& a : r.frames)
      for (std::size_t s = 0; s < a.preds.size() && s < r.set_names.size(); ++s) {
        const auto it = std::find(set_names.begin(), set_names.end(), r.set_names[s]);
        if (it == set_names.end()) continue;
        auto& range = d.score_range[static_cast<std::size_t>(it - set_names.begin())];
        for (const Object& o : a.preds[s].objects)
          if (o.score) {
            range.first = std::min(range.first, *o.score);
            range.second = std::max(range.second, *o.score);
          }
      }
    d.rank = std::move(rank);
    d.label_expected = r.label_expected;
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
  return d;
}

}  // namespace

void RankingJob::publish_interim(const PipelineResult& r, const PipelineInterim& what) {
  auto d = std::make_shared<RankingData>(ranking_data(*ds_, set_names_, r, r.rank, true));
  d->interim = true;
  d->interim_stage = what.stage;
  d->lidar_done = what.lidar_done;
  d->lidar_total = what.lidar_total;
  std::lock_guard<std::mutex> lock(interim_mutex_);
  interim_ = std::move(d);
  ++interims_;
}

void RankingJob::run() {
  PipelineOptions opt = opt_;
  opt.interim = [this](const PipelineResult& r, const PipelineInterim& what) {
    publish_interim(r, what);
  };
  PipelineResult r = run_pipeline(
      *ds_, opt,
      [this](const char* phase, std::size_t done, std::size_t total) {
        std::lock_guard<std::mutex> lock(progress_mutex_);
        progress_ = {phase, done, total};
      },
      &cancel_);
  // Compare mode: AP of both sets, regressions and fixes per class (from the whole result).
  std::shared_ptr<const CompareSummary> compare;
  if (r.status == PipelineStatus::Ok && r.compare_old >= 0 && r.compare_new >= 0)
    compare = std::make_shared<const CompareSummary>(build_compare_summary(r, opt_.threads));
  RankResult rank = std::move(r.rank);
  data_ = ranking_data(*ds_, set_names_, r, std::move(rank), false);
  data_.compare = std::move(compare);
  done_.store(true, std::memory_order_release);
}

bool RankingJob::poll(std::shared_ptr<const RankingData>* previous) {
  if (previous) previous->reset();
  if (shown_final()) return false;
  if (done()) {
    if (previous) *previous = std::move(shown_interim_);
    shown_interim_.reset();
    shown_ = &data_;
    return true;
  }
  std::shared_ptr<const RankingData> newest = latest_interim();
  if (!newest || newest == shown_interim_) return false;
  if (previous) *previous = shown_interim_;
  shown_interim_ = std::move(newest);
  shown_ = shown_interim_.get();
  return true;
}

}  // namespace needle::view
