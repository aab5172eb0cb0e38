// map/embedding_map.cpp — the embedding map and rarity (needle/embedding_map.h): UMAP's fuzzy
// graph and its layout, rarity, quality, and the whole map (PCA and graph from pca.cpp and
// knn_graph.cpp). Deterministic for a seed whatever the thread count (see the header for how).
//
// Index
//   (helpers, the PCA and the kNN graph: map_internal.h, pca.cpp, knn_graph.cpp)
//   [SECTION] Fuzzy graph
//   [SECTION] Layout
//   [SECTION] Rarity, quality, the whole map
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "map_internal.h"
#include "../ranking_internal.h"

namespace needle {

using namespace map_detail;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ============================================================================================
// [SECTION] Fuzzy graph
// ============================================================================================
// smooth_knn_dist (UMAP): binary search steps and tolerance, and the smallest sigma relative to
// the mean neighbour distance (UMAP's SMOOTH_K_TOLERANCE 1e-5, MIN_K_DIST_SCALE 1e-3).
constexpr int kSigmaSteps = 64;
constexpr double kSigmaTolerance = 1e-5;
constexpr double kMinSigmaScale = 1e-3;

struct Edges {  // CSR of the symmetric fuzzy graph, both directions
  std::vector<std::size_t> start;
  std::vector<std::uint32_t> to;
  std::vector<float> weight;
};

Edges fuzzy_graph(const KnnGraph& g, std::size_t* undirected) {
  const std::size_t n = g.n, k = g.k;
  std::vector<float> w(n * k, 0.0f);
  double mean_all = 0;
  std::size_t count_all = 0;
  for (std::size_t i = 0; i < n * k; ++i)
    if (std::isfinite(g.dist[i])) mean_all += g.dist[i], ++count_all;
  mean_all = count_all ? mean_all / double(count_all) : 0;
  const double target = std::log2(double(std::max<std::size_t>(k, 2)));
  for (std::size_t i = 0; i < n; ++i) {
    const float* d = g.dist.data() + i * k;
    double rho = 0, mean_i = 0;
    std::size_t valid = 0;
    for (std::size_t j = 0; j < k; ++j) {
      if (!std::isfinite(d[j])) continue;
      if (rho == 0 && d[j] > 0) rho = d[j];
      mean_i += d[j], ++valid;
    }
    if (!valid) continue;
    mean_i /= double(valid);
    double lo = 0, hi = std::numeric_limits<double>::infinity(), mid = 1;
    for (int step = 0; step < kSigmaSteps; ++step) {
      double psum = 0;
      for (std::size_t j = 0; j < k; ++j) {
        if (!std::isfinite(d[j])) continue;
        const double t = d[j] - rho;
        psum += t > 0 ? std::exp(-t / mid) : 1.0;
      }
      if (std::abs(psum - target) < kSigmaTolerance) break;
      if (psum > target) {
        hi = mid;
        mid = 0.5 * (lo + hi);
      } else {
        lo = mid;
        mid = std::isinf(hi) ? mid * 2 : 0.5 * (lo + hi);
      }
    }
    const double floor = kMinSigmaScale * (rho > 0 ? mean_i : mean_all);
    const double sigma = std::max(mid, floor > 0 ? floor : 1e-12);
    for (std::size_t j = 0; j < k; ++j) {
      if (!std::isfinite(d[j])) continue;
      const double t = d[j] - rho;
      w[i * k + j] = static_cast<float>(t > 0 ? std::exp(-t / sigma) : 1.0);
    }
  }
  // Symmetrise: w = a + b - ab over each unordered pair.
  struct Pair {
    std::uint32_t a, b;
    float w;
    bool forward;
  };
  std::vector<Pair> pairs;
  pairs.reserve(n * k);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      const std::uint32_t t = g.index[i * k + j];
      if (t >= n || w[i * k + j] <= 0) continue;
      const auto s = static_cast<std::uint32_t>(i);
      pairs.push_back({std::min(s, t), std::max(s, t), w[i * k + j], s < t});
    }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) {
    return x.a < y.a || (x.a == y.a && (x.b < y.b || (x.b == y.b && x.forward < y.forward)));
  });
  std::vector<Pair> merged;
  for (std::size_t i = 0; i < pairs.size();) {
    Pair m = pairs[i];
    std::size_t j = i + 1;
    if (j < pairs.size() && pairs[j].a == m.a && pairs[j].b == m.b) {
      m.w = m.w + pairs[j].w - m.w * pairs[j].w;
      ++j;
    }
    merged.push_back(m);
    i = j;
  }
  *undirected = merged.size();
  Edges e;
  e.start.assign(n + 1, 0);
  for (const Pair& m : merged) ++e.start[m.a + 1], ++e.start[m.b + 1];
  for (std::size_t i = 0; i < n; ++i) e.start[i + 1] += e.start[i];
  e.to.resize(e.start[n]);
  e.weight.resize(e.start[n]);
  std::vector<std::size_t> fill(e.start.begin(), e.start.end() - 1);
  for (const Pair& m : merged) {
    e.to[fill[m.a]] = m.b, e.weight[fill[m.a]++] = m.w;
    e.to[fill[m.b]] = m.a, e.weight[fill[m.b]++] = m.w;
  }
  return e;
}

