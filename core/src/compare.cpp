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
bool detects(const FrameMatch& m, std::size_t label, bool* compatible, int* pred) {
  const MatchPair* pr = m.pair_of_label(label);
  *pred = -1;
  *compatible = false;
  if (pr && !pr->displaced) {
    *pred = pr->pred;
    *compatible = pr->kind != PairKind::ClassMismatch;
    return true;
  }
  if (m.label_overlap[label] >= 0) {
    *pred = m.label_overlap[label];
    return true;  // seen, class unknown
  }
  return false;
}

// A pair that is a class flip (not displaced, another class than the label's).
bool class_flip(const MatchPair* pr) {
  return pr && !pr->displaced && pr->kind == PairKind::ClassMismatch;
}

struct Counts {
  std::map<std::string, long> c;
  void add(const std::string& k, long v = 1) { c[k] += v; }
  void regression(const std::string& cls) {
    add("regressions");
    add("regressions:" + cls);
  }
  void fix(const std::string& cls) {
    add("fixes");
    add("fixes:" + cls);
  }
};

// One frame where both sets ran: the old set's (o) and the new set's (n) predictions and
// calibrated confidences.
struct FramePair {
  const FrameAnnotations& ann;
  const std::string &name_o, &name_n;
  const std::vector<Object>&po, &pn;
  const std::vector<float>&co, &cn;
  const FrameMatch &mo, &mn;  // against the labels (empty when the frame has none)
};

// A finding about prediction j of a set, with the object class it is about.
Finding prediction_finding(const FramePair& fp, const char* kind, bool is_new, std::size_t j,
                           const std::string& cls, double score, std::string reason) {
  const Object& p = is_new ? fp.pn[j] : fp.po[j];
  const double conf = is_new ? fp.cn[j] : fp.co[j];
  Finding fd = make_finding(kind, fp.ann.id, score, std::move(reason));
  fd.cls = cls;
  for_prediction(fd, is_new ? fp.name_n : fp.name_o, static_cast<int>(j), p.type, conf);
  return fd;
}

// Label i: a regression (detected by old, missed or class-flipped by new) or a fix.
void compare_label(const FramePair& fp, std::size_t i, std::vector<Finding>& out, Counts& n) {
  const Object& L = fp.ann.labels[i];
  bool comp_o = false, comp_n = false;
  int jo = -1, jn = -1;
  const bool det_o = detects(fp.mo, i, &comp_o, &jo);
  const bool det_n = detects(fp.mn, i, &comp_n, &jn);
  if (det_o && comp_o && !det_n) {
    const std::size_t j = static_cast<std::size_t>(jo);
    Finding fd = prediction_finding(
        fp, kind::kRegressionMiss, false, j, L.type, fp.co[j],
        fmt("%s at %.1f m was detected by %s (%.2f) but %s misses it", L.type.c_str(), range_of(L),
            fp.name_o.c_str(), static_cast<double>(fp.co[j]), fp.name_n.c_str()));
    fd.label = static_cast<int>(i);
    set_ious(fd, fp.mo.at(i, j));
    out.push_back(std::move(fd));
    n.regression(L.type);
  } else if (det_n && comp_n && !det_o) {
    n.fix(L.type);
  } else if (det_o && det_n && jo >= 0 && jn >= 0) {
    const bool flip_n = class_flip(fp.mn.pair_of_label(i));
    const bool flip_o = class_flip(fp.mo.pair_of_label(i));
    if (comp_o && flip_n) {
      const std::size_t j = static_cast<std::size_t>(jn);
      Finding fd = prediction_finding(
          fp, kind::kModelClassFlip, true, j, L.type, fp.cn[j],
          fmt("%s: %s said %s, %s says %s (%.2f)", L.type.c_str(), fp.name_o.c_str(),
              fp.po[static_cast<std::size_t>(jo)].type.c_str(), fp.name_n.c_str(),
              fp.pn[j].type.c_str(), static_cast<double>(fp.cn[j])));
      fd.label = static_cast<int>(i);
      set_ious(fd, fp.mn.at(i, j));
      out.push_back(std::move(fd));
      n.regression(L.type);
    } else if (flip_o && comp_n) {
      n.fix(L.type);
    }
  }
}

