// demo/scene.cpp — lays out one frame's world: a straight road with lanes, parking strips,
// sidewalks and lane paint; buildings, walls, hedges, poles, trees and guard rails beside it
// (unlabelled structure); parked and moving vehicles, cyclists and pedestrians at KITTI-like sizes.
//
// Index
//   [SECTION] Class statistics and colours
//   [SECTION] Object shapes
//   [SECTION] Builder: road, structure, objects
#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "needle/angles.h"

namespace needle::demo {

// =============================================================================================
// [SECTION] Class statistics and colours
// =============================================================================================
namespace {

struct ClassStats {
  double h, sh, w, sw, l, sl;  // mean and spread of height, width, length (m)
};
// Means from KITTI's training labels; spreads of the same order as KITTI's.
ClassStats class_stats(ObjectClass c) {
  switch (c) {
    case ObjectClass::Van:
      return {2.21, 0.30, 1.90, 0.13, 5.08, 0.55};
    case ObjectClass::Truck:
      return {3.25, 0.45, 2.59, 0.15, 10.1, 2.4};
    case ObjectClass::Pedestrian:
      return {1.76, 0.11, 0.66, 0.14, 0.84, 0.22};
    case ObjectClass::Cyclist:
      return {1.74, 0.09, 0.60, 0.12, 1.76, 0.15};
    default:
      return {1.53, 0.13, 1.63, 0.10, 3.88, 0.42};
  }
}

double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

}  // namespace

Rgb class_rgb(ObjectClass c) {
  switch (c) {
    case ObjectClass::Car:
      return {214, 58, 48};
    case ObjectClass::Van:
      return {236, 150, 40};
    case ObjectClass::Truck:
      return {196, 178, 52};
    case ObjectClass::Pedestrian:
      return {222, 64, 200};
    case ObjectClass::Cyclist:
      return {36, 188, 218};
    default:
      return {160, 160, 160};
  }
}

// =============================================================================================
// [SECTION] Object shapes
// =============================================================================================
// Shapes stay inside the labelled box (a few per cent shrunk), so every lidar return from an
// object lies inside its label, and leave gaps (under a car's body, around a cyclist's bike) that
// the lidar can see through.
Solid make_object_solid(const Object& box, double tint, double reflect) {
  Solid s;
  s.loc = box.loc_cam;
  s.ry = box.rotation_y;
  s.cos_ry = std::cos(box.rotation_y);
  s.sin_ry = std::sin(box.rotation_y);
  const double h = box.h, w = box.w, l = box.l;
  const Rgb base = class_rgb(box.cls) * tint;
  auto part = [&](double x0, double x1, double y0, double y1, double z, double k, double refl,
                  Surface surf = Surface::Plain) {
    s.parts[static_cast<std::size_t>(s.n_parts++)] = {x0 * l, x1 * l,   -y1 * h, -y0 * h, -z * w,
                                                      z * w,  base * k, refl,    surf};
  };
  switch (box.cls) {
    case ObjectClass::Van:
      part(-0.49, 0.30, 0.12, 0.99, 0.49, 1.0, reflect);               // box body
      part(0.30, 0.49, 0.12, 0.60, 0.48, 1.0, reflect);                // bonnet
      part(0.18, 0.31, 0.62, 0.92, 0.47, 0.45, 0.06, Surface::Glass);  // windscreen band
      part(-0.42, 0.42, 0.0, 0.12, 0.45, 0.25, 0.05);                  // chassis and wheels
      break;
    case ObjectClass::Truck:
      part(0.30, 0.49, 0.12, 0.82, 0.48, 1.0, reflect);      // cab
      part(-0.49, 0.28, 0.25, 0.995, 0.495, 0.85, reflect);  // cargo box
      part(-0.46, 0.46, 0.0, 0.25, 0.42, 0.25, 0.05);        // chassis and wheels
      break;
    case ObjectClass::Pedestrian:
      part(-0.30, 0.30, 0.0, 0.47, 0.28, 0.6, 0.22);      // legs
      part(-0.22, 0.22, 0.47, 0.84, 0.45, 1.0, reflect);  // torso
      part(-0.14, 0.14, 0.85, 0.995, 0.16, 1.15, 0.2);    // head
      break;
    case ObjectClass::Cyclist:
      part(-0.49, 0.49, 0.0, 0.42, 0.10, 0.5, 0.3);       // bicycle
      part(-0.20, 0.12, 0.42, 0.86, 0.42, 1.0, reflect);  // rider
      part(-0.08, 0.12, 0.08, 0.42, 0.25, 0.8, reflect);  // legs
      part(-0.02, 0.10, 0.86, 0.995, 0.20, 1.15, 0.2);    // head
      break;
    default:                                                            // Car
      part(-0.49, 0.49, 0.13, 0.58, 0.49, 1.0, reflect);                // body
      part(-0.30, 0.20, 0.58, 0.995, 0.43, 0.5, 0.06, Surface::Glass);  // cabin
      part(-0.40, -0.22, 0.0, 0.13, 0.47, 0.22, 0.05);                  // rear wheels
      part(0.22, 0.40, 0.0, 0.13, 0.47, 0.22, 0.05);                    // front wheels
      break;
  }
  return s;
}

// =============================================================================================
// [SECTION] Builder: road, structure, objects
// =============================================================================================
namespace {

class Builder {
 public:
  Builder(const Camera& cam, Rng& rng, Scene& sc, const SceneShift& shift)
      : cam_(cam), rng_(rng), sc_(sc), shift_(shift) {}