// ============================================================================================
// [SECTION] Layout
// ============================================================================================
// UMAP's initial learning rate (1.0), its gradient clip (4.0), the repulsion's softening of
// d^2 (0.001), and the initial layout's extent (10 units, as UMAP scales its spectral start).
constexpr double kLearningRate = 1.0;
constexpr float kGradClip = 4.0f;
constexpr float kRepulsionEps = 0.001f;
constexpr double kInitExtent = 10.0;
// Jitter of the start so that duplicate vectors do not sit on one spot (UMAP adds 1e-4 noise).
constexpr double kInitJitter = 1e-4;
// UMAP's default epoch counts: 200 for more than 10,000 points, else 500.
constexpr std::size_t kLargeSet = 10000;
constexpr int kEpochsLarge = 200, kEpochsSmall = 500;

float clip(float v) {
  return std::max(-kGradClip, std::min(kGradClip, v));
}

std::vector<float> initial_layout(const std::vector<float>& pc2, std::size_t n,
                                  std::uint64_t seed) {
  std::vector<float> y(n * 2);
  double lo[2] = {kInf, kInf}, hi[2] = {-kInf, -kInf};
  for (std::size_t i = 0; i < n; ++i)
    for (int a = 0; a < 2; ++a) {
      lo[a] = std::min(lo[a], double(pc2[i * 2 + a]));
      hi[a] = std::max(hi[a], double(pc2[i * 2 + a]));
    }
  const double span = std::max({hi[0] - lo[0], hi[1] - lo[1], 1e-12});
  for (std::size_t i = 0; i < n; ++i) {
    Rng rng(seed, kStepJitter, i);
    for (int a = 0; a < 2; ++a)
      y[i * 2 + std::size_t(a)] =
          static_cast<float>((double(pc2[i * 2 + std::size_t(a)]) - lo[a]) / span * kInitExtent +
                             kInitJitter * rng.normal());
  }
  return y;
}

void run_layout(std::vector<float>& y, const Edges& e, std::size_t n, int epochs,
                const EmbeddingMapOptions& opt) {
  const std::size_t m = e.to.size();
  float w_max = 0;
  for (float w : e.weight) w_max = std::max(w_max, w);
  // Epochs between samples of each directed edge (UMAP's epochs_per_sample); edges too weak to
  // be sampled once in the run are dropped (weight below w_max / epochs).
  std::vector<double> per_sample(m, -1), next_sample(m), per_neg(m), next_neg(m);
  for (std::size_t j = 0; j < m; ++j) {
    if (e.weight[j] < w_max / float(epochs) || e.weight[j] <= 0) continue;
    per_sample[j] = double(w_max) / double(e.weight[j]);
    next_sample[j] = per_sample[j];
    per_neg[j] = per_sample[j] / double(kMapNegativeSamples);
    next_neg[j] = per_neg[j];
  }
  std::vector<float> next(y.size());
  for (int epoch = 0; epoch < epochs; ++epoch) {
    if (cancelled(opt)) return;
    const float alpha = static_cast<float>(kLearningRate * (1.0 - double(epoch) / double(epochs)));
    const double now = double(epoch);
    detail::parallel_for(
        n, opt.threads,
        [&](std::size_t lo, std::size_t hi) {
          for (std::size_t i = lo; i < hi; ++i) {
            float yi0 = y[i * 2], yi1 = y[i * 2 + 1];
            Rng rng(opt.seed, kStepEpoch + std::uint64_t(epoch), i);
            for (std::size_t j = e.start[i]; j < e.start[i + 1]; ++j) {
              if (per_sample[j] < 0 || next_sample[j] > now) continue;
              const std::size_t t = e.to[j];
              // Attraction, Cauchy kernel: d/dy log(1 / (1 + d^2)) = -2 (y - y_t) / (1 + d^2).
              // Twice: UMAP moves both ends of each of the pair's two directed edges; here each
              // end moves itself.
              {
                const float d0 = yi0 - y[t * 2], d1 = yi1 - y[t * 2 + 1];
                const float d2 = d0 * d0 + d1 * d1;
                const float g = -2.0f / (1.0f + d2);
                yi0 += 2.0f * clip(g * d0) * alpha;
                yi1 += 2.0f * clip(g * d1) * alpha;
              }
              next_sample[j] += per_sample[j];
              const auto negs =
                  static_cast<std::size_t>(std::max(0.0, (now - next_neg[j]) / per_neg[j]));
              // The edge's negative samples all push from the same position (UMAP moves the
              // point after each): independent terms the CPU overlaps, where a chain of
              // dependent updates through a division would wait on each (measured 2x faster).
              float push0 = 0, push1 = 0;
              for (std::size_t s = 0; s < negs; ++s) {
                const std::size_t o = rng.below(n);
                const float d0 = yi0 - y[o * 2], d1 = yi1 - y[o * 2 + 1];
                const float d2 = d0 * d0 + d1 * d1;
                if (o == i || d2 <= 0) continue;
                const float g = 2.0f / ((kRepulsionEps + d2) * (1.0f + d2));
                push0 += clip(g * d0);
                push1 += clip(g * d1);
              }
              yi0 += push0 * alpha;
              yi1 += push1 * alpha;
              next_neg[j] += double(negs) * per_neg[j];
            }
            next[i * 2] = yi0, next[i * 2 + 1] = yi1;
          }
        },
        512);
    y.swap(next);
    report(opt, "layout", std::size_t(epoch + 1), std::size_t(epochs));
  }
}

}  // namespace

