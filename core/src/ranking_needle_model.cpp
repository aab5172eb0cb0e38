// ranking_needle_model.cpp — what the needle method learns from the dataset before judging
// objects: per prediction set its localisation, size and heading noise, class confusions, miss
// and precision models, and the joint miss model of all sets (the label models are in
// ranking_label_model.cpp). See ranking_needle.h.
//
// Index
//   [SECTION] Helpers and features
//   [SECTION] Detection state (frame context)
//   [SECTION] Prediction-set models
//   [SECTION] Joint miss model and entry point
#include <algorithm>
#include <cmath>
#include <numeric>
#include <memory>

#include "ranking_needle.h"
#include "needle/angles.h"

namespace needle::detail {

namespace {

std::size_t class_slot(ObjectClass c) {  // 9 one-hot slots: every class but DontCare
  const std::size_t k = class_index(c);
  return k < class_index(ObjectClass::DontCare) ? k : 8;
}

// Range bins of the sigma(range) fit, metres: 10 m wide where KITTI has most labels, wider beyond
// 60 m where it has few.
constexpr double kSigmaBinEdgesM[] = {0, 10, 20, 30, 40, 50, 60, 80, 1e9};
// Fewest residuals for a bin's robust sigma, and in all for a rescaled prior when bins are few.
constexpr std::size_t kMinPerSigmaBin = 12, kMinForSigmaScale = 8;
// Floor of sigma at range 0, metres (2 cm: below any detector's or labeller's precision).
constexpr double kMinSigmaAtZeroM = 0.02;
// A prior sigma line rescaled by the data moves by at most 5x either way.
constexpr double kMinSigmaScale = 0.2, kMaxSigmaScale = 5.0;

// Robust linear fit sigma(range) = a + b * range through per-bin robust sigmas.
void fit_sigma_line(const std::vector<double>& range, const std::vector<double>& resid, double a0,
                    double b0, double* a, double* b) {
  const auto& edges = kSigmaBinEdgesM;
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  int bins = 0;
  std::vector<double> v;
  for (std::size_t k = 0; k + 1 < std::size(edges); ++k) {
    v.clear();
    std::vector<double> rr;
    for (std::size_t i = 0; i < range.size(); ++i)
      if (range[i] >= edges[k] && range[i] < edges[k + 1]) {
        v.push_back(resid[i]);
        rr.push_back(range[i]);
      }
    if (v.size() < kMinPerSigmaBin) continue;
    const double s = mad_sigma(v, 0.0);
    const double r = median_of(rr);
    const double w = static_cast<double>(v.size());
    sw += w;
    sx += w * r;
    sy += w * s;
    sxx += w * r * r;
    sxy += w * r * s;
    ++bins;
  }
  if (bins >= 2) {
    const double den = sw * sxx - sx * sx;
    double bb = den > 1e-9 ? (sw * sxy - sx * sy) / den : 0.0;
    double aa = (sy - bb * sx) / sw;
    if (bb < 0) {
      bb = 0;
      aa = sy / sw;
    }
    if (aa < kMinSigmaAtZeroM) {  // keep the line through the weighted centre with a floor on a
      aa = kMinSigmaAtZeroM;
      bb = std::max(0.0, (sy / sw - aa) / std::max(sx / sw, 1.0));
    }
    *a = aa;
    *b = bb;
    return;
  }
  if (range.size() >=
      kMinForSigmaScale) {  // too few per bin: keep the prior's shape, fit its scale
    v.clear();
    for (std::size_t i = 0; i < range.size(); ++i) v.push_back(resid[i] / (a0 + b0 * range[i]));
    const double k = std::clamp(mad_sigma(v, 0.0), kMinSigmaScale, kMaxSigmaScale);
    *a = k * a0;
    *b = k * b0;
    return;
  }
  *a = a0;
  *b = b0;
}

}  // namespace

// ============================================================================================
// [SECTION] Helpers and features
// ============================================================================================
double median_of(std::vector<double>& v) {
  if (v.empty()) return 0;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) {
    const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
    m = (m + lo) / 2;
  }
  return m;
}

double mad_sigma(std::vector<double>& v, double centre) {
  std::vector<double> d(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) d[i] = std::abs(v[i] - centre);
  return 1.4826 * median_of(d);
}

std::size_t size_group(ObjectClass c) {
  return (c == ObjectClass::Pedestrian || c == ObjectClass::PersonSitting ||
          c == ObjectClass::Cyclist)
             ? 1
             : 0;
}

void miss_features(const Object& o, double ctx, double* x) {
  std::fill(x, x + kMissFeatures, 0.0);
  x[0] = 1;
  x[1 + class_slot(o.cls)] = 1;
  // Range as a piecewise-linear function (hinges at 20 and 40 m): no runaway extrapolation.
  const double r = range_of(o);
  x[10] = r / 20.0;
  x[11] = std::max(0.0, r - 20.0) / 20.0;
  x[12] = std::max(0.0, r - 40.0) / 20.0;
  x[13] = o.occluded == 1 ? 1 : 0;
  x[14] = o.occluded >= 2 ? 1 : 0;
  x[15] = std::clamp(o.truncated, 0.0, 1.0);
  x[16] = std::clamp(ctx, 0.0, 1.0);
  const double h = o.box2d.height();
  x[17] = h > 0 ? std::clamp(std::log(h / 40.0), -3.0, 3.0) : 0.0;
}

