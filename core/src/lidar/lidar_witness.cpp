// lidar/lidar_witness.cpp — LidarModel (needle/lidar_witness.h): what is normal for the lidar
// statistics of this dataset's labels and clusters, and the evidence terms it gives.
//
// Index
//   [SECTION] Helpers
//   [SECTION] Fitting
//   [SECTION] Label terms (empty_box, box_fit, implausible_size, off_ground)
//   [SECTION] Cluster candidates (unlabeled_cluster)
#include "needle/lidar_witness.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <map>

#include "needle/angles.h"

namespace needle {

namespace {

// ============================================================================================
// [SECTION] Helpers
// ============================================================================================
constexpr std::size_t kClasses = static_cast<std::size_t>(ObjectClass::Unknown) + 1;
constexpr std::size_t kOccl = 4;    // occlusion 0..3 (KITTI's -1 counts as 0; 3 = barely visible)
constexpr std::size_t kGroups = 2;  // 0 vehicles and others, 1 persons and riders

// Pseudo-counts that pull a cell's statistic towards its parent (class -> all classes).
constexpr double kShrink = 10.0;
// Labels nearer than this are not used to learn densities (they overflow the vertical field).
constexpr double kMinRange = 3.0;
// Probability that an empty box on the ground holds n stray points: geometric, (1-q) q^n with
// q = 0.3 (mean 0.43 points: a spurious box on empty road holds almost nothing above the ground).
constexpr double kEmptyQ = 0.3;
// A label with this many points inside is never called empty (issue 8: "no empty_box on any real
// label with five or more points inside"; something is there).
constexpr std::uint32_t kNotEmpty = 5;
// box_fit needs this many of the object's points in and around the box (a share of fewer points
// is mostly noise).
constexpr std::uint32_t kMinFitPoints = 25;
// Standardised residuals up to this z^2 are free (3 sigma) before they count as evidence.
constexpr double kFreeChi2 = 9.0;
// Caps: one lidar statistic alone cannot be surer than about 1 : 400 (the fit and ground
// checks, which depend on the clustering and the ground estimate) or 1 : 3000 (an empty box: a
// count of points, the most direct thing a scan says).
constexpr double kMaxTerm = 6.0;
constexpr double kMaxEmptyTerm = 8.0;
// The ground estimate fails for groups of labels at once (the road hidden behind a row of parked
// cars, a kerb, a ramp), so one frame's off_ground evidence is correlated: it is capped lower
// (about 1 : 20), enough to rank a floating box, not enough for a frame of small deviations to
// outrank a clear error elsewhere.
constexpr double kMaxGroundTerm = 3.0;
constexpr double kMinTerm = -4.0;
// Naive-Bayes features of clusters are correlated (size, height and density move together):
// their summed log ratios are tempered by this factor.
constexpr double kClusterTemper = 0.8;
// Clusters farther than this are not offered as unlabelled objects (too few points to tell).
constexpr double kMaxClusterRange = 45.0;
constexpr std::uint32_t kMinClusterPoints = 12;
// A cluster narrower than twice this (metres) is thin: a trunk, a post.
constexpr double kThinHalf = 0.5;
// Thin clusters with this many points above them are parts of something taller (vegetation, a
// building's overhang, a post under a sign): not offered as unlabelled objects.
constexpr std::uint32_t kMaxAbove = 3;

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char b[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(b, sizeof b, f, ap);
  va_end(ap);
  return b;
}

std::size_t group_of(ObjectClass c) {
  return (c == ObjectClass::Pedestrian || c == ObjectClass::PersonSitting ||
          c == ObjectClass::Cyclist)
             ? 1
             : 0;
}
std::size_t occl_of(const Object& o) {
  return static_cast<std::size_t>(std::clamp(o.occluded, 0, 3));
}
double range_xz(const Object& o) {
  return std::sqrt(o.loc_cam.x * o.loc_cam.x + o.loc_cam.z * o.loc_cam.z);
}
double wrap_half(double a) {  // to (-pi/2, pi/2]: principal directions have no sign
  while (a > kPi / 2) a -= kPi;
  while (a <= -kPi / 2) a += kPi;
  return a;
}

RobustStat robust(std::vector<double> v, double min_sigma) {
  RobustStat r;
  r.n = v.size();
  if (v.empty()) return r;
  const std::size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(m), v.end());
  r.median = v[m];
  for (double& x : v) x = std::abs(x - r.median);
  std::nth_element(v.begin(), v.begin() + static_cast<long>(m), v.end());
  r.sigma = std::max(1.4826 * v[m], min_sigma);
  return r;
}
// Pull a cell's statistic towards its parent's with kShrink pseudo-counts.
RobustStat shrink(const RobustStat& cell, const RobustStat& parent) {
  if (cell.n == 0) return parent;
  const double n = static_cast<double>(cell.n), k = kShrink;
  RobustStat r = cell;
  r.median = (n * cell.median + k * parent.median) / (n + k);
  r.sigma = std::sqrt((n * cell.sigma * cell.sigma + k * parent.sigma * parent.sigma) / (n + k));
  return r;
}
double smoothed(std::size_t hits, std::size_t n, double prior, double strength, double lo,
                double hi) {
  const double r =
      (static_cast<double>(hits) + prior * strength) / (static_cast<double>(n) + strength);
  return std::clamp(r, lo, hi);
}
// Evidence from a standardised excess beyond the free 3 sigma, with a gross-outlier rate eps.
double one_sided(double z, double eps) {
  if (z <= 0) return 0;
  const double excess = std::max(0.0, z * z - kFreeChi2);
  return -std::log(eps + (1 - eps) * std::exp(-excess / 2));
}
double normal_pdf(double x, double mu, double s) {
  const double z = (x - mu) / s;
  return std::exp(-0.5 * z * z) / (s * std::sqrt(2 * kPi));
}

// Log point density of a label: see the header.
double area_of(const Object& o) {
  return std::max((o.l + o.w) * o.h, 0.05);
}
double density_y(std::uint32_t n, const Object& o) {
  const double r = std::max(range_xz(o), 1.0);
  const double vis = std::clamp(1 - std::max(o.truncated, 0.0), 0.1, 1.0);
  return std::log(n + 0.5) + 2 * std::log(r) - std::log(area_of(o)) - std::log(vis);
}

// A histogram density with a uniform floor (background clusters' features).
struct Hist {
  double lo = 0, hi = 1;
  std::array<double, 32> p{};
  bool ok = false;
  void fit(const std::vector<double>& v, double a, double b) {
    lo = a, hi = b;
    if (v.size() < 20) return;
    std::array<double, 32> c{};
    for (double x : v) c[bin(x)] += 1;
    const double w = (hi - lo) / 32;
    for (std::size_t i = 0; i < 32; ++i) {
      // Neighbour smoothing + one pseudo-count spread evenly.
      const double s =
          0.5 * c[i] + 0.25 * (i > 0 ? c[i - 1] : c[i]) + 0.25 * (i < 31 ? c[i + 1] : c[i]);
      p[i] = (s + 1.0 / 32) / ((static_cast<double>(v.size()) + 1) * w);
    }
    ok = true;
  }
  std::size_t bin(double x) const {
    const double t = (x - lo) / (hi - lo) * 32;
    return static_cast<std::size_t>(std::clamp(t, 0.0, 31.0));
  }
  double pdf(double x) const { return ok ? p[bin(x)] : 1.0 / (hi - lo); }
};

// A 2D histogram density of (log l, log w) with a uniform floor: length and width together are
// what tell a car (long and wide) from a wall (long and thin) or a post (short and thin).
struct Hist2 {
  static constexpr std::size_t kBins = 16;
  double lo[2] = {-2.5, -2.5}, hi[2] = {3.0, 2.5};
  std::array<double, kBins * kBins> p{};
  bool ok = false;
  std::size_t bin(std::size_t d, double x) const {
    const double t = (x - lo[d]) / (hi[d] - lo[d]) * kBins;
    return static_cast<std::size_t>(std::clamp(t, 0.0, kBins - 1.0));
  }
  void fit(const std::vector<std::array<double, 2>>& v) {
    if (v.size() < 50) return;
    std::array<double, kBins * kBins> c{};
    for (const auto& x : v) c[bin(0, x[0]) * kBins + bin(1, x[1])] += 1;
    const double area = (hi[0] - lo[0]) / kBins * (hi[1] - lo[1]) / kBins;
    for (std::size_t i = 0; i < kBins; ++i)
      for (std::size_t j = 0; j < kBins; ++j) {
        // Half the mass stays in the bin, half spreads to the 8 neighbours.
        double sum = 0.5 * c[i * kBins + j], nb = 0;
        for (int di = -1; di <= 1; ++di)
          for (int dj = -1; dj <= 1; ++dj) {
            if (di == 0 && dj == 0) continue;
            const long a = static_cast<long>(i) + di, b = static_cast<long>(j) + dj;
            if (a < 0 || b < 0 || a >= static_cast<long>(kBins) || b >= static_cast<long>(kBins))
              continue;
            nb += c[static_cast<std::size_t>(a) * kBins + static_cast<std::size_t>(b)];
          }
        sum += 0.5 * nb / 8;
        p[i * kBins + j] =
            (sum + 1.0 / (kBins * kBins)) / ((static_cast<double>(v.size()) + 1) * area);
      }
    ok = true;
  }
  double pdf(double a, double b) const {
    if (!ok) return 1.0 / ((hi[0] - lo[0]) * (hi[1] - lo[1]));
    return p[bin(0, a) * kBins + bin(1, b)];
  }
};

constexpr std::size_t kFeat = 5;  // log l, log w, log top, bottom gap, log(n r^2)
// Labelled clusters a group needs before its shapes are read from histograms (else Gaussians
// pulled towards generic priors).
constexpr std::size_t kMinHistClusters = 200;
// A cluster whose lowest point is this high above the ground is "raised" (a crown, a roof, an
// overhang, a sign), metres; objects stand on the ground (their lowest points lie in the
// 0.25 m ground band's upper edge).
constexpr double kRaisedGap = 0.6;
const std::array<std::pair<double, double>, kFeat> kFeatRange = {
    {{-2.5, 3.0}, {-2.5, 2.5}, {-2.0, 1.7}, {0.0, 3.0}, {0.0, 16.0}}};
const std::array<double, kFeat> kFeatMinSigma = {0.08, 0.08, 0.06, 0.05, 0.3};
std::array<double, kFeat> cluster_features(const LidarCluster& c) {
  const double r = std::max(range_xz(c.box), 1.0);
  return {std::log(c.box.l), std::log(c.box.w), std::log(std::max(c.top, 0.05)), c.bottom_gap,
          std::log((c.n_points + 0.5) * r * r)};
}

}  // namespace