// ============================================================================================
// [SECTION] Rarity, quality, the whole map
// ============================================================================================
std::vector<float> rarity_scores(const KnnGraph& g, std::size_t k) {
  std::vector<float> dk(g.n, 0.0f);
  if (k == 0 || k > g.k) return dk;
  std::vector<float> finite;
  for (std::size_t i = 0; i < g.n; ++i) {
    dk[i] = g.dist[i * g.k + k - 1];
    if (std::isfinite(dk[i])) finite.push_back(dk[i]);
  }
  if (finite.empty()) return std::vector<float>(g.n, 0.0f);
  std::sort(finite.begin(), finite.end());
  const std::size_t h = finite.size() / 2;
  double median = finite.size() % 2 ? finite[h] : 0.5 * (double(finite[h - 1]) + finite[h]);
  // More than half the objects with k exact duplicates: divide by the smallest positive d_k.
  if (median <= 0) {
    median = 0;
    for (float v : finite)
      if (v > 0) {
        median = v;
        break;
      }
  }
  std::vector<float> out(g.n);
  const float finite_max = finite.back();
  for (std::size_t i = 0; i < g.n; ++i) {
    // Fewer than k other objects: as rare as the rarest that has k.
    const float v = std::isfinite(dk[i]) ? dk[i] : finite_max;
    out[i] = median > 0 ? static_cast<float>(v / median) : 0.0f;
  }
  return out;
}

std::vector<std::size_t> rarest_first(const std::vector<float>& rare) {
  std::vector<std::size_t> order(rare.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return rare[a] > rare[b]; });
  return order;
}

