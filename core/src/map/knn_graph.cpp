// map/knn_graph.cpp — the embedding map's approximate kNN graph (map_internal.h): a random
// projection forest, NN-descent rounds read-only on the round before, exact re-ranking.
#include <algorithm>
#include <atomic>
#include <numeric>

#include "map_internal.h"
#include "../ranking_internal.h"

namespace needle::map_detail {

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
  std::vector<std::uint32_t> leaf_of;                       // point -> leaf
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
      for (std::size_t i = b; i < e; ++i)
        tr.leaf_of[tr.perm[i]] = static_cast<std::uint32_t>(tr.leaves.size());
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
  std::sort(pool.begin(), pool.end(),
            [](const Cand& a, const Cand& b) { return a.i < b.i || (a.i == b.i && a.d < b.d); });
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
          pool.erase(
              std::remove_if(pool.begin(), pool.end(), [&](const Cand& c) { return c.i >= n; }),
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
            if (j < n)
              pool.push_back({x == p ? lists.c[i * l + k].d
                                     : dist2(x + i * dim, x + std::size_t(j) * dim, dim),
                              j});
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

}  // namespace needle::map_detail

namespace needle {

using namespace map_detail;

KnnGraph knn_graph(const float* vectors, std::size_t n, std::size_t dim,
                   const EmbeddingMapOptions& opt, EmbeddingMapStats* stats) {
  if (dim <= opt.pca_dims || n < 2) return graph_from(vectors, dim, vectors, dim, n, opt, stats);
  const Pca pca = fit_pca(vectors, n, dim, opt.pca_dims, opt);
  const std::size_t m = search_dims(pca);
  const std::vector<float> p = project(pca, vectors, n, m, opt.threads);
  return graph_from(p.data(), m, vectors, dim, n, opt, stats);
}

}  // namespace needle
