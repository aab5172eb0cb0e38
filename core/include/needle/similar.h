// needle/similar.h — "find similar": one vector per object (and per frame), an exact
// nearest-neighbour index over them, and user embeddings searched instead of the built-in vectors.
//
// Built-in object descriptor: the concatenation of named parts, each normalised on its own and
// multiplied by its weight (kSimilarWeight*), then the whole vector scaled to unit length:
//   shape      ESF histogram of the object's points in its own box frame, resampled on a grid
//              relative to the box so that a far (sparse) and a near (dense) view match
//              (lidar_shape.h); zeros when fewer than kMinShapePoints points
//   dims       log(h, w, l) / kDimsLogScale
//   intensity  mean, standard deviation, 10/50/90% quantiles of the points' reflectance
//   colour     per-channel 8-bin histogram of the object's image crop (2D box), unit length
//   patch      the crop resampled to 8x8 grey, zero mean, unit length
//   class      one-hot over ObjectClass
//   range      ground distance / kRangeScaleM, clamped to 1
//   occlusion  occluded / 3 and truncated, clamped to [0, 1]
//   findings   per finding kind (kSimilarFindingKinds, + "other"), the highest score of the
//   object's
//              findings of that kind (rank_frames, needle method, label/prediction evidence)
// Built-in frame descriptor: class counts (log1p), the image's colour histogram and 8x4 patch,
// finding counts per kind (log1p).
// Similarity of two unit vectors a, b is their cosine: 1 - |a - b|^2 / 2, in [-1, 1]; the index
// searches Euclidean distance on the unit vectors, which gives the same order.
//
// Cache: the costly parts (shape, intensity, colour, patch: they need the scan and the image) are
// cached per dataset in one file under cache_dir (default $XDG_CACHE_HOME/needle/similar, else
// $HOME/.cache/needle/similar), with the same rules as the lidar cache: every frame's record
// carries kSimilarParamsVersion and the size and modification time of its scan, calibration,
// label, image and prediction files; a record whose stamps differ from the files now on disk is
// recomputed, never served; the file is written to a temporary name and renamed. The cheap parts
// (dims, class, range, occlusion, findings) are computed on every build from the annotations.
//
// User embeddings (load_embeddings): CSV `ref,v0,v1,...` (one row per ref, optional header row
// starting with "ref", '#' comments) or NumPy .npy (float32/float64, C order, 2-D N x D) with a
// key file of N refs, one per line. Refs as in `needle review`: FRAME (a frame vector) or
// FRAME/label/N, FRAME/pred/SET/N (object vectors). Every ref must name a frame or an object of
// the dataset; the first that does not stops loading with a ParseError naming file and line.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "needle/dataset.h"
#include "needle/findings.h"
#include "needle/store.h"