std::size_t miss_cell(const Object& o) {
  const std::size_t rb =
      std::min<std::size_t>(7, static_cast<std::size_t>(std::max(0.0, range_of(o)) / 10.0));
  const std::size_t oc = static_cast<std::size_t>(std::clamp(o.occluded, 0, 2));
  const std::size_t tr = o.truncated > 0.1 ? 1 : 0;
  return ((class_slot(o.cls) * 8 + rb) * 3 + oc) * 2 + tr;
}

double CellModel::predict(const Object& o, const double* x) const {
  double z = base.logit(x);
  if (!offset.empty()) z += offset[miss_cell(o)];
  return sigmoid(z);
}

CellModel fit_cell_model(const std::vector<double>& x, std::size_t nf,
                         const std::vector<std::uint8_t>& y,
                         const std::vector<std::uint16_t>& cells, const std::vector<double>& ridge,
                         const std::vector<double>& prior, int max_iter) {
  CellModel m;
  m.base = fit_logistic(x, nf, y, ridge, prior, max_iter);
  if (cells.size() != y.size()) return m;
  std::vector<double> n(kMissCells, 0), k(kMissCells, 0), e(kMissCells, 0);
  for (std::size_t r = 0; r < y.size(); ++r) {
    const std::size_t c = cells[r];
    n[c] += 1;
    k[c] += y[r] ? 1 : 0;
    e[c] += m.base.predict(&x[r * nf]);
  }
  constexpr double kAlpha = 20;
  m.offset.assign(kMissCells, 0.0);
  for (std::size_t c = 0; c < kMissCells; ++c) {
    if (n[c] == 0) continue;
    const double mean = e[c] / n[c];
    m.offset[c] =
        logit_clamped((k[c] + kAlpha * mean) / (n[c] + kAlpha), 1e-5) - logit_clamped(mean, 1e-5);
  }
  return m;
}

void real_features(const Object& p, double conf, double* x) {
  std::fill(x, x + kRealFeatures, 0.0);
  x[0] = 1;
  x[1] = logit_clamped(conf, 1e-4);
  const double r = range_of(p);
  x[2] = r / 20.0;
  x[3] = std::max(0.0, r - 40.0) / 20.0;  // labelling often stops at some range: allow a knee
  x[4] = std::max(0.0, r - 60.0) / 20.0;
  x[5 + class_slot(p.cls)] = 1;
}

// ============================================================================================
// [SECTION] Detection state (frame context)
// ============================================================================================
double DetectState::ctx_without(std::size_t label, double fallback) const {
  if (label >= eligible.size() || !eligible[label]) return ctx_all(fallback);
  if (n_eligible <= 1) return fallback;
  const std::size_t missed = n_missed - (detected[label] ? 0 : 1);
  return static_cast<double>(missed) / static_cast<double>(n_eligible - 1);
}

double DetectState::ctx_all(double fallback) const {
  return n_eligible == 0 ? fallback
                         : static_cast<double>(n_missed) / static_cast<double>(n_eligible);
}

DetectState detect_state(const std::vector<Object>& labels, const SetFrame& sf,
                         const SetModel& sm) {
  DetectState st;
  detect_state(labels, sf, sm, st);
  return st;
}

void detect_state(const std::vector<Object>& labels, const SetFrame& sf, const SetModel& sm,
                  DetectState& st) {
  st.eligible.assign(labels.size(), 0);
  st.detected.assign(labels.size(), 0);
  st.n_eligible = st.n_missed = 0;
  if (!sf.usable) return;
  const FrameMatch& m = sf.match;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Object& L = labels[i];
    if (L.is_dontcare() || !sm.sees[class_index(L.cls)]) continue;
    st.eligible[i] = 1;
    ++st.n_eligible;
    const bool det = m.label_pair[i] >= 0 || m.label_overlap[i] >= 0;
    st.detected[i] = det ? 1 : 0;
    if (!det) ++st.n_missed;
  }
}

