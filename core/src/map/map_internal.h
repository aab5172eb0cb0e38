// map/map_internal.h — what the embedding map's sources share (not a public header): seeded
// random streams, distances, candidate entries, progress and cancel helpers, the PCA and the
// kNN graph in the search space. See needle/embedding_map.h for the method and its contracts.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include "needle/embedding_map.h"

namespace needle::map_detail {

constexpr float kInf = std::numeric_limits<float>::infinity();

// SplitMix64 (Steele, Lea, Flood 2014): the state of every random stream is a hash of
// (seed, step, point), so a draw never depends on which thread made the one before.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
struct Rng {
  std::uint64_t s;
  Rng(std::uint64_t seed, std::uint64_t step, std::uint64_t point)
      : s(mix64(mix64(mix64(seed) ^ step) ^ point)) {}
  std::uint64_t next() { return s = mix64(s); }
  // In [0, n), n < 2^32: the high 32 bits scaled (Lemire's multiply-shift; no division).
  std::size_t below(std::size_t n) {
    return static_cast<std::size_t>(((next() >> 32) * std::uint64_t(n)) >> 32);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double normal() {  // Box-Muller
    const double u1 = std::max(uniform(), 1e-300), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};
// Streams of each step (distinct so that two steps never share draws).
enum Step : std::uint64_t { kStepPca = 1, kStepTree = 2, kStepJitter = 3, kStepEpoch = 1000 };

inline float dist2(const float* a, const float* b, std::size_t d) {
  float s = 0;
  for (std::size_t i = 0; i < d; ++i) {
    const float t = a[i] - b[i];
    s += t * t;
  }
  return s;
}

struct Cand {
  float d;
  std::uint32_t i;
  bool operator<(const Cand& o) const { return d < o.d || (d == o.d && i < o.i); }
};

inline unsigned thread_count(unsigned t) {
  return t ? t : std::max(1u, std::thread::hardware_concurrency());
}
inline bool cancelled(const EmbeddingMapOptions& o) {
  return o.cancel && o.cancel->load();
}
inline void report(const EmbeddingMapOptions& o, const char* phase, std::size_t d, std::size_t t) {
  if (o.progress) o.progress(phase, d, t);
}

// ---- PCA (pca.cpp) ---------------------------------------------------------------------------
struct Pca {
  std::size_t dim = 0, m = 0;
  std::vector<double> mean;   // dim
  std::vector<double> basis;  // m x dim, rows are the axes, largest variance first
  std::vector<double> variance;
  double total_variance = 0;
};

// The top m principal axes of n rows of x (dim floats each): the covariance of an even sample
// of rows, orthogonal iteration from a seeded start, Rayleigh-Ritz.
Pca fit_pca(const float* x, std::size_t n, std::size_t dim, std::size_t m,
            const EmbeddingMapOptions& opt);
// Rows of x projected on the first `m` axes of p (centred): n x m floats.
std::vector<float> project(const Pca& p, const float* x, std::size_t n, std::size_t m,
                           unsigned threads);
// How many axes the neighbour search needs (the variance they keep).
std::size_t search_dims(const Pca& p);

// ---- kNN graph (knn_graph.cpp) ------------------------------------------------------------------
// The graph from a float matrix already in the search space (`p`, d dims), with exact
// re-ranking in the full space (`x`, dim dims) when they differ.
KnnGraph graph_from(const float* p, std::size_t d, const float* x, std::size_t dim, std::size_t n,
                    const EmbeddingMapOptions& opt, EmbeddingMapStats* stats);

}  // namespace needle::map_detail
