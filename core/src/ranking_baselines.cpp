// ranking_baselines.cpp — the two published label-error baselines, run inside needle's engine so
// that they see the same data and calibrated confidences. Both use BEV IoU instead of the image
// 2D IoU of their publications; objects without a 3D box (DontCare ...) are skipped.
//
// FiftyOne mistakenness (fiftyone.brain, detections):
//   class-agnostic greedy matching (predictions by confidence, each takes the free label with the
//   highest IoU >= 0.5). Matched label: class mistakenness (m*c+1)/2, m = +1 when the classes
//   differ else -1; localisation mistakenness (c*(2i-1)+1)/2 with i = (1-IoU)/0.5. An unmatched
//   prediction with c > 0.95 is "possibly missing"; an unmatched label is "possibly spurious".
//   Object score here: matched -> max(class, localisation); possibly missing -> (c+1)/2 (a
//   confident disagreement, m = +1); possibly spurious -> 0.5 (no confidence: the formula's value
//   at c = 0). Frame score = max over objects (and sets).
// cleanlab ObjectLab (cleanlab.object_detection.rank, defaults ALPHA 0.9, LOW 0.5, HIGH 0.95,
//   TEMPERATURE 0.1, EUC_FACTOR 0.1): similarity S = 0.9*IoU + 0.1*exp(-0.1*d), d the centre
//   distance (metres here); min_sim = smallest non-zero S of the set over the dataset.
//   overlooked (per prediction with p >= 0.95): max S to a same-class label, else min_sim*(1-p);
//   badly located (per label): max S over same-class predictions with p > 0.5, else 1;
//   swapped (per label): max(min_sim, 1 - max S) over other-class predictions with p > 0.95,
//   else 1. Per frame each subtype is softmin-pooled (T = 0.1, empty -> 1); quality = geometric
//   mean of the three. Several sets: the lowest quality. Frame score = 1 - quality.
#include <algorithm>
#include <cmath>
#include <limits>

#include "needle/iou.h"
#include "ranking_internal.h"

namespace needle {

namespace baseline {
double mistakenness_class(double c, bool classes_differ) {
  const double m = classes_differ ? 1.0 : -1.0;
  return (m * c + 1.0) / 2.0;
}
double mistakenness_loc(double c, double iou) {
  const double i = (1.0 - iou) / (1.0 - 0.5);
  return (c * (2.0 * i - 1.0) + 1.0) / 2.0;
}
double objectlab_similarity(double iou, double d) {
  return 0.9 * iou + 0.1 * std::exp(-0.1 * d);
}
double softmin(const std::vector<double>& s, double t) {
  if (s.empty()) return 1.0;
  double lo = std::numeric_limits<double>::infinity();
  for (double v : s) lo = std::min(lo, v);
  double wsum = 0, acc = 0;
  for (double v : s) {
    const double w = std::exp(-(v - lo) / t);  // shifted: exp(-v/t) / sum, numerically safe
    wsum += w;
    acc += w * v;
  }
  return acc / wsum;
}
}  // namespace baseline

namespace detail {

namespace {

// ---- Published defaults of the two baselines (see the header comment) ------------------------
// FiftyOne mistakenness: a match needs IoU >= 0.5; an unmatched prediction above 0.95 confidence
// is "possibly missing"; an unmatched label scores 0.5 (the formula at c = 0).
constexpr double kMistakennessMinIou = 0.5, kMistakennessMissingConf = 0.95;
constexpr double kMistakennessSpuriousScore = 0.5;
// cleanlab ObjectLab: LOW_PROBABILITY_THRESHOLD 0.5 and HIGH_PROBABILITY_THRESHOLD 0.95.
constexpr double kObjectLabLow = 0.5, kObjectLabHigh = 0.95;
// Keeps log() of a pooled quality of 0 finite (our guard, not cleanlab's).
constexpr double kTiny = 1e-100;
// Both baselines report every finding above 0 (their own scores, no needle threshold).
constexpr double kBaselineMinScore = 1e-9;

// Mistakenness's class-agnostic greedy matching of one (frame, set): predictions with a 3D box
// by confidence (`order`), each takes the free label with the highest BEV IoU >= 0.5.
void mistakenness_match(const SetFrame& sf, const std::vector<Object>& labels,
                        const std::vector<Object>& preds, std::vector<std::size_t>& order,
                        std::vector<int>& label_of_pred, std::vector<int>& pred_of_label) {
  order.clear();
  for (std::size_t j = 0; j < preds.size(); ++j)
    if (preds[j].has_3d()) order.push_back(j);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t c) { return sf.conf[a] > sf.conf[c]; });
  label_of_pred.assign(preds.size(), -1);
  pred_of_label.assign(labels.size(), -1);
  for (std::size_t j : order) {
    double best = kMistakennessMinIou;
    int bi = -1;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (!labels[i].has_3d() || labels[i].is_dontcare() || pred_of_label[i] >= 0) continue;
      const double iou = std::max(0.0f, sf.match.at(i, j).iou_bev);
      if (iou >= best) {
        best = iou;
        bi = static_cast<int>(i);
      }
    }
    if (bi >= 0) {
      label_of_pred[j] = bi;
      pred_of_label[static_cast<std::size_t>(bi)] = static_cast<int>(j);
    }
  }
}

