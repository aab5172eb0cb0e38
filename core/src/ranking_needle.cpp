// ranking_needle.cpp — the needle method: every prediction set is a witness that brings evidence
// (log-likelihood ratios, LLR) for or against hypotheses about each label, and the label itself
// is a witness of its own consistency. Evidence is summed per hypothesis and turned into a
// posterior probability, which is the finding's score. A witness is anything that adds Terms to
// an Evidence (prediction sets today; lidar checks can add theirs the same way).
//
// Hypotheses per label and the finding kind they report as:
//   spurious (unmatched_label)   no set detects it where such objects are normally detected
//                                (learned miss models: class, range, occlusion, truncation, how
//                                the set does elsewhere in the frame; joint model for all sets)
//   shift    (poor_overlap)      centre offset beyond the detector's noise sigma(r) = a + b r
//   size     (poor_overlap)      dimensions off the detector's estimate or the class's sizes
//   heading  (heading_flip)      rotation_y disagrees (180 or 90 degrees, or any angle)
//   class    (class_mismatch)    detectors see another class there / a size typical of another
//   self     (poor_overlap)      the label contradicts itself (2D box vs projected 3D box, alpha
//                                vs rotation_y, a size the class never has)
// Per unmatched detection (clustered across sets): missing label (unmatched_prediction), from the
// detections' learned P(real object | confidence, range, class), against the sets that see
// nothing there.
//
// Prior: 0.2% of objects per error type (about 1% of objects carrying some error, spread over
// five types). Witness LLRs use a two-component likelihood: with probability u the detection
// tells nothing (u = 1 - P(real) * (1 - eps), eps the detector's gross-error rate learned from the
// data), so no single witness can say more than log(1/u). Several witnesses of one hypothesis are
// combined as sum_k gamma^k * LLR_(k), gamma = 0.5, largest first and separately for each sign:
// detectors make correlated mistakes. Self-consistency evidence is one-sided (an inconsistency is
// evidence of an error; consistency proves nothing) and added in full.
// Posterior: p = sigmoid(logit(0.002) + evidence); label score = max over its hypotheses.
//
// Index
//   [SECTION] Evidence terms
//   [SECTION] Labels
//   [SECTION] Entry point
#include <algorithm>
#include <array>
#include <cmath>

#include "needle/iou.h"
#include "ranking_needle.h"
#include "needle/angles.h"

