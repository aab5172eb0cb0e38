// needle/shift.h — training vs production: how a second dataset (PROD) differs from a reference
// (TRAIN), per attribute and per frame.
//
// 1. Frame descriptor. Every frame gets a fixed set of measurements (kFrameFeatures, NaN where the
//    modality is absent or unreadable), grouped into named parts:
//      image    mean grey level, grey standard deviation (contrast), mean red and blue
//               chromaticity r/(r+g+b), b/(r+g+b)
//      camera   image width, height, focal length of P2 (px)
//      scan     log(point count), mean and standard deviation of reflectance, mean range, 90%
//               range quantile
//      noise    ground roughness: the median absolute deviation of z over the near-ground
//               points (ground distance kGroundMinRangeM-kGroundMaxRangeM, z_velo below
//               kGroundMaxZ): range noise shows as height noise on the road, whatever the
//               point density (a sparser sensor keeps the same spread; a measure on neighbouring
//               points in the file would not)
//      objects  log(1 + object count), mean ground range of the objects
//      mix      log(1 + count) of vehicles (Car, Van, Truck) and of people (Pedestrian,
//               Person_sitting, Cyclist): counts rather than shares, as a frame's few objects
//               make shares jump (one pedestrian among two objects is 50%)
//      size     mean over objects of log(h w l / the class's mean h w l on KITTI), i.e. how much
//               bigger than usual for their class the objects are
//    Brightness, contrast and roughness enter the novelty as logarithms (a darker exposure or a
//    noisier sensor scales them; the log turns that into the same offset in every scene).
//    Objects are the frame's labels when the dataset has label files, else the predictions of the
//    chosen set (DontCare lines and prediction scores below kShiftMinScore are left out). When
//    one dataset has no labels, both use the predictions of that set where the other has a set
//    of the same name (like with like: a detector's misses are not a shift).
//    The image and scan measurements need the files and are cached (one file per dataset under
//    default_shift_cache_dir(), the rules of the find-similar cache: a record is reused only while
//    the stamps (size, mtime) of the frame's image, scan and calibration are unchanged).
//
// 2. Novelty. Each feature is standardised with TRAIN's robust statistics: z = (x - median) /
//    scale, scale = IQR / 1.349 (the standard deviation of a normal with that IQR), or when the IQR
//    is 0 the standard deviation, floored at kMinScaleFraction of |median| (and 1e-6); a NaN
//    feature counts as z = 0. Every part weighs the same: its z's are divided by sqrt(its
//    feature count). For each part p, a frame's distance d_p is the mean Euclidean distance (on
//    that part's features) to its kShiftNeighbours nearest TRAIN frames. Calibration on TRAIN
//    itself: each TRAIN frame's leave-one-out distance (its own k nearest among the other TRAIN
//    frames) gives each part's reference distribution, and the part's robust z-score is
//      z_p = (d_p - median(reference_p)) / max(1.4826 * MAD(reference_p), kMinSpread)
//    novelty = max over parts of z_p: 0 is a typical training frame, > 3 a frame that in at least
//    one respect is less like training than almost every training frame is like the rest.
//    (Per part, then the maximum, rather than one distance on the whole vector: a shift shows in
//    one part, and on the whole vector the other parts' ordinary variation drowns it.)
//    Frames are listed most novel first. "nearest" are the k nearest TRAIN frames on the whole
//    vector. The reason names the parts with the highest z-scores, each with a ratio or
//    comparison to TRAIN's median ("image 2.8x darker than training").
//
// 3. Attribute statistics (shift_stats.h): object attributes (class, range, occlusion, truncation,
//    2D box height, height/width/length, heading to the sensor), frame attributes (the frame
//    features above) and user metadata columns, each with PSI and a two-sample test, worst first.
#pragma once

#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "needle/dataset.h"
#include "needle/shift_stats.h"