// Label i's mistakenness finding: possibly spurious (unmatched) or class/localisation.
Finding mistakenness_label_finding(const FrameAnnotations& ann, const SetFrame& sf,
                                   const std::vector<Object>& preds, const std::string& set,
                                   std::size_t i, int j) {
  const Object& L = ann.labels[i];
  if (j < 0) {
    Finding fd = make_finding(
        kind::kUnmatchedLabel, ann.id, kMistakennessSpuriousScore,
        fmt("%s label at %.1f m is not matched by %s at BEV IoU 0.5 (possibly spurious)",
            L.type.c_str(), range_of(L), set.c_str()));
    for_label(fd, static_cast<int>(i), L.type);
    fd.prediction_set = set;
    return fd;
  }
  const std::size_t ju = static_cast<std::size_t>(j);
  const Object& P = preds[ju];
  const double c = sf.conf[ju];
  const bool differ = L.type != P.type;
  const double iou = std::max(0.0f, sf.match.at(i, ju).iou_bev);
  const double mc = baseline::mistakenness_class(c, differ);
  const double ml = baseline::mistakenness_loc(c, iou);
  Finding fd =
      make_finding(differ ? kind::kClassMismatch : kind::kPoorOverlap, ann.id, std::max(mc, ml),
                   fmt("mistakenness class %.2f, localisation %.2f (%s %.2f, BEV IoU %.2f)", mc, ml,
                       P.type.c_str(), c, iou));
  for_label(fd, static_cast<int>(i), L.type);
  for_prediction(fd, set, j, P.type, c);
  set_ious(fd, sf.match.at(i, ju));
  return fd;
}

// Confident predictions no label matched: possibly missing labels.
void mistakenness_missing(const FrameAnnotations& ann, const SetFrame& sf,
                          const std::vector<Object>& preds, const std::string& set,
                          const std::vector<std::size_t>& order,
                          const std::vector<int>& label_of_pred, std::vector<Finding>& out) {
  for (std::size_t j : order) {
    const double c = sf.conf[j];
    if (label_of_pred[j] >= 0 || !(c > kMistakennessMissingConf)) continue;
    Finding fd = make_finding(kind::kUnmatchedPrediction, ann.id, (c + 1) / 2,
                              fmt("%s %.2f at %.1f m is not matched by a label (possibly "
                                  "missing)",
                                  preds[j].type.c_str(), c, range_of(preds[j])));
    fd.cls = preds[j].type;
    for_prediction(fd, set, static_cast<int>(j), preds[j].type, c);
    out.push_back(std::move(fd));
  }
}

}  // namespace