  void build() {
    sc_.kind = rng_.pick(std::array{0.45, 0.40, 0.15});
    // One frame in ten is sparse (an empty street), so some detector files come out empty.
    density_ = rng_.chance(0.1) ? 0.12 : rng_.uniform(0.6, 1.3);
    layout_road();
    const double sun_az = rng_.uniform(0, 2 * kPi), sun_el = rng_.uniform(0.45, 1.05);
    sc_.sun_rect =
        apply_linear(cam_.velo_to_rect, {std::cos(sun_el) * std::cos(sun_az),
                                         std::cos(sun_el) * std::sin(sun_az), std::sin(sun_el)});
    // The ego car occupies its own lane around the sensor.
    taken_.push_back({-0.8, 0, 2.6, 1.0, psi_});
    for (int side : {-1, 1}) structure(side);
    parked_vehicles();
    traffic();
    cyclists();
    pedestrians();
    prepare_culling(sc_);
  }

 private:
  const Camera& cam_;
  Rng& rng_;
  Scene& sc_;
  SceneShift shift_;
  double density_ = 1, psi_ = 0;
  std::vector<Footprint> taken_;

  Road& road() { return sc_.road; }
  void to_velo(double s, double d, double& x, double& y) const {
    const Road& r = sc_.road;
    x = s * r.ux - d * r.uy;
    y = s * r.uy + d * r.ux;
  }
  // Rect-frame rotation_y of a velodyne-frame heading (yaw about z_velo from +x_velo).
  double rotation_y(double heading_velo) const {
    const Vec3 d =
        apply_linear(cam_.velo_to_rect, {std::cos(heading_velo), std::sin(heading_velo), 0.0});
    return std::atan2(-d.z, d.x);
  }

  void layout_road() {
    Road& r = road();
    const int kind = sc_.kind;
    psi_ = rng_.normal_clamped(0, 0.04);
    r.ux = std::cos(psi_);
    r.uy = std::sin(psi_);
    r.lane_w = rng_.uniform(3.2, 3.7);
    int same = 1, opp = 1;
    if (kind == 0) {
      same = rng_.chance(0.5) ? 1 : 2;
      opp = rng_.pick(std::array{0.2, 0.5, 0.3});
    } else if (kind == 1) {
      opp = rng_.chance(0.85) ? 1 : 0;
    }
    r.lanes_same = same;
    r.lanes = same + opp;
    const int ego_lane = rng_.uniform_int(0, same - 1);
    r.drive_right = -(ego_lane + 0.5) * r.lane_w - rng_.normal_clamped(0, 0.2);
    r.drive_left = r.drive_right + r.lanes * r.lane_w;
    const bool urban = kind != 2;
    const double park_r = urban && rng_.chance(0.8) ? rng_.uniform(2.0, 2.4) : 0.0;
    const double park_l = urban && rng_.chance(0.7) ? rng_.uniform(2.0, 2.4) : 0.0;
    r.right_edge = r.drive_right - (urban ? park_r : 0.5);
    r.left_edge = r.drive_left + (urban ? park_l : 0.5);
    r.sidewalk_right = kind == 0 ? rng_.uniform(2.5, 4.5) : kind == 1 ? rng_.uniform(1.6, 2.4) : 0;
    r.sidewalk_left = kind == 0 ? rng_.uniform(2.5, 4.5) : kind == 1 ? rng_.uniform(1.6, 2.4) : 0;
    r.dash_len = urban ? 3.0 : 6.0;
    r.dash_period = urban ? 9.0 : 18.0;
    r.dash_phase = rng_.uniform(0, r.dash_period);
    r.centre_solid = rng_.chance(0.5);
    r.rural = kind == 2;
  }