namespace needle {

// ---- Descriptor layout ------------------------------------------------------------------------
// Bump on any change of how the cached parts are computed (the cache keys its records on it).
constexpr int kSimilarParamsVersion = 1;

// Part sizes.
constexpr std::size_t kShapeDims = 80;     // ESF's 10 histograms, each rebinned 64 -> 8
constexpr std::size_t kIntensityDims = 5;  // mean, std, p10, p50, p90 of reflectance
constexpr std::size_t kColourBins = 8;     // per channel
constexpr std::size_t kColourDims = 3 * kColourBins;
constexpr std::size_t kPatchSide = 8;  // object patch: 8x8 grey
constexpr std::size_t kPatchDims = kPatchSide * kPatchSide;
constexpr std::size_t kFramePatchW = 8, kFramePatchH = 4;  // frame patch (KITTI images ~3.3:1)
constexpr std::size_t kClassDims = 10;                     // ObjectClass values
// Finding kinds with a slot of their own; every other kind shares one "other" slot.
inline constexpr const char* kSimilarFindingKinds[] = {
    "unmatched_prediction", "unmatched_label", "class_mismatch", "poor_overlap", "heading_flip"};
constexpr std::size_t kFindingDims = 6;
// Where each part lies in the object vector (object_vector's order), and its length.
constexpr std::size_t kOffsetShape = 0;
constexpr std::size_t kOffsetDims = kOffsetShape + kShapeDims;
constexpr std::size_t kOffsetIntensity = kOffsetDims + 3;
constexpr std::size_t kOffsetColour = kOffsetIntensity + kIntensityDims;
constexpr std::size_t kOffsetPatch = kOffsetColour + kColourDims;
constexpr std::size_t kOffsetClass = kOffsetPatch + kPatchDims;
constexpr std::size_t kOffsetRange = kOffsetClass + kClassDims;
constexpr std::size_t kOffsetOcclusion = kOffsetRange + 1;
constexpr std::size_t kOffsetFindings = kOffsetOcclusion + 2;
constexpr std::size_t kObjectVectorDims = kOffsetFindings + kFindingDims;

// Weights of the parts in the object vector (each part has unit length, or a value in [0, 1] per
// scalar, before weighting). Chosen by hand, not tuned: shape, size, class and findings are what a
// labelling error is made of; appearance and reflectance vary with light and sensor, so they count
// less; range and occlusion describe the view, not the object, and count least.
constexpr double kWeightShape = 1.0;
constexpr double kWeightDims = 1.0;
constexpr double kWeightIntensity = 0.5;
constexpr double kWeightColour = 0.75;
constexpr double kWeightPatch = 0.5;
constexpr double kWeightClass = 1.0;
constexpr double kWeightRange = 0.35;
constexpr double kWeightOcclusion = 0.35;
constexpr double kWeightFindings = 1.0;
// log(dimension / 1 m) is divided by this: ln 4 maps a 4 m car length to 1 (KITTI objects are
// 0.3-20 m, so the part stays within about +-2).
constexpr double kDimsLogScale = 1.386294361;
// Range is divided by this and clamped to 1: 80 m is the lidar analysis's max_range (lidar.h).
constexpr double kRangeScaleM = 80.0;

// The parts that need the scan or the image (what the cache holds). Empty vectors: not available.
struct ObjectRawParts {
  std::uint32_t n_points = 0;    // points inside the box above kGroundClearanceM
  std::vector<float> shape;      // kShapeDims, unit length; empty: fewer than kMinShapePoints
  std::vector<float> intensity;  // kIntensityDims; empty: no points
  std::vector<float> colour;     // kColourDims, unit length; empty: no image or empty crop
  std::vector<float> patch;      // kPatchDims, unit length (zero for a flat crop); empty: none
};
struct FrameRawParts {
  std::vector<float> colour;  // kColourDims; empty: no image
  std::vector<float> patch;   // kFramePatchW * kFramePatchH; empty: no image
};

// Points closer than this to a box's bottom face are left out of its shape and reflectance: they
// are mostly road (the lidar analysis uses a 0.25 m band above its fitted ground; a box's own
// bottom is a less exact ground, so the band is smaller).
constexpr double kGroundClearanceM = 0.15;

// Appearance parts of an image region (pixels, clamped to the image). Empty when the clipped
// region is empty.
std::vector<float> colour_histogram(const Image& img, const Box2D& region_px);
std::vector<float> grey_patch(const Image& img, const Box2D& region_px, std::size_t w,
                              std::size_t h);

// The raw parts of one object from its frame's scan (velodyne frame; may be null) and image (may
// be null). `calib` is needed for the points (null: no point parts).
ObjectRawParts object_raw_parts(const Object& o, const PointCloud* cloud_velo, const Calib* calib,
                                const Image* image);

// The object's findings as the kFindingDims slot values (max score per kind).
std::vector<float> finding_slots(const std::vector<const Finding*>& findings);

// The combined, unit-length object vector.
std::vector<float> object_vector(const Object& o, const ObjectRawParts& raw,
                                 const std::vector<float>& findings);
// The combined, unit-length frame vector. `objects`: the frame's labels (DontCare skipped).
std::vector<float> frame_vector(const std::vector<Object>& objects, const FrameRawParts& raw,
                                const std::vector<float>& finding_counts);

// ---- Spaces and the index --------------------------------------------------------------------
struct SimilarItem {
  ObjectRef ref;
  std::string cls;  // class name as written in the file; "" for a frame
};

// Vectors of one kind of item (objects, or frames), each unit length (or zero).
struct SimilarSpace {
  std::vector<SimilarItem> items;
  std::size_t dim = 0;
  std::vector<float> vectors;  // items.size() x dim, row-major
  const float* row(std::size_t i) const { return vectors.data() + i * dim; }
  // Index of the item with this ref, or nullopt.
  std::optional<std::size_t> find(const ObjectRef& ref) const;
};

struct SimilarSpaces {
  SimilarSpace objects, frames;
  std::string source;  // "built-in" or the embeddings file
};

struct Neighbour {
  std::size_t item = 0;
  double similarity = 0;  // cosine, 1 - d^2 / 2 of the unit vectors
};

// Exact k nearest neighbours (Euclidean) through a k-d tree (FLANN's single k-d tree index, exact
// search; core/src/lidar/similar_index.cpp). Built once, queried from any thread.
class SimilarIndex {
 public:
  SimilarIndex();  // empty: every query returns nothing
  explicit SimilarIndex(const SimilarSpace& space);
  ~SimilarIndex();
  SimilarIndex(SimilarIndex&&) noexcept;
  SimilarIndex& operator=(SimilarIndex&&) noexcept;
  // The k nearest items to `v` (space.dim floats), most similar first, ties by item index;
  // `exclude` (an item index) is left out.
  std::vector<Neighbour> query(const float* v, std::size_t k,
                               std::optional<std::size_t> exclude = std::nullopt) const;
  std::size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One answer of find_similar.
struct SimilarResult {
  ObjectRef ref;
  std::string cls;  // class name as written in the file; "" for a frame
  double similarity = 0;
};
// The k items most similar to `ref`, most similar first, `ref` itself left out: objects for an
// object ref (searched in `objects_index`, built from spaces.objects), frames for a frame ref.
// nullopt when `ref` has no vector (not in the dataset, a DontCare line, not in the embeddings).
// The one query path of the CLI and the viewer.
std::optional<std::vector<SimilarResult>> find_similar(const SimilarSpaces& spaces,
                                                       const SimilarIndex& objects_index,
                                                       const SimilarIndex& frames_index,
                                                       const ObjectRef& ref, std::size_t k);

// ---- Building the built-in spaces ------------------------------------------------------------
// $XDG_CACHE_HOME/needle/similar, else $HOME/.cache/needle/similar, else ./.needle-cache/similar.
std::filesystem::path default_similar_cache_dir();

struct SimilarBuildOptions {
  unsigned threads = 0;             // 0 = hardware concurrency
  bool use_cache = true;            // false: --no-cache (neither read nor written)
  std::filesystem::path cache_dir;  // empty: default_similar_cache_dir()
  bool predictions = true;          // prediction objects are items too
  // (phase "loading" | "descriptors" | "findings", done, total), from worker threads.
  std::function<void(const char* phase, std::size_t done, std::size_t total)> progress;
  const std::atomic<bool>* cancel = nullptr;  // set: stop soon; the result is then incomplete
};
struct SimilarBuildStats {
  std::size_t frames = 0, computed = 0, from_cache = 0, objects = 0;
  bool cache_written = false;
  double seconds = 0;
};

// The built-in object and frame spaces of a dataset (DontCare lines are not items). Never throws
// on bad data: an unreadable scan or image leaves those parts empty.
SimilarSpaces build_builtin_spaces(const DatasetIndex& ds, const SimilarBuildOptions& opt = {},
                                   SimilarBuildStats* stats = nullptr);
// The same on annotations already loaded (load_all_annotations(ds, true): with calibration, which
// the point parts need); the "loading" phase is skipped.
SimilarSpaces build_builtin_spaces(const DatasetIndex& ds,
                                   const std::vector<FrameAnnotations>& annotations,
                                   const SimilarBuildOptions& opt = {},
                                   SimilarBuildStats* stats = nullptr);

// The cache file of a dataset (for tests and tools).
std::filesystem::path similar_cache_file(const DatasetIndex& ds,
                                         const std::filesystem::path& cache_dir);

// Runs build_builtin_spaces on a background thread (for the viewer): poll progress() and done(),
// then take(). Destroying or cancel() stops it (the result is then discarded).
class SimilarBuildJob {
 public:
  SimilarBuildJob(DatasetIndex ds, SimilarBuildOptions opt);
  ~SimilarBuildJob();
  SimilarBuildJob(const SimilarBuildJob&) = delete;
  SimilarBuildJob& operator=(const SimilarBuildJob&) = delete;
  bool done() const { return done_.load(); }
  // Share of the work done in [0, 1] and the phase's name.
  double progress(std::string* phase = nullptr) const;
  void cancel() { cancel_.store(true); }
  // The spaces and their indexes; call once after done() (blocks until then).
  struct Result {
    SimilarSpaces spaces;
    SimilarIndex objects, frames;
    SimilarBuildStats stats;
    // find_similar on these spaces and indexes.
    std::optional<std::vector<SimilarResult>> query(const ObjectRef& ref, std::size_t k) const {
      return find_similar(spaces, objects, frames, ref, k);
    }
  };
  Result take();