RankResult rank_mistakenness(const MatchedDataset& md, const RankOptions& opt) {
  const auto& frames = *md.frames;
  std::vector<std::vector<Finding>> per_frame(frames.size());
  parallel_for(frames.size(), opt.threads, [&](std::size_t b, std::size_t e) {
    std::vector<std::size_t> order;
    std::vector<int> label_of_pred, pred_of_label;
    for (std::size_t f = b; f < e; ++f) {
      const FrameAnnotations& ann = frames[f];
      auto& out = per_frame[f];
      add_invalid_findings(ann, out);
      for (std::size_t s = 0; s < md.n_sets(); ++s) {
        const SetFrame& sf = md.sf[f][s];
        if (!sf.usable) continue;
        const auto& preds = md.preds(f, s);
        mistakenness_match(sf, ann.labels, preds, order, label_of_pred, pred_of_label);
        for (std::size_t i = 0; i < ann.labels.size(); ++i)
          if (ann.labels[i].has_3d() && !ann.labels[i].is_dontcare())
            out.push_back(
                mistakenness_label_finding(ann, sf, preds, md.set_names[s], i, pred_of_label[i]));
        mistakenness_missing(ann, sf, preds, md.set_names[s], order, label_of_pred, out);
      }
    }
  });
  return finalize(
      frames, std::move(per_frame),
      [](std::size_t, const std::vector<Finding>& fs) {
        double mx = 0;
        for (const Finding& x : fs) mx = std::max(mx, x.score);
        return mx;
      },
      kBaselineMinScore);
}

namespace {

double objectlab_sim(const PairGeometry& g) {
  return baseline::objectlab_similarity(std::max(0.0f, g.iou_bev),
                                        static_cast<double>(g.centre_distance));
}
bool objectlab_label(const Object& o) {
  return o.has_3d() && !o.is_dontcare();
}

// min_possible_similarity per set over the whole dataset.
std::vector<double> objectlab_min_similarity(const MatchedDataset& md) {
  const auto& frames = *md.frames;
  std::vector<double> min_sim(md.n_sets(), 1.0);
  for (std::size_t f = 0; f < frames.size(); ++f)
    for (std::size_t s = 0; s < md.n_sets(); ++s) {
      const SetFrame& sf = md.sf[f][s];
      if (!sf.usable) continue;
      const auto& preds = md.preds(f, s);
      for (std::size_t i = 0; i < frames[f].labels.size(); ++i) {
        if (!objectlab_label(frames[f].labels[i])) continue;
        for (std::size_t j = 0; j < preds.size(); ++j) {
          if (!preds[j].has_3d()) continue;
          const double v = objectlab_sim(sf.match.at(i, j));
          if (v > 0) min_sim[s] = std::min(min_sim[s], v);
        }
      }
    }
  return min_sim;
}

// One (frame, set) of ObjectLab: its findings and its three per-object score lists.
struct ObjectLabSet {
  const FrameAnnotations& ann;
  const SetFrame& sf;
  const std::vector<Object>& preds;
  const std::string& set;
  double min_sim, min_score;
  std::vector<double>&over, &badloc, &swap;
};

// Overlooked: per confident prediction, its best similarity to a same-class label.
void objectlab_overlooked(const ObjectLabSet& os, std::vector<Finding>& out) {
  const auto& labels = os.ann.labels;
  const auto& preds = os.preds;
  for (std::size_t j = 0; j < preds.size(); ++j) {
    const double p = os.sf.conf[j];
    if (!preds[j].has_3d() || p < kObjectLabHigh) continue;
    double best = -1;
    int bi = -1;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (!objectlab_label(labels[i]) || labels[i].cls != preds[j].cls ||
          labels[i].type != preds[j].type)
        continue;
      const double v = objectlab_sim(os.sf.match.at(i, j));
      if (v > best) {
        best = v;
        bi = static_cast<int>(i);
      }
    }
    const double q = bi < 0 ? os.min_sim * (1 - p) : best;
    os.over.push_back(q);
    if (1 - q >= os.min_score) {
      Finding fd = make_finding(kind::kUnmatchedPrediction, os.ann.id, 1 - q,
                                fmt("overlooked score %.3f: %s %.2f at %.1f m", q,
                                    preds[j].type.c_str(), p, range_of(preds[j])));
      // The nearest label (if any) is kept for the IoUs, the class is the prediction's.
      for_label(fd, bi, preds[j].type);
      for_prediction(fd, os.set, static_cast<int>(j), preds[j].type, p);
      if (bi >= 0) set_ious(fd, os.sf.match.at(static_cast<std::size_t>(bi), j));
      out.push_back(std::move(fd));
    }
  }
}