// Confident unmatched detections: the new set's without an old one nearby are regressions, the
// old set's without a new one nearby are fixes.
void compare_false_positives(const FramePair& fp, std::vector<Finding>& out, Counts& n) {
  for (std::size_t j = 0; j < fp.pn.size(); ++j) {
    if (fp.mn.pred_fate[j] != PredFate::Unmatched || fp.cn[j] < kMinConf) continue;
    bool old_too = false;
    for (const Object& p : fp.po)
      if (near_object(fp.pn[j], p)) old_too = true;
    if (old_too) continue;
    const Object& P = fp.pn[j];
    out.push_back(prediction_finding(
        fp, kind::kNewFalsePositive, true, j, P.type, fp.cn[j],
        fmt("%s %.2f at %.1f m from %s matches no label and %s had nothing there", P.type.c_str(),
            static_cast<double>(fp.cn[j]), range_of(P), fp.name_n.c_str(), fp.name_o.c_str())));
    n.regression(P.type);
  }
  for (std::size_t j = 0; j < fp.po.size(); ++j) {
    if (fp.mo.pred_fate[j] != PredFate::Unmatched || fp.co[j] < kMinConf) continue;
    bool new_too = false;
    for (const Object& p : fp.pn)
      if (near_object(fp.po[j], p)) new_too = true;
    if (!new_too) n.fix(fp.po[j].type);
  }
}

// A frame without labels: the two models against each other (old plays the labels); every
// confident disagreement is a model_disagreement.
void compare_unlabelled(const FramePair& fp, const MatchConfig& cfg, std::vector<Finding>& out) {
  std::vector<double> order(fp.cn.begin(), fp.cn.end());
  const FrameMatch m = match_frame(fp.po, fp.pn, order, cfg);
  for (const MatchPair& pr : m.pairs) {
    if (pr.kind != PairKind::ClassMismatch) continue;
    const std::size_t i = static_cast<std::size_t>(pr.label), j = static_cast<std::size_t>(pr.pred);
    Finding fd = prediction_finding(
        fp, kind::kModelDisagreement, true, j, fp.po[i].type, std::min(fp.co[i], fp.cn[j]),
        fmt("unlabelled frame: %s sees %s %.2f, %s sees %s %.2f in the same place",
            fp.name_o.c_str(), fp.po[i].type.c_str(), static_cast<double>(fp.co[i]),
            fp.name_n.c_str(), fp.pn[j].type.c_str(), static_cast<double>(fp.cn[j])));
    set_ious(fd, pr.geo);
    out.push_back(std::move(fd));
  }
  auto lone = [&](bool is_new, std::size_t j) {
    const Object& p = is_new ? fp.pn[j] : fp.po[j];
    const double cf = is_new ? fp.cn[j] : fp.co[j];
    if (cf < kMinConf) return;
    out.push_back(
        prediction_finding(fp, kind::kModelDisagreement, is_new, j, p.type, cf,
                           fmt("unlabelled frame: %s sees %s %.2f at %.1f m, %s sees nothing there",
                               (is_new ? fp.name_n : fp.name_o).c_str(), p.type.c_str(), cf,
                               range_of(p), (is_new ? fp.name_o : fp.name_n).c_str())));
  };
  for (std::size_t j = 0; j < fp.pn.size(); ++j)
    if (m.pred_pair[j] < 0) lone(true, j);
  for (std::size_t i = 0; i < fp.po.size(); ++i)
    if (m.label_pair[i] < 0) lone(false, i);
}

bool ran(PredStatus st) {
  return st == PredStatus::Present || st == PredStatus::Empty;
}

// Frame f's compare findings (and its broken files' invalid_data findings).
void compare_frame(const MatchedDataset& md, const RankOptions& opt, std::size_t f,
                   std::vector<Finding>& out, Counts& n) {
  const FrameAnnotations& ann = md.frame(f);
  const std::size_t so = static_cast<std::size_t>(opt.compare_old),
                    sn = static_cast<std::size_t>(opt.compare_new);
  add_invalid_findings(ann, out);
  if (so >= ann.preds.size() || sn >= ann.preds.size()) return;
  if (!ran(ann.preds[so].status) || !ran(ann.preds[sn].status)) return;
  const FramePair fp{ann,
                     md.set_names[so],
                     md.set_names[sn],
                     ann.preds[so].objects,
                     ann.preds[sn].objects,
                     md.sf[f][so].conf,
                     md.sf[f][sn].conf,
                     md.sf[f][so].match,
                     md.sf[f][sn].match};
  if (!ann.has_labels) return compare_unlabelled(fp, opt.match, out);
  for (std::size_t i = 0; i < ann.labels.size(); ++i)
    if (!ann.labels[i].is_dontcare()) compare_label(fp, i, out, n);
  compare_false_positives(fp, out, n);
}

}  // namespace

RankResult rank_compare(const MatchedDataset& md, const RankOptions& opt) {
  const auto& frames = *md.frames;
  std::vector<std::vector<Finding>> per_frame(frames.size());
  Counts total;
  std::mutex mu;
  parallel_for(frames.size(), opt.threads, [&](std::size_t b, std::size_t e) {
    Counts local;
    for (std::size_t f = b; f < e; ++f) compare_frame(md, opt, f, per_frame[f], local);
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