// ============================================================================================
// [SECTION] Fitting
// ============================================================================================
struct LidarModel::Fitted {
  std::array<std::array<RobustStat, kOccl>, kClasses> dens{};  // density_y per class, occlusion
  std::array<double, kOccl> empty_rate{};                      // real labels with ~no points
  std::map<std::uint32_t, std::vector<double>> counts;  // (class, occl, 5 m bin) -> sorted n_in
  std::array<RobustStat, kGroups> out_frac{}, heading{}, ground{}, sym{};
  std::array<double, kGroups> out_eps{}, heading_eps{}, ground_eps{}, sym_eps{};
  // Clusters.
  std::array<std::array<RobustStat, kFeat>, kGroups> obj{};
  std::array<bool, kGroups> obj_ok{};
  std::array<bool, kGroups> obj_hist{};  // shapes from histograms (enough clusters)
  // (log l, log w) per gap class (standing on the ground or raised: a crown, a roof, an
  // overhang), with the class's share: length, width and standing together tell a car.
  std::array<std::array<Hist2, 2>, kGroups> obj_lw{};
  std::array<std::array<double, 2>, kGroups> obj_gap_share{};
  std::array<std::array<Hist, kFeat>, kGroups> obj_h{};
  std::array<Hist, kFeat> bg{};
  std::array<Hist2, 2> bg_lw;
  std::array<double, 2> bg_gap_share{};
  std::array<double, kGroups> log_obj_bg{};  // log(#object clusters of the group / #background)
};

