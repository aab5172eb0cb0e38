// ranking.cpp — method dispatch and what every method shares: threads over frames, the matched
// dataset with calibrated confidences, invalid-data findings, frame scores and rank order.
//
// Index
//   [SECTION] Small helpers
//   [SECTION] Matched dataset (pass 1 + confidence calibration)
//   [SECTION] invalid_data findings
//   [SECTION] Finalising a ranking
//   [SECTION] Dispatch
#include "needle/ranking.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "needle/iou.h"
#include "ranking_internal.h"
#include "needle/angles.h"

namespace needle {

// ============================================================================================
// [SECTION] Small helpers
// ============================================================================================
namespace detail {

void parallel_for(std::size_t n, unsigned threads,
                  const std::function<void(std::size_t, std::size_t)>& f, std::size_t kChunk) {
  if (n == 0) return;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  kChunk = std::max<std::size_t>(kChunk, 1);
  const std::size_t chunks = (n + kChunk - 1) / kChunk;
  const std::size_t workers = std::min<std::size_t>(threads, chunks);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (;;) {
      const std::size_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks) break;
      f(c * kChunk, std::min(n, (c + 1) * kChunk));
    }
  };
  if (workers <= 1) {
    work();
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  try {
    for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  } catch (const std::system_error&) {
    // Fewer threads than asked: the running ones take all chunks.
  }
  work();
  for (auto& t : pool) t.join();
}

bool frame_id_less(const std::string& a, const std::string& b) {
  auto digits = [](const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const bool da = digits(a), db = digits(b);
  if (da != db) return da;
  if (!da) return a < b;
  const std::size_t za = std::min(a.find_first_not_of('0'), a.size());
  const std::size_t zb = std::min(b.find_first_not_of('0'), b.size());
  const std::size_t la = a.size() - za, lb = b.size() - zb;
  if (la != lb) return la < lb;
  const int c = a.compare(za, la, b, zb, lb);
  if (c != 0) return c < 0;
  return a < b;
}

double wrap_angle(double a) {
  // The ranking reads an unreadable (non-finite) angle difference as "no disagreement".
  const double w = wrap_pi(a);
  return std::isnan(w) ? 0 : w;
}

std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

// ============================================================================================
// [SECTION] Matched dataset (pass 1 + confidence calibration)
// ============================================================================================
MatchedDataset match_frames(const std::vector<FrameAnnotations>& frames, std::size_t first,
                            const std::vector<std::string>& set_names, const RankOptions& opt) {
  MatchedDataset md;
  md.frames = &frames;
  md.first = first;
  md.set_names = set_names;
  const std::size_t ns = set_names.size();
  md.sf.resize(frames.size());
  parallel_for(frames.size(), opt.threads, [&](std::size_t b, std::size_t e) {
    std::vector<double> order;
    for (std::size_t f = b; f < e; ++f) {
      const FrameAnnotations& ann = frames[f];
      md.sf[f].resize(ns);
      for (std::size_t s = 0; s < ns && s < ann.preds.size(); ++s) {
        const PredictionFrame& pf = ann.preds[s];
        SetFrame& sf = md.sf[f][s];
        sf.usable =
            ann.has_labels && (pf.status == PredStatus::Present || pf.status == PredStatus::Empty);
        if (!sf.usable) continue;
        order.clear();
        for (const Object& o : pf.objects) order.push_back(o.score.value_or(0.0));
        sf.match = match_frame(ann.labels, pf.objects, order, opt.match);
      }
    }
  });
  return md;
}

// Confidence maps: raw scores of every prediction (usable or not); outcome from usable frames.
void ConfidenceInputs::add(const MatchedDataset& md) {
  const std::size_t ns = md.n_sets();
  scores.resize(ns);
  tp.resize(ns);
  const auto& frames = *md.frames;
  for (std::size_t s = 0; s < ns; ++s) {
    for (std::size_t f = 0; f < frames.size(); ++f) {
      if (s >= frames[f].preds.size()) continue;
      const auto& objs = frames[f].preds[s].objects;
      const SetFrame& sf = md.sf[f][s];
      for (std::size_t j = 0; j < objs.size(); ++j) {
        scores[s].push_back(objs[j].score.value_or(0.0));
        std::int8_t t = -1;
        if (sf.usable) {
          const PredFate fate = sf.match.pred_fate[j];
          t = fate == PredFate::Paired ? 1 : fate == PredFate::Unmatched ? 0 : -1;
        }
        tp[s].push_back(t);
      }
    }
  }
}

std::vector<ConfidenceMap> ConfidenceInputs::fit() {
  std::vector<ConfidenceMap> maps(scores.size());
  for (std::size_t s = 0; s < scores.size(); ++s) {
    maps[s] = ConfidenceMap::fit(scores[s], tp[s]);
    std::vector<double>().swap(scores[s]);  // the inputs are the largest part: free them now
    std::vector<std::int8_t>().swap(tp[s]);
  }
  return maps;
}

void apply_confidence(MatchedDataset& md, const std::vector<ConfidenceMap>& maps,
                      unsigned threads) {
  const auto& frames = *md.frames;
  const std::size_t ns = md.n_sets();
  parallel_for(frames.size(), threads, [&](std::size_t b, std::size_t e) {
    for (std::size_t f = b; f < e; ++f)
      for (std::size_t s = 0; s < ns && s < frames[f].preds.size(); ++s) {
        const auto& objs = frames[f].preds[s].objects;
        auto& conf = md.sf[f][s].conf;
        conf.resize(objs.size());
        for (std::size_t j = 0; j < objs.size(); ++j)
          conf[j] = static_cast<float>(maps[s](objs[j].score.value_or(0.0)));
      }
  });
}

MatchedDataset match_dataset(const std::vector<FrameAnnotations>& frames,
                             const std::vector<std::string>& set_names, const RankOptions& opt) {
  MatchedDataset md = match_frames(frames, 0, set_names, opt);
  ConfidenceInputs in;
  in.add(md);
  md.conf_maps = in.fit();
  md.conf_maps.resize(md.n_sets());
  apply_confidence(md, md.conf_maps, opt.threads);
  return md;
}

// ============================================================================================
// [SECTION] invalid_data findings
// ============================================================================================
// Scores of invalid_data findings (documented in ranking.h): a broken dataset file stops the
// frame from being used at all; a broken prediction file only loses one witness; a warning (an
// unknown class kept, a .pcd ignored for a .bin) is worth a look. A zero-byte label file is as
// likely an empty scene as a failed export, so it ranks below real label-error evidence.
constexpr double kBrokenFileScore = 1.0;
constexpr double kBrokenPredictionScore = 0.5;
constexpr double kWarningScore = 0.3;
constexpr double kEmptyLabelFileScore = 0.05;

bool near_object(const Object& a, const Object& b) {
  if (a.has_3d() && b.has_3d())
    return centre_distance_bev(a, b) <= kNearBaseM + kNearPerRangeM * range_of(a) ||
           iou_bev(a, b) >= kNearMinIouBev;
  return a.box2d.area() > 0 && b.box2d.area() > 0 && iou_2d(a.box2d, b.box2d) >= kNearMinIou2d;
}

void add_invalid_findings(const FrameAnnotations& ann, std::vector<Finding>& out) {
  for (const Problem& p : ann.problems) {
    const bool pred_file = p.modality.rfind("pred:", 0) == 0;
    double score = !p.fatal ? kWarningScore : pred_file ? kBrokenPredictionScore : kBrokenFileScore;
    if (!p.fatal && p.modality == "label" && p.field == kEmptyLabelFileField)
      score = kEmptyLabelFileScore;
    Finding f =
        make_finding(kind::kInvalidData, ann.id, score,
                     (p.fatal ? "" : "warning: ") +
                         (p.modality.empty() ? std::string() : p.modality + ": ") + p.to_string());
    if (pred_file) f.prediction_set = p.modality.substr(5);
    out.push_back(std::move(f));
  }
}

// ============================================================================================
// [SECTION] Finalising a ranking
// ============================================================================================
void RankBuilder::add_frame(std::size_t f, const FrameAnnotations& ann,
                            std::vector<Finding>&& fs, const FrameScore& frame_score,
                            double min_score) {
  ++n_frames_;
  if (!ann.valid()) ++invalid_frames_;
  if (ann.has_labels) ++labelled_;
  fs.erase(std::remove_if(fs.begin(), fs.end(),
                          [&](const Finding& x) { return !(x.score >= min_score); }),
           fs.end());
  std::stable_sort(fs.begin(), fs.end(),
                   [](const Finding& a, const Finding& b) { return a.score > b.score; });
  const double score = std::clamp(frame_score(f, fs), 0.0, 1.0);
  if (!(score > 0)) return;
  FrameRank fr;
  fr.frame_index = f;
  fr.frame = ann.id;
  fr.score = score;
  for (const Finding& x : fs) ++r_.summary["kind:" + x.kind];
  n_findings_ += static_cast<long>(fs.size());
  fr.findings = std::move(fs);
  r_.frames.push_back(std::move(fr));
}

RankResult RankBuilder::finish() {
  RankResult r = std::move(r_);
  std::sort(r.frames.begin(), r.frames.end(), [](const FrameRank& a, const FrameRank& b) {
    if (a.score != b.score) return a.score > b.score;
    return frame_id_less(a.frame, b.frame);
  });
  for (std::size_t i = 0; i < r.frames.size(); ++i) r.frames[i].rank = static_cast<int>(i + 1);
  r.summary["frames"] = n_frames_;
  r.summary["frames_labelled"] = labelled_;
  r.summary["frames_invalid"] = invalid_frames_;
  r.summary["frames_ranked"] = static_cast<long>(r.frames.size());
  r.summary["findings"] = n_findings_;
  r_ = {};
  n_frames_ = n_findings_ = invalid_frames_ = labelled_ = 0;
  return r;
}

RankResult finalize(const std::vector<FrameAnnotations>& frames,
                    std::vector<std::vector<Finding>>&& per_frame, const FrameScore& frame_score,
                    double min_score) {
  RankBuilder b;
  for (std::size_t f = 0; f < frames.size(); ++f)
    b.add_frame(f, frames[f], f < per_frame.size() ? std::move(per_frame[f]) : std::vector<Finding>{},
                frame_score, min_score);
  return b.finish();
}

}  // namespace detail

double noisy_or(const std::vector<Finding>& findings) {
  double keep = 1;
  for (const Finding& f : findings) keep *= 1 - std::clamp(f.score, 0.0, 1.0);
  return 1 - keep;
}

// ============================================================================================
// [SECTION] Dispatch
// ============================================================================================
RankMethod parse_rank_method(const std::string& s) {
  return parse_enum(kRankMethodTable, s, "method");
}

const char* rank_method_name(RankMethod m) {
  return enum_to_name(kRankMethodTable, m, "?");
}

namespace detail {
bool check_compare_options(const RankOptions& opt, std::size_t n_sets) {
  const int ns = static_cast<int>(n_sets);
  const bool compare = opt.compare_old >= 0 || opt.compare_new >= 0;
  if (compare) {
    if (opt.compare_old < 0 || opt.compare_new < 0 || opt.compare_old >= ns ||
        opt.compare_new >= ns)
      throw std::invalid_argument("compare mode needs two valid prediction set indices");
    if (opt.compare_old == opt.compare_new)
      throw std::invalid_argument("compare mode needs two different prediction sets");
  }
  return compare;
}
}  // namespace detail

RankResult rank_frames(const std::vector<FrameAnnotations>& frames,
                       const std::vector<std::string>& pred_set_names, const RankOptions& opt) {
  const int ns = static_cast<int>(pred_set_names.size());
  const bool compare = detail::check_compare_options(opt, pred_set_names.size());
  RankResult r;
  if (!compare && opt.method == RankMethod::Needle) {
    r = detail::rank_needle(frames, pred_set_names, opt);  // matches the frames itself
  } else {
    const detail::MatchedDataset md = detail::match_dataset(frames, pred_set_names, opt);
    if (compare)
      r = detail::rank_compare(md, opt);
    else if (opt.method == RankMethod::Mistakenness)
      r = detail::rank_mistakenness(md, opt);
    else
      r = detail::rank_objectlab(md, opt);
  }
  r.summary["prediction_sets"] = ns;
  return r;
}

}  // namespace needle