  // A static box: centre of its footprint at road (s, d), long side along the road.
  void add_static(double s, double d, double len, double depth, double y_bottom, double y_top,
                  Rgb color, double reflect, Surface surf, double yaw_rel = 0) {
    double x, y;
    to_velo(s, d, x, y);
    Solid so;
    so.loc = apply(cam_.velo_to_rect, {x, y, -kLidarHeight});
    so.ry = rotation_y(psi_ + yaw_rel);
    so.cos_ry = std::cos(so.ry);
    so.sin_ry = std::sin(so.ry);
    so.parts[0] = {-len / 2,  len / 2, -y_top,  -y_bottom, -depth / 2,
                   depth / 2, color,   reflect, surf};
    so.n_parts = 1;
    sc_.solids.push_back(so);
  }

  void tree(double s, double d) {
    const double trunk_h = rng_.uniform(1.8, 2.8), crown = rng_.uniform(2.2, 4.0);
    add_static(s, d, 0.3, 0.3, 0, trunk_h + 0.3, {92, 70, 50}, 0.25, Surface::Plain);
    const Rgb leaf = mix(Rgb{58, 96, 44}, Rgb{96, 118, 52}, rng_.uniform());
    Solid& t = sc_.solids.back();
    t.parts[1] = {-crown / 2, crown / 2,  -(trunk_h + rng_.uniform(1.8, 3.5)),
                  -trunk_h,   -crown / 2, crown / 2,
                  leaf,       0.45,       Surface::Foliage};
    t.n_parts = 2;
  }

  void structure(int side) {
    const Road& r = road();
    const double kerb = side < 0 ? r.right_edge : r.left_edge;
    const double walk = side < 0 ? r.sidewalk_right : r.sidewalk_left;
    const double outer = kerb + side * walk;
    static constexpr Rgb kFacades[] = {{196, 178, 150}, {170, 96, 78},   {150, 150, 146},
                                       {214, 204, 180}, {124, 112, 100}, {186, 160, 120}};
    auto facade = [&] { return kFacades[rng_.uniform_int(0, 5)] * rng_.uniform(0.9, 1.05); };
    if (sc_.kind == 0) {  // city: a street canyon with a few gaps
      for (double s = rng_.uniform(-70, -50); s < 170;) {
        if (rng_.chance(0.15)) {
          s += rng_.uniform(6, 18);
          continue;
        }
        const double len = rng_.uniform(10, 35), depth = rng_.uniform(8, 16);
        const double set = rng_.uniform(0, 1.0);
        add_static(s + len / 2, outer + side * (set + depth / 2), len, depth, 0,
                   rng_.uniform(7, 22), facade(), rng_.uniform(0.12, 0.35), Surface::Facade);
        s += len + rng_.uniform(0, 0.6);
      }
    } else if (sc_.kind == 1) {  // residential: houses behind front yards, hedges, walls
      for (double s = rng_.uniform(-60, -40); s < 150;) {
        const double len = rng_.uniform(8, 14), depth = rng_.uniform(7, 10);
        const double set = rng_.uniform(3, 7);
        add_static(s + len / 2, outer + side * (set + depth / 2), len, depth, 0,
                   rng_.uniform(5.5, 9), facade(), rng_.uniform(0.12, 0.35), Surface::Facade);
        const double gap = rng_.uniform(4, 14);
        if (rng_.chance(0.55)) {
          const bool hedge = rng_.chance(0.6);
          const double seg = len + gap * rng_.uniform(0.3, 0.9);
          add_static(s + seg / 2, outer + side * 0.4, seg, 0.6, 0, rng_.uniform(0.8, 1.8),
                     hedge ? Rgb{62, 98, 48} : Rgb{170, 164, 150}, hedge ? 0.45 : 0.3,
                     hedge ? Surface::Foliage : Surface::Plain);
        }
        s += len + gap;
      }
    } else {  // rural: trees, a guard rail, now and then a farm building
      if (rng_.chance(0.6))
        for (double s = rng_.uniform(-50, -30); s < 150; s += rng_.uniform(7, 22))
          tree(s, kerb + side * rng_.uniform(2.5, 7));
      if (rng_.chance(0.4)) {
        const double s0 = rng_.uniform(-30, 10), len = rng_.uniform(40, 120);
        add_static(s0 + len / 2, kerb + side * 0.9, len, 0.12, 0.45, 0.75, {178, 180, 184}, 0.5,
                   Surface::Plain);
      }
      if (rng_.chance(0.5)) {
        const double len = rng_.uniform(12, 30), depth = rng_.uniform(8, 14);
        add_static(rng_.uniform(10, 80), kerb + side * rng_.uniform(12, 35), len, depth, 0,
                   rng_.uniform(4, 9), facade(), 0.25, Surface::Facade, rng_.normal(0, 0.2));
      }
      return;
    }
    // Street lights at the kerb and trees on wide sidewalks.
    for (double s = rng_.uniform(-40, -20); s < 140; s += rng_.uniform(20, 35))
      add_static(s, kerb + side * 0.45, 0.18, 0.18, 0, rng_.uniform(5, 8), {120, 124, 128}, 0.5,
                 Surface::Plain);
    if (walk > 2.2 && rng_.chance(0.5))
      for (double s = rng_.uniform(-40, -20); s < 140; s += rng_.uniform(9, 18))
        if (rng_.chance(0.8)) tree(s, kerb + side * std::min(1.1, walk / 2));
  }

