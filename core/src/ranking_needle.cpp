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
  for_prediction(fd, c.md.set_names[s], pred, c.md.preds(f, s)[j].type, sf.conf[j]);
  if (sf.usable && label < sf.match.n_labels) {
    set_ious(fd, sf.match.at(label, j));
  }
}

// "not detected by A, B, which detect 93% of such objects; nearest prediction 4.2 m away".
std::string miss_reason(const Ctx& c, std::size_t f, const Object& L, const Term& t,
                        const std::vector<int>& missing_sets) {
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
             L.type.c_str(), range_of(L), std::max(L.occluded, 0), std::max(L.truncated, 0.0),
             who.c_str(), 100 * (1 - t.aux)) +
         tail;
}

// The reason of the label's own evidence (size, class size, alpha, projection) or of a pluggable
// witness's term.
std::string self_reason(const Object& L, const Term& t, const Evidence& ev) {
  const char* cls = L.type.c_str();
  switch (t.src) {
    case Src::SizePrior:
      return fmt("%s label size %.2fx%.2fx%.2f m (l x w x h) is implausible for %s", cls, L.l, L.w,
                 L.h, cls);
    case Src::ClassSize:
      return fmt("%s label size %.2fx%.2fx%.2f m fits %s far better than %s", cls, L.l, L.w, L.h,
                 class_name(static_cast<ObjectClass>(static_cast<int>(t.aux))), cls);
    case Src::Alpha:
      return fmt(
          "%s label alpha %.2f contradicts its rotation_y %.2f at its position (off by %.0f deg)",
          cls, L.alpha, L.rotation_y, std::abs(t.aux) * 180 / kPi);
    case Src::Projection:
      return fmt("%s label 2D box disagrees with its projected 3D box (IoU %.2f)", cls, 1 - t.aux);
    default: {  // Src::External
      const WitnessTerm& w = ev.external[static_cast<std::size_t>(t.aux)];
      return w.reason.empty()
                 ? fmt("%s label at %.1f m: %s evidence", cls, range_of(L), w.hypothesis.c_str())
                 : w.reason;
    }
  }
}

// The reason of a prediction set's witness t (prediction P) for hypothesis h, with the number of
// other detectors that agree.
std::string witness_reason(const Ctx& c, std::size_t f, const Object& L, Hyp h, const Term& t,
                           const Evidence& ev) {
  const std::size_t s = static_cast<std::size_t>(t.set), j = static_cast<std::size_t>(t.pred);
  const Object& P = c.md.preds(f, s)[j];
  const char* set = c.md.set_names[s].c_str();
  const double conf = c.md.sf[f][s].conf[j];
  const char* cls = L.type.c_str();
  const double r = range_of(L);
  int agree = 0;
  for (const Term& x : ev.witness[h])
    if (x.llr > 0 && x.set != t.set) ++agree;
  const std::string also =
      agree > 0 ? fmt(" (%d more detector%s agree)", agree, agree > 1 ? "s" : "") : std::string();
  switch (h) {
    case kShift: {
      const double sig = c.models.sets[s].loc[size_group(L.cls)].sigma_r(r);
      return fmt("%s label at %.1f m is %.2f m from %s's %s %.2f (expected error ~%.2f m at that "
                 "range)",
                 cls, r, t.aux, set, P.type.c_str(), conf, sig) +
             also;
    }
    case kSize:
      return fmt("%s label is %.2fx%.2fx%.2f m but %s sees %.2fx%.2fx%.2f m (%s %.2f)", cls, L.l,
                 L.w, L.h, set, P.l, P.w, P.h, P.type.c_str(), conf) +
             also;
    case kHeading:
      return fmt("%s heading differs by %.0f deg from %s's %s %.2f", cls,
                 std::abs(t.aux) * 180 / kPi, set, P.type.c_str(), conf) +
             also;
    case kClass:
      return fmt("labelled %s but %s sees %s %.2f in the same place", cls, set, P.type.c_str(),
                 conf) +
             also;
    default:
      return fmt("%s label at %.1f m disagrees with %s's %s %.2f", cls, r, set, P.type.c_str(),
                 conf);
  }
}