namespace needle {

// ---- Frame features --------------------------------------------------------------------------
enum FrameFeature : std::size_t {
  kFeatBrightness,
  kFeatContrast,
  kFeatChromaRed,
  kFeatChromaBlue,
  kFeatImageWidth,
  kFeatImageHeight,
  kFeatFocal,
  kFeatLogPoints,
  kFeatIntensityMean,
  kFeatIntensityStd,
  kFeatRangeMean,
  kFeatRangeP90,
  kFeatRoughness,
  kFeatLogObjects,
  kFeatObjectRange,
  kFeatLogVehicles,
  kFeatLogPeople,
  kFeatSizeLog,
  kFeatPeoplePerVehicle,
  kFrameFeatures
};
// Column names (for attributes and reasons): "brightness", "contrast", ...
const char* frame_feature_name(std::size_t f);
// The part each feature belongs to: "image", "camera", "scan", "noise", "objects", "mix", "size".
const char* frame_feature_part(std::size_t f);

using FrameFeatures = std::array<double, kFrameFeatures>;  // NaN: not available
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The near-ground points of the roughness: 5-20 m from the sensor (nearer, the car's own body and
// the sensor's blind ring; farther, returns become sparse and the road may slope), and z_velo
// below -1.4 m, i.e. within ~0.33 m of the road for a lidar at KITTI's 1.73 m mounting height.
// Fewer than kMinGroundPoints such points leave the feature unknown.
constexpr double kGroundMinRangeM = 5.0, kGroundMaxRangeM = 20.0, kGroundMaxZ = -1.4;
constexpr std::size_t kMinGroundPoints = 5;
// Prediction scores below this are left out of a frame's objects (unscored or scores in [0, 1]
// and above; 0.3 drops the long tail of low-confidence detections most detectors emit).
constexpr double kShiftMinScore = 0.3;
// Bump on any change of how the cached (image and scan) features are computed.
constexpr int kShiftParamsVersion = 2;

// Measurements from pixels and points (the costly, cached part). Either may be null.
void image_features(const Image* image, FrameFeatures& out);
void scan_features(const PointCloud* cloud_velo, FrameFeatures& out);
// The cheap part: camera from calib and image size, objects from `objects` (DontCare skipped).
void object_features(const std::vector<Object>& objects, FrameFeatures& out);

// Where a dataset's objects come from for the shift analysis.
struct ShiftSource {
  bool labels = true;  // labels; false: predictions of pred_set
  std::size_t pred_set = 0;
};
// Labels when the dataset has label files, else its prediction set `pred_name` (or the first).
ShiftSource choose_source(const DatasetIndex& ds, const std::string& pred_name);
// A frame's objects from that source (DontCare and low-score predictions left out).
std::vector<Object> source_objects(const FrameAnnotations& ann, const ShiftSource& src);

std::filesystem::path default_shift_cache_dir();  // like the similar cache, folder "shift"

struct ShiftBuildOptions {
  unsigned threads = 0;
  bool use_cache = true;
  std::filesystem::path cache_dir;  // empty: default_shift_cache_dir()
  std::function<void(std::size_t done, std::size_t total)> progress;
  const std::atomic<bool>* cancel = nullptr;
};
struct ShiftBuildStats {
  std::size_t frames = 0, computed = 0, from_cache = 0;
  bool cache_written = false;
};

// Every frame's features. `annotations`: load_all_annotations(ds, true) (calib needed for the
// focal length and the scan checks). Never throws on bad data.
std::vector<FrameFeatures> build_frame_features(const DatasetIndex& ds,
                                                const std::vector<FrameAnnotations>& annotations,
                                                const ShiftSource& src,
                                                const ShiftBuildOptions& opt = {},
                                                ShiftBuildStats* stats = nullptr);

// ---- Novelty ---------------------------------------------------------------------------------
// Neighbours averaged in a frame's distance. 5: enough to be stable against one near-duplicate
// frame, few enough that a small cluster of unusual TRAIN frames still covers its own kind.
constexpr std::size_t kShiftNeighbours = 5;
// A standardisation scale is never below this fraction of |median| (a feature that is constant in
// TRAIN, such as the image width of a one-camera set, would otherwise turn rounding into novelty).
constexpr double kMinScaleFraction = 0.01;

// The value of feature f as the novelty sees it: log for brightness, contrast and roughness (see
// the file comment), the measurement itself otherwise; novelty_value_inverse undoes it.
double novelty_value(std::size_t f, double x);
double novelty_value_inverse(std::size_t f, double v);

// Median and scale of each feature's novelty_value over TRAIN.
struct FeatureScale {
  FrameFeatures median{}, scale{};
};
FeatureScale fit_scale(const std::vector<FrameFeatures>& train);

// One part's robust z-score for a frame.
struct PartScore {
  std::string part;
  double z = 0;
};
// A part's reference spread (1.4826 MAD of TRAIN's leave-one-out distances) is never below this
// (standardised units): parts with few distinct values (the camera of a one-camera set, small
// object counts) have a MAD of 0, and a spread of 0 would make any difference infinite.
constexpr double kMinSpread = 0.1;
// A part is named in a reason only above this z-score (3: beyond what TRAIN frames show of
// each other in all but a few per cent of cases).
constexpr double kReasonMinZ = 3.0;

struct FrameNovelty {
  std::size_t frame = 0;            // index into PROD's frames
  double novelty = 0;               // the largest part z-score (file comment)
  double distance = 0;              // mean distance to the nearest TRAIN frames, whole vector
  std::vector<PartScore> parts;     // every part's z-score
  std::vector<std::size_t> nearest;  // TRAIN frame indices, nearest first
  std::string reason;
};
struct NoveltyResult {
  std::vector<FrameNovelty> frames;   // most novel first
  double reference_median = 0, reference_mad = 0;  // of TRAIN's leave-one-out distances
};
// Novelty of every PROD frame against TRAIN (file comment). threads: 0 = hardware concurrency.
NoveltyResult compute_novelty(const std::vector<FrameFeatures>& train,
                              const std::vector<FrameFeatures>& prod, unsigned threads = 0,
                              std::size_t k = kShiftNeighbours);
// "image 2.8x darker than training; scan 3.9x fewer points" for a PROD frame: the part with the
// highest z-score (and the second when above kReasonMinZ and at least half the first), each by
// its feature furthest from TRAIN's median; "like training" when no part is above kReasonMinZ.
std::string novelty_reason(const FrameFeatures& x, const FeatureScale& sc,
                           const std::vector<PartScore>& parts);

// ---- The whole analysis (one pipeline for the CLI and the viewer) ------------------------------
struct ShiftOptions {
  std::string pred;                   // prediction set used where a dataset has no labels ("":
                                      // its first set)
  std::filesystem::path meta;         // metadata CSV for both datasets (rows keyed by frame id);
                                      // empty: none
  std::filesystem::path prod_meta;    // PROD's own metadata CSV (replaces `meta` for PROD)
  std::size_t neighbours = kShiftNeighbours;
  ShiftBuildOptions build;            // threads, cache; progress(done, total) over both sets
};

struct ShiftReport {
  std::vector<AttributeShift> attributes;  // worst first
  NoveltyResult novelty;                   // PROD frames, most novel first
  std::vector<std::string> train_ids, prod_ids;
  std::vector<AttributeSample> train_samples, prod_samples;  // per attribute (histograms)
  ShiftSource train_source, prod_source;
  ShiftBuildStats train_stats, prod_stats;
  std::vector<std::string> warnings;  // e.g. labels compared with predictions
};

// The attribute samples of one dataset: object attributes of attributes.h (class, range,
// occlusion, truncation, height, size, heading) from the source's objects (DontCare lines and
// predictions under kShiftMinScore left out), every frame feature as a frame attribute (named as
// frame_feature_name), and each metadata column. Throws ParseError on a bad metadata file.
std::vector<AttributeSample> shift_attribute_samples(const DatasetIndex& ds,
                                                     const std::vector<FrameAnnotations>& ann,
                                                     const std::vector<FrameFeatures>& features,
                                                     const ShiftSource& src,
                                                     const std::filesystem::path& meta);

// Loads both datasets, builds (or reads from the cache) their frame features, compares every
// attribute and ranks PROD's frames by novelty. Throws ParseError on a bad metadata file; never
// on bad frames. With opt.build.cancel set the result is incomplete.
ShiftReport analyse_shift(const DatasetIndex& train, const DatasetIndex& prod,
                          const ShiftOptions& opt);

}  // namespace needle