// ============================================================================================
// [SECTION] Prediction-set models
// ============================================================================================
namespace {

// ---- Tuned numbers of the prediction-set models ------------------------------------------------
// None is fitted to one detector: each is a generic prior or a sample size the robust statistics
// need, pulled away by the data when the data are many. Values are those of the first slice
// (commit 28b2671), with which bench/methods.sh measured the recall in bench/RESULTS.md.

// A class "is seen" by a set that predicts it (or a neighbour class) at least this often.
constexpr std::size_t kMinPredsToSee = 3;
// Robust statistics need a few thousand samples, not all: each group/class keeps every k-th pair
// so that at most this many remain.
constexpr std::size_t kMaxSamples = 6000;
// Fewest samples for a median (bias) or a MAD (sigma); below it the prior stays.
constexpr std::size_t kMinRobustSamples = 8;
// Fewest same-class pairs for a class's own size noise; below it the group's pooled one is used.
constexpr std::size_t kMinSizeSamples = 15;
// Persons' boxes are smaller, so are their centre errors: the prior sigma(r) = a + b r of the
// person group (metres; vehicles keep LocNoise's defaults).
constexpr double kPersonLocA_r = 0.10, kPersonLocB_r = 0.010;
constexpr double kPersonLocA_t = 0.08, kPersonLocB_t = 0.005;
// A pair is a gross error beyond 4 sigma: squared radius in the (radial, tangential) plane, and
// summed squared z of the three log-size dimensions beyond 5 sigma.
constexpr double kLocOutlierChi2 = 16.0;
constexpr double kSizeOutlierChi2 = 25.0;
// |delta heading| above 3/4 pi is a 180-degree flip, below 1/4 pi aligned, in between a 90-degree
// turn (the midpoints between the three cases).
constexpr double kFlipAbove = 0.75 * kPi, kAlignedBelow = 0.25 * kPi;
// Heading sigma (rad) and log-size sigma bounds: a set can be neither perfect nor useless.
constexpr double kHeadingSigmaMin = 0.02, kHeadingSigmaMax = 0.6;
constexpr double kSizeSigmaMin = 0.015, kSizeSigmaMax = 0.5;
// A heading beyond this many sigma of the folded residuals is a gross error.
constexpr double kHeadingOutlierSigmas = 4.0;
// Class-confusion prior P(says p | label L): own class 0.65 and neighbour class 0.25 (Van/Car,
// Person_sitting/Pedestrian are confused often), the other classes share 0.1; own 0.9 for a
// class without a neighbour. Worth 10 pairs of data.
constexpr double kSaysOwnPrior = 0.65, kSaysOwnPriorAlone = 0.9, kSaysNeighbourPrior = 0.25;
constexpr double kSaysOtherShare = 0.1, kSaysPriorStrength = 10.0;
// Smoothed rates (see smoothed_rate): prior rate, its strength in pseudo-counts, bounds.
struct RatePrior {
  double prior, strength, lo, hi;
};
double smoothed(std::size_t hits, std::size_t n, const RatePrior& r) {
  return smoothed_rate(hits, n, r.prior, r.strength, r.lo, r.hi);
}
// Gross-error rate of centre, heading and size residuals: 5% a priori, kept within 1%..30%.
constexpr RatePrior kGrossErrorRate{0.05, 10, 0.01, 0.3};
// 180-degree flips and 90-degree turns of a detector's heading.
constexpr RatePrior kFlipRate{0.05, 20, 0.001, 0.5}, kTurnRate{0.02, 20, 0.001, 0.5};
// Share of eligible labels a set misses; share of its real predictions that are paired.
constexpr RatePrior kMeanMissRate{0.3, 10, 0.001, 0.999}, kBaseRealRate{0.7, 10, 0.01, 0.99};
// Rows of the logistic fits: 8000 rows pin down 18 coefficients well; more only cost time.
constexpr std::size_t kMaxLogisticRows = 8000;
// Frame context (share of other labels missed) of a label alone in its frame.
constexpr double kLoneLabelCtx = 0.3;

// Pair statistics of one set, sampled (see kMaxSamples).
struct PairSamples {
  std::array<std::vector<double>, kGroups> loc_range, loc_dr, loc_dt, head;
  std::array<std::array<std::vector<double>, 3>, kNumClasses> size_lr;  // log(label / pred)
  std::array<std::array<std::size_t, kNumClasses>, kNumClasses> says_n{};
  std::size_t n_preds = 0;
};

// Which classes the set predicts at all (itself or through a neighbour class), from its
// predictions' classes counted over the whole dataset.
void mark_seen_classes(const std::array<std::size_t, kNumClasses>& pred_count, SetModel& sm) {
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    std::size_t n = pred_count[c];
    for (std::size_t k = 0; k < kNumClasses; ++k)
      if (neighbour_classes(static_cast<ObjectClass>(c), static_cast<ObjectClass>(k)))
        n += pred_count[k];
    sm.sees[c] = n >= kMinPredsToSee;
  }
}

// Comparable pairs per group (centre, heading) and per class (size): what the sampling strides
// divide.
struct PairCounts {
  std::array<std::size_t, kGroups> loc{}, head{};
  std::array<std::size_t, kNumClasses> size{};
};

bool comparable_3d(const MatchPair& pr, const Object& L, const Object& P) {
  return pr.kind != PairKind::ClassMismatch && L.has_3d() && P.has_3d();
}

std::size_t stride_of(std::size_t n) {
  return n / kMaxSamples + 1;
}

// Centre offset label - prediction in the label's radial and tangential directions.
void push_loc_sample(const Object& L, const Object& P, std::size_t g, PairSamples& ps) {
  const double r = std::max(std::sqrt(L.loc_cam.x * L.loc_cam.x + L.loc_cam.z * L.loc_cam.z), 1e-3);
  const double ux = L.loc_cam.x / r, uz = L.loc_cam.z / r;
  const double dx = L.loc_cam.x - P.loc_cam.x, dz = L.loc_cam.z - P.loc_cam.z;
  ps.loc_range[g].push_back(r);
  ps.loc_dr[g].push_back(dx * ux + dz * uz);
  ps.loc_dt[g].push_back(-dx * uz + dz * ux);
}