// One line for a person: why label i of frame f is suspected of hypothesis h (t: its strongest
// term, null when none).
std::string label_reason(const Ctx& c, std::size_t f, std::size_t i, Hyp h, const Term* t,
                         const Evidence& ev, const std::vector<int>& missing_sets) {
  const Object& L = c.md.frame(f).labels[i];
  if (t && t->src == Src::Miss) return miss_reason(c, f, L, *t, missing_sets);
  if (t && t->src != Src::Seen && t->src != Src::Pair) return self_reason(L, *t, ev);
  if (!t || t->set < 0 || t->pred < 0)
    return fmt("%s label at %.1f m looks suspicious", L.type.c_str(), range_of(L));
  return witness_reason(c, f, L, h, *t, ev);
}

// ---- Tuned numbers of the label judgement ------------------------------------------------------
// Hand-set with the method (commit 28b2671) and kept since: bench/methods.sh's recall in
// bench/RESULTS.md was measured with them.

// A prediction that overlaps the label but was paired elsewhere counts as half a detection.
constexpr double kSeenWeight = 0.5;
// Added to 1 - P(miss) so that a set that always misses cannot give an infinite LLR.
constexpr double kMissLLRFloor = 1e-3;
// Share of a real detection's evidence that is trusted: a paired detection is a witness with
// u = 1 - P(real) * 0.98, never fully reliable.
constexpr double kPairTrust = 0.98;
// Class witness: probability q of the class an unreliable witness says, and floors of the
// learned P(says own class) (a set that rarely agrees with itself proves little either way).
constexpr double kClassNoiseQ = 0.1, kMinSaysOwn = 0.05, kMinSaysOther = 0.3;
// P(miss) of a set that never predicts the label's class, in the spurious LLR of its pair.
constexpr double kBlindMissProb = 0.5;
// A detection's own size LLR below this is plausible for the class (no down-weighting).
constexpr double kPlausibleSizeLLR = 1.0;
// Self-consistency LLRs below this are noise and not recorded.
constexpr double kMinSelfLLR = 0.05;
// A label's size LLR above this is implausible enough to look for a class it fits better, and
// another class must fit by more than this (log density, nats) to count.
constexpr double kClassSizeTrigger = 1.0, kClassSizeMargin = 2.0;
// Chi-square of alpha's and of the projected box's residual that counts as consistent (3 and 2
// sigma).
constexpr double kAlphaFreeChi2 = 9.0, kProjectionFreeChi2 = 4.0;
// Floor of the joint P(no set detects it), as kMinMissProb for one set.
constexpr double kMinJointMissProb = 0.002;

// A label's context while its witnesses are heard.
struct LabelCtx {
  const Ctx& c;
  std::size_t f, i;  // frame, label
  const Object& L;
  const std::vector<DetectState>& states;
};

// A set with no pair for the label: it overlapped it with a prediction paired elsewhere (seen,
// weakly) or missed it.
void add_unpaired_witness(const LabelCtx& lc, std::size_t s, double pm, Evidence& ev,
                          std::vector<int>& missing_sets) {
  const SetFrame& sf = lc.c.md.sf[lc.f][s];
  const int seen_by = sf.match.label_overlap[lc.i];
  if (seen_by >= 0) {
    const double seen_conf = sf.conf[static_cast<std::size_t>(seen_by)];
    const Object& P = lc.c.md.preds(lc.f, s)[static_cast<std::size_t>(seen_by)];
    const double pr_real = p_real(lc.c.models.sets[s], P, seen_conf);
    ev.witness[kSpurious].push_back(
        {std::log(1 - kSeenWeight * pr_real) - std::log(1 - pm + kMissLLRFloor),
         static_cast<int>(s), seen_by, Src::Seen, 0});
  } else {
    ev.witness[kSpurious].push_back({-std::log(pm), static_cast<int>(s), -1, Src::Miss, pm});
    missing_sets.push_back(static_cast<int>(s));
  }
}

// Class: the set's exact class against its learned confusions (neighbour classes included: a Car
// seen where the label says Van is evidence in proportion to how rarely this set calls a Van a
// Car). A set that never says the label's class cannot contradict it.
double class_witness_llr(const SetModel& sm, std::size_t li, std::size_t pc, double real) {
  const double u = 1 - real * kPairTrust, q = kClassNoiseQ;
  if (pc == li)
    return std::log((u * q + (1 - u) * kMinSaysOwn) /
                    (u * q + (1 - u) * std::max(sm.says[li][li], kMinSaysOwn)));
  const double own = sm.sees[pc] ? std::max(sm.says[pc][pc], kMinSaysOther) : kMinSaysOther;
  return std::log((u * q + (1 - u) * own) / (u * q + (1 - u) * sm.says[li][pc]));
}

