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
        const auto& labels = ann.labels;
        const FrameMatch& m = sf.match;
        order.clear();
        for (std::size_t j = 0; j < preds.size(); ++j)
          if (preds[j].has_3d()) order.push_back(j);
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t c) { return sf.conf[a] > sf.conf[c]; });
        label_of_pred.assign(preds.size(), -1);
        pred_of_label.assign(labels.size(), -1);
        for (std::size_t j : order) {
          double best = 0.5;
          int bi = -1;
          for (std::size_t i = 0; i < labels.size(); ++i) {
            if (!labels[i].has_3d() || labels[i].is_dontcare() || pred_of_label[i] >= 0) continue;
            const double iou = std::max(0.0f, m.at(i, j).iou_bev);
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
        for (std::size_t i = 0; i < labels.size(); ++i) {
          const Object& L = labels[i];
          if (!L.has_3d() || L.is_dontcare()) continue;
          const int j = pred_of_label[i];
          if (j < 0) {
            Finding fd = make_finding(
                kind::kUnmatchedLabel, ann.id, 0.5,
                fmt("%s label at %.1f m is not matched by %s at BEV IoU 0.5 (possibly spurious)",
                    L.type.c_str(), range_of(L), md.set_names[s].c_str()));
            for_label(fd, static_cast<int>(i), L.type);
            fd.prediction_set = md.set_names[s];
            out.push_back(std::move(fd));
            continue;
          }
          const std::size_t ju = static_cast<std::size_t>(j);
          const Object& P = preds[ju];
          const double c = sf.conf[ju];
          const bool differ = L.type != P.type;
          const double iou = std::max(0.0f, m.at(i, ju).iou_bev);
          const double mc = baseline::mistakenness_class(c, differ);
          const double ml = baseline::mistakenness_loc(c, iou);
          Finding fd = make_finding(
              differ ? kind::kClassMismatch : kind::kPoorOverlap, ann.id, std::max(mc, ml),
              fmt("mistakenness class %.2f, localisation %.2f (%s %.2f, BEV IoU %.2f)", mc, ml,
                  P.type.c_str(), c, iou));
          for_label(fd, static_cast<int>(i), L.type);
          for_prediction(fd, md.set_names[s], j, P.type, c);
          set_ious(fd, m.at(i, ju));
          out.push_back(std::move(fd));
        }
        for (std::size_t j : order) {
          const double c = sf.conf[j];
          if (label_of_pred[j] >= 0 || !(c > 0.95)) continue;
          Finding fd = make_finding(kind::kUnmatchedPrediction, ann.id, (c + 1) / 2,
                                    fmt("%s %.2f at %.1f m is not matched by a label (possibly "
                                        "missing)",
                                        preds[j].type.c_str(), c, range_of(preds[j])));
          fd.cls = preds[j].type;
          for_prediction(fd, md.set_names[s], static_cast<int>(j), preds[j].type, c);
          out.push_back(std::move(fd));
        }
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
      1e-9);
}