// What one prediction set's model is fitted from. Pass 1 counts (how many pairs, labels and
// predictions there are: the strides that thin them out); pass 2 samples every stride-th item in
// frame order, exactly the items a single pass over a dataset in memory would keep.
struct SetFit {
  // Pass 1
  std::array<std::size_t, kNumClasses> pred_count{};  // predictions per class, every frame
  PairCounts n;                                       // comparable pairs of usable frames
  std::size_t miss_rows = 0, pred_rows = 0;           // labels / predictions of usable frames
  // Pass 2: pair samples
  PairSamples ps;
  std::array<std::size_t, kGroups> k_loc{}, k_head{};
  std::array<std::size_t, kNumClasses> k_size{};
  // Pass 2: rows of the miss model (eligible labels) and of the precision model
  std::vector<double> xm;
  std::vector<std::uint8_t> ym;
  std::vector<std::uint16_t> cm;
  std::size_t row = 0, miss_total = 0, elig_total = 0;
  std::vector<double> xr;
  std::vector<std::uint8_t> yr;
  std::size_t prow = 0, real_n = 0, real_pos = 0;
  DetectState st;  // scratch
  std::size_t miss_stride() const { return std::max<std::size_t>(1, miss_rows / kMaxLogisticRows); }
  std::size_t pred_stride() const { return std::max<std::size_t>(1, pred_rows / kMaxLogisticRows); }
};

// Pass 1 of set s over the frames of md.
void count_set(const MatchedDataset& md, std::size_t s, SetFit& fit) {
  const auto& frames = *md.frames;
  for (std::size_t f = 0; f < frames.size(); ++f) {
    if (s < frames[f].preds.size())
      for (const Object& p : frames[f].preds[s].objects) ++fit.pred_count[class_index(p.cls)];
    const SetFrame& sf = md.sf[f][s];
    if (!sf.usable) continue;
    const auto& labels = frames[f].labels;
    const auto& preds = md.preds(f, s);
    fit.miss_rows += labels.size();
    fit.pred_rows += preds.size();
    for (const MatchPair& pr : sf.match.pairs) {
      const Object& L = labels[static_cast<std::size_t>(pr.label)];
      const Object& P = preds[static_cast<std::size_t>(pr.pred)];
      if (!comparable_3d(pr, L, P)) continue;
      ++fit.n.loc[size_group(L.cls)];
      if (pr.geo.iou_bev > 0) {
        ++fit.n.head[size_group(L.cls)];
        if (L.cls == P.cls) ++fit.n.size[class_index(L.cls)];
      }
    }
  }
}

// The pairs of one usable frame: class confusions counted, every stride-th comparable pair
// sampled.
void sample_pairs(const std::vector<Object>& labels, const std::vector<Object>& preds,
                  const SetFrame& sf, SetFit& fit) {
  PairSamples& ps = fit.ps;
  const PairCounts& n = fit.n;
  ps.n_preds += preds.size();
  for (const MatchPair& pr : sf.match.pairs) {
    const Object& L = labels[static_cast<std::size_t>(pr.label)];
    const Object& P = preds[static_cast<std::size_t>(pr.pred)];
    ++ps.says_n[class_index(L.cls)][class_index(P.cls)];
    if (!comparable_3d(pr, L, P)) continue;
    const std::size_t g = size_group(L.cls);
    if (fit.k_loc[g]++ % stride_of(n.loc[g]) == 0) push_loc_sample(L, P, g, ps);
    if (!(pr.geo.iou_bev > 0)) continue;  // no overlap: heading and size not comparable
    if (fit.k_head[g]++ % stride_of(n.head[g]) == 0)
      ps.head[g].push_back(wrap_angle(L.rotation_y - P.rotation_y));
    const std::size_t c = class_index(L.cls);
    if (L.cls == P.cls && fit.k_size[c]++ % stride_of(n.size[c]) == 0) {
      auto& v = ps.size_lr[c];
      v[0].push_back(std::log(L.l / P.l));
      v[1].push_back(std::log(L.w / P.w));
      v[2].push_back(std::log(L.h / P.h));
    }
  }
}

// Centre noise of size group g: bias (median), sigma(range) lines, gross-error rate.
void fit_loc_noise(const PairSamples& ps, std::size_t g, LocNoise& ln) {
  if (g == 1) {  // persons: smaller boxes, smaller errors
    ln.a_r = kPersonLocA_r;
    ln.b_r = kPersonLocB_r;
    ln.a_t = kPersonLocA_t;
    ln.b_t = kPersonLocB_t;
  }
  const auto& range = ps.loc_range[g];
  ln.n = range.size();
  if (ln.n >= kMinRobustSamples) {
    std::vector<double> tmp = ps.loc_dr[g];
    ln.bias_r = median_of(tmp);
    tmp = ps.loc_dt[g];
    ln.bias_t = median_of(tmp);
  }
  std::vector<double> cr(ps.loc_dr[g]), ct(ps.loc_dt[g]);
  for (double& v : cr) v -= ln.bias_r;
  for (double& v : ct) v -= ln.bias_t;
  fit_sigma_line(range, cr, ln.a_r, ln.b_r, &ln.a_r, &ln.b_r);
  fit_sigma_line(range, ct, ln.a_t, ln.b_t, &ln.a_t, &ln.b_t);
  std::size_t out = 0;
  for (std::size_t i = 0; i < ln.n; ++i) {
    const double zr = cr[i] / ln.sigma_r(range[i]), zt = ct[i] / ln.sigma_t(range[i]);
    if (zr * zr + zt * zt > kLocOutlierChi2) ++out;
  }
  ln.eps = smoothed(out, ln.n, kGrossErrorRate);
}