 private:
  std::atomic<bool> done_{false}, cancel_{false};
  mutable std::mutex mutex_;
  std::string phase_;
  double share_ = 0;
  Result result_;
  std::thread thread_;
};

// ---- User embeddings -------------------------------------------------------------------------
// Reads a CSV (by default) or a .npy file (by its extension or its magic bytes; `keys` required)
// and checks every ref against the dataset: the frame exists, the prediction set exists, the
// object index is within the file's object lines. Throws ParseError naming the file and line of
// the first problem (a ref that does not match the dataset, a row of another length, a value that
// is not a finite number, a duplicate ref, a key count that differs from the array's rows).
// `annotations`: load_all_annotations(ds) (object counts and class names).
SimilarSpaces load_embeddings(const std::filesystem::path& file,
                              const std::optional<std::filesystem::path>& keys,
                              const DatasetIndex& ds,
                              const std::vector<FrameAnnotations>& annotations);

// Checks a ref against the dataset: "" when it names a frame or an object (DontCare included),
// else what is wrong ("frame 000009 is not in the dataset", "label index 7 is past the end of
// 000001's label file (7 objects)", ...).
std::string check_ref(const ObjectRef& ref, const DatasetIndex& ds,
                      const std::vector<FrameAnnotations>& annotations);

}  // namespace needle
