// shift/novelty.cpp — standardisation, k-nearest-neighbour novelty calibrated on TRAIN, and the
// reason text (needle/shift.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>
#include <thread>

#include "needle/shift.h"
#include "needle/similar.h"

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
      const double x = novelty_value(f, xs[i][f]);
      if (std::isnan(x) || std::isnan(sc.median[f])) continue;
      out[i * kFrameFeatures + f] = (x - sc.median[f]) / sc.scale[f] * w[f];
    }
  return out;
}

struct Knn {
  double mean_distance = 0;
  std::vector<std::size_t> nearest;
};

// Exact k nearest TRAIN frames on the features of `mask`. Identical rows are merged first (with
// their count and frames): parts often take few distinct values (the camera of a dataset, the
// parts of a modality that is absent, small object counts), and thousands of ties would make a
// k-d tree search every one of them. Few distinct rows (< kBruteForceRows) are scanned; more go
// through a k-d tree (SimilarIndex: FLANN's single k-d tree, exact search).
constexpr std::size_t kBruteForceRows = 256;
struct PartIndex {
  std::vector<std::size_t> mask;
  std::vector<float> rows;                       // unique rows, mask.size() each
  std::vector<std::vector<std::size_t>> frames;  // TRAIN frames of each unique row
  std::vector<std::size_t> row_of;               // unique row of each TRAIN frame
  SimilarIndex index;

  PartIndex(const std::vector<double>& all, std::size_t n, std::vector<std::size_t> m)
      : mask(std::move(m)), row_of(n) {
    std::map<std::vector<float>, std::size_t> seen;
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<float> v;
      for (std::size_t f : mask) v.push_back(static_cast<float>(all[i * kFrameFeatures + f]));
      auto [it, fresh] = seen.emplace(v, frames.size());
      if (fresh) {
        rows.insert(rows.end(), v.begin(), v.end());
        frames.emplace_back();
      }
      frames[it->second].push_back(i);
      row_of[i] = it->second;
    }
    if (frames.size() >= kBruteForceRows) {
      SimilarSpace sp;
      sp.dim = mask.size();
      sp.items.resize(frames.size());
      sp.vectors = rows;
      index = SimilarIndex(sp);
    }
  }

  // Mean distance to the k nearest TRAIN frames (frame `exclude` left out) and those frames.
  Knn query(const double* q, std::size_t k, std::size_t exclude) const {
    const std::size_t dim = mask.size();
    std::vector<float> v;
    for (std::size_t f : mask) v.push_back(static_cast<float>(q[f]));
    std::vector<std::pair<double, std::size_t>> cand;  // (distance, unique row)
    if (frames.size() < kBruteForceRows) {
      for (std::size_t u = 0; u < frames.size(); ++u) {
        double d2 = 0;
        for (std::size_t c = 0; c < dim; ++c) {
          const double e = double(v[c]) - rows[u * dim + c];
          d2 += e * e;
        }
        cand.emplace_back(std::sqrt(d2), u);
      }
      std::sort(cand.begin(), cand.end());
    } else {
      // k + 1 unique rows always hold k frames, even when the excluded frame's row is among them.
      for (const Neighbour& h : index.query(v.data(), k + 1))
        cand.emplace_back(std::sqrt(std::max(0.0, 2.0 * (1.0 - h.similarity))), h.item);
    }
    Knn r;
    std::size_t taken = 0;
    for (const auto& [d, u] : cand) {
      for (std::size_t fr : frames[u]) {
        if (taken == k) break;
        if (fr == exclude) continue;
        r.mean_distance += d;
        r.nearest.push_back(fr);
        ++taken;
      }
      if (taken == k) break;
    }
    if (taken) r.mean_distance /= double(taken);
    return r;
  }
};

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
      std::snprintf(b, sizeof b, "scan %.1fx %s than training (ground roughness %.3f m vs %.3f m)",
                    ratio(x, m), x > m ? "noisier" : "smoother", x, m);
      break;
    case kFeatLogObjects:
      std::snprintf(b, sizeof b, "%.0f objects (training median %.0f)", std::expm1(x),
                    std::expm1(m));
      break;
    case kFeatObjectRange:
      std::snprintf(b, sizeof b, "objects %.0f m away on average (training %.0f m)", x, m);
      break;
    case kFeatLogVehicles:
    case kFeatLogPeople:
      std::snprintf(b, sizeof b, "%.0f %s (training median %.0f)", std::expm1(x),
                    f == kFeatLogVehicles ? "vehicles" : "people", std::expm1(m));
      break;
    case kFeatPeoplePerVehicle:
      std::snprintf(b, sizeof b, "%.1f people per vehicle (training median %.1f)",
                    std::exp(x), std::exp(m));
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

namespace {
bool logged(std::size_t f) {
  return f == kFeatBrightness || f == kFeatContrast || f == kFeatRoughness;
}
// Logs of values near 0 (a black image, a perfectly smooth scan) are taken at this floor.
constexpr double kLogFloor = 1e-3;
}  // namespace

