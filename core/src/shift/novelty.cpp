// shift/novelty.cpp — standardisation, k-nearest-neighbour novelty calibrated on TRAIN, and the
// reason text (needle/shift.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <thread>

#include "needle/shift.h"

namespace needle {

namespace {

double median_of(std::vector<double> v) {
  if (v.empty()) return kNaN;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2) return *mid;
  const double hi = *mid;
  const double lo = *std::max_element(v.begin(), mid);
  return (lo + hi) / 2;
}

double quantile_of(std::vector<double> v, double q) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(pos));
  const double t = pos - double(i);
  return i + 1 < v.size() ? v[i] * (1 - t) + v[i + 1] * t : v[i];
}

// The number of features of each part, for the equal-weight rule.
std::array<double, kFrameFeatures> part_weights() {
  std::array<double, kFrameFeatures> w{};
  for (std::size_t f = 0; f < kFrameFeatures; ++f) {
    std::size_t n = 0;
    for (std::size_t g = 0; g < kFrameFeatures; ++g)
      n += std::string(frame_feature_part(g)) == frame_feature_part(f);
    w[f] = 1.0 / std::sqrt(double(n));
  }
  return w;
}

// Standardised, weighted vectors (kFrameFeatures floats per frame).
std::vector<double> embed(const std::vector<FrameFeatures>& xs, const FeatureScale& sc) {
  static const std::array<double, kFrameFeatures> w = part_weights();
  std::vector<double> out(xs.size() * kFrameFeatures, 0.0);
  for (std::size_t i = 0; i < xs.size(); ++i)
    for (std::size_t f = 0; f < kFrameFeatures; ++f) {
      const double x = xs[i][f];
      if (std::isnan(x) || std::isnan(sc.median[f])) continue;
      out[i * kFrameFeatures + f] = (x - sc.median[f]) / sc.scale[f] * w[f];
    }
  return out;
}

struct Knn {
  double mean_distance = 0;
  std::vector<std::size_t> nearest;
};

// Exact k nearest rows of `ref` to row q of `qry` (brute force: ~20 dimensions, a few thousand
// rows; 7,481 x 7,481 is ~1 G multiply-adds, under a second on two cores).
Knn knn(const std::vector<double>& ref, std::size_t n_ref, const double* q, std::size_t k,
        std::size_t exclude) {
  std::vector<std::pair<double, std::size_t>> best;  // (d2, index), max-heap on d2
  best.reserve(k + 1);
  for (std::size_t j = 0; j < n_ref; ++j) {
    if (j == exclude) continue;
    const double* r = ref.data() + j * kFrameFeatures;
    double d2 = 0;
    for (std::size_t f = 0; f < kFrameFeatures; ++f) d2 += (q[f] - r[f]) * (q[f] - r[f]);
    if (best.size() < k) {
      best.emplace_back(d2, j);
      std::push_heap(best.begin(), best.end());
    } else if (d2 < best.front().first) {
      std::pop_heap(best.begin(), best.end());
      best.back() = {d2, j};
      std::push_heap(best.begin(), best.end());
    }
  }
  std::sort_heap(best.begin(), best.end());
  Knn r;
  for (const auto& [d2, j] : best) {
    r.mean_distance += std::sqrt(d2);
    r.nearest.push_back(j);
  }
  if (!best.empty()) r.mean_distance /= double(best.size());
  return r;
}

template <typename F>
void parallel(std::size_t n, unsigned threads, F&& f) {
  unsigned t = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  t = static_cast<unsigned>(std::min<std::size_t>(t, std::max<std::size_t>(n, 1)));
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < t; ++w)
    pool.emplace_back([&, w] {
      for (std::size_t i = w; i < n; i += t) f(i);
    });
  for (std::size_t i = 0; i < n; i += t) f(i);
  for (auto& th : pool) th.join();
}