// Heading noise: residuals folded by 180 degrees give sigma; flips and 90-degree turns are rates.
void fit_heading_noise(const std::vector<double>& head, HeadingNoise& hn) {
  hn.n = head.size();
  std::size_t n180 = 0, n90 = 0;
  std::vector<double> folded;
  for (double d : head) {
    const double a = std::abs(d);
    if (a > kFlipAbove) {
      ++n180;
      folded.push_back(wrap_angle(d - kPi));
    } else if (a < kAlignedBelow) {
      folded.push_back(d);
    } else {
      ++n90;
    }
  }
  if (folded.size() >= kMinRobustSamples)
    hn.sigma = std::clamp(mad_sigma(folded, 0.0), kHeadingSigmaMin, kHeadingSigmaMax);
  std::size_t hout = 0;
  for (double d : folded)
    if (std::abs(d) > kHeadingOutlierSigmas * hn.sigma) ++hout;
  hn.f180 = smoothed(n180, hn.n, kFlipRate);
  hn.f90 = smoothed(n90, hn.n, kTurnRate);
  hn.eps = smoothed(hout, folded.size(), kGrossErrorRate);
}

// Size noise per group, all classes of the group pooled (the fallback of classes with few pairs).
std::array<SizeNoise, kGroups> pooled_size_noise(const PairSamples& ps) {
  std::array<SizeNoise, kGroups> pooled;
  for (std::size_t g = 0; g < kGroups; ++g) {
    std::array<std::vector<double>, 3> v;
    for (std::size_t c = 0; c < kNumClasses; ++c)
      if (size_group(static_cast<ObjectClass>(c)) == g)
        for (std::size_t d = 0; d < 3; ++d)
          v[d].insert(v[d].end(), ps.size_lr[c][d].begin(), ps.size_lr[c][d].end());
    pooled[g].n = v[0].size();
    if (pooled[g].n >= kMinSizeSamples)
      for (std::size_t d = 0; d < 3; ++d)
        pooled[g].sigma[d] =
            std::clamp(mad_sigma(v[d], median_of(v[d])), kSizeSigmaMin, kSizeSigmaMax);
  }
  return pooled;
}

// Size noise per class, pooled per group when a class has few pairs.
void fit_size_noise(const PairSamples& ps, SetModel& sm) {
  const std::array<SizeNoise, kGroups> pooled = pooled_size_noise(ps);
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    SizeNoise& sn = sm.size[c];
    const auto& v = ps.size_lr[c];
    sn = pooled[size_group(static_cast<ObjectClass>(c))];
    sn.n = v[0].size();
    if (sn.n >= kMinSizeSamples) {
      for (std::size_t d = 0; d < 3; ++d) {
        std::vector<double> tmp = v[d];
        sn.bias[d] = median_of(tmp);
        tmp = v[d];
        sn.sigma[d] = std::clamp(mad_sigma(tmp, sn.bias[d]), kSizeSigmaMin, kSizeSigmaMax);
      }
    }
    std::size_t out = 0;
    for (std::size_t i = 0; i < sn.n; ++i) {
      double z2 = 0;
      for (std::size_t d = 0; d < 3; ++d) {
        const double z = (v[d][i] - sn.bias[d]) / sn.sigma[d];
        z2 += z * z;
      }
      if (z2 > kSizeOutlierChi2) ++out;
    }
    sn.eps = smoothed(out, sn.n, kGrossErrorRate);
  }
}

// Class confusions P(says p | label L), smoothed towards the neighbour-aware prior.
void fit_class_confusions(const PairSamples& ps, SetModel& sm) {
  const auto& says_n = ps.says_n;
  for (std::size_t L = 0; L < kNumClasses; ++L) {
    std::size_t tot = 0, n_nb = 0;
    for (std::size_t p = 0; p < kNumClasses; ++p) {
      tot += says_n[L][p];
      if (neighbour_classes(static_cast<ObjectClass>(L), static_cast<ObjectClass>(p))) ++n_nb;
    }
    const double own_prior = n_nb ? kSaysOwnPrior : kSaysOwnPriorAlone;
    const double other_prior = kSaysOtherShare / static_cast<double>(kNumClasses - 1 - n_nb);
    for (std::size_t p = 0; p < kNumClasses; ++p) {
      const ObjectClass lc = static_cast<ObjectClass>(L), pc = static_cast<ObjectClass>(p);
      const double prior = p == L                      ? own_prior
                           : neighbour_classes(lc, pc) ? kSaysNeighbourPrior
                                                       : other_prior;
      sm.says[L][p] = (static_cast<double>(says_n[L][p]) + kSaysPriorStrength * prior) /
                      (static_cast<double>(tot) + kSaysPriorStrength);
    }
  }
}

