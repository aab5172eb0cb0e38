// compare.cpp — compare mode: rank frames by how much a new model regressed against an old one.
//
// Per labelled frame where both sets predicted (Present or Empty):
//   regression_miss     a label the old set detected (compatible class, not a displaced pair)
//                       that the new set misses entirely; score = old confidence.
//   model_class_flip    the old set agreed with the label's class, the new one sees another
//                       class there; score = new confidence. (The reverse counts as a fix.)
//   new_false_positive  a new unmatched detection (not in DontCare, not a duplicate, confidence
//                       >= 0.3) with no old detection nearby; score = new confidence.
// Per frame without labels (labels say nothing) where both sets predicted: the two sets are
// matched against each other (the old set plays the labels) and every confident disagreement is
// a model_disagreement: a detection (confidence >= 0.3) without counterpart (score = its
// confidence) or a class flip (score = the smaller confidence).
// Fixes (a label only the new set detects, a class flip towards the label, an old false positive
// gone) are counted in the summary, per class: "regressions:<class>", "fixes:<class>".
#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include "needle/iou.h"
#include "ranking_internal.h"

namespace needle::detail {

namespace {

// Unmatched detections below this calibrated confidence are a detector's ordinary noise.
constexpr double kMinConf = 0.3;

bool near_object(const Object& a, const Object& b) {
  if (a.has_3d() && b.has_3d())
    return centre_distance_bev(a, b) <= 1.0 + 0.03 * range_of(a) || iou_bev(a, b) >= 0.1;
  return a.box2d.area() > 0 && b.box2d.area() > 0 && iou_2d(a.box2d, b.box2d) >= 0.5;
}

bool detects(const FrameMatch& m, std::size_t label, const MatchConfig& cfg, bool* compatible,
             int* pred) {
  const MatchPair* pr = m.pair_of_label(label);
  *pred = -1;
  *compatible = false;
  if (pr && !pr->displaced) {
    *pred = pr->pred;
    *compatible = pr->kind != PairKind::ClassMismatch;
    return true;
  }
  (void)cfg;
  if (m.label_overlap[label] >= 0) {
    *pred = m.label_overlap[label];
    return true;  // seen, class unknown
  }
  return false;
}

struct Counts {
  std::map<std::string, long> c;
  void add(const std::string& k, long v = 1) { c[k] += v; }
};

}  // namespace

RankResult rank_compare(const MatchedDataset& md, const RankOptions& opt) {
  const auto& frames = *md.frames;
  const std::size_t so = static_cast<std::size_t>(opt.compare_old),
                    sn = static_cast<std::size_t>(opt.compare_new);
  const std::string& name_o = md.set_names[so];
  const std::string& name_n = md.set_names[sn];
  std::vector<std::vector<Finding>> per_frame(frames.size());
  Counts total;
  std::mutex mu;
  parallel_for(frames.size(), opt.threads, [&](std::size_t b, std::size_t e) {
    Counts local;
    for (std::size_t f = b; f < e; ++f) {
      const FrameAnnotations& ann = frames[f];
      auto& out = per_frame[f];
      add_invalid_findings(ann, out);
      if (so >= ann.preds.size() || sn >= ann.preds.size()) continue;
      auto ran = [](PredStatus st) { return st == PredStatus::Present || st == PredStatus::Empty; };
      if (!ran(ann.preds[so].status) || !ran(ann.preds[sn].status)) continue;
      const auto& po = ann.preds[so].objects;
      const auto& pn = ann.preds[sn].objects;
      const auto& co = md.sf[f][so].conf;
      const auto& cn = md.sf[f][sn].conf;
      auto base = [&](const char* k) {
        Finding fd;
        fd.kind = k;
        fd.frame = ann.id;
        return fd;
      };

      if (ann.has_labels) {
        const FrameMatch& mo = md.sf[f][so].match;
        const FrameMatch& mn = md.sf[f][sn].match;
        for (std::size_t i = 0; i < ann.labels.size(); ++i) {
          const Object& L = ann.labels[i];
          if (L.is_dontcare()) continue;
          bool comp_o = false, comp_n = false;
          int jo = -1, jn = -1;
          const bool det_o = detects(mo, i, opt.match, &comp_o, &jo);
          const bool det_n = detects(mn, i, opt.match, &comp_n, &jn);
          if (det_o && comp_o && !det_n) {
            const std::size_t j = static_cast<std::size_t>(jo);
            Finding fd = base(kind::kRegressionMiss);
            fd.label = static_cast<int>(i);
            fd.prediction = jo;
            fd.prediction_set = name_o;
            fd.cls = L.type;
            fd.predicted_class = po[j].type;
            fd.confidence = co[j];
            set_ious(fd, mo.at(i, j));
            fd.score = co[j];
            fd.reason =
                fmt("%s at %.1f m was detected by %s (%.2f) but %s misses it", L.type.c_str(),
                    range_of(L), name_o.c_str(), static_cast<double>(co[j]), name_n.c_str());
            out.push_back(std::move(fd));
            local.add("regressions");
            local.add("regressions:" + L.type);
          } else if (det_n && comp_n && !det_o) {
            local.add("fixes");
            local.add("fixes:" + L.type);
          } else if (det_o && det_n && jo >= 0 && jn >= 0) {
            const MatchPair* pn_pair = mn.pair_of_label(i);
            const MatchPair* po_pair = mo.pair_of_label(i);
            const bool flip_n =
                pn_pair && !pn_pair->displaced && pn_pair->kind == PairKind::ClassMismatch;
            const bool flip_o =
                po_pair && !po_pair->displaced && po_pair->kind == PairKind::ClassMismatch;
            if (comp_o && flip_n) {
              const std::size_t j = static_cast<std::size_t>(jn);
              Finding fd = base(kind::kModelClassFlip);
              fd.label = static_cast<int>(i);
              fd.prediction = jn;
              fd.prediction_set = name_n;
              fd.cls = L.type;
              fd.predicted_class = pn[j].type;
              fd.confidence = cn[j];
              set_ious(fd, mn.at(i, j));
              fd.score = cn[j];
              fd.reason = fmt("%s: %s said %s, %s says %s (%.2f)", L.type.c_str(), name_o.c_str(),
                              po[static_cast<std::size_t>(jo)].type.c_str(), name_n.c_str(),
                              pn[j].type.c_str(), static_cast<double>(cn[j]));
              out.push_back(std::move(fd));
              local.add("regressions");
              local.add("regressions:" + L.type);
            } else if (flip_o && comp_n) {
              local.add("fixes");
              local.add("fixes:" + L.type);
            }
          }
        }
        for (std::size_t j = 0; j < pn.size(); ++j) {
          if (mn.pred_fate[j] != PredFate::Unmatched || cn[j] < kMinConf) continue;
          bool old_too = false;
          for (const Object& p : po)
            if (near_object(pn[j], p)) old_too = true;
          if (old_too) continue;
          Finding fd = base(kind::kNewFalsePositive);
          fd.prediction = static_cast<int>(j);
          fd.prediction_set = name_n;
          fd.cls = pn[j].type;
          fd.predicted_class = pn[j].type;
          fd.confidence = cn[j];
          fd.score = cn[j];
          fd.reason = fmt("%s %.2f at %.1f m from %s matches no label and %s had nothing there",
                          pn[j].type.c_str(), static_cast<double>(cn[j]), range_of(pn[j]),
                          name_n.c_str(), name_o.c_str());
          out.push_back(std::move(fd));
          local.add("regressions");
          local.add("regressions:" + pn[j].type);
        }
        for (std::size_t j = 0; j < po.size(); ++j) {
          if (mo.pred_fate[j] != PredFate::Unmatched || co[j] < kMinConf) continue;
          bool new_too = false;
          for (const Object& p : pn)
            if (near_object(po[j], p)) new_too = true;
          if (!new_too) {
            local.add("fixes");
            local.add("fixes:" + po[j].type);
          }
        }
        continue;
      }

      // No labels: the two models against each other (old plays the labels).
      std::vector<double> order(cn.begin(), cn.end());
      const FrameMatch m = match_frame(po, pn, order, opt.match);
      for (const MatchPair& pr : m.pairs) {
        if (pr.kind != PairKind::ClassMismatch) continue;
        const std::size_t i = static_cast<std::size_t>(pr.label),
                          j = static_cast<std::size_t>(pr.pred);
        Finding fd = base(kind::kModelDisagreement);
        fd.prediction = pr.pred;
        fd.prediction_set = name_n;
        fd.cls = po[i].type;
        fd.predicted_class = pn[j].type;
        fd.confidence = cn[j];
        set_ious(fd, pr.geo);
        fd.score = std::min(co[i], cn[j]);
        fd.reason = fmt("unlabelled frame: %s sees %s %.2f, %s sees %s %.2f in the same place",
                        name_o.c_str(), po[i].type.c_str(), static_cast<double>(co[i]),
                        name_n.c_str(), pn[j].type.c_str(), static_cast<double>(cn[j]));
        out.push_back(std::move(fd));
      }
      auto lone = [&](bool is_new, std::size_t j) {
        const Object& p = is_new ? pn[j] : po[j];
        const double cf = is_new ? cn[j] : co[j];
        if (cf < kMinConf) return;
        Finding fd = base(kind::kModelDisagreement);
        fd.prediction = static_cast<int>(j);
        fd.prediction_set = is_new ? name_n : name_o;
        fd.cls = p.type;
        fd.predicted_class = p.type;
        fd.confidence = cf;
        fd.score = cf;
        fd.reason = fmt("unlabelled frame: %s sees %s %.2f at %.1f m, %s sees nothing there",
                        (is_new ? name_n : name_o).c_str(), p.type.c_str(), cf, range_of(p),
                        (is_new ? name_o : name_n).c_str());
        out.push_back(std::move(fd));
      };
      for (std::size_t j = 0; j < pn.size(); ++j)
        if (m.pred_pair[j] < 0) lone(true, j);
      for (std::size_t i = 0; i < po.size(); ++i)
        if (m.label_pair[i] < 0) lone(false, i);
    }
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [k, v] : local.c) total.add(k, v);
  });
  RankResult r = finalize(
      frames, std::move(per_frame),
      [](std::size_t, const std::vector<Finding>& fs) { return noisy_or(fs); },
      opt.min_finding_score);
  for (const auto& [k, v] : total.c) r.summary[k] = v;
  if (!r.summary.count("regressions")) r.summary["regressions"] = 0;
  if (!r.summary.count("fixes")) r.summary["fixes"] = 0;
  return r;
}

}  // namespace needle::detail
