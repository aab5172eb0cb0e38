// demo/pipeline.h — internal: the stages that turn a Scene into files' contents.
//
//   annotate()          labels.cpp    true labels (truncation, occlusion, alpha, 2D box, DontCare)
//   simulate_detector() detector.cpp  predictions of one simulated detector on the true scene
//   inject_error()      inject.cpp    one deliberate label error, after the predictions were made
//   scan_lidar()        lidar.cpp     a 64-beam spinning lidar scan, velodyne frame
//   render_image()      render.cpp    the image_2 picture
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "needle/demo.h"
#include "needle/types.h"
#include "scene.h"

namespace needle::demo {

struct LabelledObject {
  Object label;         // the label line (truncated, occluded, alpha and box2d filled)
  int object = -1;      // index into Scene::objects; -1 for a spurious (injected) label
  double visible = 1;   // visible fraction of the object's in-image footprint, [0, 1]
  double distance = 0;  // metres, ground plane
};

struct FrameTruth {
  std::vector<LabelledObject> objects;  // labelled objects, in file order
  std::vector<LabelledObject> ignored;  // visible in the image but only DontCare (far, tiny)
  std::vector<Object> dontcare;         // DontCare lines, written after the objects
};

// KITTI's observation angle: alpha = rotation_y - atan2(x, z), wrapped to [-pi, pi].
double observation_angle(const Object& o);
// Fraction of the projected (near-clipped) 3D box that lies outside the image, [0, 1].
double truncation(const Object& o, const Camera& cam);
// Fills box2d, truncated and alpha from the 3D box; false when it does not reach the image.
bool project_label(Object& o, const Camera& cam);

FrameTruth annotate(const Scene& scene, Rng& rng);

struct DetectorProfile {
  const char* name;
  double d50_vehicle, d50_person;  // range (m) where the detection probability halves
  double base_vehicle, base_person;
  double truck_factor;   // extra factor on the probability for trucks
  double occl_penalty;   // probability lost at full occlusion
  double trunc_penalty;  // probability lost at full truncation
  double confusion;      // Car<->Van, Pedestrian<->Cyclist
  double flip;           // heading off by 180 degrees
  double noise;          // scale of the localisation noise
  double fp_mean;        // false positives per frame
};
const std::vector<DetectorProfile>& detector_profiles();  // sim_a (strong), sim_b (weaker)

std::vector<Object> simulate_detector(const Scene& scene, const FrameTruth& truth,
                                      const DetectorProfile& profile, Rng& rng);

enum class ErrorKind { MissingLabel, WrongClass, ShiftedBox, WrongSize, RotatedBox, SpuriousLabel };
constexpr int kErrorKinds = 6;
const char* error_kind_name(ErrorKind k);

// Applies one error of the given kind (or, when no object suits it, a spurious label) to
// truth.objects. Returns the record (label = index in the final label list, -1 for a removed
// object), or nullopt when nothing could be injected.
std::optional<InjectedError> inject_error(const Scene& scene, FrameTruth& truth, ErrorKind kind,
                                          Rng& rng);

// Shifted sensor conditions (demo --shift): the defaults are the normal sensor.
struct LidarShift {
  int beam_stride = 1;         // keep beams 0, stride, 2*stride ...
  double range_sigma_m = 0.02;  // range noise (one sigma)
};
PointCloud scan_lidar(const Scene& scene, Rng& rng, const LidarShift& shift = {});
Image render_image(const Scene& scene);

}  // namespace needle::demo
