// needle/embedding_map.h — a 2D map of descriptor vectors that keeps neighbourhoods (issue #12
// §2), and the rarity of each object in descriptor space (the long tail: `rare_object`).
//
// The map is a UMAP-like layout (McInnes, Healy, Melville 2018), written here:
//   1. PCA       the vectors are centred and projected on their top kMapPcaDims principal axes
//                (orthogonal iteration on the covariance of an even sample of rows, then
//                Rayleigh-Ritz with a Jacobi eigensolver); skipped when dim <= kMapPcaDims.
//   2. kNN       an approximate k-nearest-neighbour graph in the PCA space: a random projection
//                forest for a start, then rounds of "neighbours of neighbours" (NN-descent, Dong,
//                Moses, Li 2011), each round read-only on the last one; each point's candidates
//                are then re-ranked by their exact distance in the full space.
//   3. fuzzy     UMAP's fuzzy simplicial set: per point rho (nearest distance) and sigma (binary
//                search for sum exp(-(d - rho) / sigma) = log2 k), symmetrised by
//                w = w_ij + w_ji - w_ij w_ji.
//   4. layout    starts from the first two principal components (scaled to a 10-unit box) and
//                runs UMAP's epochs: each edge is sampled in proportion to its weight, pulls its
//                point towards its neighbour and pushes it away from kMapNegativeSamples random
//                points. The curve is the Cauchy kernel 1 / (1 + d^2) (UMAP's a = b = 1; the
//                t-SNE kernel, cf. Böhm, Berens, Kobak 2022), which needs no pow().
//
// Determinism: the result is a function of the vectors and the seed only — the same for any
// thread count. Every parallel step writes per-point results from read-only inputs of the step
// before (each NN-descent round reads the last graph; each layout epoch moves a point by its own
// edges and negative samples against the positions of the epoch before), every random draw comes
// from a generator seeded by (seed, step, point), and every sum runs in a fixed order. Ties in
// distance are broken by the item index.
//
// Rarity: rare_score(i) = d_k(i) / median_j d_k(j), with d_k the Euclidean distance (full space,
// unit vectors) to the kMapRareK-th nearest other object: 1 is a typical object, 3 one whose
// k-th neighbour is three times further away than usual. A pure function of the kNN graph.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "needle/dataset.h"
#include "needle/similar.h"

