// demo/inject.cpp — deliberate label errors, applied to the labels after the detectors ran, so a
// label-vs-prediction tool can find them. Targets are clearly visible (near, unoccluded, inside the
// image) so that every error is detectable in principle; geometric errors keep the 2D box, alpha
// and truncation consistent with the modified 3D box, as a careless annotation tool would.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "needle/box3d.h"
#include "needle/kitti_io.h"
#include "pipeline.h"

namespace needle::demo {

const char* error_kind_name(ErrorKind k) {
  switch (k) {
    case ErrorKind::MissingLabel:
      return "missing_label";
    case ErrorKind::WrongClass:
      return "wrong_class";
    case ErrorKind::ShiftedBox:
      return "shifted_box";
    case ErrorKind::WrongSize:
      return "wrong_size";
    case ErrorKind::RotatedBox:
      return "rotated_box";
    case ErrorKind::SpuriousLabel:
      return "spurious_label";
  }
  return "unknown";
}

namespace {
constexpr double kPi = std::numbers::pi;

double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}
double wrap_pi(double a) {
  while (a > kPi) a -= 2 * kPi;
  while (a <= -kPi) a += 2 * kPi;
  return a;
}

std::string label_text(const Object& o) {
  std::string s = format_objects({o}, false);
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::string fmt(const char* f, double a, double b = 0, double c = 0, double d = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, f, a, b, c, d);
  return buf;
}

bool clearly_visible(const LabelledObject& t, const Camera& cam) {
  const Object& o = t.label;
  return t.object >= 0 && t.visible > 0.85 && o.truncated < 0.1 && t.distance > 4 &&
         t.distance < 35 && o.box2d.height() > 30 && o.box2d.x1 > 2 && o.box2d.x2 < cam.width - 3;
}

// Bird's-eye footprint of a rect-frame box (x-z plane; the length axis has angle -ry there).
Footprint footprint(const Vec3& loc, double l, double w, double ry) {
  return {loc.x, loc.z, l / 2, w / 2, -ry};
}

// True when a box at o would overlap any solid of the scene (objects and structure).
bool collides(const Scene& sc, const Object& o, double margin) {
  const Footprint f = footprint(o.loc_cam, o.l, o.w, o.rotation_y);
  for (const Solid& s : sc.solids) {
    double x0 = 1e30, x1 = -1e30, z0 = 1e30, z1 = -1e30;
    for (int i = 0; i < s.n_parts; ++i) {
      const Part& p = s.parts[static_cast<std::size_t>(i)];
      x0 = std::min(x0, p.x0), x1 = std::max(x1, p.x1), z0 = std::min(z0, p.z0),
      z1 = std::max(z1, p.z1);
    }
    const double mx = (x0 + x1) / 2, mz = (z0 + z1) / 2;
    const Vec3 c{s.loc.x + s.cos_ry * mx + s.sin_ry * mz, 0,
                 s.loc.z - s.sin_ry * mx + s.cos_ry * mz};
    if (footprints_overlap(f, footprint(c, x1 - x0, z1 - z0, s.ry), margin)) return true;
  }
  return false;
}

// True when the camera sees the centre of o's box: no solid before it on the line of sight.
bool in_plain_sight(const Scene& sc, const Object& o) {
  const Camera& cam = *sc.cam;
  const Vec3 target{o.loc_cam.x, o.loc_cam.y - o.h / 2, o.loc_cam.z};
  const Ray ray{
      cam.center_rect,
      {target.x - cam.center_rect.x, target.y - cam.center_rect.y, target.z - cam.center_rect.z}};
  Hit hit;
  hit.t = 1.0;  // the target itself is at t = 1
  for (int i = 0; i < static_cast<int>(sc.solids.size()); ++i)
    if (intersect_solid(sc, i, ray, 1e-9, hit)) return false;
  return true;
}

// Re-derives 2D box, alpha and truncation after a geometric edit; false if it left the image.
bool reproject(Object& o, const Camera& cam) {
  o.h = round2(o.h), o.w = round2(o.w), o.l = round2(o.l);
  o.loc_cam = {round2(o.loc_cam.x), round2(o.loc_cam.y), round2(o.loc_cam.z)};
  o.rotation_y = round2(wrap_pi(o.rotation_y));
  return project_label(o, cam);
}

ObjectClass wrong_class_for(ObjectClass c, Rng& rng) {
  using C = ObjectClass;
  switch (c) {
    case C::Car: {
      const C opts[] = {C::Van, C::Pedestrian, C::Truck, C::Cyclist};
      return opts[rng.pick(std::array{0.35, 0.25, 0.2, 0.2})];
    }
    case C::Van:
      return rng.chance(0.5) ? C::Car : (rng.chance(0.6) ? C::Truck : C::Pedestrian);
    case C::Truck:
      return rng.chance(0.5) ? C::Car : C::Van;
    case C::Pedestrian:
      return rng.chance(0.5) ? C::Cyclist : C::Car;
    default:
      return rng.chance(0.6) ? C::Pedestrian : C::Car;
  }
}

std::optional<InjectedError> spurious(const Scene& sc, FrameTruth& t, Rng& rng) {
  const Camera& cam = *sc.cam;
  const Road& r = sc.road;
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int k = rng.pick(std::array{0.6, 0.25, 0.15});
    const ObjectClass cls = k == 0   ? ObjectClass::Car
                            : k == 1 ? ObjectClass::Pedestrian
                                     : ObjectClass::Cyclist;
    const double s = rng.uniform(7, 35 + attempt * 0.2);
    double d;
    if (cls == ObjectClass::Pedestrian && r.sidewalk_right > 1)
      d = rng.chance(0.5) ? r.right_edge - rng.uniform(0.5, r.sidewalk_right - 0.4)
                          : r.left_edge + rng.uniform(0.5, std::max(0.6, r.sidewalk_left - 0.4));
    else
      d = rng.uniform(r.right_edge + 1.0, r.left_edge - 1.0);
    Object o;
    o.cls = cls;
    o.type = class_name(cls);
    o.h = cls == ObjectClass::Car ? rng.normal_clamped(1.53, 0.1) : rng.normal_clamped(1.75, 0.08);
    o.w = cls == ObjectClass::Car ? rng.normal_clamped(1.63, 0.08) : rng.normal_clamped(0.63, 0.08);
    o.l = cls == ObjectClass::Car ? rng.normal_clamped(3.9, 0.3)
                                  : (cls == ObjectClass::Cyclist ? 1.76 : 0.84);
    const double x = s * r.ux - d * r.uy, y = s * r.uy + d * r.ux;
    o.loc_cam = apply(cam.velo_to_rect, {x, y, -kLidarHeight});
    const Vec3 dir = apply_linear(cam.velo_to_rect, {r.ux, r.uy, 0});
    o.rotation_y = std::atan2(-dir.z, dir.x) + (rng.chance(0.5) ? 0 : kPi);
    if (!reproject(o, cam) || o.truncated > 0.05 || o.box2d.height() < 25) continue;
    if (collides(sc, o, 0.6) || !in_plain_sight(sc, o)) continue;
    o.occluded = 0;
    const int at = rng.uniform_int(0, static_cast<int>(t.objects.size()));
    LabelledObject lo{o, -1, 1.0, o.distance()};
    t.objects.insert(t.objects.begin() + at, lo);
    return InjectedError{"", "spurious_label", at,
                         o.type + fmt(" on empty ground at %.1f m (x %.2f, z %.2f)", o.distance(),
                                      o.loc_cam.x, o.loc_cam.z)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<InjectedError> inject_error(const Scene& sc, FrameTruth& t, ErrorKind kind,
                                          Rng& rng) {
  const Camera& cam = *sc.cam;
  std::vector<int> targets;
  for (int i = 0; i < static_cast<int>(t.objects.size()); ++i) {
    const LabelledObject& lo = t.objects[static_cast<std::size_t>(i)];
    if (!clearly_visible(lo, cam)) continue;
    // A box turned by 90 degrees needs a long footprint to show.
    if (kind == ErrorKind::RotatedBox && lo.label.l < 1.4 * lo.label.w) continue;
    targets.push_back(i);
  }
  if (kind == ErrorKind::SpuriousLabel || targets.empty()) return spurious(sc, t, rng);
  rng.shuffle(targets);

  for (int idx : targets) {
    LabelledObject& lo = t.objects[static_cast<std::size_t>(idx)];
    Object o = lo.label;
    const std::string before = label_text(o);
    InjectedError e{"", error_kind_name(kind), idx, ""};
    switch (kind) {
      case ErrorKind::MissingLabel:
        e.label = -1;
        e.detail = "removed: " + before;
        t.objects.erase(t.objects.begin() + idx);
        return e;
      case ErrorKind::WrongClass: {
        o.cls = wrong_class_for(o.cls, rng);
        e.detail = lo.label.type + " -> " + class_name(o.cls);
        o.type = class_name(o.cls);
        lo.label = o;
        return e;
      }
      case ErrorKind::ShiftedBox: {
        const bool person = o.cls == ObjectClass::Pedestrian || o.cls == ObjectClass::Cyclist;
        const double mag =
            person ? rng.uniform(1.2, 2.5) : std::max(rng.uniform(1.5, 3.0), 0.5 * o.l);
        bool ok = false;
        for (int a = 0; a < 12 && !ok; ++a) {
          const double ang = rng.uniform(-kPi, kPi);
          Object m = o;
          m.loc_cam.x += mag * std::cos(ang);
          m.loc_cam.z += mag * std::sin(ang);
          if (reproject(m, cam) && m.truncated < 0.3) {
            e.detail = fmt("moved %.2f m (dx %.2f, dz %.2f)", mag, m.loc_cam.x - o.loc_cam.x,
                           m.loc_cam.z - o.loc_cam.z);
            o = m;
            ok = true;
          }
        }
        if (!ok) continue;
        break;
      }
      case ErrorKind::WrongSize: {
        static const char* kWhat[] = {"l", "w", "h", "hwl"};
        const int which = rng.pick(std::array{0.4, 0.15, 0.15, 0.3});
        const double f = rng.chance(0.5) ? rng.uniform(1.45, 1.7) : rng.uniform(0.5, 0.62);
        if (which == 0 || which == 3) o.l *= f;
        if (which == 1 || which == 3) o.w *= f;
        if (which == 2 || which == 3) o.h *= f;
        if (!reproject(o, cam)) continue;
        e.detail = std::string(kWhat[which]) + fmt(" x%.2f (h w l %.2f %.2f", f, o.h, o.w) +
                   fmt(" %.2f, was %.2f", o.l, lo.label.h) +
                   fmt(" %.2f %.2f)", lo.label.w, lo.label.l);
        break;
      }
      case ErrorKind::RotatedBox: {
        const double turn = rng.chance(0.5) ? kPi : (rng.chance(0.5) ? 0.5 : -0.5) * kPi;
        o.rotation_y += turn + rng.normal_clamped(0, 0.04);
        if (!reproject(o, cam)) continue;
        e.detail = fmt("rotation_y %.2f -> %.2f (%.0f deg)", lo.label.rotation_y, o.rotation_y,
                       turn * 180 / kPi);
        break;
      }
      case ErrorKind::SpuriousLabel:
        break;
    }
    o.occluded = lo.label.occluded;
    lo.label = o;
    return e;
  }
  return spurious(sc, t, rng);
}

}  // namespace needle::demo
