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
    Finding fd = make_finding(cs[e].kind.empty() ? "unlabeled_object" : cs[e].kind,
                              c.md.frame(f).id, p, cs[e].reason);
    fd.cls = cs[e].box.type;
    out.push_back(std::move(fd));
  }
}
}  // namespace

// ============================================================================================
// [SECTION] Unmatched detections (missing labels)
// ============================================================================================
namespace {

// An unmatched detection and the cluster (one physical object) it joins.
struct Cand {
  std::size_t set, pred;
  double conf, real;
  int cluster;
};

// Every usable set's unmatched detections with their P(real object).
std::vector<Cand> unmatched_candidates(const Ctx& c, std::size_t f) {
  std::vector<Cand> cands;
  for (std::size_t s = 0; s < c.md.n_sets(); ++s) {
    const SetFrame& sf = c.md.sf[f][s];
    if (!sf.usable) continue;
    const auto& preds = c.md.preds(f, s);
    for (std::size_t j = 0; j < preds.size(); ++j)
      if (sf.match.pred_fate[j] == PredFate::Unmatched)
        cands.push_back({s, j, sf.conf[j], p_real(c.models.sets[s], preds[j], sf.conf[j]), -1});
  }
  return cands;
}

// Greedy clustering, most probable detections first; returns the number of clusters.
int cluster_candidates(const Ctx& c, std::size_t f, std::vector<Cand>& cands) {
  auto obj = [&](const Cand& k) -> const Object& { return c.md.preds(f, k.set)[k.pred]; };
  std::sort(cands.begin(), cands.end(),
            [](const Cand& a, const Cand& b) { return a.real > b.real; });
  int n_clusters = 0;
  for (std::size_t a = 0; a < cands.size(); ++a) {
    if (cands[a].cluster >= 0) continue;
    cands[a].cluster = n_clusters;
    for (std::size_t b = a + 1; b < cands.size(); ++b)
      if (cands[b].cluster < 0 && near_object(obj(cands[a]), obj(cands[b])))
        cands[b].cluster = n_clusters;
    ++n_clusters;
  }
  return n_clusters;
}

// One unmatched object: its most probable detection, the sets that detected it, the evidence.
struct Cluster {
  const Cand* rep = nullptr;
  std::vector<bool> member;  // per set
  std::vector<Term> terms;
  int missed_by = 0;
  std::string extra_reason;  // the first object witness's reason, if any
};

// Cluster k's representative, and one term per further set that detected it (its detection's
// P(real) against the set's base rate).
void gather_cluster(const Ctx& c, const std::vector<Cand>& cands, int k, Cluster& cl) {
  cl.rep = nullptr;
  cl.member.assign(c.md.n_sets(), false);
  cl.terms.clear();
  cl.missed_by = 0;
  cl.extra_reason.clear();
  for (const Cand& x : cands) {
    if (x.cluster != k || cl.member[x.set]) continue;  // one (the most probable) detection per set
    cl.member[x.set] = true;
    if (!cl.rep) {
      cl.rep = &x;
      continue;
    }
    const SetModel& sm = c.models.sets[x.set];
    cl.terms.push_back({logit_clamped(x.real, 1e-4) - logit_clamped(sm.base_real),
                        static_cast<int>(x.set), static_cast<int>(x.pred), Src::Pair, 0});
  }
}

// Sets that see this class, predicted this frame, and have nothing here: a real object missed.
void add_missed_terms(const Ctx& c, std::size_t f, const std::vector<DetectState>& states,
                      const Object& R, Cluster& cl) {
  for (std::size_t s = 0; s < c.md.n_sets(); ++s) {
    const SetFrame& sf = c.md.sf[f][s];
    const SetModel& sm = c.models.sets[s];
    if (cl.member[s] || !sf.usable || !sm.sees[class_index(R.cls)]) continue;
    bool any = false;
    for (const Object& p : c.md.preds(f, s))
      if (near_object(R, p)) any = true;
    if (any) continue;
    const double pm = std::max(p_miss(sm, R, states[s].ctx_all(sm.mean_miss)), kMinMissProb);
    cl.terms.push_back({std::log(pm), static_cast<int>(s), -1, Src::Miss, pm});
    ++cl.missed_by;
  }
}

// Object witnesses at the same place: one more term each (one finding, both witnesses).
void add_object_witness_terms(const std::vector<ObjectCandidate>& extra,
                              std::vector<std::uint8_t>& extra_used, const Object& R, Cluster& cl) {
  for (std::size_t e = 0; e < extra.size(); ++e) {
    if (extra_used[e] || !near_object(R, extra[e].box)) continue;
    extra_used[e] = 1;
    cl.terms.push_back({std::clamp(extra[e].llr, -kMaxWitnessLLR, kMaxWitnessLLR), -1, -1,
                        Src::External, static_cast<double>(e)});
    if (cl.extra_reason.empty() && !extra[e].reason.empty()) cl.extra_reason = extra[e].reason;
  }
}

// "Car 0.91 at 23.4 m from A has no label (also seen by B 0.85); nearest label 6.0 m away".
std::string unmatched_reason(const Ctx& c, std::size_t f, const std::vector<Cand>& cands, int k,
                             Cluster& cl, const Object& R) {
  std::string others;
  for (const Cand& x : cands)
    if (x.cluster == k && x.set != cl.rep->set && cl.member[x.set]) {
      others += fmt("%s%s %.2f", others.empty() ? "" : ", ", c.md.set_names[x.set].c_str(), x.conf);
      cl.member[x.set] = false;  // list each set once
    }
  double nearest = -1;
  for (const Object& L : c.md.frame(f).labels)
    if (!L.is_dontcare() && L.has_3d() && R.has_3d()) {
      const double d = centre_distance_bev(L, R);
      if (nearest < 0 || d < nearest) nearest = d;
    }
  std::string reason = fmt("%s %.2f at %.1f m from %s has no label", R.type.c_str(), cl.rep->conf,
                           range_of(R), c.md.set_names[cl.rep->set].c_str());
  if (!others.empty()) reason += " (also seen by " + others + ")";
  if (cl.missed_by > 0)
    reason += fmt(" (not seen by %d other set%s)", cl.missed_by, cl.missed_by > 1 ? "s" : "");
  reason += nearest >= 0 ? fmt("; nearest label %.1f m away", nearest)
                         : std::string("; no labelled object nearby");
  if (!cl.extra_reason.empty()) reason += "; also " + cl.extra_reason;
  return reason;
}

}  // namespace

