// ranking_needle_unmatched.cpp — the needle method's missing-label hypothesis: unmatched
// detections are clustered across prediction sets (one physical object), and each cluster's
// posterior weighs the detections' learned P(real object) against the sets that see nothing there.
#include <algorithm>
#include <cmath>

#include "needle/iou.h"
#include "ranking_needle.h"

namespace needle::detail {

// ============================================================================================
// [SECTION] Object witnesses' candidates no detection confirmed
// ============================================================================================
namespace {
void report_object_candidates(const Ctx& c, std::size_t f, const std::vector<ObjectCandidate>& cs,
                              const std::vector<std::uint8_t>& used, std::vector<Finding>& out) {
  for (std::size_t e = 0; e < cs.size(); ++e) {
    if (used[e]) continue;
    const double p = sigmoid(std::log(kPriorRate) + cs[e].llr);
    if (p < c.opt.min_finding_score) continue;
    Finding fd;
    fd.kind = cs[e].kind.empty() ? "unlabeled_object" : cs[e].kind;
    fd.frame = c.md.frame(f).id;
    fd.cls = cs[e].box.type;
    fd.score = p;
    fd.reason = cs[e].reason;
    out.push_back(std::move(fd));
  }
}
}  // namespace

// ============================================================================================
// [SECTION] Unmatched detections (missing labels)
// ============================================================================================
void judge_unmatched(const Ctx& c, std::size_t f, const std::vector<DetectState>& states,
                     std::vector<Finding>& out) {
  struct Cand {
    std::size_t set, pred;
    double conf, real;
    int cluster;
  };
  std::vector<Cand> cands;
  for (std::size_t s = 0; s < c.md.n_sets(); ++s) {
    const SetFrame& sf = c.md.sf[f][s];
    if (!sf.usable) continue;
    const auto& preds = c.md.preds(f, s);
    for (std::size_t j = 0; j < preds.size(); ++j)
      if (sf.match.pred_fate[j] == PredFate::Unmatched)
        cands.push_back({s, j, sf.conf[j], p_real(c.models.sets[s], preds[j], sf.conf[j]), -1});
  }
  // Candidates of pluggable object witnesses (lidar clusters): merged below with a detection at
  // the same place, reported on their own otherwise.
  std::vector<ObjectCandidate> extra;
  for (const ObjectWitness& w : c.opt.object_witnesses) w(f, extra);
  std::vector<std::uint8_t> extra_used(extra.size(), 0);
  if (cands.empty()) {
    report_object_candidates(c, f, extra, extra_used, out);
    return;
  }
  auto obj = [&](const Cand& k) -> const Object& { return c.md.preds(f, k.set)[k.pred]; };
  auto near = [&](const Object& a, const Object& b) {
    if (a.has_3d() && b.has_3d())
      return centre_distance_bev(a, b) <= 1.0 + 0.03 * range_of(a) || iou_bev(a, b) >= 0.1;
    return a.box2d.area() > 0 && b.box2d.area() > 0 && iou_2d(a.box2d, b.box2d) >= 0.5;
  };
  // Greedy clustering, most probable detections first.
  std::sort(cands.begin(), cands.end(),
            [](const Cand& a, const Cand& b) { return a.real > b.real; });
  int n_clusters = 0;
  for (std::size_t a = 0; a < cands.size(); ++a) {
    if (cands[a].cluster >= 0) continue;
    cands[a].cluster = n_clusters;
    for (std::size_t b = a + 1; b < cands.size(); ++b)
      if (cands[b].cluster < 0 && near(obj(cands[a]), obj(cands[b]))) cands[b].cluster = n_clusters;
    ++n_clusters;
  }
  const double prior = std::log(kPriorRate);
  std::vector<Term> terms;
  for (int k = 0; k < n_clusters; ++k) {
    const Cand* rep = nullptr;
    std::vector<bool> member(c.md.n_sets(), false);
    terms.clear();
    for (const Cand& x : cands) {
      if (x.cluster != k || member[x.set]) continue;  // one (the most probable) detection per set
      member[x.set] = true;
      if (!rep) {
        rep = &x;
        continue;
      }
      const SetModel& sm = c.models.sets[x.set];
      terms.push_back({logit_clamped(x.real, 1e-4) - logit_clamped(sm.base_real),
                       static_cast<int>(x.set), static_cast<int>(x.pred), Src::Pair, 0});
    }
    const Object& R = obj(*rep);
    // Sets that see this class, predicted this frame, and have nothing here: a real object missed.
    int missed_by = 0;
    for (std::size_t s = 0; s < c.md.n_sets(); ++s) {
      const SetFrame& sf = c.md.sf[f][s];
      const SetModel& sm = c.models.sets[s];
      if (member[s] || !sf.usable || !sm.sees[class_index(R.cls)]) continue;
      bool any = false;
      for (const Object& p : c.md.preds(f, s))
        if (near(R, p)) any = true;
      if (any) continue;
      const double pm = std::max(p_miss(sm, R, states[s].ctx_all(sm.mean_miss)), 0.01);
      terms.push_back({std::log(pm), static_cast<int>(s), -1, Src::Miss, pm});
      ++missed_by;
    }
    // Object witnesses at the same place: one more term each (one finding, both witnesses).
    std::string extra_reason;
    for (std::size_t e = 0; e < extra.size(); ++e) {
      if (extra_used[e] || !near(R, extra[e].box)) continue;
      extra_used[e] = 1;
      terms.push_back({std::clamp(extra[e].llr, -kMaxWitnessLLR, kMaxWitnessLLR), -1, -1,
                       Src::External, static_cast<double>(e)});
      if (extra_reason.empty() && !extra[e].reason.empty()) extra_reason = extra[e].reason;
    }
    const double lo = prior + logit_clamped(rep->real, 1e-4) + combine(terms);
    const double p = sigmoid(lo);
    if (p < c.opt.min_finding_score) continue;
    Finding fd;
    fd.kind = kind::kUnmatchedPrediction;
    fd.frame = c.md.frame(f).id;
    fd.prediction = static_cast<int>(rep->pred);
    fd.prediction_set = c.md.set_names[rep->set];
    fd.cls = R.type;
    fd.predicted_class = R.type;
    fd.confidence = rep->conf;
    fd.score = p;
    std::string others;
    for (const Cand& x : cands)
      if (x.cluster == k && x.set != rep->set && member[x.set]) {
        others +=
            fmt("%s%s %.2f", others.empty() ? "" : ", ", c.md.set_names[x.set].c_str(), x.conf);
        member[x.set] = false;  // list each set once
      }
    double nearest = -1;
    for (const Object& L : c.md.frame(f).labels)
      if (!L.is_dontcare() && L.has_3d() && R.has_3d()) {
        const double d = centre_distance_bev(L, R);
        if (nearest < 0 || d < nearest) nearest = d;
      }
    fd.reason = fmt("%s %.2f at %.1f m from %s has no label", R.type.c_str(), rep->conf,
                    range_of(R), fd.prediction_set.c_str());
    if (!others.empty()) fd.reason += " (also seen by " + others + ")";
    if (missed_by > 0)
      fd.reason += fmt(" (not seen by %d other set%s)", missed_by, missed_by > 1 ? "s" : "");
    fd.reason += nearest >= 0 ? fmt("; nearest label %.1f m away", nearest)
                              : std::string("; no labelled object nearby");
    if (!extra_reason.empty()) fd.reason += "; also " + extra_reason;
    out.push_back(std::move(fd));
  }
  report_object_candidates(c, f, extra, extra_used, out);
}

}  // namespace needle::detail