namespace {
std::uint32_t count_key(ObjectClass c, std::size_t occl, double range) {
  return static_cast<std::uint32_t>(c) * 1000u + static_cast<std::uint32_t>(occl) * 100u +
         static_cast<std::uint32_t>(std::min(range / 5.0, 20.0));
}
double gross_rate(const std::vector<double>& v, const RobustStat& s) {
  std::size_t out = 0;
  for (double x : v)
    if ((x - s.median) / s.sigma > 5) ++out;
  return smoothed(out, v.size(), 0.02, 10, 0.003, 0.3);
}
}  // namespace

LidarModel::LidarModel(const std::vector<FrameAnnotations>& frames, std::vector<FrameLidar> lidar)
    : frames_(&frames), lidar_(std::move(lidar)) {
  auto fit = std::make_shared<Fitted>();
  Fitted& F = *fit;
  std::array<std::array<std::vector<double>, kOccl>, kClasses> dens;
  std::array<std::vector<double>, kGroups> out_frac, heading, ground, sym;
  std::array<std::array<std::vector<double>, kFeat>, kGroups> obj;
  std::array<std::vector<double>, kFeat> bg;
  std::size_t n_obj = 0, n_bg = 0;
  for (std::size_t f = 0; f < frames.size() && f < lidar_.size(); ++f) {
    const FrameLidar& fl = lidar_[f];
    if (!fl.ok || !frames[f].has_labels) continue;
    const auto& labels = frames[f].labels;
    for (std::size_t i = 0; i < labels.size() && i < fl.labels.size(); ++i) {
      const Object& o = labels[i];
      const LabelLidarStats& st = fl.labels[i];
      if (!st.valid) continue;
      const std::size_t ci = static_cast<std::size_t>(o.cls), g = group_of(o.cls);
      if (st.range >= kMinRange) {
        dens[ci][occl_of(o)].push_back(density_y(st.n_in, o));
        F.counts[count_key(o.cls, occl_of(o), st.range)].push_back(st.n_in);
      }
      if (st.n_out + st.n_in >= 10 && st.cluster >= 0) out_frac[g].push_back(1 - st.cluster_share);
      if (st.elongation >= 1.6 && st.n_in >= 30 && st.extent_l >= 1.5)
        heading[g].push_back(wrap_half(st.principal_ry - o.rotation_y));
      if (st.ground_seen) ground[g].push_back(st.ground_offset);
      if (st.n_in >= 10)
        sym[g].push_back(std::min(st.overflow[0], st.overflow[1]) +
                         std::min(st.overflow[2], st.overflow[3]));
    }
    // Objects: each label's main cluster when it is the object alone (most of the cluster lies
    // in the box, little outside): fragments and merged clusters would blur the shapes.
    for (std::size_t i = 0; i < labels.size() && i < fl.labels.size(); ++i) {
      const Object& o = labels[i];
      const LabelLidarStats& st = fl.labels[i];
      if (!st.valid || st.cluster < 0 || o.cls == ObjectClass::Misc ||
          o.cls == ObjectClass::Unknown)
        continue;
      const LidarCluster& c = fl.clusters[static_cast<std::size_t>(st.cluster)];
      const double near = static_cast<double>(st.n_in + st.n_out);
      if (st.cluster_share < 0.7 || near < 0.7 * c.n_points || c.n_points < kMinClusterPoints)
        continue;
      const auto x = cluster_features(c);
      const std::size_t g = group_of(o.cls);
      for (std::size_t d = 0; d < kFeat; ++d) obj[g][d].push_back(x[d]);
      ++n_obj;
    }
    for (const LidarCluster& c : fl.clusters) {
      const auto x = cluster_features(c);
      if (c.label >= 0) {
        continue;
      } else if (!c.in_dontcare && c.n_points >= kMinClusterPoints) {
        for (std::size_t d = 0; d < kFeat; ++d) bg[d].push_back(x[d]);
        ++n_bg;
      }
    }
  }
  for (auto& v : F.counts) std::sort(v.second.begin(), v.second.end());
  // Densities: class x occlusion, pulled to the class, pulled to the occlusion level overall.
  std::array<std::vector<double>, kOccl> by_occl;
  std::vector<double> all;
  for (std::size_t c = 0; c < kClasses; ++c)
    for (std::size_t k = 0; k < kOccl; ++k) {
      by_occl[k].insert(by_occl[k].end(), dens[c][k].begin(), dens[c][k].end());
      all.insert(all.end(), dens[c][k].begin(), dens[c][k].end());
    }
  // With no labels at all the level is a generic 64-beam figure (a car face of ~7 m^2 at 10 m
  // shows ~700 points on HDL-64 scans): log(700 * 100 / 7) ~ 9.2, wide.
  RobustStat top = robust(all, 0.3);
  if (top.n == 0) top = {9.2, 1.0, 0};
  for (std::size_t k = 0; k < kOccl; ++k) {
    const RobustStat occl = shrink(robust(by_occl[k], 0.3), top);
    for (std::size_t c = 0; c < kClasses; ++c) {
      std::vector<double> cls_all;
      for (std::size_t j = 0; j < kOccl; ++j)
        cls_all.insert(cls_all.end(), dens[c][j].begin(), dens[c][j].end());
      // The class's level (all occlusions) shifted by how this occlusion level differs overall.
      RobustStat cls = shrink(robust(cls_all, 0.3), top);
      cls.median += occl.median - top.median;
      cls.sigma = std::max(cls.sigma, occl.sigma);
      F.dens[c][k] = shrink(robust(dens[c][k], 0.3), cls);
    }
  }
  // Empty rate: labels with <= 2 points where the model expects >= 20.
  for (std::size_t k = 0; k < kOccl; ++k) {
    std::size_t hits = 0, n = 0;
    for (std::size_t c = 0; c < kClasses; ++c)
      for (double y : dens[c][k]) {
        const RobustStat& s = F.dens[c][k];
        // Expected count in units of the same normalisation: y - median is log(n / expected).
        const double log_ratio = y - s.median;
        // y's n part is log(n + 0.5); n <= 2 with the expectation >= 20 -> log ratio < -2.
        if (log_ratio > -1.5) {
          ++n;
        } else if (log_ratio < -2.0) {
          ++n;
          ++hits;
        }
      }
    F.empty_rate[k] =
        smoothed(hits, n, k == 0 ? 0.01 : 0.05 * static_cast<double>(k), 20, 0.0005, 0.5);
  }
  for (std::size_t g = 0; g < kGroups; ++g) {
    F.out_frac[g] = robust(out_frac[g], 0.04);
    if (F.out_frac[g].n < 10) F.out_frac[g] = {0.05, 0.08, 0};
    F.out_eps[g] = gross_rate(out_frac[g], F.out_frac[g]);
    F.heading[g] = robust(heading[g], 0.04);
    if (F.heading[g].n < 10) F.heading[g] = {0, 0.12, 0};
    F.heading_eps[g] = gross_rate(heading[g], F.heading[g]);
    F.ground[g] = robust(ground[g], 0.05);
    if (F.ground[g].n < 10) F.ground[g] = {0, 0.12, 0};
    std::vector<double> abs_ground;
    for (double x : ground[g])
      abs_ground.push_back(F.ground[g].median + std::abs(x - F.ground[g].median));
    F.ground_eps[g] = gross_rate(abs_ground, F.ground[g]);
    F.sym[g] = robust(sym[g], 0.05);
    if (F.sym[g].n < 10) F.sym[g] = {0.0, 0.1, 0};
    F.sym_eps[g] = gross_rate(sym[g], F.sym[g]);
  }
  // Clusters: per group robust Gaussians of the features; background histograms.
  // Generic priors when a group has few labelled clusters (KITTI mean sizes; partial views make
  // the spread wide).
  const std::array<std::array<RobustStat, kFeat>, kGroups> prior = {{
      {{{std::log(3.2), 0.45, 0},
        {std::log(1.6), 0.4, 0},
        {std::log(1.5), 0.2, 0},
        {0.15, 0.15, 0},
        {9.5, 1.0, 0}}},
      {{{std::log(0.7), 0.5, 0},
        {std::log(0.5), 0.45, 0},
        {std::log(1.7), 0.15, 0},
        {0.1, 0.1, 0},
        {8.0, 1.0, 0}}},
  }};
  for (std::size_t g = 0; g < kGroups; ++g) {
    F.obj_ok[g] = true;
    for (std::size_t d = 0; d < kFeat; ++d)
      F.obj[g][d] = shrink(robust(obj[g][d], kFeatMinSigma[d]), prior[g][d]);
  }
  for (std::size_t d = 0; d < kFeat; ++d)
    F.bg[d].fit(bg[d], kFeatRange[d].first, kFeatRange[d].second);
  auto pairs = [](const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<std::array<double, 2>> v(a.size());
    for (std::size_t k = 0; k < a.size(); ++k) v[k] = {a[k], b[k]};
    return v;
  };
  // Split by gap class: returns the (l, w) pairs of each class and the classes' shares.
  auto split = [&](const std::array<std::vector<double>, kFeat>& f,
                   std::array<std::vector<std::array<double, 2>>, 2>& out,
                   std::array<double, 2>& share) {
    for (std::size_t k = 0; k < f[0].size(); ++k)
      out[f[3][k] < kRaisedGap ? 0 : 1].push_back({f[0][k], f[1][k]});
    const double n = static_cast<double>(f[0].size());
    for (std::size_t c = 0; c < 2; ++c)
      share[c] = (static_cast<double>(out[c].size()) + 1) / (n + 2);
  };
  (void)pairs;
  std::array<std::vector<std::array<double, 2>>, 2> bg_split;
  split(bg, bg_split, F.bg_gap_share);
  for (std::size_t c = 0; c < 2; ++c) F.bg_lw[c].fit(bg_split[c]);
  for (std::size_t g = 0; g < kGroups; ++g) {
    if (obj[g][0].size() < kMinHistClusters || !F.bg_lw[0].ok) continue;
    F.obj_hist[g] = true;
    std::array<std::vector<std::array<double, 2>>, 2> o_split;
    split(obj[g], o_split, F.obj_gap_share[g]);
    for (std::size_t c = 0; c < 2; ++c) F.obj_lw[g][c].fit(o_split[c]);
    for (std::size_t d = 2; d < kFeat; ++d)
      F.obj_h[g][d].fit(obj[g][d], kFeatRange[d].first, kFeatRange[d].second);
  }
  for (std::size_t g = 0; g < kGroups; ++g)
    F.log_obj_bg[g] =
        std::log((static_cast<double>(obj[g][0].size()) + 1) / (static_cast<double>(n_bg) + 1));
  (void)n_obj;
  fit_ = std::move(fit);
}