// One clause about feature f: x against TRAIN's median m.
std::string describe(std::size_t f, double x, double m) {
  char b[200];
  auto ratio = [](double a, double c) { return a > c ? a / std::max(c, 1e-9) : c / std::max(a, 1e-9); };
  switch (f) {
    case kFeatBrightness:
      std::snprintf(b, sizeof b, "image %.1fx %s than training (mean grey %.0f vs %.0f)",
                    ratio(x, m), x < m ? "darker" : "brighter", x, m);
      break;
    case kFeatContrast:
      std::snprintf(b, sizeof b, "image contrast %.1fx %s than training (grey sd %.0f vs %.0f)",
                    ratio(x, m), x < m ? "lower" : "higher", x, m);
      break;
    case kFeatChromaRed:
    case kFeatChromaBlue:
      std::snprintf(b, sizeof b, "image colour cast (%s share %.2f vs %.2f in training)",
                    f == kFeatChromaRed ? "red" : "blue", x, m);
      break;
    case kFeatImageWidth:
    case kFeatImageHeight:
      std::snprintf(b, sizeof b, "another image size (%s %.0f px vs %.0f in training)",
                    f == kFeatImageWidth ? "width" : "height", x, m);
      break;
    case kFeatFocal:
      std::snprintf(b, sizeof b, "another camera (focal length %.0f px vs %.0f in training)", x, m);
      break;
    case kFeatLogPoints:
      std::snprintf(b, sizeof b, "scan has %.1fx %s points than training (%.0f vs %.0f)",
                    std::exp(std::abs(x - m)), x < m ? "fewer" : "more", std::exp(x),
                    std::exp(m));
      break;
    case kFeatIntensityMean:
    case kFeatIntensityStd:
      std::snprintf(b, sizeof b, "scan reflectance %s %.2f vs %.2f in training",
                    f == kFeatIntensityMean ? "mean" : "spread", x, m);
      break;
    case kFeatRangeMean:
    case kFeatRangeP90:
      std::snprintf(b, sizeof b, "scan %s range %.0f m vs %.0f m in training",
                    f == kFeatRangeMean ? "mean" : "90%", x, m);
      break;
    case kFeatRoughness:
      std::snprintf(b, sizeof b, "scan %.1fx %s than training (roughness %.3f m vs %.3f m)",
                    ratio(x, m), x > m ? "noisier" : "smoother", x, m);
      break;
    case kFeatLogObjects:
      std::snprintf(b, sizeof b, "%.0f objects (training median %.0f)", std::expm1(x),
                    std::expm1(m));
      break;
    case kFeatObjectRange:
      std::snprintf(b, sizeof b, "objects %.0f m away on average (training %.0f m)", x, m);
      break;
    case kFeatShareVehicle:
    case kFeatSharePerson:
      std::snprintf(b, sizeof b, "%s are %.0f%% of the objects (training %.0f%%)",
                    f == kFeatShareVehicle ? "vehicles" : "people", 100 * x, 100 * m);
      break;
    case kFeatSizeLog:
      std::snprintf(b, sizeof b, "objects %.2fx their class's usual volume (training %.2fx)",
                    std::exp(x), std::exp(m));
      break;
    default:
      std::snprintf(b, sizeof b, "%s %.3g vs %.3g", frame_feature_name(f), x, m);
  }
  return b;
}

}  // namespace

FeatureScale fit_scale(const std::vector<FrameFeatures>& train) {
  FeatureScale sc;
  for (std::size_t f = 0; f < kFrameFeatures; ++f) {
    std::vector<double> v;
    for (const FrameFeatures& x : train)
      if (!std::isnan(x[f])) v.push_back(x[f]);
    sc.median[f] = median_of(v);
    if (v.empty()) {
      sc.scale[f] = 1;
      continue;
    }
    double scale = (quantile_of(v, 0.75) - quantile_of(v, 0.25)) / 1.349;
    if (!(scale > 0)) {
      const double mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
      double s2 = 0;
      for (double a : v) s2 += (a - mean) * (a - mean);
      scale = std::sqrt(s2 / double(v.size()));
    }
    sc.scale[f] = std::max({scale, kMinScaleFraction * std::abs(sc.median[f]), 1e-6});
  }
  return sc;
}