  // Samples a size, checks the footprint, rounds to label precision and adds the object.
  bool add_object(ObjectClass cls, double s, double d, double heading, bool parked,
                  double margin = 0.3) {
    const ClassStats st = class_stats(cls);
    double h = rng_.normal_clamped(st.h, st.sh);
    double w = rng_.normal_clamped(st.w, st.sw);
    double l = rng_.normal_clamped(st.l, st.sl);
    if (cls == ObjectClass::Truck) l = std::clamp(l, 6.0, 16.5);
    h *= shift_.size_factor, w *= shift_.size_factor, l *= shift_.size_factor;
    double x, y;
    to_velo(s, d, x, y);
    const Footprint fp{x, y, l / 2, w / 2, heading};
    for (const Footprint& o : taken_)
      if (footprints_overlap(fp, o, margin)) return false;
    taken_.push_back(fp);
    SceneObject so;
    Object& b = so.box;
    b.cls = cls;
    b.type = class_name(cls);
    b.h = round2(h), b.w = round2(w), b.l = round2(l);
    const Vec3 loc = apply(cam_.velo_to_rect, {x, y, -kLidarHeight});
    b.loc_cam = {round2(loc.x), round2(loc.y), round2(loc.z)};
    b.rotation_y = round2(wrap_pi(rotation_y(heading)));
    if (b.rotation_y > kPi) b.rotation_y -= 0.01;  // keep the rounded angle inside [-pi, pi]
    if (b.rotation_y < -kPi) b.rotation_y += 0.01;
    so.parked = parked;
    so.solid = static_cast<int>(sc_.solids.size());
    Solid solid = make_object_solid(b, rng_.uniform(0.82, 1.08), rng_.uniform(0.1, 0.4));
    solid.object = static_cast<int>(sc_.objects.size());
    sc_.solids.push_back(solid);
    sc_.objects.push_back(std::move(so));
    return true;
  }

  ObjectClass vehicle_class(double car, double van, double truck) {
    const int k = rng_.pick(std::array{car, van, truck});
    return k == 0 ? ObjectClass::Car : k == 1 ? ObjectClass::Van : ObjectClass::Truck;
  }

  void parked_vehicles() {
    const Road& r = road();
    for (int side : {-1, 1}) {
      const double strip = side < 0 ? r.drive_right - r.right_edge : r.left_edge - r.drive_left;
      if (strip < 1.5) continue;
      const double centre = side < 0 ? r.right_edge + strip / 2 : r.left_edge - strip / 2;
      const double occupied =
          std::clamp(density_ * shift_.vehicle_factor * rng_.uniform(0.4, 0.9), 0.0, 0.95);
      // Facing the traffic of their side: left-side cars of a two-way street face -s.
      const bool against = side > 0 && r.lanes > r.lanes_same;
      for (double s = rng_.uniform(-30, -18); s < 110;) {
        if (!rng_.chance(occupied)) {
          s += rng_.uniform(3, 9);
          continue;
        }
        const ObjectClass cls = vehicle_class(0.82, 0.14, 0.04);
        const double len = class_stats(cls).l;
        double heading = psi_ + rng_.normal_clamped(0, 0.03);
        if (against != rng_.chance(0.1)) heading += kPi;
        add_object(cls, s + len / 2, centre + rng_.normal_clamped(0, 0.12), heading, true, 0.2);
        s += len + rng_.uniform(0.6, 2.5);
      }
    }
  }

