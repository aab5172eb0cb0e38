// map/dataset_map.cpp — a dataset's embedding map (needle/embedding_map.h): its objects'
// descriptors (built-in, cached, or a user embeddings file), then the map; and the background job
// the viewer runs it in. The one pipeline of `needle map` and the viewer's map panel.
#include <time.h>

#include <chrono>

#include "needle/embedding_map.h"

namespace needle {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
// CPU seconds of the whole process (all threads): a figure that a busy shared machine does not
// inflate the way it does wall time.
double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

SimilarSpace map_objects(const SimilarSpaces& spaces, bool predictions) {
  const SimilarSpace& all = spaces.objects;
  SimilarSpace out;
  out.dim = all.dim;
  for (std::size_t i = 0; i < all.items.size(); ++i) {
    if (!predictions && !all.items[i].ref.is_label()) continue;
    out.items.push_back(all.items[i]);
    out.vectors.insert(out.vectors.end(), all.row(i), all.row(i) + all.dim);
  }
  return out;
}

DatasetMap build_dataset_map(const DatasetIndex& ds, const MapBuildOptions& opt) {
  DatasetMap out;
  const auto t0 = Clock::now();
  const std::atomic<bool>* cancel = opt.similar.cancel;
  auto stop = [&] { return cancel && cancel->load(); };
  const std::vector<FrameAnnotations> ann = load_all_annotations(
      ds, true, opt.similar.threads,
      [&](std::size_t d, std::size_t t) {
        if (opt.similar.progress) opt.similar.progress("loading", d, t);
      },
      cancel);
  if (stop()) return out;
  SimilarSpaces spaces;
  if (!opt.embeddings.empty()) {
    try {
      spaces = load_embeddings(opt.embeddings, opt.keys, ds, ann);
    } catch (const std::exception& e) {
      out.error = e.what();
      return out;
    }
  } else {
    SimilarBuildOptions so = opt.similar;
    so.predictions = opt.predictions;
    spaces = build_builtin_spaces(ds, ann, so);
  }
  if (stop()) return out;
  out.source = spaces.source;
  out.objects = map_objects(spaces, opt.predictions);
  out.descriptors_s = seconds_since(t0);
  const auto t1 = Clock::now();
  const double c1 = process_cpu_s();
  out.map = embedding_map(out.objects, opt.map);
  out.map_s = seconds_since(t1);
  out.map_cpu_s = process_cpu_s() - c1;
  return out;
}

MapBuildJob::MapBuildJob(DatasetIndex ds, MapBuildOptions opt) {
  opt.similar.cancel = &cancel_;
  opt.map.cancel = &cancel_;
  // Descriptors fill the first half of the bar, the map the second; each phase of the map
  // (pca, neighbours, graph, layout) a share of its half by its typical cost.
  auto set = [this](const char* phase, double share) {
    std::lock_guard<std::mutex> lock(mutex_);
    phase_ = phase;
    share_ = share;
  };
  opt.similar.progress = [set](const char* phase, std::size_t d, std::size_t t) {
    const std::string p = phase;
    const double f = t ? double(d) / double(t) : 0.0;
    set(phase, p == "loading" ? 0.1 * f : p == "findings" ? 0.1 + 0.05 * f : 0.15 + 0.35 * f);
  };
  opt.map.progress = [set](const char* phase, std::size_t d, std::size_t t) {
    const std::string p = phase;
    const double f = t ? double(d) / double(t) : 0.0;
    set(phase, p == "pca"          ? 0.5 + 0.05 * f
               : p == "neighbours" ? 0.55 + 0.2 * f
               : p == "graph"      ? 0.75 + 0.05 * f
                                   : 0.8 + 0.2 * f);
  };
  thread_ = std::thread([this, ds = std::move(ds), opt = std::move(opt)] {
    result_ = build_dataset_map(ds, opt);
    done_.store(true);
  });
}

MapBuildJob::~MapBuildJob() {
  cancel_.store(true);
  if (thread_.joinable()) thread_.join();
}

double MapBuildJob::progress(std::string* phase) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (phase) *phase = phase_;
  return share_;
}

DatasetMap MapBuildJob::take() {
  if (thread_.joinable()) thread_.join();
  return std::move(result_);
}

}  // namespace needle