RankResult rank_objectlab(const MatchedDataset& md, const RankOptions& opt) {
  const auto& frames = *md.frames;
  const std::size_t ns = md.n_sets();
  auto sim = [](const PairGeometry& g) {
    return baseline::objectlab_similarity(std::max(0.0f, g.iou_bev),
                                          static_cast<double>(g.centre_distance));
  };
  auto usable_label = [](const Object& o) { return o.has_3d() && !o.is_dontcare(); };

  // min_possible_similarity per set over the whole dataset.
  std::vector<double> min_sim(ns, 1.0);
  for (std::size_t f = 0; f < frames.size(); ++f)
    for (std::size_t s = 0; s < ns; ++s) {
      const SetFrame& sf = md.sf[f][s];
      if (!sf.usable) continue;
      const auto& preds = md.preds(f, s);
      for (std::size_t i = 0; i < frames[f].labels.size(); ++i) {
        if (!usable_label(frames[f].labels[i])) continue;
        for (std::size_t j = 0; j < preds.size(); ++j) {
          if (!preds[j].has_3d()) continue;
          const double v = sim(sf.match.at(i, j));
          if (v > 0) min_sim[s] = std::min(min_sim[s], v);
        }
      }
    }

  std::vector<std::vector<Finding>> per_frame(frames.size());
  std::vector<double> quality(frames.size(), 1.0);
  parallel_for(frames.size(), opt.threads, [&](std::size_t b, std::size_t e) {
    std::vector<double> over, badloc, swap;
    for (std::size_t f = b; f < e; ++f) {
      const FrameAnnotations& ann = frames[f];
      auto& out = per_frame[f];
      add_invalid_findings(ann, out);
      const auto& labels = ann.labels;
      for (std::size_t s = 0; s < ns; ++s) {
        const SetFrame& sf = md.sf[f][s];
        if (!sf.usable) continue;
        const auto& preds = md.preds(f, s);
        const FrameMatch& m = sf.match;
        over.clear();
        badloc.clear();
        swap.clear();
        for (std::size_t j = 0; j < preds.size(); ++j) {
          const double p = sf.conf[j];
          if (!preds[j].has_3d() || p < 0.95) continue;
          double best = -1;
          int bi = -1;
          for (std::size_t i = 0; i < labels.size(); ++i) {
            if (!usable_label(labels[i]) || labels[i].cls != preds[j].cls ||
                labels[i].type != preds[j].type)
              continue;
            const double v = sim(m.at(i, j));
            if (v > best) {
              best = v;
              bi = static_cast<int>(i);
            }
          }
          const double q = bi < 0 ? min_sim[s] * (1 - p) : best;
          over.push_back(q);
          if (1 - q >= opt.min_finding_score) {
            Finding fd = make_finding(kind::kUnmatchedPrediction, ann.id, 1 - q,
                                      fmt("overlooked score %.3f: %s %.2f at %.1f m", q,
                                          preds[j].type.c_str(), p, range_of(preds[j])));
            // The nearest label (if any) is kept for the IoUs, the class is the prediction's.
            for_label(fd, bi, preds[j].type);
            for_prediction(fd, md.set_names[s], static_cast<int>(j), preds[j].type, p);
            if (bi >= 0) set_ious(fd, m.at(static_cast<std::size_t>(bi), j));
            out.push_back(std::move(fd));
          }
        }
        for (std::size_t i = 0; i < labels.size(); ++i) {
          const Object& L = labels[i];
          if (!usable_label(L)) continue;
          double best_same = -1, best_other = -1;
          int js = -1, jo = -1;
          for (std::size_t j = 0; j < preds.size(); ++j) {
            if (!preds[j].has_3d()) continue;
            const double p = sf.conf[j];
            const double v = sim(m.at(i, j));
            const bool same = L.type == preds[j].type;
            if (same && p > 0.5 && v > best_same) {
              best_same = v;
              js = static_cast<int>(j);
            }
            if (!same && p > 0.95 && v > best_other) {
              best_other = v;
              jo = static_cast<int>(j);
            }
          }
          const double qb = js < 0 ? 1.0 : best_same;
          const double qs = jo < 0 ? 1.0 : std::max(min_sim[s], 1 - best_other);
          badloc.push_back(qb);
          swap.push_back(qs);
          auto emit = [&](const char* k, double q, int j, const char* what) {
            if (1 - q < opt.min_finding_score) return;
            const std::size_t ju = static_cast<std::size_t>(j);
            Finding fd =
                make_finding(k, ann.id, 1 - q,
                             fmt("%s score %.3f: %s label vs %s %.2f", what, q, L.type.c_str(),
                                 preds[ju].type.c_str(), static_cast<double>(sf.conf[ju])));
            for_label(fd, static_cast<int>(i), L.type);
            for_prediction(fd, md.set_names[s], j, preds[ju].type, sf.conf[ju]);
            set_ious(fd, m.at(i, ju));
            out.push_back(std::move(fd));
          };
          if (js >= 0) emit(kind::kPoorOverlap, qb, js, "badly located");
          if (jo >= 0) emit(kind::kClassMismatch, qs, jo, "swapped");
        }
        constexpr double kTiny = 1e-100;
        const double q = std::exp((std::log(kTiny + baseline::softmin(over)) +
                                   std::log(kTiny + baseline::softmin(badloc)) +
                                   std::log(kTiny + baseline::softmin(swap))) /
                                  3.0);
        quality[f] = std::min(quality[f], q);
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
      1e-9);
}

}  // namespace detail
}  // namespace needle