ExpectedPoints LidarModel::expected_points(const Object& o) const {
  ExpectedPoints e;
  const Fitted& F = *fit_;
  const RobustStat& s = F.dens[static_cast<std::size_t>(o.cls)][occl_of(o)];
  const double r = std::max(range_xz(o), 1.0);
  const double vis = std::clamp(1 - std::max(o.truncated, 0.0), 0.1, 1.0);
  const double scale = area_of(o) * vis / (r * r);
  auto n_of = [&](double y) { return std::max(0.0, std::exp(y) * scale - 0.5); };
  e.median = n_of(s.median);
  const auto it = F.counts.find(count_key(o.cls, occl_of(o), range_xz(o)));
  if (it != F.counts.end() && it->second.size() >= 8) {
    const auto& v = it->second;
    e.lo = v[v.size() / 10];
    e.hi = v[v.size() * 9 / 10];
    e.empirical = true;
    e.range_lo = static_cast<int>(std::min(range_xz(o) / 5.0, 20.0)) * 5;
    e.range_hi = e.range_lo + 5;
  } else {
    e.lo = n_of(s.median - 1.2816 * s.sigma);
    e.hi = n_of(s.median + 1.2816 * s.sigma);
  }
  return e;
}

// ============================================================================================
// [SECTION] Label terms
// ============================================================================================
void LidarModel::label_terms(std::size_t f, std::size_t i, std::vector<WitnessTerm>& out) const {
  if (f >= lidar_.size() || !lidar_[f].ok || i >= lidar_[f].labels.size()) return;
  const LabelLidarStats& st = lidar_[f].labels[i];
  if (!st.valid) return;
  const Object& o = (*frames_)[f].labels[i];
  const Fitted& F = *fit_;
  const std::size_t g = group_of(o.cls);
  const char* cls = o.type.c_str();

  // empty_box: P(n | spurious box on empty ground) against P(n | a real object like this one).
  {
    const RobustStat& s = F.dens[static_cast<std::size_t>(o.cls)][occl_of(o)];
    const double r = std::max(st.range, 1.0);
    const double vis = std::clamp(1 - std::max(o.truncated, 0.0), 0.1, 1.0);
    const double log_scale = std::log(area_of(o) * vis / (r * r));
    const double mu = s.median + log_scale;  // expected log(n + 0.5)
    const double n = st.n_in;
    const double expected = std::exp(mu);
    const double p1 = (1 - kEmptyQ) * std::pow(kEmptyQ, n);
    const double small = 1.0 / ((n + 1) * std::log(expected + 2.0));  // log-uniform 0..expected
    // A real object's count: log-normal around the expectation, but never less likely than
    // Poisson counting noise at the low end of the normal range (far objects expect a handful of
    // points and often show none).
    const double ln = normal_pdf(std::log(n + 0.5), mu, s.sigma) / (n + 0.5);
    const double e_lo = std::exp(mu - s.sigma);
    const double poisson = std::exp(n * std::log(e_lo) - e_lo - std::lgamma(n + 1));
    const double real = std::max(ln, poisson);
    const double eps = F.empty_rate[occl_of(o)];
    const double p0 = eps * small + (1 - eps) * real;
    double llr = std::clamp(std::log(p1 + 1e-300) - std::log(p0 + 1e-300), kMinTerm, kMaxEmptyTerm);
    if (st.n_in >= kNotEmpty) llr = std::min(llr, 0.0);
    if (std::abs(llr) > 0.05) {
      const ExpectedPoints e = expected_points(o);
      std::string where =
          e.empirical ? fmt("%ss at %d-%d m with occlusion %d have %.0f-%.0f in this dataset", cls,
                            e.range_lo, e.range_hi, std::max(o.occluded, 0), e.lo, e.hi)
                      : fmt("%ss like it (occlusion %d) have %.0f-%.0f at that range in this "
                            "dataset",
                            cls, std::max(o.occluded, 0), e.lo, e.hi);
      out.push_back(
          {"spurious", llr, kind::kEmptyBox,
           fmt("%u point%s inside at %.1f m; ", st.n_in, st.n_in == 1 ? "" : "s", st.range) +
               where});
    }
  }
  // box_fit / implausible_size: the object's points outside the box.
  // Only when the box's cluster is this label's or nobody's (a labelled neighbour caught in the
  // shell is not this object) and has enough points for a share to mean something.
  const int owner =
      st.cluster >= 0 && static_cast<std::size_t>(st.cluster) < lidar_[f].clusters.size()
          ? lidar_[f].clusters[static_cast<std::size_t>(st.cluster)].label
          : -2;
  if (st.cluster >= 0 && (owner == -1 || owner == static_cast<int>(i)) &&
      st.n_in_cluster + st.n_out >= kMinFitPoints) {
    const double frac = 1 - st.cluster_share;
    const RobustStat& s = F.out_frac[g];
    // The learned spread plus the binomial noise of a share of n points.
    const double p = std::clamp(s.median, 0.05, 0.5);
    const double n = static_cast<double>(st.n_in + st.n_out);
    const double z = (frac - s.median) / std::sqrt(s.sigma * s.sigma + p * (1 - p) / n);
    const double llr = std::min(one_sided(z, F.out_eps[g]), kMaxTerm);
    if (llr > 0.05) {
      const double sym =
          std::min(st.overflow[0], st.overflow[1]) + std::min(st.overflow[2], st.overflow[3]);
      const double zs = (sym - F.sym[g].median) / F.sym[g].sigma;
      const bool too_small = zs * zs > kFreeChi2 && sym > 0.3;
      static const char* const face[5] = {"front", "back", "left", "right", "top"};
      std::string where;
      for (std::size_t k = 0; k < 5; ++k)
        if (st.overflow[k] > 0.15)
          where +=
              fmt("%s%.1f m beyond its %s", where.empty() ? "" : ", ", st.overflow[k], face[k]);
      const double normal_hi = std::max(0.0, s.median + 3 * s.sigma);
      std::string reason =
          fmt("%s box holds %.0f%% of its object's %u points (normally >= %.0f%% here)", cls,
              100 * st.cluster_share, st.n_in + st.n_out, 100 * (1 - normal_hi));
      if (!where.empty()) reason += ": " + where;
      if (too_small)
        out.push_back({"size", llr, kind::kImplausibleSize,
                       reason + fmt("; the points span %.1f x %.1f m, the box %.1f x %.1f m",
                                    st.extent_l, st.extent_w, o.l, o.w)});
      else
        out.push_back({"shift", llr, kind::kBoxFit, reason + " (shifted box)"});
    }
  }
  // box_fit (rotated): the points' principal direction against the box's heading.
  if (st.elongation >= 1.6 && st.n_in + st.n_out >= 30 && st.extent_l >= 1.5) {
    const double d = wrap_half(st.principal_ry - o.rotation_y);
    const RobustStat& s = F.heading[g];
    const double z = std::abs(d - s.median) / s.sigma;
    const double llr = std::min(one_sided(z, F.heading_eps[g]), kMaxTerm);
    if (llr > 0.05)
      out.push_back(
          {"heading", llr, kind::kBoxFit,
           fmt("%s box is turned %.0f deg against its %u points' principal direction "
               "(labels here: within %.0f deg)",
               cls, std::abs(d) * 180 / kPi, st.n_in + st.n_out, 3 * s.sigma * 180 / kPi)});
  }
  // off_ground: the box bottom against the local ground.
  if (st.ground_seen) {
    const RobustStat& s = F.ground[g];
    const double z = std::abs(st.ground_offset - s.median) / s.sigma;
    const double llr = std::min(one_sided(z, F.ground_eps[g]), kMaxGroundTerm);
    if (llr > 0.05)
      out.push_back({"shift", llr, kind::kOffGround,
                     fmt("%s box bottom is %.2f m %s the local ground (labels here sit within "
                         "%+.2f +- %.2f m)",
                         cls, std::abs(st.ground_offset), st.ground_offset > 0 ? "above" : "below",
                         s.median, 3 * s.sigma)});
  }
}

