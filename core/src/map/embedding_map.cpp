// map/embedding_map.cpp — the embedding map and rarity (needle/embedding_map.h): PCA, the
// approximate kNN graph, UMAP's fuzzy graph and its layout. Deterministic for a seed whatever the
// thread count (see the header for how).
//
// Index
//   [SECTION] Helpers (random numbers, distances, sorted lists)
//   [SECTION] PCA
//   [SECTION] kNN graph (random projection forest, NN-descent, exact re-ranking)
//   [SECTION] Fuzzy graph
//   [SECTION] Layout
//   [SECTION] Rarity, quality, the whole map
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "needle/embedding_map.h"
#include "../ranking_internal.h"

namespace needle {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
constexpr float kInf = std::numeric_limits<float>::infinity();

// ============================================================================================
// [SECTION] Helpers
// ============================================================================================
// SplitMix64 (Steele, Lea, Flood 2014): the state of every random stream is a hash of
// (seed, step, point), so a draw never depends on which thread made the one before.
std::uint64_t mix64(std::uint64_t x) {
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

float dist2(const float* a, const float* b, std::size_t d) {
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

unsigned thread_count(unsigned t) {
  return t ? t : std::max(1u, std::thread::hardware_concurrency());
}
bool cancelled(const EmbeddingMapOptions& o) {
  return o.cancel && o.cancel->load();
}
void report(const EmbeddingMapOptions& o, const char* phase, std::size_t d, std::size_t t) {
  if (o.progress) o.progress(phase, d, t);
}

// ============================================================================================
// [SECTION] PCA
// ============================================================================================
// Rows of the covariance sample: an even spread of at most this many rows (the covariance of
// 20,000 rows of a few hundred dimensions is as good as that of all rows for a projection).
constexpr std::size_t kPcaSampleRows = 20000;
// Orthogonal iterations: the subspace converges as (lambda_{m+1} / lambda_m)^t; 40 is ample for
// a projection that only has to keep distances (the exact ordering of close axes is irrelevant).
constexpr int kPcaIterations = 40;
// Jacobi sweeps of the small Rayleigh-Ritz matrix (converges in < 10 for m <= 64).
constexpr int kJacobiSweeps = 30;

struct Pca {
  std::size_t dim = 0, m = 0;
  std::vector<double> mean;   // dim
  std::vector<double> basis;  // m x dim, rows are the axes, largest variance first
  std::vector<double> variance;
  double total_variance = 0;
};

// Eigen-decomposition of a symmetric m x m matrix a (row-major) by cyclic Jacobi rotations:
// eigenvalues in `values`, eigenvectors as the columns of v.
void jacobi_eigen(std::vector<double> a, std::size_t m, std::vector<double>& values,
                  std::vector<double>& v) {
  v.assign(m * m, 0.0);
  for (std::size_t i = 0; i < m; ++i) v[i * m + i] = 1;
  for (int sweep = 0; sweep < kJacobiSweeps; ++sweep) {
    double off = 0;
    for (std::size_t p = 0; p < m; ++p)
      for (std::size_t q = p + 1; q < m; ++q) off += a[p * m + q] * a[p * m + q];
    if (off < 1e-24) break;
    for (std::size_t p = 0; p < m; ++p)
      for (std::size_t q = p + 1; q < m; ++q) {
        const double apq = a[p * m + q];
        if (std::abs(apq) < 1e-300) continue;
        const double theta = (a[q * m + q] - a[p * m + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (std::size_t k = 0; k < m; ++k) {  // columns p, q
          const double akp = a[k * m + p], akq = a[k * m + q];
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (std::size_t k = 0; k < m; ++k) {  // rows p, q
          const double apk = a[p * m + k], aqk = a[q * m + k];
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (std::size_t k = 0; k < m; ++k) {
          const double vkp = v[k * m + p], vkq = v[k * m + q];
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
  }
  values.resize(m);
  for (std::size_t i = 0; i < m; ++i) values[i] = a[i * m + i];
}

// Orthonormalises the m rows of q (each `dim` long) in place, modified Gram-Schmidt. A row that
// collapses (rank below m) is replaced by a unit axis not yet spanned.
void orthonormalise(std::vector<double>& q, std::size_t m, std::size_t dim) {
  for (std::size_t r = 0; r < m; ++r) {
    double* row = q.data() + r * dim;
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t p = 0; p < r; ++p) {
        const double* prev = q.data() + p * dim;
        double dot = 0;
        for (std::size_t k = 0; k < dim; ++k) dot += row[k] * prev[k];
        for (std::size_t k = 0; k < dim; ++k) row[k] -= dot * prev[k];
      }
    double norm = 0;
    for (std::size_t k = 0; k < dim; ++k) norm += row[k] * row[k];
    norm = std::sqrt(norm);
    if (norm < 1e-12) {
      for (std::size_t axis = 0; axis < dim; ++axis) {  // the first axis far from the span
        std::fill(row, row + dim, 0.0);
        row[axis] = 1;
        for (std::size_t p = 0; p < r; ++p) {
          const double* prev = q.data() + p * dim;
          const double dot = prev[axis];
          for (std::size_t k = 0; k < dim; ++k) row[k] -= dot * prev[k];
        }
        norm = 0;
        for (std::size_t k = 0; k < dim; ++k) norm += row[k] * row[k];
        norm = std::sqrt(norm);
        if (norm > 0.5) break;
      }
    }
    for (std::size_t k = 0; k < dim; ++k) row[k] /= norm;
  }
}

Pca fit_pca(const float* x, std::size_t n, std::size_t dim, std::size_t m,
            const EmbeddingMapOptions& opt) {
  Pca p;
  p.dim = dim;
  p.m = m = std::min(m, dim);
  const std::size_t s = std::min(n, kPcaSampleRows);
  std::vector<std::size_t> rows(s);
  for (std::size_t r = 0; r < s; ++r) rows[r] = r * n / s;
  p.mean.assign(dim, 0.0);
  for (std::size_t r : rows)
    for (std::size_t k = 0; k < dim; ++k) p.mean[k] += x[r * dim + k];
  for (double& v : p.mean) v /= double(std::max<std::size_t>(s, 1));
  // Covariance, blocks of kBlock rows of C per task; each entry sums the sample in row order.
  constexpr std::size_t kBlock = 8;
  std::vector<double> cov(dim * dim, 0.0);
  std::vector<float> centred(s * dim);
  for (std::size_t r = 0; r < s; ++r)
    for (std::size_t k = 0; k < dim; ++k)
      centred[r * dim + k] = static_cast<float>(x[rows[r] * dim + k] - p.mean[k]);
  const std::size_t blocks = (dim + kBlock - 1) / kBlock;
  detail::parallel_for(
      blocks, opt.threads,
      [&](std::size_t lo, std::size_t hi) {
        for (std::size_t b = lo; b < hi; ++b) {
          const std::size_t r0 = b * kBlock, r1 = std::min(dim, r0 + kBlock);
          for (std::size_t r = 0; r < s; ++r) {
            const float* row = centred.data() + r * dim;
            for (std::size_t a = r0; a < r1; ++a) {
              const double va = row[a];
              if (va == 0) continue;
              double* out = cov.data() + a * dim;
              for (std::size_t c = a; c < dim; ++c) out[c] += va * row[c];
            }
          }
        }
      },
      1);
  for (std::size_t a = 0; a < dim; ++a)
    for (std::size_t c = a; c < dim; ++c) {
      cov[a * dim + c] /= double(std::max<std::size_t>(s, 1));
      cov[c * dim + a] = cov[a * dim + c];
    }
  for (std::size_t a = 0; a < dim; ++a) p.total_variance += cov[a * dim + a];

  // Orthogonal iteration from a seeded Gaussian start: Q <- orth(Q C).
  std::vector<double> q(m * dim);
  Rng rng(opt.seed, kStepPca, 0);
  for (double& v : q) v = rng.normal();
  orthonormalise(q, m, dim);
  std::vector<double> z(m * dim);
  for (int it = 0; it < kPcaIterations; ++it) {
    std::fill(z.begin(), z.end(), 0.0);
    for (std::size_t r = 0; r < m; ++r)
      for (std::size_t a = 0; a < dim; ++a) {
        const double qa = q[r * dim + a];
        if (qa == 0) continue;
        const double* ca = cov.data() + a * dim;
        double* zr = z.data() + r * dim;
        for (std::size_t c = 0; c < dim; ++c) zr[c] += qa * ca[c];
      }
    q.swap(z);
    orthonormalise(q, m, dim);
  }
  // Rayleigh-Ritz: B = Q C Q^T, its eigenvectors rotate Q onto the principal axes.
  std::vector<double> cq(m * dim, 0.0);
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t a = 0; a < dim; ++a) {
      const double qa = q[r * dim + a];
      if (qa == 0) continue;
      const double* ca = cov.data() + a * dim;
      for (std::size_t c = 0; c < dim; ++c) cq[r * dim + c] += qa * ca[c];
    }
  std::vector<double> b(m * m);
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t c = 0; c < m; ++c) {
      double v = 0;
      for (std::size_t k = 0; k < dim; ++k) v += cq[r * dim + k] * q[c * dim + k];
      b[r * m + c] = v;
    }
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t c = r + 1; c < m; ++c) b[r * m + c] = b[c * m + r] = 0.5 * (b[r * m + c] + b[c * m + r]);
  std::vector<double> values, vecs;
  jacobi_eigen(b, m, values, vecs);
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return values[i] > values[j]; });
  p.basis.assign(m * dim, 0.0);
  p.variance.resize(m);
  for (std::size_t o = 0; o < m; ++o) {
    const std::size_t e = order[o];
    p.variance[o] = std::max(0.0, values[e]);
    for (std::size_t r = 0; r < m; ++r) {
      const double w = vecs[r * m + e];
      for (std::size_t k = 0; k < dim; ++k) p.basis[o * dim + k] += w * q[r * dim + k];
    }
  }
  return p;
}

// The neighbour search needs no axis beyond the first ones that keep this share of the total
// variance (the rest is below the float noise of a distance; the exact re-ranking restores the
// order): the demo without images and scans keeps 100 % in ~20 of its 195 dimensions.
constexpr double kSearchVarianceKept = 0.9999;
constexpr std::size_t kMinSearchDims = 8;
std::size_t search_dims(const Pca& p) {
  double acc = 0;
  for (std::size_t a = 0; a < p.m; ++a) {
    acc += p.variance[a];
    if (a + 1 >= kMinSearchDims && acc >= kSearchVarianceKept * p.total_variance) return a + 1;
  }
  return p.m;
}

// Rows of x projected on the first `m` axes of p (centred): n x m floats.
std::vector<float> project(const Pca& p, const float* x, std::size_t n, std::size_t m,
                           unsigned threads) {
  std::vector<float> out(n * m);
  detail::parallel_for(
      n, threads,
      [&](std::size_t lo, std::size_t hi) {
        std::vector<double> c(p.dim);
        for (std::size_t i = lo; i < hi; ++i) {
          for (std::size_t k = 0; k < p.dim; ++k) c[k] = x[i * p.dim + k] - p.mean[k];
          for (std::size_t a = 0; a < m; ++a) {
            double v = 0;
            const double* axis = p.basis.data() + a * p.dim;
            for (std::size_t k = 0; k < p.dim; ++k) v += axis[k] * c[k];
            out[i * m + a] = static_cast<float>(v);
          }
        }
      },
      256);
  return out;
}

// ============================================================================================
// [SECTION] kNN graph
// ============================================================================================
// Random projection trees of the forest that seeds NN-descent, and their largest leaf. UMAP
// uses 5 + sqrt(n) / 20 trees of leaf size max(10, k); NN-descent repairs what a smaller forest
// misses, so a fixed 8 trees of 32 are used (measured recall in bench/RESULTS.md #12 §2).
constexpr std::size_t kForestTrees = 8;
constexpr std::size_t kLeafSize = 32;
// NN-descent: at most this many rounds; stop when fewer than kDescentDelta * n * L entries of
// the lists changed in a round (UMAP's delta, 0.001).
constexpr int kDescentMaxRounds = 10;
constexpr double kDescentDelta = 0.001;

// Candidate list length in the PCA space: the graph's k and kExtraCandidates more, so that the
// exact re-ranking has room to reorder (recall measured in bench/RESULTS.md #12 §2).
constexpr std::size_t kExtraCandidates = 5;
std::size_t candidate_count(std::size_t k) {
  return k + kExtraCandidates;
}

// The leaves of one random projection tree: a permutation of the points and leaf ranges in it.
struct Tree {
  std::vector<std::uint32_t> perm;
  std::vector<std::uint32_t> leaf_of;            // point -> leaf
  std::vector<std::pair<std::size_t, std::size_t>> leaves;  // [begin, end) in perm
};

Tree build_tree(const float* p, std::size_t n, std::size_t d, std::uint64_t seed, std::size_t t) {
  Tree tr;
  tr.perm.resize(n);
  std::iota(tr.perm.begin(), tr.perm.end(), 0u);
  tr.leaf_of.assign(n, 0);
  Rng rng(seed, kStepTree, t);
  std::vector<std::pair<std::size_t, std::size_t>> stack{{0, n}};
  std::vector<float> normal(d);
  std::vector<std::uint32_t> left, right;
  while (!stack.empty()) {
    const auto [b, e] = stack.back();
    stack.pop_back();
    if (e - b <= kLeafSize) {
      for (std::size_t i = b; i < e; ++i) tr.leaf_of[tr.perm[i]] = static_cast<std::uint32_t>(tr.leaves.size());
      tr.leaves.push_back({b, e});
      continue;
    }
    // The hyperplane halfway between two random points of the node.
    const std::uint32_t a = tr.perm[b + rng.below(e - b)];
    std::uint32_t c = tr.perm[b + rng.below(e - b)];
    for (int tries = 0; tries < 8 && c == a; ++tries) c = tr.perm[b + rng.below(e - b)];
    double offset = 0;
    for (std::size_t k = 0; k < d; ++k) {
      normal[k] = p[a * d + k] - p[c * d + k];
      offset += 0.5 * double(normal[k]) * (double(p[a * d + k]) + double(p[c * d + k]));
    }
    left.clear(), right.clear();
    for (std::size_t i = b; i < e; ++i) {
      const std::uint32_t pt = tr.perm[i];
      double side = -offset;
      for (std::size_t k = 0; k < d; ++k) side += double(normal[k]) * p[pt * d + k];
      (side > 0 ? left : right).push_back(pt);
    }
    // Duplicates (or a zero normal) leave one side empty: split the node in its middle.
    if (left.empty() || right.empty()) {
      left.assign(tr.perm.begin() + long(b), tr.perm.begin() + long(b + (e - b) / 2));
      right.assign(tr.perm.begin() + long(b + (e - b) / 2), tr.perm.begin() + long(e));
    }
    std::copy(left.begin(), left.end(), tr.perm.begin() + long(b));
    std::copy(right.begin(), right.end(), tr.perm.begin() + long(b + left.size()));
    stack.push_back({b, b + left.size()});
    stack.push_back({b + left.size(), e});
  }
  return tr;
}

// Sorted candidate lists (n x L), nearest first; `fresh` marks entries new since last round.
struct Lists {
  std::size_t n = 0, l = 0;
  std::vector<Cand> c;
  std::vector<char> fresh;
};

// Keeps the best L of `pool` (sorted, unique by index, self excluded) in row i of `out`.
void keep_best(std::vector<Cand>& pool, std::size_t i, std::size_t l, Cand* row) {
  std::sort(pool.begin(), pool.end(), [](const Cand& a, const Cand& b) {
    return a.i < b.i || (a.i == b.i && a.d < b.d);
  });
  pool.erase(std::unique(pool.begin(), pool.end(),
                         [](const Cand& a, const Cand& b) { return a.i == b.i; }),
             pool.end());
  pool.erase(std::remove_if(pool.begin(), pool.end(), [&](const Cand& c) { return c.i == i; }),
             pool.end());
  const std::size_t keep = std::min(l, pool.size());
  std::partial_sort(pool.begin(), pool.begin() + long(keep), pool.end());
  for (std::size_t j = 0; j < l; ++j)
    row[j] = j < keep ? pool[j] : Cand{kInf, static_cast<std::uint32_t>(-1)};
}

Lists forest_lists(const float* p, std::size_t n, std::size_t d, std::size_t l,
                   const EmbeddingMapOptions& opt) {
  std::vector<Tree> trees(kForestTrees);
  detail::parallel_for(
      kForestTrees, opt.threads,
      [&](std::size_t lo, std::size_t hi) {
        for (std::size_t t = lo; t < hi; ++t) trees[t] = build_tree(p, n, d, opt.seed, t);
      },
      1);
  Lists out;
  out.n = n, out.l = l;
  out.c.resize(n * l);
  out.fresh.assign(n * l, 1);
  detail::parallel_for(
      n, opt.threads,
      [&](std::size_t lo, std::size_t hi) {
        std::vector<Cand> pool;
        for (std::size_t i = lo; i < hi; ++i) {
          pool.clear();
          for (const Tree& tr : trees) {
            const auto [b, e] = tr.leaves[tr.leaf_of[i]];
            for (std::size_t k = b; k < e; ++k) {
              const std::uint32_t j = tr.perm[k];
              if (j != i) pool.push_back({dist2(p + i * d, p + std::size_t(j) * d, d), j});
            }
          }
          keep_best(pool, i, l, out.c.data() + i * l);
        }
      },
      256);
  return out;
}

// One NN-descent round, read-only on `in`: each point looks at the lists of its neighbours and
// reverse neighbours, skipping pairs both of whose links are old (already looked at). Returns
// the number of list entries that changed.
std::size_t descent_round(const float* p, std::size_t d, const Lists& in, Lists& out,
                          const EmbeddingMapOptions& opt) {
  const std::size_t n = in.n, l = in.l;
  // Reverse lists (CSR), each capped at its l nearest (ties by index).
  std::vector<std::size_t> start(n + 1, 0);
  for (std::size_t i = 0; i < n * l; ++i)
    if (in.c[i].i < n) ++start[in.c[i].i + 1];
  for (std::size_t i = 0; i < n; ++i) start[i + 1] += start[i];
  struct Rev {
    Cand c;
    char fresh;
  };
  std::vector<Rev> rev(start[n]);
  {
    std::vector<std::size_t> fill(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < l; ++j) {
        const Cand& c = in.c[i * l + j];
        if (c.i < n) rev[fill[c.i]++] = {{c.d, static_cast<std::uint32_t>(i)}, in.fresh[i * l + j]};
      }
  }
  std::vector<std::size_t> rev_len(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto b = rev.begin() + long(start[i]), e = rev.begin() + long(start[i + 1]);
    const std::size_t len = std::min<std::size_t>(l, std::size_t(e - b));
    std::partial_sort(b, b + long(len), e, [](const Rev& x, const Rev& y) { return x.c < y.c; });
    rev_len[i] = len;
  }
  out.n = n, out.l = l;
  out.c.resize(n * l);
  out.fresh.assign(n * l, 0);
  std::atomic<std::size_t> changed{0};
  detail::parallel_for(
      n, opt.threads,
      [&](std::size_t lo, std::size_t hi) {
        std::vector<Cand> pool;
        std::vector<std::uint32_t> probe, known;
        std::size_t local = 0;
        for (std::size_t i = lo; i < hi; ++i) {
          if (cancelled(opt)) return;
          probe.clear();
          auto visit = [&](std::uint32_t j, bool link_fresh) {
            for (std::size_t k = 0; k < l; ++k) {
              const Cand& c = in.c[std::size_t(j) * l + k];
              if (c.i >= n || c.i == i) continue;
              if (link_fresh || in.fresh[std::size_t(j) * l + k]) probe.push_back(c.i);
            }
          };
          for (std::size_t k = 0; k < l; ++k) {
            const Cand& c = in.c[i * l + k];
            if (c.i < n) visit(c.i, in.fresh[i * l + k]);
          }
          for (std::size_t r = start[i]; r < start[i] + rev_len[i]; ++r)
            visit(rev[r].c.i, rev[r].fresh);
          std::sort(probe.begin(), probe.end());
          probe.erase(std::unique(probe.begin(), probe.end()), probe.end());
          pool.assign(in.c.begin() + long(i * l), in.c.begin() + long((i + 1) * l));
          pool.erase(std::remove_if(pool.begin(), pool.end(), [&](const Cand& c) { return c.i >= n; }),
                     pool.end());
          known.clear();
          for (const Cand& c : pool) known.push_back(c.i);
          std::sort(known.begin(), known.end());
          for (std::uint32_t j : probe)
            if (!std::binary_search(known.begin(), known.end(), j))
              pool.push_back({dist2(p + i * d, p + std::size_t(j) * d, d), j});
          Cand* row = out.c.data() + i * l;
          keep_best(pool, i, l, row);
          for (std::size_t k = 0; k < l; ++k) {
            bool was = false;
            for (std::size_t m = 0; m < l && !was; ++m) was = in.c[i * l + m].i == row[k].i;
            if (!was && row[k].i < n) {
              out.fresh[i * l + k] = 1;
              ++local;
            }
          }
        }
        changed += local;
      },
      128);
  return changed.load();
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
      y[i * 2 + std::size_t(a)] = static_cast<float>(
          (double(pc2[i * 2 + std::size_t(a)]) - lo[a]) / span * kInitExtent +
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
namespace {

// The graph from a float matrix already in the search space (`p`, d dims), with exact
// re-ranking in the full space (`x`, dim dims) when they differ.
KnnGraph graph_from(const float* p, std::size_t d, const float* x, std::size_t dim, std::size_t n,
                    const EmbeddingMapOptions& opt, EmbeddingMapStats* stats) {
  KnnGraph g;
  g.n = n;
  g.k = opt.neighbours;
  const std::size_t l = std::max(candidate_count(g.k), std::size_t(1));
  g.index.assign(n * g.k, static_cast<std::uint32_t>(n));
  g.dist.assign(n * g.k, kInf);
  if (n < 2 || g.k == 0) return g;
  report(opt, "neighbours", 0, kDescentMaxRounds + 1);
  Lists lists = forest_lists(p, n, d, l, opt);
  int rounds = 0;
  for (; rounds < kDescentMaxRounds && !cancelled(opt); ++rounds) {
    Lists next;
    const std::size_t changed = descent_round(p, d, lists, next, opt);
    lists = std::move(next);
    report(opt, "neighbours", std::size_t(rounds + 1), kDescentMaxRounds + 1);
    if (double(changed) < kDescentDelta * double(n) * double(l)) {
      ++rounds;
      break;
    }
  }
  if (stats) stats->knn_rounds = rounds;
  if (cancelled(opt)) return g;
  detail::parallel_for(
      n, opt.threads,
      [&](std::size_t lo, std::size_t hi) {
        std::vector<Cand> pool;
        for (std::size_t i = lo; i < hi; ++i) {
          pool.clear();
          for (std::size_t k = 0; k < l; ++k) {
            const std::uint32_t j = lists.c[i * l + k].i;
            if (j < n) pool.push_back({x == p ? lists.c[i * l + k].d : dist2(x + i * dim, x + std::size_t(j) * dim, dim), j});
          }
          std::sort(pool.begin(), pool.end());
          for (std::size_t k = 0; k < g.k && k < pool.size(); ++k) {
            g.index[i * g.k + k] = pool[k].i;
            g.dist[i * g.k + k] = std::sqrt(std::max(0.0f, pool[k].d));
          }
        }
      },
      256);
  return g;
}

}  // namespace

KnnGraph knn_graph(const float* vectors, std::size_t n, std::size_t dim,
                   const EmbeddingMapOptions& opt, EmbeddingMapStats* stats) {
  if (dim <= opt.pca_dims || n < 2) return graph_from(vectors, dim, vectors, dim, n, opt, stats);
  const Pca pca = fit_pca(vectors, n, dim, opt.pca_dims, opt);
  const std::size_t m = search_dims(pca);
  const std::vector<float> p = project(pca, vectors, n, m, opt.threads);
  return graph_from(p.data(), m, vectors, dim, n, opt, stats);
}

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
  out.stats.pca_variance_kept = pca.total_variance > 0
                                    ? std::accumulate(pca.variance.begin(), pca.variance.end(), 0.0) /
                                          pca.total_variance
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
  for (std::size_t s = 0; s < queries; ++s) q.map_recall += map_hits[s], q.graph_recall += graph_hits[s];
  q.map_recall /= double(queries);
  q.graph_recall /= double(queries);
  return q;
}

}  // namespace needle