// Shift, size and heading witnesses of a 3D pair (size and heading only when the boxes overlap).
void add_geometry_witnesses(const LabelCtx& lc, const SetModel& sm, const MatchPair& pr,
                            const Object& P, double real, int si, Evidence& ev) {
  const Object& L = lc.L;
  const std::size_t g = size_group(L.cls);
  const int pj = pr.pred;
  double offset = 0;
  const double u_loc = 1 - real * (1 - sm.loc[g].eps);
  ev.witness[kShift].push_back(
      {shift_llr(sm.loc[g], L, P, u_loc, &offset), si, pj, Src::Pair, offset});
  if (pr.geo.iou_bev <= 0) return;  // not overlapping: size and heading are not comparable
  const SizeNoise& sn = sm.size[class_index(L.cls)];
  // A detection whose own size is implausible for the class is a weak size witness.
  double pred_llr = 0, plaus = 1;
  if (size_prior_llr(lc.c.models.labels, P, L.cls, false, &pred_llr))
    plaus = std::exp(-std::max(0.0, pred_llr - kPlausibleSizeLLR));
  const double u_size = 1 - real * (1 - sn.eps) * plaus;
  ev.witness[kSize].push_back({size_llr(sn, L, P, u_size), si, pj, Src::Pair, 0});
  const double delta = wrap_angle(L.rotation_y - P.rotation_y);
  const double u_head = 1 - real * (1 - sm.heading[g].eps);
  ev.heading_types.emplace_back();
  heading_type_llrs(sm.heading[g], delta, u_head, ev.heading_types.back());
  ev.witness[kHeading].push_back(
      {heading_mixture({ev.heading_types.back()}), si, pj, Src::Pair, delta});
}

// What prediction set s says about the label.
void add_set_witness(const LabelCtx& lc, std::size_t s, Evidence& ev,
                     std::vector<int>& missing_sets) {
  const SetFrame& sf = lc.c.md.sf[lc.f][s];
  if (!sf.usable) return;
  const SetModel& sm = lc.c.models.sets[s];
  const std::size_t li = class_index(lc.L.cls);
  const MatchPair* pr = sf.match.pair_of_label(lc.i);
  const bool sees = sm.sees[li];
  const double pm =
      sees ? std::max(p_miss(sm, lc.L, lc.states[s].ctx_without(lc.i, sm.mean_miss)), kMinMissProb)
           : 1.0;
  if (!pr) {
    if (sees) add_unpaired_witness(lc, s, pm, ev, missing_sets);
    return;
  }
  const std::size_t j = static_cast<std::size_t>(pr->pred);
  const Object& P = lc.c.md.preds(lc.f, s)[j];
  const double real = p_real(sm, P, sf.conf[j]);
  const int si = static_cast<int>(s), pj = pr->pred;
  if (!pr->displaced) {
    const double llr = std::log(1 - real * kPairTrust) -
                       std::log(1 - (sees ? pm : kBlindMissProb) + kMissLLRFloor);
    ev.witness[kSpurious].push_back({llr, si, pj, Src::Pair, 0});
  }
  if (sees) {
    const double llr = class_witness_llr(sm, li, class_index(P.cls), real);
    ev.witness[kClass].push_back({std::clamp(llr, -kMaxLLR, kMaxLLR), si, pj, Src::Pair, 0});
  }
  if (pr->kind == PairKind::ClassMismatch) return;
  if (!lc.L.has_3d() || !P.has_3d()) return;
  add_geometry_witnesses(lc, sm, *pr, P, real, si, ev);
}

// The class whose sizes fit the label far better than its own (its LLR in *best), or -1.
int better_fitting_class(const LabelModel& lm, const Object& L, double logp_own, double* best) {
  *best = 0;
  int best_c = -1;
  for (std::size_t k = 0; k < kNumClasses; ++k) {
    const ObjectClass oc = static_cast<ObjectClass>(k);
    if (oc == L.cls || oc == ObjectClass::Misc || oc == ObjectClass::DontCare ||
        oc == ObjectClass::Unknown)
      continue;
    double logp_k = 0;
    if (!size_log_density(lm, L, oc, false, &logp_k)) continue;
    const double llr_k = logp_k - logp_own - kClassSizeMargin;
    if (llr_k > *best) {
      *best = llr_k;
      best_c = static_cast<int>(k);
    }
  }
  return best_c;
}

