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
//     "shifts":[{"frame":"000031","kind":"dark","detail":"image brightness x0.35"}]  frames made
//      under shifted conditions (--shift; absent when none was asked for), one kind a frame:
//        dark      image_2 rendered as usual, then every channel scaled by kShiftDarkFactor
//        sparse    the lidar keeps every kShiftSparseBeamStride-th beam (a 16-beam sensor)
//        noisy     lidar range noise kShiftNoisyRangeSigmaM instead of 2 cm
//        size      every object kShiftSizeFactor larger in each dimension
//        mix       another class mix: pedestrians and cyclists x kShiftMixPersonFactor, vehicles
//                  x kShiftMixVehicleFactor
//        camera    another camera: kShiftCameraWidth x kShiftCameraHeight image, focal length
//                  kShiftCameraFocal px (a wider lens); labels and scans follow it
//      The shifted frames are kShift fraction of the frames (--shift-fraction), drawn from the
//      frames without broken files, kinds dealt in turn; every other frame is byte-identical to
//      a run without --shift.
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
  std::vector<std::string> shifts;  // shift kinds (demo_shift_kinds()); empty: no shifted frames
  double shift_fraction = 0.25;     // fraction of frames made under a shift (when shifts is set)
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

// A frame made under shifted conditions (see the file comment).
struct InjectedShift {
  std::string frame;
  std::string kind;  // one of demo_shift_kinds()
  std::string detail;
};

// The shift kinds, in the order `--shift all` deals them.
const std::vector<std::string>& demo_shift_kinds();
// The strength of each shift (the file comment says what they do). Strong enough to be a real
// change of conditions (a night-time exposure, a 16-beam sensor, a worn sensor, another country's
// fleet, a pedestrian zone, another camera), not subtle by design.
constexpr double kShiftDarkFactor = 0.35;
constexpr int kShiftSparseBeamStride = 4;
constexpr double kShiftNoisyRangeSigmaM = 0.12;
constexpr double kShiftSizeFactor = 1.3;
constexpr double kShiftMixPersonFactor = 4.0, kShiftMixVehicleFactor = 0.35;
constexpr int kShiftCameraWidth = 1024, kShiftCameraHeight = 512;
constexpr double kShiftCameraFocal = 480.0;

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
  std::vector<InjectedShift> shifts;          // frames made under shifted conditions
};

// Base colour (RGB, 0-255, before face shading and haze) in which image_2 draws each class; other
// classes get grey. Shading scales all three channels alike, so the ratios identify the class.
std::array<std::uint8_t, 3> demo_class_color(ObjectClass c);

// Writes the dataset; throws std::runtime_error when OUT_DIR cannot be written.
DemoSummary generate_demo(const std::filesystem::path& out_dir, const DemoOptions& opt);

// Reads OUT_DIR/injected.json back (for benchmarks and tests). Throws ParseError (file, field)
// when the file is missing, is not JSON or lacks the expected fields.
// `shifts` (optional) receives the "shifts" list (empty when the file has none).
std::vector<InjectedError> read_injected(const std::filesystem::path& injected_json,
                                         std::vector<InjectedShift>* shifts = nullptr);

}  // namespace needle