double novelty_value(std::size_t f, double x) {
  return logged(f) && !std::isnan(x) ? std::log(std::max(x, kLogFloor)) : x;
}
double novelty_value_inverse(std::size_t f, double v) {
  return logged(f) && !std::isnan(v) ? std::exp(v) : v;
}

FeatureScale fit_scale(const std::vector<FrameFeatures>& train) {
  FeatureScale sc;
  for (std::size_t f = 0; f < kFrameFeatures; ++f) {
    std::vector<double> v;
    for (const FrameFeatures& x : train)
      if (!std::isnan(x[f])) v.push_back(novelty_value(f, x[f]));
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
                           const std::vector<PartScore>& parts) {
  // Parts by their score; within a part, the feature furthest from TRAIN's median names it.
  std::vector<PartScore> ranked = parts;
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const PartScore& a, const PartScore& b) { return a.z > b.z; });
  auto clause = [&](const std::string& part) -> std::string {
    double best = -1;
    std::size_t bf = kFrameFeatures;
    for (std::size_t f = 0; f < kFrameFeatures; ++f) {
      if (part != frame_feature_part(f) || std::isnan(x[f]) || std::isnan(sc.median[f])) continue;
      const double z = std::abs(novelty_value(f, x[f]) - sc.median[f]) / sc.scale[f];
      if (z > best) best = z, bf = f;
    }
    if (bf == kFrameFeatures) return "";
    return describe(bf, x[bf], novelty_value_inverse(bf, sc.median[bf]));
  };
  if (ranked.empty() || ranked[0].z <= kReasonMinZ) return "like training";
  std::string out = clause(ranked[0].part);
  if (ranked.size() > 1 && ranked[1].z > kReasonMinZ && ranked[1].z >= 0.5 * ranked[0].z) {
    const std::string second = clause(ranked[1].part);
    if (!second.empty()) out += (out.empty() ? "" : "; ") + second;
  }
  return out.empty() ? "like training" : out;
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
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  // The parts, each with its features (the mask of its kNN), and the whole vector.
  std::vector<std::string> part_names;
  std::vector<std::vector<std::size_t>> masks;
  for (std::size_t f = 0; f < kFrameFeatures; ++f) {
    const std::string p = frame_feature_part(f);
    auto it = std::find(part_names.begin(), part_names.end(), p);
    if (it == part_names.end()) {
      part_names.push_back(p);
      masks.emplace_back();
      it = part_names.end() - 1;
    }
    masks[static_cast<std::size_t>(it - part_names.begin())].push_back(f);
  }
  std::vector<std::size_t> all(kFrameFeatures);
  std::iota(all.begin(), all.end(), std::size_t{0});
  const std::size_t np = part_names.size();

  std::vector<PartIndex> indexes;
  for (std::size_t p = 0; p < np; ++p) indexes.emplace_back(et, nt, masks[p]);
  indexes.emplace_back(et, nt, all);

  // Reference: leave-one-out distances of TRAIN, per part and for the whole vector.
  std::vector<std::vector<double>> ref(np + 1, std::vector<double>(nt, 0.0));
  if (nt > 1)
    parallel(nt, threads, [&](std::size_t i) {
      const double* q = et.data() + i * kFrameFeatures;
      for (std::size_t p = 0; p <= np; ++p) ref[p][i] = indexes[p].query(q, kk, i).mean_distance;
    });
  std::vector<double> med(np + 1), spread(np + 1);
  for (std::size_t p = 0; p <= np; ++p) {
    med[p] = median_of(ref[p]);
    std::vector<double> dev(nt);
    for (std::size_t i = 0; i < nt; ++i) dev[i] = std::abs(ref[p][i] - med[p]);
    const double mad = median_of(dev);
    spread[p] = std::max(1.4826 * mad, kMinSpread);
    if (p == np) res.reference_median = med[p], res.reference_mad = mad;
  }

  res.frames.resize(prod.size());
  parallel(prod.size(), threads, [&](std::size_t i) {
    const double* q = ep.data() + i * kFrameFeatures;
    FrameNovelty& fn = res.frames[i];
    fn.frame = i;
    fn.novelty = -std::numeric_limits<double>::infinity();
    for (std::size_t p = 0; p < np; ++p) {
      const double d = indexes[p].query(q, kk, kNone).mean_distance;
      const double z = (d - med[p]) / spread[p];
      fn.parts.push_back({part_names[p], z});
      if (z > fn.novelty) fn.novelty = z;
    }
    const Knn whole = indexes[np].query(q, kk, kNone);
    fn.distance = whole.mean_distance;
    fn.nearest = whole.nearest;
    fn.reason = novelty_reason(prod[i], sc, fn.parts);
  });
  std::stable_sort(res.frames.begin(), res.frames.end(),
                   [](const FrameNovelty& a, const FrameNovelty& b) {
                     return a.novelty != b.novelty ? a.novelty > b.novelty
                                                   : a.distance > b.distance;
                   });
  return res;
}

}  // namespace needle