// ============================================================================================
// [SECTION] Cluster candidates
// ============================================================================================
double LidarModel::cluster_llr(const LidarCluster& c, int* group) const {
  const Fitted& F = *fit_;
  const auto x = cluster_features(c);
  double best = -1e300;
  for (std::size_t g = 0; g < kGroups; ++g) {
    double s = 0;
    if (F.obj_hist[g]) {
      const std::size_t gc = x[3] < kRaisedGap ? 0 : 1;
      s = std::log(F.obj_gap_share[g][gc] * F.obj_lw[g][gc].pdf(x[0], x[1])) -
          std::log(F.bg_gap_share[gc] * F.bg_lw[gc].pdf(x[0], x[1]));
      for (std::size_t d = 2; d < kFeat; ++d) {
        if (d == 3) continue;  // the gap is in the joint term
        s += std::log(F.obj_h[g][d].pdf(x[d])) - std::log(F.bg[d].pdf(x[d]));
      }
      s = kClusterTemper * s + F.log_obj_bg[g];
      if (s > best) {
        best = s;
        if (group) *group = static_cast<int>(g);
      }
      continue;
    }
    for (std::size_t d = 0; d < kFeat; ++d) {
      const RobustStat& m = F.obj[g][d];
      const double span = kFeatRange[d].second - kFeatRange[d].first;
      // A robust Gaussian with a 5% uniform tail, against the background's histogram.
      const double p_obj = 0.95 * normal_pdf(x[d], m.median, m.sigma) + 0.05 / span;
      s += std::log(p_obj) - std::log(F.bg[d].pdf(x[d]));
    }
    s = kClusterTemper * s + F.log_obj_bg[g];
    if (s > best) {
      best = s;
      if (group) *group = static_cast<int>(g);
    }
  }
  return best;
}

