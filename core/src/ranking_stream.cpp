// ranking_stream.cpp — the needle method over a dataset a chunk of frames at a time (bounded
// memory), and the same passes over frames held in memory (rank_frames): one code path, so that
// both give the same ranking bit for bit. See rank_frames_streaming in needle/ranking.h.
//
// Index
//   [SECTION] Chunks of frames
//   [SECTION] Passes
//   [SECTION] Entry points
#include <optional>
#include <stdexcept>

#include "ranking_internal.h"
#include "ranking_needle.h"

namespace needle {

namespace detail {

namespace {

// ============================================================================================
// [SECTION] Chunks of frames
// ============================================================================================
// The frames of a ranking, chunk by chunk: a vector in memory (one chunk, never copied) or a
// FrameSource. One chunk is read and matched once and kept across the passes.
class Chunks {
 public:
  explicit Chunks(const std::vector<FrameAnnotations>& frames)
      : resident_(&frames), size_(frames.size()), chunk_(std::max<std::size_t>(1, size_)) {}
  Chunks(const FrameSource& source, std::size_t chunk)
      : source_(&source), size_(source.size), chunk_(std::max<std::size_t>(1, chunk)) {}

  std::size_t size() const { return size_; }
  std::size_t count() const { return (size_ + chunk_ - 1) / chunk_; }
  std::size_t begin(std::size_t k) const { return k * chunk_; }
  std::size_t end(std::size_t k) const { return std::min(size_, (k + 1) * chunk_); }
  bool kept() const { return count() <= 1; }

  // The frames of chunk k; valid until the next call.
  const std::vector<FrameAnnotations>& load(std::size_t k) {
    if (resident_) return *resident_;
    if (kept() && loaded_) return own_;
    own_.clear();
    own_ = source_->load(begin(k), end(k));
    if (own_.size() != end(k) - begin(k))
      throw std::runtime_error("frame source returned " + std::to_string(own_.size()) +
                               " frames for frames " + std::to_string(begin(k)) + ".." +
                               std::to_string(end(k) - 1));
    loaded_ = true;
    return own_;
  }

 private:
  const std::vector<FrameAnnotations>* resident_ = nullptr;
  const FrameSource* source_ = nullptr;
  std::size_t size_ = 0, chunk_ = 1;
  std::vector<FrameAnnotations> own_;
  bool loaded_ = false;
};

// ============================================================================================
// [SECTION] Passes
// ============================================================================================
enum class Need { Frames, Matches, Confidences };

class Passes {
 public:
  Passes(Chunks& chunks, const std::vector<std::string>& set_names, const RankOptions& opt,
         const StreamOptions& stream)
      : chunks_(chunks), set_names_(set_names), opt_(opt), stream_(stream) {}

  std::vector<ConfidenceMap> conf_maps;  // applied by passes that need Confidences

  // visit(md) for every chunk in dataset order, md holding what `need` says (Frames: md.frames
  // and md.first only). False when cancelled.
  template <class Visit>
  bool run(const char* phase, Need need, Visit&& visit) {
    for (std::size_t k = 0; k < chunks_.count(); ++k) {
      if (stream_.cancel && stream_.cancel->load(std::memory_order_relaxed)) return false;
      if (chunks_.kept()) {
        visit(kept(need));
      } else {
        const std::vector<FrameAnnotations>& frames = chunks_.load(k);
        MatchedDataset md;
        if (need == Need::Frames) {
          md.frames = &frames;
          md.first = chunks_.begin(k);
          md.set_names = set_names_;
        } else {
          md = match_frames(frames, chunks_.begin(k), set_names_, opt_);
          if (need == Need::Confidences) apply_confidence(md, conf_maps, opt_.threads);
        }
        visit(static_cast<const MatchedDataset&>(md));
      }
      if (stream_.progress) stream_.progress(phase, chunks_.end(k), chunks_.size());
    }
    return !(stream_.cancel && stream_.cancel->load(std::memory_order_relaxed));
  }

