// needle/demo.h — the project's own deterministic synthetic KITTI-format dataset.
//
// Layout written under OUT_DIR (ids are 6 digits, 000000 ...):
//   training/{image_2,velodyne,calib,label_2}/<id>.{png,bin,txt,txt}
//   pred/<detector>/<id>.txt          simulated detector runs on the true (pre-injection) scene;
//                                     a file for every frame, empty when nothing was detected
//   injected.json                     every injected label error and every invalid-data frame:
//     {"seed":S,"frames":N,...,"errors":[{"frame":"000012","kind":"shifted_box","label":3,
//      "detail":"...","magnitude":0.42,"unit":"m","range_m":17.3,"occlusion":0,
//      "size_bin":"subtle"}]}  label = index among the label file's object lines (0-based, blank
//      lines not counted; DontCare lines come last), -1 for missing_label and invalid data.
//      Label errors carry their size (invalid-data entries do not):
//        shifted_box     magnitude = BEV displacement, unit "m"          (drawn 0.3-3 m)
//        wrong_size      magnitude = the factor farthest from 1 among the dimensions changed,
//                        unit "factor"                                  (0.7-1.4 per dimension)
//        rotated_box     magnitude = |rotation change|, unit "deg"      (10-180 deg)
//        wrong_class     magnitude 1 (neighbouring classes: Car/Van, Van/Truck,
//                        Pedestrian/Person_sitting, Pedestrian/Cyclist) or 2 (distant), unit
//                        "class"
//        missing_label,  magnitude = range of the object, unit "range_m" (near and far,
//        spurious_label  occluded and clear)
//      range_m: ground distance of the object from the camera; occlusion: its KITTI occlusion
//      level (0-3). size_bin (see error_size_bin): "subtle" when the shift is < 1 m, every size
//      factor within [0.8, 1.25], the rotation < 45 deg, the swap between neighbouring classes, or
//      the missing/spurious object is far (> 30 m) or occluded (level >= 1); "gross" otherwise.
//
// What the data is: each frame is a street scene (city, residential or rural road) ray-cast by a
// simulated 64-beam lidar (~120k points a scan, velodyne frame) and rendered from camera 2 with the
// frame's calibration; frames come in "drives" of 40 that share one of three KITTI-like
// calibrations and image sizes (1242x375, 1238x374, 1224x370). Labels follow KITTI: only objects
// visible in the image, 2D box = projected 3D box clipped to the image, truncation, occlusion 0-3
// from ray-cast visibility, alpha = rotation_y - atan2(x, z), far or tiny objects as DontCare.
// Detectors: sim_a (strong) and sim_b (weaker). Label errors (a fraction of frames, one each) and
// broken files (truncated .bin, corrupt PNG, bad label line) are listed in injected.json.
//
// The same (frames, seed, options) always produce byte-identical files, whatever the thread
// count; images/lidar switched off leave labels, calibration and predictions unchanged. Earlier
// demo files (6-digit names) in the dataset's folders are removed first; nothing else is touched.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "needle/types.h"

namespace needle {

struct DemoOptions {
  int frames = 200;
  std::uint64_t seed = 1;
  double error_fraction = 0.08;  // fraction of frames with an injected label error
  double invalid_fraction =
      0.015;             // fraction of frames with broken files (at least 1 when frames >= 20)
  bool images = true;    // write image_2 (PNG)
  bool lidar = true;     // write velodyne (ray-cast scans)
  unsigned threads = 0;  // 0 = hardware concurrency
  std::function<void(std::size_t done, std::size_t total)> progress;  // may be called from workers
};

struct InjectedError {
  std::string frame;
  std::string
      kind;  // missing_label, wrong_class, shifted_box, wrong_size, rotated_box,
             // spurious_label, or for invalid data: truncated_bin, corrupt_png, bad_label_line
  int label = -1;  // index in the written label file (-1 for a removed object / invalid data)
  std::string detail;
  // The error's size (label errors only; unit empty for invalid data). See the file comment.
  double magnitude = 0;
  std::string unit{};      // "m", "factor", "deg", "class", "range_m"; empty: no magnitude
  double range_m = -1;     // ground distance of the object, metres; -1 unknown
  int occlusion = -1;      // KITTI occlusion level of the object; -1 unknown
  std::string size_bin{};  // "subtle" or "gross"; empty for invalid data (or old files)
};

// Thresholds of the subtle/gross rule (see the file comment). They split each kind's spectrum
// near where annotation-error studies and KITTI's own tolerances put "small": a 1 m shift is
// about a quarter of a car length and already drops a car's BEV IoU below KITTI's 0.7; 25% off a
// dimension and 45 degrees of heading likewise; 30 m is where KITTI's moderate/hard objects begin.
constexpr double kSubtleShiftM = 1.0;
constexpr double kSubtleFactorLo = 0.8, kSubtleFactorHi = 1.25;
constexpr double kSubtleRotationDeg = 45.0;
constexpr double kSubtleRangeM = 30.0;

// "subtle" or "gross" for an error of `kind` with these magnitude/unit/range/occlusion (the rule
// of the file comment); "" for kinds without a size (invalid data).
std::string error_size_bin(const std::string& kind, double magnitude, double range_m,
                           int occlusion);

struct DemoSummary {
  int frames = 0;
  long labels = 0;
  long predictions = 0;
  std::vector<std::string> detectors;  // names of pred/<detector>/ folders
  std::vector<InjectedError> injected;
  long dontcare = 0;                          // DontCare lines (not counted in labels)
  std::vector<long> predictions_by_detector;  // same order as detectors
  long points = 0;                            // lidar points written, all frames
  int invalid_frames = 0;                     // frames with deliberately broken files
};

// Base colour (RGB, 0-255, before face shading and haze) in which image_2 draws each class; other
// classes get grey. Shading scales all three channels alike, so the ratios identify the class.
std::array<std::uint8_t, 3> demo_class_color(ObjectClass c);

// Writes the dataset; throws std::runtime_error when OUT_DIR cannot be written.
DemoSummary generate_demo(const std::filesystem::path& out_dir, const DemoOptions& opt);

// Reads OUT_DIR/injected.json back (for benchmarks and tests). Throws ParseError (file, field)
// when the file is missing, is not JSON or lacks the expected fields.
std::vector<InjectedError> read_injected(const std::filesystem::path& injected_json);

}  // namespace needle