// A badly located / swapped finding of label i against prediction j (score 1 - q).
void objectlab_emit(const ObjectLabSet& os, std::size_t i, const char* k, double q, int j,
                    const char* what, std::vector<Finding>& out) {
  if (1 - q < os.min_score) return;
  const Object& L = os.ann.labels[i];
  const std::size_t ju = static_cast<std::size_t>(j);
  Finding fd = make_finding(k, os.ann.id, 1 - q,
                            fmt("%s score %.3f: %s label vs %s %.2f", what, q, L.type.c_str(),
                                os.preds[ju].type.c_str(), static_cast<double>(os.sf.conf[ju])));
  for_label(fd, static_cast<int>(i), L.type);
  for_prediction(fd, os.set, j, os.preds[ju].type, os.sf.conf[ju]);
  set_ious(fd, os.sf.match.at(i, ju));
  out.push_back(std::move(fd));
}

// Badly located and swapped: per label, the best same-class and other-class predictions.
void objectlab_labels(const ObjectLabSet& os, std::vector<Finding>& out) {
  const auto& labels = os.ann.labels;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Object& L = labels[i];
    if (!objectlab_label(L)) continue;
    double best_same = -1, best_other = -1;
    int js = -1, jo = -1;
    for (std::size_t j = 0; j < os.preds.size(); ++j) {
      if (!os.preds[j].has_3d()) continue;
      const double p = os.sf.conf[j];
      const double v = objectlab_sim(os.sf.match.at(i, j));
      const bool same = L.type == os.preds[j].type;
      if (same && p > kObjectLabLow && v > best_same) {
        best_same = v;
        js = static_cast<int>(j);
      }
      if (!same && p > kObjectLabHigh && v > best_other) {
        best_other = v;
        jo = static_cast<int>(j);
      }
    }
    const double qb = js < 0 ? 1.0 : best_same;
    const double qs = jo < 0 ? 1.0 : std::max(os.min_sim, 1 - best_other);
    os.badloc.push_back(qb);
    os.swap.push_back(qs);
    if (js >= 0) objectlab_emit(os, i, kind::kPoorOverlap, qb, js, "badly located", out);
    if (jo >= 0) objectlab_emit(os, i, kind::kClassMismatch, qs, jo, "swapped", out);
  }
}

// Quality of one (frame, set): geometric mean of the three softmin-pooled subtypes.
double objectlab_quality(const std::vector<double>& over, const std::vector<double>& badloc,
                         const std::vector<double>& swap) {
  return std::exp((std::log(kTiny + baseline::softmin(over)) +
                   std::log(kTiny + baseline::softmin(badloc)) +
                   std::log(kTiny + baseline::softmin(swap))) /
                  3.0);
}

}  // namespace

RankResult rank_objectlab(const MatchedDataset& md, const RankOptions& opt) {
  const auto& frames = *md.frames;
  const std::vector<double> min_sim = objectlab_min_similarity(md);
  std::vector<std::vector<Finding>> per_frame(frames.size());
  std::vector<double> quality(frames.size(), 1.0);
  parallel_for(frames.size(), opt.threads, [&](std::size_t b, std::size_t e) {
    std::vector<double> over, badloc, swap;
    for (std::size_t f = b; f < e; ++f) {
      const FrameAnnotations& ann = frames[f];
      auto& out = per_frame[f];
      add_invalid_findings(ann, out);
      for (std::size_t s = 0; s < md.n_sets(); ++s) {
        const SetFrame& sf = md.sf[f][s];
        if (!sf.usable) continue;
        over.clear();
        badloc.clear();
        swap.clear();
        const ObjectLabSet os{
            ann,    sf,  md.preds(f, s), md.set_names[s], min_sim[s], opt.min_finding_score, over,
            badloc, swap};
        objectlab_overlooked(os, out);
        objectlab_labels(os, out);
        quality[f] = std::min(quality[f], objectlab_quality(over, badloc, swap));
      }
    }
  });
  return finalize(
      frames, std::move(per_frame),
      [&](std::size_t f, const std::vector<Finding>& fs) {
        double s = 1 - quality[f];
        for (const Finding& x : fs)
          if (x.kind == kind::kInvalidData) s = std::max(s, x.score);
        return s;
      },
      kBaselineMinScore);
}

}  // namespace detail
}  // namespace needle
