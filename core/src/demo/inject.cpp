// demo/inject.cpp — deliberate label errors, applied to the labels after the detectors ran, so a
// label-vs-prediction tool can find them. Geometric errors keep the 2D box, alpha and truncation
// consistent with the modified 3D box, as a careless annotation tool would.
//
// Errors of every size: each error's magnitude is drawn from a spectrum that spans what real
// annotation errors look like (a box 0.4 m off, 15% too long, 20 degrees rotated, a Van labelled
// Car) up to gross slips (3 m off, a 180-degree flip, a Car labelled Pedestrian), and its target
// is any labelled object, near or far, occluded or clear (a share of the targets are the clearly
// visible ones, where annotators also err). The magnitude, the object's range and occlusion and a
// subtle/gross bin are recorded with every error (see needle/demo.h for the rule).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "needle/box3d.h"
#include "needle/kitti_io.h"
#include "needle/angles.h"
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

double round2(double v) {
  return std::round(v * 100.0) / 100.0;
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

// Any labelled object an annotator works on in KITTI's evaluated difficulties: 2D box at least
// 25 px high (the devkit's moderate/hard minimum), truncation up to 0.5 (its hard maximum),
// occlusion up to 2. Far and partly hidden objects are where real annotation errors cluster.
constexpr double kMinTargetHeightPx = 25.0;
constexpr double kMaxTargetTruncation = 0.5;
bool labelled_target(const LabelledObject& t) {
  const Object& o = t.label;
  return t.object >= 0 && o.box2d.height() >= kMinTargetHeightPx &&
         o.truncated <= kMaxTargetTruncation && o.occluded <= 2;
}
// Share of geometric / class errors put on clearly visible objects (the rest on any target).
constexpr double kClearTargetShare = 0.6;
// Missing labels and spurious labels: share that is far (> kSubtleRangeM) or occluded.
constexpr double kHardPlacementShare = 0.5;

bool far_or_occluded(const LabelledObject& t) {
  return t.distance > kSubtleRangeM || t.label.occluded >= 1;
}

// log-uniform draw in [a, b]: each factor of the range equally likely (small errors as common as
// large ones per octave, as in annotation audits where error counts fall with size).
double log_uniform(Rng& rng, double a, double b) {
  return std::exp(rng.uniform(std::log(a), std::log(b)));
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

// Neighbouring classes: the confusions annotators make between similar-looking classes (KITTI's
// own neighbour pairs Car/Van and Pedestrian/Person_sitting, plus Van/Truck and
// Pedestrian/Cyclist). Distant: a class of another kind of road user altogether.
bool neighbouring(ObjectClass a, ObjectClass b) {
  using C = ObjectClass;
  auto pair = [&](C x, C y) { return (a == x && b == y) || (a == y && b == x); };
  return pair(C::Car, C::Van) || pair(C::Van, C::Truck) || pair(C::Pedestrian, C::PersonSitting) ||
         pair(C::Pedestrian, C::Cyclist);
}
constexpr double kNeighbourSwapShare = 0.55;  // share of class errors between neighbours

ObjectClass wrong_class_for(ObjectClass c, bool neighbour, Rng& rng) {
  using C = ObjectClass;
  switch (c) {
    case C::Car:
      if (neighbour) return C::Van;
      return rng.chance(0.5) ? C::Pedestrian : (rng.chance(0.5) ? C::Cyclist : C::Truck);
    case C::Van:
      if (neighbour) return rng.chance(0.7) ? C::Car : C::Truck;
      return rng.chance(0.6) ? C::Pedestrian : C::Cyclist;
    case C::Truck:
      if (neighbour) return C::Van;
      return rng.chance(0.6) ? C::Car : C::Pedestrian;
    case C::Pedestrian:
      if (neighbour) return rng.chance(0.6) ? C::Cyclist : C::PersonSitting;
      return C::Car;
    default:  // Cyclist, Person_sitting ...
      if (neighbour) return C::Pedestrian;
      return rng.chance(0.7) ? C::Car : C::Van;
  }
}

// A label on empty ground: near (7-30 m) or far (30-50 m), in plain sight or behind a solid (an
// annotator labelling a shadow or a reflection, or a box left behind in a sequence).
std::optional<InjectedError> spurious(const Scene& sc, FrameTruth& t, Rng& rng) {
  const Camera& cam = *sc.cam;
  const Road& r = sc.road;
  const bool far = rng.chance(kHardPlacementShare);
  const bool hidden = rng.chance(0.5 * kHardPlacementShare);
  for (int attempt = 0; attempt < 300; ++attempt) {
    // After 150 failed tries the placement's wishes are dropped (some scenes have no far road or
    // nothing to hide behind).
    const bool want_far = far && attempt < 150, want_hidden = hidden && attempt < 150;
    const int k = rng.pick(std::array{0.6, 0.25, 0.15});
    const ObjectClass cls = k == 0   ? ObjectClass::Car
                            : k == 1 ? ObjectClass::Pedestrian
                                     : ObjectClass::Cyclist;
    const double s = want_far ? rng.uniform(kSubtleRangeM + 1, 50) : rng.uniform(7, 30);
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
    if (!reproject(o, cam) || o.truncated > 0.05 || o.box2d.height() < kMinTargetHeightPx) continue;
    if (collides(sc, o, 0.6)) continue;
    const bool seen = in_plain_sight(sc, o);
    if (want_hidden == seen) continue;
    o.occluded = seen ? 0 : (rng.chance(0.6) ? 1 : 2);
    const int at = rng.uniform_int(0, static_cast<int>(t.objects.size()));
    LabelledObject lo{o, -1, 1.0, o.distance()};
    t.objects.insert(t.objects.begin() + at, lo);
    InjectedError e{"", "spurious_label", at,
                    o.type +
                        fmt(" on empty ground at %.1f m (x %.2f, z %.2f)", o.distance(),
                            o.loc_cam.x, o.loc_cam.z) +
                        (seen ? "" : ", behind another object")};
    e.magnitude = round2(o.distance());
    e.unit = "range_m";
    e.range_m = round2(o.distance());
    e.occlusion = o.occluded;
    return e;
  }
  return std::nullopt;
}

}  // namespace

std::optional<InjectedError> inject_error(const Scene& sc, FrameTruth& t, ErrorKind kind,
                                          Rng& rng) {
  const Camera& cam = *sc.cam;
  // Targets. Missing labels: far/occluded objects or clear ones, by a draw. Other kinds: clearly
  // visible objects or any labelled object, by a draw. An empty pool falls back to the other.
  const bool hard =
      rng.chance(kind == ErrorKind::MissingLabel ? kHardPlacementShare : 1 - kClearTargetShare);
  std::vector<int> pool[2];  // [0] preferred, [1] fallback
  for (int i = 0; i < static_cast<int>(t.objects.size()); ++i) {
    const LabelledObject& lo = t.objects[static_cast<std::size_t>(i)];
    if (!labelled_target(lo)) continue;
    const bool preferred = kind == ErrorKind::MissingLabel ? far_or_occluded(lo) == hard
                                                           : hard || clearly_visible(lo, cam);
    pool[preferred ? 0 : 1].push_back(i);
  }
  if (kind == ErrorKind::SpuriousLabel || (pool[0].empty() && pool[1].empty()))
    return spurious(sc, t, rng);
  rng.shuffle(pool[0]);
  rng.shuffle(pool[1]);
  std::vector<int> targets = pool[0];
  targets.insert(targets.end(), pool[1].begin(), pool[1].end());

  for (int idx : targets) {
    LabelledObject& lo = t.objects[static_cast<std::size_t>(idx)];
    Object o = lo.label;
    const std::string before = label_text(o);
    InjectedError e{"", error_kind_name(kind), idx, ""};
    e.range_m = round2(lo.distance);
    e.occlusion = o.occluded;
    switch (kind) {
      case ErrorKind::MissingLabel:
        e.label = -1;
        e.detail = "removed: " + before;
        e.magnitude = e.range_m;
        e.unit = "range_m";
        t.objects.erase(t.objects.begin() + idx);
        return e;
      case ErrorKind::WrongClass: {
        const bool nb = rng.chance(kNeighbourSwapShare);
        o.cls = wrong_class_for(o.cls, nb, rng);
        e.detail = lo.label.type + " -> " + class_name(o.cls);
        e.magnitude = neighbouring(lo.label.cls, o.cls) ? 1 : 2;
        e.unit = "class";
        o.type = class_name(o.cls);
        lo.label = o;
        return e;
      }
      case ErrorKind::ShiftedBox: {
        // 0.3-3 m, log-uniform: half the shifts are under 1 m (a box placed on the visible face
        // of a car, a pedestrian misjudged in depth), half are slips of a box length or more.
        const double mag = log_uniform(rng, 0.3, 3.0);
        bool ok = false;
        for (int a = 0; a < 12 && !ok; ++a) {
          const double ang = rng.uniform(-kPi, kPi);
          Object m = o;
          m.loc_cam.x += mag * std::cos(ang);
          m.loc_cam.z += mag * std::sin(ang);
          if (reproject(m, cam) && m.truncated < 0.5) {
            const double dx = m.loc_cam.x - o.loc_cam.x, dz = m.loc_cam.z - o.loc_cam.z;
            e.detail = fmt("moved %.2f m (dx %.2f, dz %.2f)", mag, dx, dz);
            e.magnitude = round2(std::sqrt(dx * dx + dz * dz));  // after rounding to the label's cm
            e.unit = "m";
            o = m;
            ok = true;
          }
        }
        if (!ok) continue;
        break;
      }
      case ErrorKind::WrongSize: {
        // One dimension (length most often: it is the one hidden by the object itself), two, or
        // all three; each changed dimension by a factor of 1.1-1.4 up or down (x0.71-0.91).
        static const char* kWhat[] = {"l", "w", "h", "lw", "hwl"};
        const int which = rng.pick(std::array{0.35, 0.15, 0.15, 0.1, 0.25});
        const bool dim[3] = {which == 0 || which >= 3, which == 1 || which >= 3,
                             which == 2 || which == 4};
        double f[3] = {1, 1, 1};
        for (std::size_t d = 0; d < 3; ++d) {
          if (!dim[d]) continue;
          const double up = 1 + rng.uniform(0.1, 0.4);
          f[d] = rng.chance(0.5) ? up : 1 / up;
        }
        o.l *= f[0], o.w *= f[1], o.h *= f[2];
        if (!reproject(o, cam)) continue;
        e.detail = std::string(kWhat[which]) + fmt(" x%.2f/%.2f/%.2f (l/w/h)", f[0], f[1], f[2]) +
                   fmt(" (h w l %.2f %.2f", o.h, o.w) + fmt(" %.2f, was %.2f", o.l, lo.label.h) +
                   fmt(" %.2f %.2f)", lo.label.w, lo.label.l);
        // The recorded factor is the realised one (after rounding to the label file's cm) of the
        // changed dimension farthest from 1.
        const double was[3] = {lo.label.l, lo.label.w, lo.label.h}, now[3] = {o.l, o.w, o.h};
        double worst = 1;
        for (std::size_t d = 0; d < 3; ++d)
          if (dim[d] && std::abs(std::log(now[d] / was[d])) > std::abs(std::log(worst)))
            worst = now[d] / was[d];
        e.magnitude = std::round(worst * 1000.0) / 1000.0;
        e.unit = "factor";
        break;
      }
      case ErrorKind::RotatedBox: {
        // Half are misjudged headings of 10-45 deg (log-uniform), a fifth anything from 45 to
        // 170 deg, the rest a front/back flip (180 deg, the commonest gross heading error).
        const int shape = rng.pick(std::array{0.5, 0.2, 0.3});
        double turn_deg = shape == 0   ? log_uniform(rng, 10, kSubtleRotationDeg)
                          : shape == 1 ? rng.uniform(kSubtleRotationDeg, 170)
                                       : 180 + rng.normal_clamped(0, 2);
        if (shape < 2 && rng.chance(0.5)) turn_deg = -turn_deg;
        // A right-angle-ish turn of a near-square box changes nothing visible: skip such targets.
        if (std::abs(turn_deg) > 60 && o.l < 1.4 * o.w) continue;
        o.rotation_y += turn_deg * kPi / 180;
        if (!reproject(o, cam)) continue;
        const double realised = std::abs(wrap_pi(o.rotation_y - lo.label.rotation_y)) * 180 / kPi;
        e.detail =
            fmt("rotation_y %.2f -> %.2f (%.0f deg)", lo.label.rotation_y, o.rotation_y, turn_deg);
        e.magnitude = std::round(realised * 10) / 10;
        e.unit = "deg";
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