// The label's size against its class's sizes (and, when implausible, against other classes').
void add_size_self_witness(const LabelModel& lm, const Object& L, Evidence& ev) {
  double size_llr_own = 0;
  if (!size_prior_llr(lm, L, L.cls, true, &size_llr_own)) return;
  const double llr = std::clamp(size_llr_own, 0.0, kMaxSelfLLR);
  if (llr > kMinSelfLLR) {
    ev.self[kSize].push_back({llr, -1, -1, Src::SizePrior, 0});
    ev.self[kSelf].push_back({llr, -1, -1, Src::SizePrior, 0});
  }
  // A size implausible for its class but typical of another: evidence for a wrong class.
  double logp_own = 0;
  if (llr > kClassSizeTrigger && size_log_density(lm, L, L.cls, true, &logp_own)) {
    double best = 0;
    const int best_c = better_fitting_class(lm, L, logp_own, &best);
    if (best_c >= 0)
      ev.self[kClass].push_back(
          {std::min(best, kMaxSelfLLR), -1, -1, Src::ClassSize, static_cast<double>(best_c)});
  }
}

// The label as its own witness (one-sided): size, alpha vs rotation_y, 2D box vs projected 3D box.
void add_self_witnesses(const LabelCtx& lc, Evidence& ev) {
  const LabelModel& lm = lc.c.models.labels;
  const Object& L = lc.L;
  add_size_self_witness(lm, L, ev);
  double res = 0, sig = 0;
  if (alpha_residual(lm, L, &res, &sig)) {
    const double z = res / sig;
    const double llr = one_sided(z * z, kAlphaFreeChi2, lm.alpha_eps);
    if (llr > kMinSelfLLR)
      for (Hyp h : {kHeading, kShift, kSelf}) ev.self[h].push_back({llr, -1, -1, Src::Alpha, res});
  }
  double pres = 0;
  const FrameAnnotations& ann = lc.c.md.frame(lc.f);
  if (lm.proj_ok && projection_residual(lm, L, ann.calib ? &*ann.calib : nullptr, &pres)) {
    const std::size_t ci = class_index(L.cls);
    const double z = std::max(0.0, (pres - lm.proj_cls_med[ci]) / lm.proj_cls_sigma[ci]);
    const double llr = one_sided(z * z, kProjectionFreeChi2, lm.proj_cls_eps[ci]);
    if (llr > kMinSelfLLR)
      for (Hyp h : {kShift, kSize, kHeading, kSelf})
        ev.self[h].push_back({llr, -1, -1, Src::Projection, pres});
  }
}

// Pluggable witnesses: their terms join the hypotheses they name, or form their own.
void add_external_witnesses(const LabelCtx& lc, Evidence& ev) {
  for (const LabelWitness& w : lc.c.opt.witnesses) {
    const std::size_t first = ev.external.size();
    w(lc.c.md.first + lc.f, lc.i, ev.external);  // witnesses index the dataset
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
}

// Whether "on nothing" applies (only a label no set detected, unless another witness says so);
// when several sets all missed it, the learned joint miss rate replaces their discounted sum.
bool weigh_spurious(const LabelCtx& lc, const std::vector<int>& missing_sets, Evidence& ev) {
  if (!ev.self[kSpurious].empty()) return true;
  if (missing_sets.empty()) return false;
  for (const Term& t : ev.witness[kSpurious])
    if (t.src != Src::Miss) return false;
  const Models& models = lc.c.models;
  if (missing_sets.size() >= 2 && models.joint_ok) {
    double ctx = 0;
    for (int s : missing_sets)
      ctx += lc.states[static_cast<std::size_t>(s)].ctx_without(
          lc.i, models.sets[static_cast<std::size_t>(s)].mean_miss);
    double x[kJointFeatures];
    joint_features(lc.L, ctx / static_cast<double>(missing_sets.size()), missing_sets.size(), x);
    const double pj = std::max(models.joint_miss.predict(lc.L, x), kMinJointMissProb);
    ev.witness[kSpurious].assign(1, Term{-std::log(pj), missing_sets.front(), -1, Src::Miss, pj});
  }
  return true;
}

// The most probable built-in hypothesis and its posterior.
struct Verdict {
  double p = 0;
  Hyp h = kSpurious;
};
Verdict weigh_hypotheses(const LabelCtx& lc, double prior, const std::vector<int>& missing_sets,
                         Evidence& ev) {
  Verdict v;
  for (int h = 0; h < kNumHyp; ++h) {
    const Hyp hh = static_cast<Hyp>(h);
    if (hh == kSpurious && !weigh_spurious(lc, missing_sets, ev)) continue;
    const double p = sigmoid(prior + ev.total(hh));
    if (p > v.p) {
      v.p = p;
      v.h = hh;
    }
  }
  return v;
}

// Hypotheses of pluggable witnesses that have no built-in counterpart: the most probable one's
// posterior and its strongest term (an index into ev.external).
struct CustomVerdict {
  double p = 0;
  std::size_t top = 0;
};
CustomVerdict weigh_custom(const Evidence& ev, double prior) {
  CustomVerdict v;
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
    if (p > v.p) {
      v.p = p;
      v.top = top;
    }
  }
  return v;
}

