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
//      noise    scan roughness: the median |r[i-1] - 2 r[i] + r[i+1]| of the ranges of
//               consecutive points in file order (all three within kRoughnessMaxRangeM), a
//               measure of range noise that needs no model of the sensor
//      objects  log(1 + object count), mean ground range of the objects
//      mix      shares of vehicles (Car, Van, Truck) and of people (Pedestrian, Person_sitting,
//               Cyclist) among the objects
//      size     mean over objects of log(h w l / the class's mean h w l on KITTI), i.e. how much
//               bigger than usual for their class the objects are
//    Objects are the frame's labels when the dataset has label files, else the predictions of the
//    chosen set (DontCare lines and prediction scores below kShiftMinScore are left out).
//    The image and scan measurements need the files and are cached (one file per dataset under
//    default_shift_cache_dir(), the rules of the find-similar cache: a record is reused only while
//    the stamps (size, mtime) of the frame's image, scan and calibration are unchanged).
//
// 2. Novelty. Each feature is standardised with TRAIN's robust statistics: z = (x - median) /
//    scale, scale = IQR / 1.349 (the standard deviation of a normal with that IQR), or when the IQR
//    is 0 the standard deviation, floored at kMinScaleFraction of |median| (and 1e-6); a NaN
//    feature counts as z = 0. Every part weighs the same: its z's are divided by sqrt(its
//    feature count). A frame's distance is the mean Euclidean distance to its kShiftNeighbours
//    nearest TRAIN frames. Calibration on TRAIN itself: each TRAIN frame's leave-one-out distance
//    (its own k nearest among the other TRAIN frames) gives the reference distribution, and
//      novelty = (d - median(reference)) / (1.4826 * MAD(reference))
//    a robust z-score: 0 is a typical training frame, > 3 a frame less like training than almost
//    every training frame is like the rest. Frames are listed most novel first.
//    The reason names the parts that differ most from the nearest TRAIN frames, each with a
//    ratio or comparison to TRAIN's median ("image 2.8x darker than training").
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
  kFeatShareVehicle,
  kFeatSharePerson,
  kFeatSizeLog,
  kFrameFeatures
};
// Column names (for attributes and reasons): "brightness", "contrast", ...
const char* frame_feature_name(std::size_t f);
// The part each feature belongs to: "image", "camera", "scan", "noise", "objects", "mix", "size".
const char* frame_feature_part(std::size_t f);

using FrameFeatures = std::array<double, kFrameFeatures>;  // NaN: not available
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Only ranges up to this enter the roughness (far returns are sparse and their neighbours in the
// file are far apart): 30 m is where KITTI's lidar still gives several points per metre.
constexpr double kRoughnessMaxRangeM = 30.0;
// Prediction scores below this are left out of a frame's objects (unscored or scores in [0, 1]
// and above; 0.3 drops the long tail of low-confidence detections most detectors emit).
constexpr double kShiftMinScore = 0.3;
// Bump on any change of how the cached (image and scan) features are computed.
constexpr int kShiftParamsVersion = 1;

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

struct FeatureScale {
  FrameFeatures median{}, scale{};
};
FeatureScale fit_scale(const std::vector<FrameFeatures>& train);

struct FrameNovelty {
  std::size_t frame = 0;            // index into PROD's frames
  double novelty = 0;               // robust z-score of the distance (file comment)
  double distance = 0;              // mean distance to the nearest TRAIN frames
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
// "image 2.8x darker than training; scan 3.9x fewer points" for a PROD frame, given TRAIN's scale
// and its nearest TRAIN frames' features.
std::string novelty_reason(const FrameFeatures& x, const FeatureScale& sc,
                           const std::vector<const FrameFeatures*>& nearest);

}  // namespace needle