EmbeddingMap embedding_map(const float* vectors, std::size_t n, std::size_t dim,
                           const EmbeddingMapOptions& opt_in) {
  EmbeddingMapOptions opt = opt_in;
  opt.threads = thread_count(opt.threads);
  opt.rare_k = std::min(opt.rare_k, opt.neighbours);
  EmbeddingMap out;
  out.n = n;
  out.xy.assign(n * 2, 0.0f);
  out.rare.assign(n, 0.0f);
  if (n == 0 || dim == 0) {
    out.complete = true;
    return out;
  }
  // PCA: the search space and the start of the layout.
  auto t0 = Clock::now();
  report(opt, "pca", 0, 1);
  const Pca pca = fit_pca(vectors, n, dim, std::max<std::size_t>(opt.pca_dims, 2), opt);
  out.stats.pca_variance_kept =
      pca.total_variance > 0
          ? std::accumulate(pca.variance.begin(), pca.variance.end(), 0.0) / pca.total_variance
          : 1.0;
  std::vector<float> p;
  const bool reduce = dim > opt.pca_dims;
  std::size_t m_used = pca.m;
  if (reduce) {
    m_used = search_dims(pca);
    p = project(pca, vectors, n, m_used, opt.threads);
  }
  out.stats.search_dims = reduce ? m_used : dim;
  std::vector<float> pc2 = project(pca, vectors, n, std::min<std::size_t>(2, pca.m), opt.threads);
  if (pca.m < 2) {  // one-dimensional vectors: the second axis is flat
    std::vector<float> two(n * 2, 0.0f);
    for (std::size_t i = 0; i < n; ++i) two[i * 2] = pc2[i];
    pc2.swap(two);
  }
  out.stats.pca_s = seconds_since(t0);
  report(opt, "pca", 1, 1);
  if (cancelled(opt)) return out;

  t0 = Clock::now();
  out.graph = reduce ? graph_from(p.data(), m_used, vectors, dim, n, opt, &out.stats)
                     : graph_from(vectors, dim, vectors, dim, n, opt, &out.stats);
  out.stats.knn_s = seconds_since(t0);
  if (cancelled(opt)) return out;
  out.rare = rarity_scores(out.graph, opt.rare_k);

  t0 = Clock::now();
  report(opt, "graph", 0, 1);
  const Edges edges = fuzzy_graph(out.graph, &out.stats.edges);
  out.stats.graph_s = seconds_since(t0);
  report(opt, "graph", 1, 1);

  t0 = Clock::now();
  const int epochs = opt.epochs > 0 ? opt.epochs : n > kLargeSet ? kEpochsLarge : kEpochsSmall;
  out.stats.epochs = epochs;
  out.xy = initial_layout(pc2, n, opt.seed);
  if (n > 1) run_layout(out.xy, edges, n, epochs, opt);
  out.stats.layout_s = seconds_since(t0);
  out.complete = !cancelled(opt);
  return out;
}

EmbeddingMap embedding_map(const SimilarSpace& space, const EmbeddingMapOptions& opt) {
  return embedding_map(space.vectors.data(), space.items.size(), space.dim, opt);
}

MapQuality map_quality(const float* vectors, std::size_t dim, const EmbeddingMap& map,
                       std::size_t k, std::size_t queries, unsigned threads) {
  MapQuality q;
  const std::size_t n = map.n;
  q.k = k = std::min(k, n > 0 ? n - 1 : 0);
  q.queries = queries = std::min(queries, n);
  if (k == 0 || queries == 0) return q;
  q.random_recall = double(k) / double(n - 1);
  std::vector<double> map_hits(queries, 0), graph_hits(queries, 0);
  detail::parallel_for(
      queries, thread_count(threads),
      [&](std::size_t lo, std::size_t hi) {
        std::vector<Cand> hd(n), ld(n);
        for (std::size_t s = lo; s < hi; ++s) {
          const std::size_t i = s * n / queries;
          for (std::size_t j = 0; j < n; ++j) {
            const auto jj = static_cast<std::uint32_t>(j);
            hd[j] = {j == i ? kInf : dist2(vectors + i * dim, vectors + j * dim, dim), jj};
            ld[j] = {j == i ? kInf : dist2(map.xy.data() + i * 2, map.xy.data() + j * 2, 2), jj};
          }
          std::partial_sort(hd.begin(), hd.begin() + long(k), hd.end());
          std::partial_sort(ld.begin(), ld.begin() + long(k), ld.end());
          std::vector<std::uint32_t> truth, low;
          for (std::size_t a = 0; a < k; ++a) truth.push_back(hd[a].i), low.push_back(ld[a].i);
          std::sort(truth.begin(), truth.end());
          std::sort(low.begin(), low.end());
          std::vector<std::uint32_t> common;
          std::set_intersection(truth.begin(), truth.end(), low.begin(), low.end(),
                                std::back_inserter(common));
          map_hits[s] = double(common.size()) / double(k);
          std::vector<std::uint32_t> g;
          for (std::size_t a = 0; a < k && a < map.graph.k; ++a)
            g.push_back(map.graph.index[i * map.graph.k + a]);
          std::sort(g.begin(), g.end());
          common.clear();
          std::set_intersection(truth.begin(), truth.end(), g.begin(), g.end(),
                                std::back_inserter(common));
          graph_hits[s] = double(common.size()) / double(k);
        }
      },
      4);
  for (std::size_t s = 0; s < queries; ++s)
    q.map_recall += map_hits[s], q.graph_recall += graph_hits[s];
  q.map_recall /= double(queries);
  q.graph_recall /= double(queries);
  return q;
}

}  // namespace needle