namespace {
// Fragments of one object (a car's body and roof when the glass between returns nothing): unowned
// standing clusters whose footprints lie within kFragmentGap of each other, merged when the union
// stays object-sized. The union's box comes from the principal axes of the parts' corners.
constexpr double kFragmentGap = 0.5;
constexpr double kMaxMergedLength = 6.0;

LidarCluster merge_clusters(const std::vector<const LidarCluster*>& parts) {
  LidarCluster m;
  std::vector<std::array<double, 2>> pts;
  double top = 0, gap = 1e9, ground_y = 0;
  for (const LidarCluster* c : parts) {
    const double cs = std::cos(c->box.rotation_y), sn = std::sin(c->box.rotation_y);
    for (const double a : {-c->box.l / 2, c->box.l / 2})
      for (const double b : {-c->box.w / 2, c->box.w / 2})
        pts.push_back({c->box.loc_cam.x + cs * a + sn * b, c->box.loc_cam.z - sn * a + cs * b});
    m.n_points += c->n_points;
    top = std::max(top, c->top);
    gap = std::min(gap, c->bottom_gap);
    ground_y += c->box.loc_cam.y / static_cast<double>(parts.size());
  }
  double mx = 0, mz = 0;
  for (const auto& p : pts) mx += p[0], mz += p[1];
  mx /= static_cast<double>(pts.size());
  mz /= static_cast<double>(pts.size());
  double sxx = 0, szz = 0, sxz = 0;
  for (const auto& p : pts) {
    sxx += (p[0] - mx) * (p[0] - mx), szz += (p[1] - mz) * (p[1] - mz);
    sxz += (p[0] - mx) * (p[1] - mz);
  }
  const double th = 0.5 * std::atan2(2 * sxz, sxx - szz), ex = std::cos(th), ez = std::sin(th);
  double a0 = 1e9, a1 = -1e9, b0 = 1e9, b1 = -1e9;
  for (const auto& p : pts) {
    const double a = (p[0] - mx) * ex + (p[1] - mz) * ez, b = -(p[0] - mx) * ez + (p[1] - mz) * ex;
    a0 = std::min(a0, a), a1 = std::max(a1, a), b0 = std::min(b0, b), b1 = std::max(b1, b);
  }
  const double ca = (a0 + a1) / 2, cb = (b0 + b1) / 2;
  m.box = parts.front()->box;
  m.box.l = a1 - a0;
  m.box.w = std::max(b1 - b0, 0.1);
  m.box.h = std::max(top, 0.1);
  m.box.rotation_y = std::atan2(-ez, ex);
  m.box.loc_cam = {mx + ca * ex - cb * ez, ground_y, mz + ca * ez + cb * ex};
  m.top = top;
  m.bottom_gap = gap;
  return m;
}

// Distance between two clusters' footprints, approximated by their bounding circles.
double footprint_gap(const LidarCluster& a, const LidarCluster& b) {
  const double d = std::hypot(a.box.loc_cam.x - b.box.loc_cam.x, a.box.loc_cam.z - b.box.loc_cam.z);
  return d - std::hypot(a.box.l, a.box.w) / 2 - std::hypot(b.box.l, b.box.w) / 2;
}
}  // namespace