// Rows of the miss model (eligible labels of a usable frame; the frame context is the share of
// other labels missed) and of the precision model (paired or unmatched predictions).
void add_model_rows(const std::vector<Object>& labels, const std::vector<Object>& preds,
                    const SetFrame& sf, const SetModel& sm, SetFit& fit) {
  DetectState& st = fit.st;
  detect_state(labels, sf, sm, st);
  fit.elig_total += st.n_eligible;
  fit.miss_total += st.n_missed;
  const std::size_t stride = fit.miss_stride();
  double x[kMissFeatures];
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!st.eligible[i]) continue;
    if (fit.row++ % stride != 0) continue;
    miss_features(labels[i], st.ctx_without(i, kLoneLabelCtx), x);
    fit.xm.insert(fit.xm.end(), x, x + kMissFeatures);
    fit.ym.push_back(st.detected[i] ? 0 : 1);
    fit.cm.push_back(static_cast<std::uint16_t>(miss_cell(labels[i])));
  }
  const std::size_t pstride = fit.pred_stride();
  double xp[kRealFeatures];
  for (std::size_t j = 0; j < preds.size(); ++j) {
    const PredFate fate = sf.match.pred_fate[j];
    if (fate != PredFate::Paired && fate != PredFate::Unmatched) continue;
    ++fit.real_n;
    if (fate == PredFate::Paired) ++fit.real_pos;
    if (fit.prow++ % pstride != 0) continue;
    real_features(preds[j], sf.conf[j], xp);
    fit.xr.insert(fit.xr.end(), xp, xp + kRealFeatures);
    fit.yr.push_back(fate == PredFate::Paired ? 1 : 0);
  }
}

// Pass 2 of set s over the frames of md (confidences applied; sm.sees known).
void sample_set(const MatchedDataset& md, std::size_t s, const SetModel& sm, SetFit& fit) {
  const auto& frames = *md.frames;
  for (std::size_t f = 0; f < frames.size(); ++f) {
    const SetFrame& sf = md.sf[f][s];
    if (!sf.usable) continue;
    sample_pairs(frames[f].labels, md.preds(f, s), sf, fit);
    add_model_rows(frames[f].labels, md.preds(f, s), sf, sm, fit);
  }
}

// Miss model (logistic refined per cell) over the sampled eligible labels.
void fit_miss_model(const SetFit& fit, SetModel& sm) {
  sm.mean_miss = smoothed(fit.miss_total, fit.elig_total, kMeanMissRate);
  std::vector<double> ridge(kMissFeatures, 1.0), prior(kMissFeatures, 0.0);
  ridge[0] = 0.1;
  prior[0] = -2.5;  // near, visible objects: ~8% missed
  prior[10] = 1.2;  // misses grow with range
  prior[13] = 0.5;  // partly occluded
  prior[14] = 1.2;  // largely occluded
  prior[15] = 1.5;  // truncated
  prior[16] = 2.0;  // the detector struggles in this frame
  sm.miss = fit_cell_model(fit.xm, kMissFeatures, fit.ym, fit.cm, ridge, prior, 12);
}

// Precision model P(prediction is a labelled object) over the sampled paired/unmatched
// predictions.
void fit_precision_model(const SetFit& fit, SetModel& sm) {
  sm.base_real = smoothed(fit.real_pos, fit.real_n, kBaseRealRate);
  std::vector<double> ridge(kRealFeatures, 1.0), prior(kRealFeatures, 0.0);
  ridge[0] = 0.1;
  ridge[1] = 0.5;
  ridge[2] = ridge[3] = ridge[4] = 0.5;
  prior[1] = 1.0;  // without data: P = calibrated confidence
  sm.real = fit_logistic(fit.xr, kRealFeatures, fit.yr, ridge, prior, 12);
}

// Everything one prediction set's model holds but the seen classes (pass 1), phase by phase.
void fit_set(const SetFit& fit, SetModel& sm) {
  const PairSamples& ps = fit.ps;
  sm.n_preds += ps.n_preds;
  for (std::size_t g = 0; g < kGroups; ++g) {
    fit_loc_noise(ps, g, sm.loc[g]);
    fit_heading_noise(ps.head[g], sm.heading[g]);
  }
  fit_size_noise(ps, sm);
  fit_class_confusions(ps, sm);
  fit_miss_model(fit, sm);
  fit_precision_model(fit, sm);
}

}  // namespace

// ============================================================================================
// [SECTION] Joint miss model and entry point
// ============================================================================================
void joint_features(const Object& label, double mean_ctx, std::size_t n_sets, double* x) {
  miss_features(label, mean_ctx, x);
  x[kMissFeatures] = static_cast<double>(n_sets) - 2.0;
}