  void traffic() {
    const Road& r = road();
    const double mean_gap =
        (sc_.kind == 2 ? 45.0 : 26.0) / std::max(density_ * shift_.vehicle_factor, 0.1);
    for (int k = 0; k < r.lanes; ++k) {
      const bool same = k < r.lanes_same;
      const double centre = r.drive_right + (k + 0.5) * r.lane_w;
      for (double s = rng_.uniform(-40, -12) + rng_.exponential(mean_gap * 0.5); s < 105;
           s += rng_.exponential(mean_gap) + 6) {
        if (std::abs(centre) < r.lane_w / 2 && s > -10 && s < 8) continue;  // the ego car
        const ObjectClass cls =
            sc_.kind == 2 ? vehicle_class(0.7, 0.12, 0.18) : vehicle_class(0.82, 0.11, 0.07);
        double heading = psi_ + (same ? 0.0 : kPi) + rng_.normal_clamped(0, 0.02);
        double d = centre + rng_.normal_clamped(0, 0.25);
        if (rng_.chance(0.06)) {  // changing lanes
          heading += rng_.uniform(-0.25, 0.25);
          d += rng_.uniform(-0.6, 0.6);
        }
        add_object(cls, s, d, heading, false);
      }
    }
  }

  void cyclists() {
    const Road& r = road();
    const double mean =
        density_ * shift_.person_factor * (sc_.kind == 0 ? 0.9 : sc_.kind == 1 ? 0.7 : 0.3);
    for (int i = rng_.poisson(mean); i > 0; --i) {
      const double s = rng_.uniform(-15, 75);
      if (rng_.chance(0.7) || r.lanes == r.lanes_same) {  // riding at the right of the road
        add_object(ObjectClass::Cyclist, s, r.drive_right + rng_.uniform(0.6, 1.1),
                   psi_ + rng_.normal_clamped(0, 0.05), false);
      } else {
        add_object(ObjectClass::Cyclist, s, r.drive_left - rng_.uniform(0.6, 1.1),
                   psi_ + kPi + rng_.normal_clamped(0, 0.05), false);
      }
    }
  }

  void pedestrians() {
    const Road& r = road();
    const double mean =
        density_ * shift_.person_factor * (sc_.kind == 0 ? 5.5 : sc_.kind == 1 ? 2.4 : 0.25);
    for (int i = rng_.poisson(mean); i > 0; --i) {
      const double s = rng_.uniform(-15, 80);
      if (rng_.chance(0.08) && s > 6 && s < 45) {  // crossing the road
        add_object(ObjectClass::Pedestrian, s, rng_.uniform(r.right_edge + 0.5, r.left_edge - 0.5),
                   psi_ + (rng_.chance(0.5) ? 0.5 : -0.5) * kPi + rng_.normal(0, 0.2), false, 0.15);
        continue;
      }
      const int side = rng_.chance(0.5) ? -1 : 1;
      const double kerb = side < 0 ? r.right_edge : r.left_edge;
      const double walk = side < 0 ? r.sidewalk_right : r.sidewalk_left;
      const double width = walk > 0.8 ? walk : 1.5;  // rural: on the verge
      const double d = kerb + side * rng_.uniform(0.5, std::max(0.6, width - 0.4));
      const double heading = rng_.chance(0.7)
                                 ? psi_ + (rng_.chance(0.5) ? 0.0 : kPi) + rng_.normal(0, 0.25)
                                 : rng_.uniform(-kPi, kPi);
      if (!add_object(ObjectClass::Pedestrian, s, d, heading, false, 0.1)) continue;
      if (rng_.chance(0.3))  // walking together
        add_object(ObjectClass::Pedestrian, s + rng_.normal(0, 0.3), d - side * 0.75,
                   heading + rng_.normal(0, 0.1), false, 0.05);
    }
  }
};

}  // namespace

Scene build_scene(const Camera& cam, Rng& rng, const SceneShift& shift) {
  Scene sc;
  sc.cam = &cam;
  Builder(cam, rng, sc, shift).build();
  return sc;
}

}  // namespace needle::demo
