// pipeline.cpp — load, check, lidar pass, rank: the one path every front end takes (pipeline.h).
#include "needle/pipeline.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "needle/lidar_witness.h"

namespace needle {

const char* evidence_name(Evidence e) {
  return enum_to_name(kEvidenceTable, e, "all");
}

Evidence parse_evidence(const std::string& s) {
  return parse_enum(kEvidenceTable, s, "--evidence");
}

std::string check_pipeline_options(const PipelineOptions& opt) {
  if (opt.evidence == Evidence::Lidar && !opt.compare.empty())
    return "--compare needs --evidence predictions or all";
  if (!opt.compare.empty() && opt.compare.find(',') == std::string::npos)
    return "--compare expects OLD,NEW (two prediction set names)";
  if (!(opt.min_finding_score >= 0.0 && opt.min_finding_score <= 1.0))
    return "--min-score must lie in [0, 1]";
  return "";
}

std::vector<PredictionSetSpec> pipeline_prediction_sets(
    const std::filesystem::path& root, const std::vector<PredictionSetSpec>& explicit_sets,
    const PipelineOptions& opt) {
  if (opt.evidence == Evidence::Lidar) return {};
  if (!explicit_sets.empty()) return explicit_sets;
  return default_prediction_sets(root);
}

namespace {

void finish_lidar(const PipelineOptions& opt, PipelineResult& r, RankOptions& ro,
                  std::vector<FrameLidar> lidar);

bool cancelled(const CancelToken* c) {
  return c && c->cancelled();
}

// Compare mode: OLD,NEW -> indices into names; "" when fine, else the message.
std::string resolve_compare(const std::string& compare, const std::vector<std::string>& names,
                            int& old_index, int& new_index) {
  const std::size_t comma = compare.find(',');
  if (comma == std::string::npos) return "--compare expects OLD,NEW (two prediction set names)";
  const std::string a = compare.substr(0, comma), b = compare.substr(comma + 1);
  auto idx = [&](const std::string& n) {
    const auto it = std::find(names.begin(), names.end(), n);
    return it == names.end() ? -1 : static_cast<int>(it - names.begin());
  };
  old_index = idx(a);
  new_index = idx(b);
  if (old_index < 0 || new_index < 0) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    return "--compare " + compare +
           ": both names must be prediction sets (--pred NAME=DIR); known sets: " +
           (known.empty() ? "none" : known);
  }
  if (old_index == new_index) return "--compare needs two different prediction sets";
  return "";
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// [frame][label] expected point counts of the labels the pass has statistics for.
std::vector<std::vector<std::optional<ExpectedPoints>>> expected_table(
    const std::vector<FrameAnnotations>& frames, const LidarModel& model) {
  std::vector<std::vector<std::optional<ExpectedPoints>>> t(frames.size());
  const std::vector<FrameLidar>& lidar = model.results();
  for (std::size_t f = 0; f < frames.size() && f < lidar.size(); ++f) {
    if (!lidar[f].ok) continue;
    const auto& labels = frames[f].labels;
    t[f].resize(labels.size());
    for (std::size_t i = 0; i < labels.size() && i < lidar[f].labels.size(); ++i)
      if (lidar[f].labels[i].valid) t[f][i] = model.expected_points(labels[i]);
  }
  return t;
}

// Publishes `rank` as an interim ranking through opt.interim (r lends it its other fields).
void publish_interim(const PipelineOptions& opt, PipelineResult& r, RankResult rank,
                     const PipelineInterim& what, const DatasetIndex& ds,
                     std::vector<std::vector<std::optional<ExpectedPoints>>> expected = {}) {
  if (opt.post_rank) opt.post_rank(ds, r.frames, rank);
  r.rank = std::move(rank);
  r.label_expected = std::move(expected);
  const bool used = r.lidar_used;
  r.lidar_used = !r.label_expected.empty();
  opt.interim(r, what);
  r.rank = {};
  r.label_expected.clear();
  r.lidar_used = used;
}

// The lidar phase: the pass (cached), its problems, and the two witnesses learned from it. With
// opt.interim the pass runs in chunks of frames and interim rankings follow some of them.
void lidar_phase(const DatasetIndex& ds, const PipelineOptions& opt,
                 const PipelineProgress& progress, const CancelToken* cancel, PipelineResult& r,
                 RankOptions& ro) {
  LidarPassOptions lo;
  lo.threads = opt.threads;
  lo.use_cache = opt.lidar_cache;
  lo.cache_dir = opt.lidar_cache_dir;
  lo.cancel = cancel ? cancel->flag() : nullptr;
  const std::size_t n = std::min(ds.frames.size(), r.frames.size());
  const std::size_t chunks = opt.interim ? kInterimLidarChunks : 1;
  const std::size_t chunk = std::max<std::size_t>(1, (n + chunks - 1) / chunks);
  std::vector<FrameLidar> lidar(n);
  r.lidar_stats = {};
  auto last_interim = Clock::now();
  double interim_cost_s = 0;
  for (std::size_t b = 0; b < n || b == 0; b += chunk) {
    lo.begin = b;
    lo.end = std::min(n, b + chunk);
    if (progress) lo.progress = [&, b](std::size_t d, std::size_t) { progress("lidar", b + d, n); };
    LidarPassStats st;
    std::vector<FrameLidar> part = run_lidar_pass(ds, r.frames, lo, &st);
    if (cancelled(cancel)) return;
    for (std::size_t f = lo.begin; f < lo.end && f < part.size(); ++f)
      lidar[f] = std::move(part[f]);
    r.lidar_stats.frames += st.frames;
    r.lidar_stats.computed += st.computed;
    r.lidar_stats.from_cache += st.from_cache;
    r.lidar_stats.no_scan += st.no_scan;
    r.lidar_stats.failed += st.failed;
    r.lidar_stats.analysis_ms += st.analysis_ms;
    if (lo.end >= n) break;
    // An interim with what is done, when the last one is old enough (and cheap enough).
    if (opt.interim && r.lidar_stats.computed + r.lidar_stats.from_cache > 0 &&
        seconds_since(last_interim) >=
            std::max(opt.interim_every_s, kInterimCostFactor * interim_cost_s)) {
      const auto t0 = Clock::now();
      auto model = std::make_shared<const LidarModel>(r.frames, lidar);  // a copy: lidar grows
      RankOptions ri = ro;
      ri.witnesses.push_back(lidar_label_witness(model));
      ri.object_witnesses.push_back(lidar_object_witness(model));
      RankResult interim = rank_frames(r.frames, r.set_names, ri);
      if (cancelled(cancel)) return;
      publish_interim(opt, r, std::move(interim), {"lidar", lo.end, n}, ds,
                      expected_table(r.frames, *model));
      interim_cost_s = seconds_since(t0);
      last_interim = Clock::now();
    }
  }
  finish_lidar(opt, r, ro, std::move(lidar));
}

// The lidar phase's end, on the pass's results (one per frame; r.lidar_stats summed): the scan
// problems and the two witnesses. Shared with the merge of sharded runs (run_pipeline_on_frames).
void finish_lidar(const PipelineOptions& opt, PipelineResult& r, RankOptions& ro,
                  std::vector<FrameLidar> lidar) {
  // Scan problems (NaN points, nothing in view ...) are invalid data even when no scan of the
  // dataset was usable.
  for (std::size_t f = 0; f < lidar.size(); ++f)
    for (const Problem& p : lidar[f].problems) {
      r.lidar_problems.push_back({f, p, r.frames[f].id});
      r.frames[f].problems.push_back(p);
    }
  if (r.lidar_stats.computed + r.lidar_stats.from_cache > 0) {
    auto model = std::make_shared<const LidarModel>(r.frames, std::move(lidar));
    ro.witnesses.push_back(lidar_label_witness(model));
    ro.object_witnesses.push_back(lidar_object_witness(model));
    r.label_expected = expected_table(r.frames, *model);
    r.lidar_used = true;
  } else if (opt.evidence == Evidence::Lidar) {
    r.warnings.push_back("--evidence lidar but no frame has a scan and calibration");
  }
}

// The streaming ranking (see pipeline.h): fatal load problems are recorded as pass 1 reads the
// frames in order.
void rank_streaming(const FrameSource& files, const PipelineOptions& opt, const RankOptions& ro,
                    const PipelineProgress& progress, const CancelToken* cancel,
                    PipelineResult& r) {
  std::size_t recorded = 0;  // frames [0, recorded) have their problems in r.load_problems
  FrameSource src;
  src.size = files.size;
  src.load = [&](std::size_t begin, std::size_t end) {
    std::vector<FrameAnnotations> frames = files.load(begin, end);
    if (begin == recorded) {
      for (std::size_t f = begin; f < end; ++f)
        for (const Problem& p : frames[f - begin].problems)
          if (p.fatal) r.load_problems.push_back({f, p, frames[f - begin].id});
      recorded = end;
    }
    return frames;
  };
  StreamOptions so;
  so.chunk_frames = opt.stream_chunk_frames;
  so.cancel = cancel ? cancel->flag() : nullptr;
  if (progress) so.progress = progress;
  r.rank = rank_frames_streaming(src, r.set_names, ro, so);
}

// What every entry point does before loading: the option checks, the set names, the compare
// indices and the method's name. False: r says why (options_error).
bool prepare_run(const std::vector<PredictionSetSpec>& sets, const PipelineOptions& opt,
                 PipelineResult& r, RankOptions& ro) {
  if (std::string e = check_pipeline_options(opt); !e.empty()) {
    r.error = std::move(e);
    r.options_error = true;
    return false;
  }
  for (const auto& s : sets) r.set_names.push_back(s.name);
  ro.method = opt.method;
  ro.threads = opt.threads;
  ro.min_finding_score = opt.min_finding_score;
  if (!opt.compare.empty()) {
    if (std::string e = resolve_compare(opt.compare, r.set_names, ro.compare_old, ro.compare_new);
        !e.empty()) {
      r.error = std::move(e);
      r.options_error = true;
      return false;
    }
    r.compare_old = ro.compare_old;
    r.compare_new = ro.compare_new;
  }
  r.method_name = ro.compare_old >= 0 ? "compare" : rank_method_name(opt.method);
  return true;
}

bool lidar_takes_part(const PipelineOptions& opt, const RankOptions& ro) {
  return opt.evidence != Evidence::Predictions && opt.method == RankMethod::Needle &&
         ro.compare_old < 0;
}

// What every entry point shares: the clock, the option checks (prepare_run with the sets it
// reads), and the exceptions of `body` mapped to Failed (std::invalid_argument from rank_frames:
// options it cannot honour, a usage error). `body` returns the status of a run it finished.
PipelineResult guarded_run(const std::vector<PredictionSetSpec>& sets, const PipelineOptions& opt,
                           const std::function<PipelineStatus(PipelineResult&, RankOptions&)>& body) {
  const Clock::time_point t0 = Clock::now();
  PipelineResult r;
  RankOptions ro;
  r.status = PipelineStatus::Failed;
  if (prepare_run(sets, opt, r, ro)) {
    try {
      r.status = body(r, ro);
    } catch (const std::invalid_argument& e) {
      r.error = e.what();
      r.options_error = true;
      r.status = PipelineStatus::Failed;
    } catch (const std::exception& e) {
      r.error = e.what();
      r.status = PipelineStatus::Failed;
    }
  }
  r.seconds = seconds_since(t0);
  return r;
}

// The fatal problems of the loaded frames, in frame order.
void record_load_problems(PipelineResult& r) {
  for (std::size_t f = 0; f < r.frames.size(); ++f)
    for (const Problem& p : r.frames[f].problems)
      if (p.fatal) r.load_problems.push_back({f, p, r.frames[f].id});
}

}  // namespace

FrameSource dataset_frame_source(const DatasetIndex& ds, unsigned threads) {
  FrameSource s;
  s.size = ds.frames.size();
  s.load = [&ds, threads](std::size_t begin, std::size_t end) {
    std::vector<FrameAnnotations> out(end - begin);
    // Sub-chunks of 16 frames (as load_all_annotations): frames differ in size.
    constexpr std::size_t kSub = 16;
    const std::size_t subs = (out.size() + kSub - 1) / kSub;
    unsigned n = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
    n = static_cast<unsigned>(std::min<std::size_t>(n, std::max<std::size_t>(subs, 1)));
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto work = [&] {
      try {
        for (std::size_t c; (c = next.fetch_add(1)) < subs;)
          for (std::size_t i = c * kSub; i < std::min(out.size(), (c + 1) * kSub); ++i) {
            out[i] = load_annotations(ds, begin + i, true);
            quick_check_media(ds.frames[begin + i], out[i].problems);
          }
      } catch (...) {  // resource errors only: load_annotations records data errors
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next.store(subs);
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < n; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
    return out;
  };
  return s;
}

bool pipeline_streams(const DatasetIndex& ds, const PipelineOptions& opt) {
  if (opt.stream_chunk_frames == 0 || opt.method != RankMethod::Needle || !opt.compare.empty() ||
      opt.evidence == Evidence::Lidar)
    return false;
  if (opt.evidence == Evidence::Predictions) return true;
  // Evidence all: the lidar pass would find nothing to learn from without a scan.
  return std::none_of(ds.frames.begin(), ds.frames.end(),
                      [](const FrameFiles& f) { return !f.velodyne.empty(); });
}

DatasetIndex pipeline_index(const DatasetIndex& ds, const PipelineOptions& opt) {
  DatasetIndex out = ds;
  if (opt.evidence == Evidence::Lidar) {
    out.pred_sets.clear();
    for (FrameFiles& f : out.frames) f.preds.clear();
  }
  return out;
}

PipelineResult run_pipeline(const DatasetIndex& ds_in, const PipelineOptions& opt,
                            const PipelineProgress& progress, const CancelToken* cancel) {
  // Lidar evidence alone: the prediction sets are neither read nor ranked.
  DatasetIndex lidar_only;
  const DatasetIndex* ds = &ds_in;
  if (opt.evidence == Evidence::Lidar && !ds_in.pred_sets.empty()) {
    lidar_only = pipeline_index(ds_in, opt);
    ds = &lidar_only;
  }
  return guarded_run(ds->pred_sets, opt, [&](PipelineResult& r, RankOptions& ro) {
    if (pipeline_streams(*ds, opt)) {
      rank_streaming(dataset_frame_source(*ds, opt.threads), opt, ro, progress, cancel, r);
      if (cancelled(cancel)) return PipelineStatus::Cancelled;
      if (opt.post_rank) opt.post_rank(*ds, r.frames, r.rank);
      return PipelineStatus::Ok;
    }
    r.frames = load_all_annotations(
        *ds, true, opt.threads,
        [&](std::size_t d, std::size_t t) {
          if (progress) progress("loading", d, t);
        },
        cancel ? cancel->flag() : nullptr);
    if (cancelled(cancel)) return PipelineStatus::Cancelled;
    record_load_problems(r);

    const bool use_lidar = lidar_takes_part(opt, ro);
    if (use_lidar && opt.interim) {
      // The list is usable at once: a ranking without the lidar before its pass.
      if (progress) progress("lidar", 0, r.frames.size());
      publish_interim(opt, r, rank_frames(r.frames, r.set_names, ro),
                      {"predictions", 0, r.frames.size()}, *ds);
      if (cancelled(cancel)) return PipelineStatus::Cancelled;
    }
    if (use_lidar) {
      lidar_phase(*ds, opt, progress, cancel, r, ro);
      if (cancelled(cancel)) return PipelineStatus::Cancelled;
    }

    if (progress) progress("ranking", 0, 1);
    r.rank = rank_frames(r.frames, r.set_names, ro);
    if (cancelled(cancel)) return PipelineStatus::Cancelled;
    if (opt.post_rank) opt.post_rank(*ds, r.frames, r.rank);
    if (progress) progress("ranking", 1, 1);
    return PipelineStatus::Ok;
  });
}

PipelineResult run_pipeline_on_frames(const DatasetIndex& ds, std::vector<FrameAnnotations> frames,
                                      std::vector<FrameLidar> lidar,
                                      const LidarPassStats& lidar_stats, const PipelineOptions& opt,
                                      const PipelineProgress& progress) {
  return guarded_run(ds.pred_sets, opt, [&](PipelineResult& r, RankOptions& ro) {
    r.frames = std::move(frames);
    record_load_problems(r);
    if (lidar_takes_part(opt, ro)) {
      if (lidar.size() != r.frames.size())
        throw std::runtime_error("lidar results for " + std::to_string(lidar.size()) +
                                 " frames, annotations for " + std::to_string(r.frames.size()));
      r.lidar_stats = lidar_stats;
      finish_lidar(opt, r, ro, std::move(lidar));
    }
    if (progress) progress("ranking", 0, 1);
    r.rank = rank_frames(r.frames, r.set_names, ro);
    if (opt.post_rank) opt.post_rank(ds, r.frames, r.rank);
    if (progress) progress("ranking", 1, 1);
    return PipelineStatus::Ok;
  });
}

PipelineResult run_pipeline_streaming(const DatasetIndex& ds, const FrameSource& src,
                                      const PipelineOptions& opt,
                                      const PipelineProgress& progress) {
  return guarded_run(ds.pred_sets, opt, [&](PipelineResult& r, RankOptions& ro) {
    rank_streaming(src, opt, ro, progress, nullptr, r);
    if (opt.post_rank) opt.post_rank(ds, r.frames, r.rank);
    return PipelineStatus::Ok;
  });
}

EvalDataset load_eval_frames(const DatasetIndex& ds, std::size_t pred_set, unsigned threads,
                             const PipelineProgress& progress) {
  return load_eval_dataset(ds, pred_set, threads, [&](std::size_t d, std::size_t t) {
    if (progress) progress("loading", d, t);
  });
}

}  // namespace needle