namespace {

// Rows of the joint miss model: labels that two or more sets could have detected, every
// stride-th. A row's frame context is the mean over those sets of the share of other labels each
// missed, which falls back to the set's mean miss rate (known only after pass 2) when the label
// is its only eligible one: the row keeps each set's share (NaN for the fallback) and the mean is
// taken in finish(), in the same order, to the same bits.
struct JointFit {
  std::size_t n_labels = 0;  // pass 1: labels of every frame (the stride divides them)
  std::size_t rows = 0;
  std::vector<double> xs;
  std::vector<std::uint8_t> ys;
  std::vector<std::uint16_t> cs;
  std::vector<std::size_t> ctx_end;  // per row: end of its entries in ctx_set / ctx_share
  std::vector<std::uint32_t> ctx_set;
  std::vector<double> ctx_share;
  std::vector<DetectState> st;  // scratch, per set
  std::size_t stride() const { return std::max<std::size_t>(1, n_labels / kMaxLogisticRows); }
};

void add_joint_rows(const MatchedDataset& md, const Models& m, JointFit& jf) {
  const auto& frames = *md.frames;
  const std::size_t stride = jf.stride();
  jf.st.resize(md.n_sets());
  double x[kJointFeatures];
  for (std::size_t f = 0; f < frames.size(); ++f) {
    if (!frames[f].has_labels) continue;
    for (std::size_t s = 0; s < md.n_sets(); ++s)
      detect_state(frames[f].labels, md.sf[f][s], m.sets[s], jf.st[s]);
    for (std::size_t i = 0; i < frames[f].labels.size(); ++i) {
      std::size_t n = 0;
      bool det = false;
      for (std::size_t s = 0; s < md.n_sets(); ++s) {
        if (!md.sf[f][s].usable || !jf.st[s].eligible[i]) continue;
        ++n;
        det = det || jf.st[s].detected[i];
      }
      if (n < 2) continue;
      if (jf.rows++ % stride != 0) continue;  // plenty of data: thin out
      for (std::size_t s = 0; s < md.n_sets(); ++s) {
        if (!md.sf[f][s].usable || !jf.st[s].eligible[i]) continue;
        jf.ctx_set.push_back(static_cast<std::uint32_t>(s));
        jf.ctx_share.push_back(jf.st[s].ctx_without(i, std::nan("")));
      }
      jf.ctx_end.push_back(jf.ctx_set.size());
      joint_features(frames[f].labels[i], 0.0, n, x);  // context filled in by fit_joint
      jf.xs.insert(jf.xs.end(), x, x + kJointFeatures);
      jf.ys.push_back(det ? 0 : 1);
      jf.cs.push_back(static_cast<std::uint16_t>(miss_cell(frames[f].labels[i])));
    }
  }
}

void fit_joint(JointFit& jf, Models& m) {
  constexpr std::size_t kMinJointRows = 50;  // fewer: the sets' own models stand alone
  if (jf.ys.size() < kMinJointRows) return;
  constexpr std::size_t kCtxFeature = 16;  // miss_features' frame context
  std::size_t begin = 0;
  for (std::size_t r = 0; r < jf.ys.size(); ++r) {
    double ctx = 0;
    for (std::size_t k = begin; k < jf.ctx_end[r]; ++k)
      ctx += std::isnan(jf.ctx_share[k]) ? m.sets[jf.ctx_set[k]].mean_miss : jf.ctx_share[k];
    const double n = static_cast<double>(jf.ctx_end[r] - begin);
    jf.xs[r * kJointFeatures + kCtxFeature] = std::clamp(ctx / n, 0.0, 1.0);
    begin = jf.ctx_end[r];
  }
  std::vector<double> ridge(kJointFeatures, 1.0), prior(kJointFeatures, 0.0);
  ridge[0] = 0.1;
  prior[0] = -4.0;  // near, visible objects: both sets miss well under 2%
  prior[10] = 1.5;
  prior[13] = 0.7;
  prior[14] = 1.5;
  prior[15] = 1.5;
  prior[16] = 2.0;
  prior[kMissFeatures] = -1.0;  // each further set: fewer joint misses
  m.joint_miss = fit_cell_model(jf.xs, kJointFeatures, jf.ys, jf.cs, ridge, prior, 15);
  m.joint_ok = true;
}

// Joint 180-degree flips of pairs of sets on the same label (labels that both sets pair with
// overlap), against the count expected if the sets flipped independently. Label flips themselves
// count as joint flips too, so the estimate errs towards dependence (the cautious side). The
// expected count sums the product of the two sets' flip rates (known after pass 2) once per
// pair of sets and label: pass 2 keeps which pairs of sets, in order (run-length coded).
struct FlipFit {
  std::array<double, kGroups> n{}, joint{};
  struct Run {
    std::uint32_t a = 0, b = 0;
    std::size_t count = 0;
  };
  std::array<std::vector<Run>, kGroups> runs;
  std::vector<int> flipped;  // scratch, per set: -1 not paired, 0 aligned, 1 flipped
};

void add_flips(const MatchedDataset& md, FlipFit& ff) {
  const auto& frames = *md.frames;
  ff.flipped.resize(md.n_sets());
  for (std::size_t f = 0; f < frames.size(); ++f) {
    if (!frames[f].has_labels) continue;
    const auto& labels = frames[f].labels;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const Object& L = labels[i];
      if (L.is_dontcare() || !L.has_3d()) continue;
      for (std::size_t s = 0; s < md.n_sets(); ++s) {
        ff.flipped[s] = -1;
        const SetFrame& sf = md.sf[f][s];
        if (!sf.usable) continue;
        const MatchPair* pr = sf.match.pair_of_label(i);
        if (!pr || pr->kind == PairKind::ClassMismatch || pr->geo.iou_bev <= 0) continue;
        const Object& P = md.preds(f, s)[static_cast<std::size_t>(pr->pred)];
        if (!P.has_3d()) continue;
        ff.flipped[s] = std::abs(wrap_angle(L.rotation_y - P.rotation_y)) > kFlipAbove ? 1 : 0;
      }
      const std::size_t g = size_group(L.cls);
      for (std::size_t a = 0; a < md.n_sets(); ++a)
        for (std::size_t b = a + 1; b < md.n_sets(); ++b) {
          if (ff.flipped[a] < 0 || ff.flipped[b] < 0) continue;
          ff.n[g] += 1;
          ff.joint[g] += ff.flipped[a] == 1 && ff.flipped[b] == 1 ? 1 : 0;
          auto& runs = ff.runs[g];
          if (runs.empty() || runs.back().a != a || runs.back().b != b)
            runs.push_back({static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(b), 0});
          ++runs.back().count;
        }
    }
  }
}