namespace needle {

// Neighbours per point in the kNN graph: UMAP's default n_neighbors (15).
constexpr std::size_t kMapNeighbours = 15;
// PCA dimensions the neighbour search runs in: the built-in vectors' 195 dimensions keep ~all of
// their variance in 32 (measured on the demo and the KITTI sample: bench/RESULTS.md #12 §2);
// exact distances in the full space then re-rank the candidates.
constexpr std::size_t kMapPcaDims = 32;
// The k of the rarity score: the 10th neighbour (a small group of 2-5 alike odd objects still
// counts as rare; a class of its own with more than 10 members does not).
constexpr std::size_t kMapRareK = 10;
// Negative samples per positive edge sample: UMAP's negative_sample_rate (5).
constexpr std::size_t kMapNegativeSamples = 5;

struct EmbeddingMapOptions {
  std::uint64_t seed = 1;
  unsigned threads = 0;                     // 0 = hardware concurrency; the result is the same
  std::size_t neighbours = kMapNeighbours;  // k of the graph
  std::size_t rare_k = kMapRareK;           // <= neighbours
  std::size_t pca_dims = kMapPcaDims;
  int epochs = 0;  // 0: UMAP's default, 200 above 10,000 points, else 500
  // (phase "pca" | "neighbours" | "graph" | "layout", done, total), from worker threads.
  std::function<void(const char* phase, std::size_t done, std::size_t total)> progress;
  const std::atomic<bool>* cancel = nullptr;  // set: stop soon; the result is then incomplete
};

// Each point's nearest other points, nearest first (ties by index): index[i * k + j] and the
// Euclidean distance in the full space dist[i * k + j]. Fewer than k real neighbours (n <= k):
// the rest are index n (none) with an infinite distance.
struct KnnGraph {
  std::size_t n = 0, k = 0;
  std::vector<std::uint32_t> index;
  std::vector<float> dist;
};

struct EmbeddingMapStats {
  double pca_s = 0, knn_s = 0, graph_s = 0, layout_s = 0;
  std::size_t edges = 0;  // undirected edges of the fuzzy graph
  int knn_rounds = 0;     // NN-descent rounds run
  int epochs = 0;
  double pca_variance_kept = 1;  // share of the total variance in the PCA space
  std::size_t search_dims = 0;   // dimensions the neighbour search ran in
};

struct EmbeddingMap {
  std::size_t n = 0;
  std::vector<float> xy;    // n x 2, map units (the layout's own scale, ~10-30 across)
  std::vector<float> rare;  // n rarity scores (see the top)
  KnnGraph graph;
  EmbeddingMapStats stats;
  bool complete = false;  // false: cancelled
};

// The approximate kNN graph of n vectors of `dim` floats (row-major).
KnnGraph knn_graph(const float* vectors, std::size_t n, std::size_t dim,
                   const EmbeddingMapOptions& opt, EmbeddingMapStats* stats = nullptr);
// rare_score of every point from a graph with at least k neighbours per point.
std::vector<float> rarity_scores(const KnnGraph& g, std::size_t k);
// Point indices by rarity, rarest first (ties by index).
std::vector<std::size_t> rarest_first(const std::vector<float>& rare);
// The whole map: PCA, graph, layout, rarity.
EmbeddingMap embedding_map(const float* vectors, std::size_t n, std::size_t dim,
                           const EmbeddingMapOptions& opt);
EmbeddingMap embedding_map(const SimilarSpace& space, const EmbeddingMapOptions& opt);

// Neighbourhood preservation of a map (for the bench and the CLI's --evaluate): the mean share
// of each query's `k` exact nearest neighbours in the vectors (brute force) that are among its
// `k` nearest on the map, over `queries` evenly spread points; and the same for the graph.
struct MapQuality {
  std::size_t queries = 0, k = 0;
  double map_recall = 0;     // kNN recall of the 2D map
  double graph_recall = 0;   // kNN recall of the approximate graph (its first k)
  double random_recall = 0;  // what a random map would score: k / (n - 1)
};
MapQuality map_quality(const float* vectors, std::size_t dim, const EmbeddingMap& map,
                       std::size_t k, std::size_t queries, unsigned threads = 0);

// ---- Items of a dataset on the map ------------------------------------------------------------
// What the map shows: the label objects (and, with predictions, the prediction objects) of a
// dataset, from the built-in descriptors or a user embeddings file.
struct MapBuildOptions {
  bool predictions = false;                   // prediction objects are points too
  std::filesystem::path embeddings;           // empty: built-in descriptors
  std::optional<std::filesystem::path> keys;  // .npy key file
  SimilarBuildOptions similar;  // threads, cache (its progress/cancel are set by the job)
  EmbeddingMapOptions map;      // its progress/cancel are set by the job
};

struct DatasetMap {
  SimilarSpace objects;  // the points, in map order
  EmbeddingMap map;
  std::string source;                   // "built-in" or the embeddings file
  double descriptors_s = 0, map_s = 0;  // wall seconds
  double map_cpu_s = 0;                 // CPU seconds of the map, all threads
  std::string error;  // non-empty: the build failed (an embeddings file that does not parse)
};

// The object space of a dataset's map: only the objects (labels; predictions when asked).
SimilarSpace map_objects(const SimilarSpaces& spaces, bool predictions);
// Descriptors then map; a bad embeddings file is reported in `error`, never thrown.
DatasetMap build_dataset_map(const DatasetIndex& ds, const MapBuildOptions& opt);

// Runs build_dataset_map on a background thread (the viewer): poll progress() and done(), then
// take(). Destroying or cancel() stops it.
class MapBuildJob {
 public:
  MapBuildJob(DatasetIndex ds, MapBuildOptions opt);
  ~MapBuildJob();
  MapBuildJob(const MapBuildJob&) = delete;
  MapBuildJob& operator=(const MapBuildJob&) = delete;
  bool done() const { return done_.load(); }
  // Share of the whole job in [0, 1] (descriptors the first half, the map the second) and the
  // phase's name.
  double progress(std::string* phase = nullptr) const;
  void cancel() { cancel_.store(true); }
  DatasetMap take();  // once, after done() (blocks until then)

 private:
  std::atomic<bool> done_{false}, cancel_{false};
  mutable std::mutex mutex_;
  std::string phase_;
  double share_ = 0;
  DatasetMap result_;
  std::thread thread_;
};

}  // namespace needle