std::string novelty_reason(const FrameFeatures& x, const FeatureScale& sc,
                           const std::vector<const FrameFeatures*>& nearest) {
  // Per feature: |x - mean of the nearest| in TRAIN scale units; per part: the largest of its
  // features. The two parts furthest off are named (one when the second is under half the first).
  struct Diff {
    double z = 0;
    std::size_t feature = 0;
  };
  std::map<std::string, Diff> parts;
  for (std::size_t f = 0; f < kFrameFeatures; ++f) {
    if (std::isnan(x[f]) || std::isnan(sc.median[f])) continue;
    double s = 0;
    std::size_t n = 0;
    for (const FrameFeatures* o : nearest)
      if (!std::isnan((*o)[f])) s += (*o)[f], ++n;
    const double ref = n ? s / double(n) : sc.median[f];
    const double z = std::abs(x[f] - ref) / sc.scale[f];
    Diff& d = parts[frame_feature_part(f)];
    if (z > d.z) d = {z, f};
  }
  std::vector<Diff> ranked;
  for (const auto& [name, d] : parts) ranked.push_back(d);
  std::sort(ranked.begin(), ranked.end(), [](const Diff& a, const Diff& b) {
    return a.z != b.z ? a.z > b.z : a.feature < b.feature;
  });
  if (ranked.empty() || ranked[0].z <= 0) return "like training";
  std::string out = describe(ranked[0].feature, x[ranked[0].feature], sc.median[ranked[0].feature]);
  if (ranked.size() > 1 && ranked[1].z >= 0.5 * ranked[0].z && ranked[1].z > 1)
    out += "; " + describe(ranked[1].feature, x[ranked[1].feature], sc.median[ranked[1].feature]);
  return out;
}

NoveltyResult compute_novelty(const std::vector<FrameFeatures>& train,
                              const std::vector<FrameFeatures>& prod, unsigned threads,
                              std::size_t k) {
  NoveltyResult res;
  if (train.empty()) return res;
  const FeatureScale sc = fit_scale(train);
  const std::vector<double> et = embed(train, sc), ep = embed(prod, sc);
  const std::size_t nt = train.size();
  const std::size_t kk = std::min(k, nt > 1 ? nt - 1 : std::size_t{1});

  // Reference: leave-one-out distances of TRAIN.
  std::vector<double> ref(nt, 0.0);
  if (nt > 1)
    parallel(nt, threads, [&](std::size_t i) {
      ref[i] = knn(et, nt, et.data() + i * kFrameFeatures, kk, i).mean_distance;
    });
  res.reference_median = median_of(ref);
  std::vector<double> dev(nt);
  for (std::size_t i = 0; i < nt; ++i) dev[i] = std::abs(ref[i] - res.reference_median);
  res.reference_mad = median_of(dev);
  const double spread = std::max(1.4826 * res.reference_mad, 1e-9);

  res.frames.resize(prod.size());
  parallel(prod.size(), threads, [&](std::size_t i) {
    const Knn r = knn(et, nt, ep.data() + i * kFrameFeatures, kk, static_cast<std::size_t>(-1));
    FrameNovelty& fn = res.frames[i];
    fn.frame = i;
    fn.distance = r.mean_distance;
    fn.novelty = (r.mean_distance - res.reference_median) / spread;
    fn.nearest = r.nearest;
    std::vector<const FrameFeatures*> near;
    for (std::size_t j : r.nearest) near.push_back(&train[j]);
    fn.reason = novelty_reason(prod[i], sc, near);
  });
  std::stable_sort(res.frames.begin(), res.frames.end(),
                   [](const FrameNovelty& a, const FrameNovelty& b) {
                     return a.distance > b.distance;
                   });
  return res;
}

}  // namespace needle