void LidarModel::cluster_candidates(std::size_t f, std::vector<ObjectCandidate>& out) const {
  if (f >= lidar_.size() || !lidar_[f].ok) return;
  const Fitted& F = *fit_;
  // Unowned clusters that may be (parts of) an object: standing on the ground (a thin one with
  // nothing above it: not a trunk under its crown), or raised parts that join a standing one (a
  // car's roof over its body).
  const auto& all = lidar_[f].clusters;
  std::vector<const LidarCluster*> eligible;
  std::vector<std::uint8_t> standing;
  for (const LidarCluster& c : all) {
    if (c.label >= 0 || c.in_dontcare || range_xz(c.box) > kMaxClusterRange) continue;
    const bool thin = std::max(c.box.l, c.box.w) < 2 * kThinHalf;
    if (thin && c.n_above >= kMaxAbove) continue;
    eligible.push_back(&c);
    standing.push_back(c.bottom_gap < kRaisedGap ? 1 : 0);
  }
  // Groups of fragments (union-find over near footprints, object-sized unions only).
  std::vector<std::size_t> parent(eligible.size());
  for (std::size_t k = 0; k < parent.size(); ++k) parent[k] = k;
  auto root = [&](std::size_t k) {
    while (parent[k] != k) k = parent[k] = parent[parent[k]];
    return k;
  };
  for (std::size_t a = 0; a < eligible.size(); ++a)
    for (std::size_t b = a + 1; b < eligible.size(); ++b)
      if (footprint_gap(*eligible[a], *eligible[b]) <= kFragmentGap &&
          std::max(eligible[a]->box.l, eligible[b]->box.l) < kMaxMergedLength)
        parent[root(a)] = root(b);
  std::vector<LidarCluster> shapes;  // one per group (merged) or per cluster
  for (std::size_t a = 0; a < eligible.size(); ++a) {
    if (root(a) != a) continue;
    std::vector<const LidarCluster*> parts;
    bool stands = false;
    for (std::size_t b = 0; b < eligible.size(); ++b)
      if (root(b) == a) {
        parts.push_back(eligible[b]);
        stands = stands || standing[b];
      }
    if (!stands) continue;  // raised things alone are not objects
    if (parts.size() == 1) {
      shapes.push_back(*parts.front());
      continue;
    }
    LidarCluster m = merge_clusters(parts);
    // The union replaces its parts only when it is object-sized and more object-like than any.
    double best_part = -1e300;
    for (const LidarCluster* p : parts) best_part = std::max(best_part, cluster_llr(*p));
    if (m.box.l <= kMaxMergedLength && cluster_llr(m) > best_part) {
      m.points.clear();
      shapes.push_back(std::move(m));
    } else {
      for (const LidarCluster* p : parts) shapes.push_back(*p);
    }
  }
  for (const LidarCluster& c : shapes) {
    if (c.n_points < kMinClusterPoints) continue;
    const double r = range_xz(c.box);
    int g = 0;
    const double llr = cluster_llr(c, &g);
    ObjectCandidate cand;
    cand.box = c.box;
    cand.box.type = g == 0 ? "Car" : "Pedestrian";
    cand.box.cls = g == 0 ? ObjectClass::Car : ObjectClass::Pedestrian;
    cand.llr = llr;
    cand.kind = kind::kUnlabeledCluster;
    const RobustStat& L = F.obj[static_cast<std::size_t>(g)][0];
    cand.reason =
        fmt("unlabeled cluster of %u points at %.1f m (x %.1f, z %.1f): %.1f x %.1f x "
            "%.1f m, shaped like a %s (labelled %s clusters here: %.1f-%.1f m long)",
            c.n_points, r, c.box.loc_cam.x, c.box.loc_cam.z, c.box.l, c.box.w, c.top,
            g == 0 ? "vehicle" : "person", g == 0 ? "vehicle" : "person",
            std::exp(L.median - 1.28 * L.sigma), std::exp(L.median + 1.28 * L.sigma));
    out.push_back(std::move(cand));
  }
}

LabelWitness lidar_label_witness(std::shared_ptr<const LidarModel> m) {
  return [m](std::size_t f, std::size_t i, std::vector<WitnessTerm>& out) {
    m->label_terms(f, i, out);
  };
}
ObjectWitness lidar_object_witness(std::shared_ptr<const LidarModel> m) {
  return [m](std::size_t f, std::vector<ObjectCandidate>& out) { m->cluster_candidates(f, out); };
}

}  // namespace needle