void fit_flip_dependence(const FlipFit& ff, Models& m) {
  for (std::size_t g = 0; g < kGroups; ++g) {
    // Expected joint flips from the sets' own rates (heading models of the two sets).
    double expected = 0;
    for (const FlipFit::Run& r : ff.runs[g])
      for (std::size_t k = 0; k < r.count; ++k)
        expected += m.sets[r.a].heading[g].f180 * m.sets[r.b].heading[g].f180;
    m.flip_dependence[g] =
        ff.n[g] > 0 ? std::max(1.0, (ff.joint[g] + 1) / (expected + 1)) : 1.0;
  }
}
}  // namespace

// ============================================================================================
// [SECTION] Fitting chunk by chunk
// ============================================================================================
struct NeedleModelFit::Impl {
  std::vector<SetFit> sets;
  LabelModelFit labels;
  JointFit joint;
  FlipFit flips;
  unsigned threads = 0;
};

NeedleModelFit::NeedleModelFit(std::size_t n_sets, unsigned threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->sets.resize(n_sets);
  impl_->threads = threads;
}
NeedleModelFit::~NeedleModelFit() = default;

LabelModelFit& NeedleModelFit::labels() {
  return impl_->labels;
}

void NeedleModelFit::add_pass1(const MatchedDataset& md) {
  Impl& d = *impl_;
  const std::size_t ns = d.sets.size();
  for (const FrameAnnotations& a : *md.frames) d.joint.n_labels += a.labels.size();
  // Sets are independent (and the labels of them): one task each.
  parallel_for(
      ns + 1, d.threads,
      [&](std::size_t b, std::size_t e) {
        for (std::size_t k = b; k < e; ++k) {
          if (k < ns)
            count_set(md, k, d.sets[k]);
          else
            d.labels.add_pass1(*md.frames);
        }
      },
      1);
}

void NeedleModelFit::finish_pass1(Models& m) {
  Impl& d = *impl_;
  m.sets.resize(d.sets.size());
  for (std::size_t s = 0; s < d.sets.size(); ++s) mark_seen_classes(d.sets[s].pred_count, m.sets[s]);
  d.labels.finish_pass1(m.labels);
}

void NeedleModelFit::add_pass2(const MatchedDataset& md, const Models& m) {
  Impl& d = *impl_;
  const std::size_t ns = d.sets.size();
  const bool joint = ns >= 2;
  parallel_for(
      ns + 3, d.threads,
      [&](std::size_t b, std::size_t e) {
        for (std::size_t k = b; k < e; ++k) {
          if (k < ns)
            sample_set(md, k, m.sets[k], d.sets[k]);
          else if (k == ns)
            d.labels.add_pass2(*md.frames, m.labels);
          else if (k == ns + 1 && joint)
            add_joint_rows(md, m, d.joint);
          else if (k == ns + 2 && joint)
            add_flips(md, d.flips);
        }
      },
      1);
}

void NeedleModelFit::finish(Models& m) {
  Impl& d = *impl_;
  const std::size_t ns = d.sets.size();
  // Sets are independent; fitting them on separate threads halves the wall time with two sets.
  parallel_for(
      ns + 1, d.threads,
      [&](std::size_t b, std::size_t e) {
        for (std::size_t k = b; k < e; ++k) {
          if (k < ns)
            fit_set(d.sets[k], m.sets[k]);
          else
            d.labels.finish(m.labels);
        }
      },
      1);
  if (ns >= 2) {
    fit_joint(d.joint, m);
    fit_flip_dependence(d.flips, m);
  }
}

}  // namespace needle::detail