 private:
  // The one chunk, matched once; confidences applied once they are asked for.
  const MatchedDataset& kept(Need need) {
    if (!kept_) kept_ = match_frames(chunks_.load(0), 0, set_names_, opt_);
    if (need == Need::Confidences && !kept_conf_) {
      apply_confidence(*kept_, conf_maps, opt_.threads);
      kept_conf_ = true;
    }
    return *kept_;
  }

  Chunks& chunks_;
  const std::vector<std::string>& set_names_;
  const RankOptions& opt_;
  const StreamOptions& stream_;
  std::optional<MatchedDataset> kept_;
  bool kept_conf_ = false;
};

// The needle method in passes (see rank_frames_streaming). Empty when cancelled.
RankResult rank_needle_passes(Chunks& chunks, const std::vector<std::string>& set_names,
                              const RankOptions& opt, const StreamOptions& stream) {
  const std::size_t ns = set_names.size();
  Passes passes(chunks, set_names, opt, stream);
  NeedleModelFit fit(ns, opt.threads);
  Models models;

  // Pass 1: matches -> confidence maps, seen classes, the labels' size and alpha models.
  ConfidenceInputs conf_in;
  conf_in.scores.resize(ns);
  conf_in.tp.resize(ns);
  if (!passes.run("loading", Need::Matches, [&](const MatchedDataset& md) {
        conf_in.add(md);
        fit.add_pass1(md);
      }))
    return {};
  passes.conf_maps = conf_in.fit();
  fit.finish_pass1(models);

  // Pass 2 (and the labels' extra passes): every other model.
  if (!passes.run("fitting", Need::Confidences,
                  [&](const MatchedDataset& md) { fit.add_pass2(md, models); }))
    return {};
  LabelModelFit& labels = fit.labels();
  while (labels.extra_pass() != LabelModelFit::Extra::None) {
    if (!passes.run("fitting", Need::Frames,
                    [&](const MatchedDataset& md) { labels.add_extra(*md.frames, models.labels); }))
      return {};
    labels.finish_extra(models.labels);
  }
  fit.finish(models);

  // Pass 3: every frame judged; a ranked frame keeps its findings, the others nothing.
  RankBuilder ranked;
  const FrameScore frame_score = [](std::size_t, const std::vector<Finding>& fs) {
    return noisy_or(fs);
  };
  if (!passes.run("scoring", Need::Confidences, [&](const MatchedDataset& md) {
        std::vector<std::vector<Finding>> per_frame = judge_frames(md, models, opt);
        for (std::size_t f = 0; f < per_frame.size(); ++f)
          ranked.add_frame(md.first + f, md.frame(f), std::move(per_frame[f]), frame_score,
                           opt.min_finding_score);
      }))
    return {};
  return ranked.finish();
}

}  // namespace

RankResult rank_needle(const std::vector<FrameAnnotations>& frames,
                       const std::vector<std::string>& set_names, const RankOptions& opt) {
  Chunks chunks(frames);
  return rank_needle_passes(chunks, set_names, opt, {});
}

}  // namespace detail

// ============================================================================================
// [SECTION] Entry points
// ============================================================================================
RankResult rank_frames_streaming(const FrameSource& source,
                                 const std::vector<std::string>& pred_set_names,
                                 const RankOptions& opt, const StreamOptions& stream) {
  const bool compare = detail::check_compare_options(opt, pred_set_names.size());
  if (compare || opt.method != RankMethod::Needle) {
    // The baselines and compare mode are not streamed: every frame in memory.
    const std::vector<FrameAnnotations> all = source.load(0, source.size);
    if (stream.progress) stream.progress("loading", source.size, source.size);
    return rank_frames(all, pred_set_names, opt);
  }
  detail::Chunks chunks(source, stream.chunk_frames);
  RankResult r = detail::rank_needle_passes(chunks, pred_set_names, opt, stream);
  if (stream.cancel && stream.cancel->load(std::memory_order_relaxed)) return {};
  r.summary["prediction_sets"] = static_cast<long>(pred_set_names.size());
  return r;
}

}  // namespace needle
