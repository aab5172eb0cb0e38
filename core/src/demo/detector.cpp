// demo/detector.cpp — two simulated 3D detectors run on the true scene (before label errors are
// injected). Misses grow with range, occlusion and truncation; localisation noise grows with range;
// classes are sometimes confused; headings sometimes flip; low-score false positives appear on
// static structure and at random. Scores track how well an object can be seen.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "needle/box3d.h"
#include "needle/angles.h"
#include "pipeline.h"

namespace needle::demo {

const std::vector<DetectorProfile>& detector_profiles() {
  // sim_b is a plausible retrained variant: shorter range, weaker on trucks and truncated
  // objects, noisier boxes, more confusion and more clutter.
  static const std::vector<DetectorProfile> kProfiles = {
      {"sim_a", 78, 50, 0.985, 0.93, 0.97, 0.70, 0.45, 0.03, 0.015, 1.0, 0.8},
      {"sim_b", 64, 40, 0.96, 0.87, 0.70, 0.85, 0.90, 0.07, 0.04, 1.25, 1.5},
  };
  return kProfiles;
}

namespace {

bool is_person(ObjectClass c) {
  return c == ObjectClass::Pedestrian || c == ObjectClass::Cyclist;
}


ObjectClass confused(ObjectClass c) {
  switch (c) {
    case ObjectClass::Car:
      return ObjectClass::Van;
    case ObjectClass::Van:
      return ObjectClass::Car;
    case ObjectClass::Truck:
      return ObjectClass::Van;
    case ObjectClass::Pedestrian:
      return ObjectClass::Cyclist;
    case ObjectClass::Cyclist:
      return ObjectClass::Pedestrian;
    default:
      return c;
  }
}

// Finishes a predicted box: class name, observation angle, 2D box from its projection. False when
// the box does not reach the image (a camera-evaluated detector reports nothing there).
bool finish(Object& p, const Camera& cam, double score) {
  p.type = class_name(p.cls);
  p.truncated = -1;  // detectors do not estimate these (KITTI results use -1)
  p.occluded = -1;
  p.score = std::clamp(score, 0.0, 1.0);
  const auto box = projected_box_2d(p, cam.calib, cam.width, cam.height);
  if (!box || box->width() < 2 || box->height() < 2) return false;
  p.box2d = *box;
  p.alpha = observation_angle(p);
  return true;
}

Object mean_box(ObjectClass cls) {
  Object o;
  o.cls = cls;
  switch (cls) {
    case ObjectClass::Pedestrian:
      o.h = 1.76, o.w = 0.66, o.l = 0.84;
      break;
    case ObjectClass::Cyclist:
      o.h = 1.74, o.w = 0.60, o.l = 1.76;
      break;
    default:
      o.h = 1.53, o.w = 1.63, o.l = 3.88;
      break;
  }
  return o;
}

// A detection of a real object, or nullopt when the detector misses it.
std::optional<Object> detect(const LabelledObject& t, const DetectorProfile& pr, const Camera& cam,
                             Rng& rng) {
  const Object& g = t.label;
  const bool person = is_person(g.cls);
  const double d50 = person ? pr.d50_person : pr.d50_vehicle;
  double p = (person ? pr.base_person : pr.base_vehicle) /
             (1.0 + std::exp((t.distance - d50) / (0.12 * d50)));
  const double hidden = 1.0 - t.visible;
  p *= 1.0 - pr.occl_penalty * std::pow(hidden, 1.5);
  p *= 1.0 - pr.trunc_penalty * std::max(0.0, g.truncated) * std::max(0.0, g.truncated);
  if (g.cls == ObjectClass::Truck) p *= pr.truck_factor;
  if (!rng.chance(p)) return std::nullopt;

  Object o = g;
  // Centre noise ~5 cm + ~1% of range along the line of sight (depth is hardest), half that
  // across it; people are small and localised proportionally better.
  const double sigma = pr.noise * (person ? 0.6 : 1.0) * (0.05 + 0.009 * t.distance);
  const double r = std::max(t.distance, 1e-3);
  const double los_x = g.loc_cam.x / r, los_z = g.loc_cam.z / r;
  const double e_depth = rng.normal(0, sigma), e_side = rng.normal(0, 0.5 * sigma);
  o.loc_cam.x += e_depth * los_x + e_side * los_z;
  o.loc_cam.z += e_depth * los_z - e_side * los_x;
  o.loc_cam.y += rng.normal(0, 0.3 * sigma);
  const double size_noise = 0.03 * pr.noise;
  o.h *= 1.0 + rng.normal_clamped(0, size_noise);
  o.w *= 1.0 + rng.normal_clamped(0, size_noise);
  o.l *= 1.0 + rng.normal_clamped(0, size_noise);
  o.rotation_y += rng.normal(0, pr.noise * (0.03 + 0.001 * t.distance));
  if (rng.chance(person ? 3 * pr.flip : pr.flip)) o.rotation_y += kPi;
  o.rotation_y = wrap_pi(o.rotation_y);
  double score = 0.35 + 0.6 * t.visible * std::exp(-t.distance / 90.0) + rng.normal(0, 0.06);
  if (rng.chance(pr.confusion)) {
    const ObjectClass c = confused(g.cls);
    if (c != g.cls) {
      o.cls = c;
      score *= 0.85;
    }
  }
  if (!finish(o, cam, std::clamp(score, 0.12, 0.999))) return std::nullopt;
  return o;
}

// A false positive on static structure (a pole taken for a pedestrian, a wall for a car) or on
// empty ground.
std::optional<Object> false_positive(const Scene& sc, Rng& rng) {
  const Camera& cam = *sc.cam;
  const double score = 0.05 + 0.4 * std::pow(rng.uniform(), 2.0);
  std::vector<int> structure;
  for (int i = 0; i < static_cast<int>(sc.solids.size()); ++i) {
    const Solid& s = sc.solids[static_cast<std::size_t>(i)];
    if (s.object < 0 && s.in_image && s.loc.z > 4 && s.loc.z < 60) structure.push_back(i);
  }
  Object o;
  if (!structure.empty() && rng.chance(0.4)) {
    const Solid& s = sc.solids[static_cast<std::size_t>(structure[static_cast<std::size_t>(
        rng.uniform_int(0, static_cast<int>(structure.size()) - 1))])];
    const Part& p = s.parts[0];
    const bool thin = p.x1 - p.x0 < 0.6 && p.z1 - p.z0 < 0.6;
    o = mean_box(thin ? ObjectClass::Pedestrian : ObjectClass::Car);
    // Along the structure's long side, on the face that looks at the sensor.
    const double lx = thin ? 0.0 : rng.uniform(p.x0 + 2, std::max(p.x0 + 2, p.x1 - 2));
    const double side_z = (s.sin_ry * (0 - s.loc.x) + s.cos_ry * (0 - s.loc.z)) > 0 ? p.z1 : p.z0;
    const double lz = thin ? 0.0 : side_z;
    o.loc_cam = {s.loc.x + s.cos_ry * lx + s.sin_ry * lz, s.loc.y,
                 s.loc.z - s.sin_ry * lx + s.cos_ry * lz};
    o.rotation_y = thin ? rng.uniform(-kPi, kPi) : s.ry;
  } else {
    const int k = rng.pick(std::array{0.6, 0.25, 0.15});
    o = mean_box(k == 0   ? ObjectClass::Car
                 : k == 1 ? ObjectClass::Pedestrian
                          : ObjectClass::Cyclist);
    const double range = rng.uniform(6, 60), az = rng.uniform(-0.6, 0.6);
    // On the ground plane: y from the plane equation at (x, z).
    const double x = range * std::sin(az), z = range * std::cos(az);
    const Vec3& n = cam.ground_n;
    o.loc_cam = {x, (cam.ground_c - n.x * x - n.z * z) / n.y, z};
    o.rotation_y = rng.chance(0.7) ? (rng.chance(0.5) ? -kPi / 2 : kPi / 2) + rng.normal(0, 0.1)
                                   : rng.uniform(-kPi, kPi);
  }
  o.h *= 1.0 + rng.normal_clamped(0, 0.05);
  o.w *= 1.0 + rng.normal_clamped(0, 0.05);
  o.l *= 1.0 + rng.normal_clamped(0, 0.05);
  o.rotation_y = wrap_pi(o.rotation_y);
  if (!finish(o, cam, score)) return std::nullopt;
  return o;
}

}  // namespace

std::vector<Object> simulate_detector(const Scene& sc, const FrameTruth& truth,
                                      const DetectorProfile& pr, Rng& rng) {
  std::vector<Object> out;
  for (const auto* list : {&truth.objects, &truth.ignored})
    for (const LabelledObject& t : *list)
      if (auto o = detect(t, pr, *sc.cam, rng)) out.push_back(std::move(*o));
  for (int i = rng.poisson(pr.fp_mean); i > 0; --i)
    if (auto o = false_positive(sc, rng)) out.push_back(std::move(*o));
  // Detectors list their boxes by decreasing confidence.
  std::stable_sort(out.begin(), out.end(),
                   [](const Object& a, const Object& b) { return *a.score > *b.score; });
  return out;
}

}  // namespace needle::demo