// The most confident detection paired with the label (what a finding from self evidence shows).
void most_confident_pair(const LabelCtx& lc, int* set, int* pred) {
  double bc = -1;
  for (std::size_t s = 0; s < lc.c.md.n_sets(); ++s) {
    const SetFrame& sf = lc.c.md.sf[lc.f][s];
    if (!sf.usable) continue;
    const MatchPair* pr = sf.match.pair_of_label(lc.i);
    if (pr && sf.conf[static_cast<std::size_t>(pr->pred)] > bc) {
      bc = sf.conf[static_cast<std::size_t>(pr->pred)];
      *set = static_cast<int>(s);
      *pred = pr->pred;
    }
  }
}

// The label's finding from the winning hypothesis (built-in or a pluggable witness's own).
Finding label_finding(const LabelCtx& lc, const Verdict& v, const CustomVerdict& cv,
                      const Evidence& ev, const std::vector<int>& missing_sets) {
  const Object& L = lc.L;
  const bool custom_wins = cv.p > v.p;
  const WitnessTerm* w = custom_wins ? &ev.external[cv.top] : nullptr;
  const Term* t = custom_wins ? nullptr : ev.top(v.h);
  const std::string kind = w ? (w->kind.empty() ? w->hypothesis : w->kind) : hyp_kind(v.h, ev);
  Finding fd = make_finding(kind, lc.c.md.frame(lc.f).id, custom_wins ? cv.p : v.p);
  for_label(fd, static_cast<int>(lc.i), L.type);
  int set = t ? t->set : -1, pred = t ? t->pred : -1;
  if (set < 0) most_confident_pair(lc, &set, &pred);  // self evidence: show the best detection
  fill_pair_fields(lc.c, lc.f, set, pred, lc.i, fd);
  if (w)
    fd.reason = w->reason.empty() ? fmt("%s label at %.1f m: %s", L.type.c_str(), range_of(L),
                                        w->hypothesis.c_str())
                                  : w->reason;
  else
    fd.reason = label_reason(lc.c, lc.f, lc.i, v.h, t, ev, missing_sets);
  return fd;
}

// Every witness of every label of frame f heard, each label's most probable error kept.
void judge_labels(const Ctx& c, std::size_t f, const std::vector<DetectState>& states, Evidence& ev,
                  std::vector<Finding>& out) {
  const FrameAnnotations& ann = c.md.frame(f);
  const double prior = logit_clamped(kPriorRate);
  std::vector<int> missing_sets;
  for (std::size_t i = 0; i < ann.labels.size(); ++i) {
    const Object& L = ann.labels[i];
    if (L.is_dontcare()) continue;
    ev.clear();
    missing_sets.clear();
    ev.flip_dependence = c.models.flip_dependence[size_group(L.cls)];
    const LabelCtx lc{c, f, i, L, states};
    for (std::size_t s = 0; s < c.md.n_sets(); ++s) add_set_witness(lc, s, ev, missing_sets);
    add_self_witnesses(lc, ev);
    add_external_witnesses(lc, ev);
    const Verdict v = weigh_hypotheses(lc, prior, missing_sets, ev);
    const CustomVerdict cv = weigh_custom(ev, prior);
    if (std::max(v.p, cv.p) < c.opt.min_finding_score) continue;
    out.push_back(label_finding(lc, v, cv, ev, missing_sets));
  }
}

}  // namespace

// ============================================================================================
// [SECTION] Entry point
// ============================================================================================
std::vector<std::vector<Finding>> judge_frames(const MatchedDataset& md, const Models& models,
                                               const RankOptions& opt) {
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
  return per_frame;
}

}  // namespace needle::detail