void judge_unmatched(const Ctx& c, std::size_t f, const std::vector<DetectState>& states,
                     std::vector<Finding>& out) {
  std::vector<Cand> cands = unmatched_candidates(c, f);
  // Candidates of pluggable object witnesses (lidar clusters): merged below with a detection at
  // the same place, reported on their own otherwise.
  std::vector<ObjectCandidate> extra;
  for (const ObjectWitness& w : c.opt.object_witnesses) w(c.md.first + f, extra);
  std::vector<std::uint8_t> extra_used(extra.size(), 0);
  const int n_clusters = cluster_candidates(c, f, cands);
  const double prior = std::log(kPriorRate);
  Cluster cl;
  for (int k = 0; k < n_clusters; ++k) {
    gather_cluster(c, cands, k, cl);
    const Object& R = c.md.preds(f, cl.rep->set)[cl.rep->pred];
    add_missed_terms(c, f, states, R, cl);
    add_object_witness_terms(extra, extra_used, R, cl);
    const double lo = prior + logit_clamped(cl.rep->real, 1e-4) + combine(cl.terms);
    const double p = sigmoid(lo);
    if (p < c.opt.min_finding_score) continue;
    Finding fd = make_finding(kind::kUnmatchedPrediction, c.md.frame(f).id, p,
                              unmatched_reason(c, f, cands, k, cl, R));
    fd.cls = R.type;
    for_prediction(fd, c.md.set_names[cl.rep->set], static_cast<int>(cl.rep->pred), R.type,
                   cl.rep->conf);
    out.push_back(std::move(fd));
  }
  report_object_candidates(c, f, extra, extra_used, out);
}

}  // namespace needle::detail