namespace needle::detail {

namespace {

constexpr double kMaxLLR = 8.0;
constexpr double kMaxSelfLLR = 6.0;  // one self-consistency check: at most ~log(1 / 0.0025)

// ============================================================================================
// [SECTION] Evidence terms
// ============================================================================================
enum Hyp { kSpurious, kShift, kSize, kHeading, kClass, kSelf, kNumHyp };

struct Evidence {
  std::array<std::vector<Term>, kNumHyp> witness, self;
  std::vector<WitnessTerm> external;  // terms of pluggable witnesses (Term::aux indexes them)
  std::vector<std::size_t> custom;    // external terms of hypotheses of their own
  // Per-type heading LLRs of the prediction-set witnesses: their label-level mixture replaces
  // the sum of witness[kHeading] (whose terms stay for the finding's reason).
  std::vector<std::array<double, kHeadingErrorTypes>> heading_types;
  double flip_dependence = 0;  // Models::flip_dependence of the label's group (0: generic)
  void clear() {
    for (auto& v : witness) v.clear();
    for (auto& v : self) v.clear();
    external.clear();
    custom.clear();
    heading_types.clear();
  }
  double total(Hyp h) {
    double s = h == kHeading && !heading_types.empty()
                   ? heading_mixture(heading_types, flip_dependence)
                   : combine(witness[h]);
    for (const Term& t : self[h]) s += t.llr;
    return std::clamp(s, -3 * kMaxLLR, 3 * kMaxLLR);
  }
  // The term that contributes most towards the hypothesis (positive), or null.
  const Term* top(Hyp h) const {
    const Term* best = nullptr;
    for (const auto* v : {&witness[h], &self[h]})
      for (const Term& t : *v)
        if (t.llr > 0 && (!best || t.llr > best->llr)) best = &t;
    return best;
  }
};

// ============================================================================================
// [SECTION] Labels
// ============================================================================================
// The finding kind of the winning hypothesis. When its strongest evidence is the label's own
// inconsistency, that evidence names the kind (alpha: heading; a size typical of another class:
// class; 2D box or size: poor overlap).
const char* hyp_kind(Hyp h, const Evidence& ev) {
  const Term* t = ev.top(h);
  if (h == kSpurious) {  // a pluggable witness (lidar: empty_box) may name the kind
    if (t && t->src == Src::External) {
      const WitnessTerm& w = ev.external[static_cast<std::size_t>(t->aux)];
      if (!w.kind.empty()) return w.kind.c_str();
    }
    return kind::kUnmatchedLabel;
  }
  if (t) {
    switch (t->src) {
      case Src::Alpha:
        return kind::kHeadingFlip;
      case Src::ClassSize:
        return kind::kClassMismatch;
      case Src::SizePrior:
      case Src::Projection:
        return kind::kPoorOverlap;
      case Src::External: {
        const WitnessTerm& w = ev.external[static_cast<std::size_t>(t->aux)];
        if (!w.kind.empty()) return w.kind.c_str();
        break;
      }
      default:
        break;
    }
  }
  switch (h) {
    case kHeading:
      return kind::kHeadingFlip;
    case kClass:
      return kind::kClassMismatch;
    default:
      return kind::kPoorOverlap;
  }
}

void fill_pair_fields(const Ctx& c, std::size_t f, int set, int pred, std::size_t label,
                      Finding& fd) {
  if (set < 0 || pred < 0) return;
  const std::size_t s = static_cast<std::size_t>(set), j = static_cast<std::size_t>(pred);
  const SetFrame& sf = c.md.sf[f][s];
  const Object& P = c.md.preds(f, s)[j];
  fd.prediction = pred;
  fd.prediction_set = c.md.set_names[s];
  fd.predicted_class = P.type;
  fd.confidence = sf.conf[j];
  if (sf.usable && label < sf.match.n_labels) {
    set_ious(fd, sf.match.at(label, j));
  }
}

std::string label_reason(const Ctx& c, std::size_t f, std::size_t i, Hyp h, const Term* t,
                         const Evidence& ev, const std::vector<int>& missing_sets) {
  const Object& L = c.md.frame(f).labels[i];
  const char* cls = L.type.c_str();
  const double r = range_of(L);
  if (!t) return fmt("%s label at %.1f m looks suspicious", cls, r);
  const Object* P = nullptr;
  std::string set;
  double conf = 0;
  if (t->set >= 0 && t->pred >= 0) {
    const std::size_t s = static_cast<std::size_t>(t->set), j = static_cast<std::size_t>(t->pred);
    P = &c.md.preds(f, s)[j];
    set = c.md.set_names[s];
    conf = c.md.sf[f][s].conf[j];
  }
  switch (t->src) {
    case Src::Miss: {
      std::string who;
      for (int s : missing_sets)
        who += (who.empty() ? "" : ", ") + c.md.set_names[static_cast<std::size_t>(s)];
      double near = -1;
      for (std::size_t s = 0; s < c.md.n_sets(); ++s)
        for (const Object& p : c.md.preds(f, s))
          if (p.has_3d() && L.has_3d()) {
            const double d = centre_distance_bev(L, p);
            if (near < 0 || d < near) near = d;
          }
      std::string tail = near >= 0 ? fmt("; nearest prediction %.1f m away", near)
                                   : std::string("; no predictions nearby");
      return fmt("%s at %.1f m (occluded %d, truncated %.2f) is not detected by %s, which detect "
                 "%.0f%% of such objects",
                 cls, r, std::max(L.occluded, 0), std::max(L.truncated, 0.0), who.c_str(),
                 100 * (1 - t->aux)) +
             tail;
    }
    case Src::SizePrior:
      return fmt("%s label size %.2fx%.2fx%.2f m (l x w x h) is implausible for %s", cls, L.l, L.w,
                 L.h, cls);
    case Src::ClassSize:
      return fmt("%s label size %.2fx%.2fx%.2f m fits %s far better than %s", cls, L.l, L.w, L.h,
                 class_name(static_cast<ObjectClass>(static_cast<int>(t->aux))), cls);
    case Src::Alpha:
      return fmt(
          "%s label alpha %.2f contradicts its rotation_y %.2f at its position (off by %.0f deg)",
          cls, L.alpha, L.rotation_y, std::abs(t->aux) * 180 / kPi);
    case Src::Projection:
      return fmt("%s label 2D box disagrees with its projected 3D box (IoU %.2f)", cls, 1 - t->aux);
    case Src::External: {
      const WitnessTerm& w = ev.external[static_cast<std::size_t>(t->aux)];
      return w.reason.empty() ? fmt("%s label at %.1f m: %s evidence", cls, r, w.hypothesis.c_str())
                              : w.reason;
    }
    case Src::Seen:
    case Src::Pair:
      break;
  }
  if (!P) return fmt("%s label at %.1f m looks suspicious", cls, r);
  int agree = 0;
  for (const Term& x : ev.witness[h])
    if (x.llr > 0 && x.set != t->set) ++agree;
  const std::string also =
      agree > 0 ? fmt(" (%d more detector%s agree)", agree, agree > 1 ? "s" : "") : std::string();
  switch (h) {
    case kShift: {
      const std::size_t g = size_group(L.cls);
      const double sig = c.models.sets[static_cast<std::size_t>(t->set)].loc[g].sigma_r(r);
      return fmt("%s label at %.1f m is %.2f m from %s's %s %.2f (expected error ~%.2f m at that "
                 "range)",
                 cls, r, t->aux, set.c_str(), P->type.c_str(), conf, sig) +
             also;
    }
    case kSize:
      return fmt("%s label is %.2fx%.2fx%.2f m but %s sees %.2fx%.2fx%.2f m (%s %.2f)", cls, L.l,
                 L.w, L.h, set.c_str(), P->l, P->w, P->h, P->type.c_str(), conf) +
             also;
    case kHeading:
      return fmt("%s heading differs by %.0f deg from %s's %s %.2f", cls,
                 std::abs(t->aux) * 180 / kPi, set.c_str(), P->type.c_str(), conf) +
             also;
    case kClass:
      return fmt("labelled %s but %s sees %s %.2f in the same place", cls, set.c_str(),
                 P->type.c_str(), conf) +
             also;
    default:
      return fmt("%s label at %.1f m disagrees with %s's %s %.2f", cls, r, set.c_str(),
                 P->type.c_str(), conf);
  }
}

void judge_labels(const Ctx& c, std::size_t f, const std::vector<DetectState>& states, Evidence& ev,
                  std::vector<Finding>& out) {
  const FrameAnnotations& ann = c.md.frame(f);
  const LabelModel& lm = c.models.labels;
  const double prior = logit_clamped(kPriorRate);
  std::vector<int> missing_sets;
  for (std::size_t i = 0; i < ann.labels.size(); ++i) {
    const Object& L = ann.labels[i];
    if (L.is_dontcare()) continue;
    ev.clear();
    missing_sets.clear();
    const std::size_t li = class_index(L.cls);
    ev.flip_dependence = c.models.flip_dependence[size_group(L.cls)];

    // Prediction-set witnesses.
    for (std::size_t s = 0; s < c.md.n_sets(); ++s) {
      const SetFrame& sf = c.md.sf[f][s];
      if (!sf.usable) continue;
      const SetModel& sm = c.models.sets[s];
      const auto& preds = c.md.preds(f, s);
      const MatchPair* pr = sf.match.pair_of_label(i);
      const bool sees = sm.sees[li];
      const double pm =
          sees ? std::max(p_miss(sm, L, states[s].ctx_without(i, sm.mean_miss)), 0.01) : 1.0;
      if (!pr) {
        if (!sees) continue;
        // Overlapped by a prediction that went elsewhere (duplicate, another label): seen, weakly.
        const int seen_by = sf.match.label_overlap[i];
        if (seen_by >= 0) {
          const double seen_conf = sf.conf[static_cast<std::size_t>(seen_by)];
          const double pr_real = p_real(sm, preds[static_cast<std::size_t>(seen_by)], seen_conf);
          ev.witness[kSpurious].push_back({std::log(1 - 0.5 * pr_real) - std::log(1 - pm + 1e-3),
                                           static_cast<int>(s), seen_by, Src::Seen, 0});
        } else {
          ev.witness[kSpurious].push_back({-std::log(pm), static_cast<int>(s), -1, Src::Miss, pm});
          missing_sets.push_back(static_cast<int>(s));
        }
        continue;
      }
      const std::size_t j = static_cast<std::size_t>(pr->pred);
      const Object& P = preds[j];
      const double conf = sf.conf[j];
      const double real = p_real(sm, P, conf);
      const int si = static_cast<int>(s), pj = pr->pred;
      if (!pr->displaced) {
        const double llr = std::log(1 - real * 0.98) - std::log(1 - (sees ? pm : 0.5) + 1e-3);
        ev.witness[kSpurious].push_back({llr, si, pj, Src::Pair, 0});
      }
      // Class: the set's exact class against its learned confusions (neighbour classes included:
      // a Car seen where the label says Van is evidence in proportion to how rarely this set
      // calls a Van a Car). A set that never says the label's class cannot contradict it.
      if (sees) {
        const double u = 1 - real * 0.98, q = 0.1;
        const std::size_t pc = class_index(P.cls);
        double llr = 0;
        if (pc == li) {
          llr = std::log((u * q + (1 - u) * 0.05) /
                         (u * q + (1 - u) * std::max(sm.says[li][li], 0.05)));
        } else {
          const double own = sm.sees[pc] ? std::max(sm.says[pc][pc], 0.3) : 0.3;
          llr = std::log((u * q + (1 - u) * own) / (u * q + (1 - u) * sm.says[li][pc]));
        }
        ev.witness[kClass].push_back({std::clamp(llr, -kMaxLLR, kMaxLLR), si, pj, Src::Pair, 0});
      }
      if (pr->kind == PairKind::ClassMismatch) continue;
      if (!L.has_3d() || !P.has_3d()) continue;
      const std::size_t g = size_group(L.cls);
      double offset = 0;
      const double u_loc = 1 - real * (1 - sm.loc[g].eps);
      ev.witness[kShift].push_back(
          {shift_llr(sm.loc[g], L, P, u_loc, &offset), si, pj, Src::Pair, offset});
      if (pr->geo.iou_bev <= 0) continue;  // not overlapping: size and heading are not comparable
      const SizeNoise& sn = sm.size[li];
      // A detection whose own size is implausible for the class is a weak size witness.
      double pred_llr = 0, plaus = 1;
      if (size_prior_llr(lm, P, L.cls, false, &pred_llr))
        plaus = std::exp(-std::max(0.0, pred_llr - 1.0));
      const double u_size = 1 - real * (1 - sn.eps) * plaus;
      ev.witness[kSize].push_back({size_llr(sn, L, P, u_size), si, pj, Src::Pair, 0});
      const double delta = wrap_angle(L.rotation_y - P.rotation_y);
      const double u_head = 1 - real * (1 - sm.heading[g].eps);
      ev.heading_types.emplace_back();
      heading_type_llrs(sm.heading[g], delta, u_head, ev.heading_types.back());
      ev.witness[kHeading].push_back(
          {heading_mixture({ev.heading_types.back()}), si, pj, Src::Pair, delta});
    }

    // The label as its own witness (one-sided).
    double size_llr_own = 0;
    if (size_prior_llr(lm, L, L.cls, true, &size_llr_own)) {
      const double llr = std::clamp(size_llr_own, 0.0, kMaxSelfLLR);
      if (llr > 0.05) {
        ev.self[kSize].push_back({llr, -1, -1, Src::SizePrior, 0});
        ev.self[kSelf].push_back({llr, -1, -1, Src::SizePrior, 0});
      }
      // A size implausible for its class but typical of another: evidence for a wrong class.
      double logp_own = 0;
      if (llr > 1.0 && size_log_density(lm, L, L.cls, true, &logp_own)) {
        double best = 0;
        int best_c = -1;
        for (std::size_t k = 0; k < kNumClasses; ++k) {
          const ObjectClass oc = static_cast<ObjectClass>(k);
          if (oc == L.cls || oc == ObjectClass::Misc || oc == ObjectClass::DontCare ||
              oc == ObjectClass::Unknown)
            continue;
          double logp_k = 0;
          if (!size_log_density(lm, L, oc, false, &logp_k)) continue;
          const double llr_k = logp_k - logp_own - 2.0;
          if (llr_k > best) {
            best = llr_k;
            best_c = static_cast<int>(k);
          }
        }
        if (best_c >= 0)
          ev.self[kClass].push_back(
              {std::min(best, kMaxSelfLLR), -1, -1, Src::ClassSize, static_cast<double>(best_c)});
      }
    }
    double res = 0, sig = 0;
    if (alpha_residual(lm, L, &res, &sig)) {
      const double z = res / sig;
      const double llr = one_sided(z * z, 9.0, lm.alpha_eps);
      if (llr > 0.05)
        for (Hyp h : {kHeading, kShift, kSelf})
          ev.self[h].push_back({llr, -1, -1, Src::Alpha, res});
    }
    double pres = 0;
    if (lm.proj_ok && projection_residual(lm, L, ann.calib ? &*ann.calib : nullptr, &pres)) {
      const std::size_t ci = class_index(L.cls);
      const double z = std::max(0.0, (pres - lm.proj_cls_med[ci]) / lm.proj_cls_sigma[ci]);
      const double llr = one_sided(z * z, 4.0, lm.proj_cls_eps[ci]);
      if (llr > 0.05)
        for (Hyp h : {kShift, kSize, kHeading, kSelf})
          ev.self[h].push_back({llr, -1, -1, Src::Projection, pres});
    }

    // Pluggable witnesses: their terms join the hypotheses they name, or form their own.
    for (const LabelWitness& w : c.opt.witnesses) {
      const std::size_t first = ev.external.size();
      w(f, i, ev.external);
      for (std::size_t k = first; k < ev.external.size(); ++k) {
        static const char* const names[kNumHyp] = {"spurious", "shift", "size",
                                                   "heading",  "class", "self"};
        const Term term{std::clamp(ev.external[k].llr, -kMaxLLR, kMaxLLR), -1, -1, Src::External,
                        static_cast<double>(k)};
        const auto* it = std::find(std::begin(names), std::end(names), ev.external[k].hypothesis);
        if (it != std::end(names))
          ev.self[static_cast<std::size_t>(it - std::begin(names))].push_back(term);
        else
          ev.custom.push_back(k);
      }
    }

    // Posterior per hypothesis; the label's finding is the most probable error.
    double best_p = 0;
    Hyp best_h = kSpurious;
    for (int h = 0; h < kNumHyp; ++h) {
      const Hyp hh = static_cast<Hyp>(h);
      if (hh == kSpurious && ev.self[kSpurious].empty()) {
        // Only a label that no set detected can be "on nothing" (unless another witness says so).
        if (missing_sets.empty()) continue;
        bool detected = false;
        for (const Term& t : ev.witness[kSpurious])
          if (t.src != Src::Miss) detected = true;
        if (detected) continue;
        if (missing_sets.size() >= 2 && c.models.joint_ok) {
          // All of several sets missed it: the learned joint miss rate replaces the discounted sum.
          double ctx = 0;
          for (int s : missing_sets)
            ctx += states[static_cast<std::size_t>(s)].ctx_without(
                i, c.models.sets[static_cast<std::size_t>(s)].mean_miss);
          double x[kJointFeatures];
          joint_features(L, ctx / static_cast<double>(missing_sets.size()), missing_sets.size(), x);
          const double pj = std::max(c.models.joint_miss.predict(L, x), 0.002);
          ev.witness[kSpurious].assign(
              1, Term{-std::log(pj), missing_sets.front(), -1, Src::Miss, pj});
        }
      }
      const double p = sigmoid(prior + ev.total(hh));
      if (p > best_p) {
        best_p = p;
        best_h = hh;
      }
    }
    // Hypotheses of pluggable witnesses that have no built-in counterpart.
    double custom_p = 0;
    std::size_t custom_top = 0;
    for (std::size_t a = 0; a < ev.custom.size(); ++a) {
      const WitnessTerm& wa = ev.external[ev.custom[a]];
      bool first = true;
      for (std::size_t b = 0; b < a; ++b)
        first = first && ev.external[ev.custom[b]].hypothesis != wa.hypothesis;
      if (!first) continue;
      double sum = 0, top_llr = -1e300;
      std::size_t top = ev.custom[a];
      for (std::size_t b = a; b < ev.custom.size(); ++b) {
        const WitnessTerm& wb = ev.external[ev.custom[b]];
        if (wb.hypothesis != wa.hypothesis) continue;
        sum += std::clamp(wb.llr, -kMaxLLR, kMaxLLR);
        if (wb.llr > top_llr) {
          top_llr = wb.llr;
          top = ev.custom[b];
        }
      }
      const double p = sigmoid(prior + sum);
      if (p > custom_p) {
        custom_p = p;
        custom_top = top;
      }
    }
    if (std::max(best_p, custom_p) < c.opt.min_finding_score) continue;
    const bool custom_wins = custom_p > best_p;
    Finding fd;
    fd.kind = hyp_kind(best_h, ev);
    fd.frame = ann.id;
    fd.label = static_cast<int>(i);
    fd.cls = L.type;
    fd.score = best_p;
    const Term* t = ev.top(best_h);
    if (custom_wins) {
      const WitnessTerm& w = ev.external[custom_top];
      fd.kind = w.kind.empty() ? w.hypothesis : w.kind;
      fd.score = custom_p;
      t = nullptr;
    }
    int set = t ? t->set : -1, pred = t ? t->pred : -1;
    if (set < 0) {  // self evidence: show the most confident detection of this label, if any
      double bc = -1;
      for (std::size_t s = 0; s < c.md.n_sets(); ++s) {
        const SetFrame& sf = c.md.sf[f][s];
        if (!sf.usable) continue;
        const MatchPair* pr = sf.match.pair_of_label(i);
        if (pr && sf.conf[static_cast<std::size_t>(pr->pred)] > bc) {
          bc = sf.conf[static_cast<std::size_t>(pr->pred)];
          set = static_cast<int>(s);
          pred = pr->pred;
        }
      }
    }
    fill_pair_fields(c, f, set, pred, i, fd);
    if (custom_wins) {
      const WitnessTerm& w = ev.external[custom_top];
      fd.reason = w.reason.empty() ? fmt("%s label at %.1f m: %s", L.type.c_str(), range_of(L),
                                         w.hypothesis.c_str())
                                   : w.reason;
    } else {
      fd.reason = label_reason(c, f, i, best_h, t, ev, missing_sets);
    }
    out.push_back(std::move(fd));
  }
}

}  // namespace

// ============================================================================================
// [SECTION] Entry point
// ============================================================================================
RankResult rank_needle(const MatchedDataset& md, const RankOptions& opt) {
  const Models models = fit_models(md, opt);
  const Ctx c{md, models, opt};
  const auto& frames = *md.frames;
  std::vector<std::vector<Finding>> per_frame(frames.size());
  parallel_for(frames.size(), opt.threads, [&](std::size_t b, std::size_t e) {
    Evidence ev;
    std::vector<DetectState> states(md.n_sets());
    for (std::size_t f = b; f < e; ++f) {
      const FrameAnnotations& ann = frames[f];
      add_invalid_findings(ann, per_frame[f]);
      if (!ann.has_labels) continue;
      for (std::size_t s = 0; s < md.n_sets(); ++s)
        detect_state(ann.labels, md.sf[f][s], models.sets[s], states[s]);
      judge_labels(c, f, states, ev, per_frame[f]);
      judge_unmatched(c, f, states, per_frame[f]);  // ranking_needle_unmatched.cpp
    }
  });
  return finalize(
      frames, std::move(per_frame),
      [](std::size_t, const std::vector<Finding>& fs) { return noisy_or(fs); },
      opt.min_finding_score);
}

}  // namespace needle::detail
