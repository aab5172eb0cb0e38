// demo/labels.cpp — the true label_2 annotation of a scene, the way KITTI's annotators and tools
// made it: only objects that show in the image are labelled; the 2D box is the projected 3D box
// clipped to the image; truncation is the share of that projection outside the image; occlusion is
// measured by casting camera rays over the object's box and counting those that reach it first;
// far or tiny objects become DontCare regions.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "needle/box3d.h"
#include "pipeline.h"

namespace needle::demo {

double observation_angle(const Object& o) {
  double a = o.rotation_y - std::atan2(o.loc_cam.x, o.loc_cam.z);
  while (a > std::numbers::pi) a -= 2 * std::numbers::pi;
  while (a < -std::numbers::pi) a += 2 * std::numbers::pi;
  return a;
}

double truncation(const Object& o, const Camera& cam) {
  const auto segs = project_box_edges(o, cam.calib);
  if (segs.empty()) return 1.0;
  double x1 = 1e30, y1 = 1e30, x2 = -1e30, y2 = -1e30;
  for (const auto& s : segs) {
    x1 = std::min({x1, s.u0, s.u1}), x2 = std::max({x2, s.u0, s.u1});
    y1 = std::min({y1, s.v0, s.v1}), y2 = std::max({y2, s.v0, s.v1});
  }
  const double full = (x2 - x1) * (y2 - y1);
  const auto clipped = projected_box_2d(o, cam.calib, cam.width, cam.height);
  if (!clipped || full <= 0) return 1.0;
  return std::clamp(1.0 - clipped->area() / full, 0.0, 1.0);
}

bool project_label(Object& o, const Camera& cam) {
  const auto box = projected_box_2d(o, cam.calib, cam.width, cam.height);
  if (!box) return false;
  o.box2d = *box;
  o.truncated = std::round(truncation(o, cam) * 100.0) / 100.0;
  o.alpha = observation_angle(o);
  return true;
}

namespace {

struct Visibility {
  int footprint = 0;  // sample rays that hit the object when nothing else is there
  int visible = 0;    // of those, rays that reach it first
};

// Samples up to 16 x 16 rays over the object's 2D box, so the measure costs the same for near
// and far objects.
Visibility measure_visibility(const Scene& sc, int si, const Box2D& b) {
  const Camera& cam = *sc.cam;
  std::vector<int> others;
  for (int j = 0; j < static_cast<int>(sc.solids.size()); ++j) {
    const Solid& s = sc.solids[static_cast<std::size_t>(j)];
    if (j != si && s.in_image && s.u1 >= b.x1 && s.u0 <= b.x2 && s.v1 >= b.y1 && s.v0 <= b.y2)
      others.push_back(j);
  }
  const int nu = std::clamp(static_cast<int>(b.width() / 2), 3, 16);
  const int nv = std::clamp(static_cast<int>(b.height() / 2), 3, 16);
  Visibility vis;
  for (int iv = 0; iv < nv; ++iv) {
    const double v = b.y1 + (iv + 0.5) * b.height() / nv;
    for (int iu = 0; iu < nu; ++iu) {
      const double u = b.x1 + (iu + 0.5) * b.width() / nu;
      const Ray ray = camera_ray(cam, u, v);
      Hit self;
      if (!intersect_solid(sc, si, ray, 1e-9, self)) continue;
      ++vis.footprint;
      Hit blocker;
      blocker.t = self.t;
      bool blocked = false;
      for (int j : others) {
        const Solid& s = sc.solids[static_cast<std::size_t>(j)];
        if (u < s.u0 || u > s.u1 || v < s.v0 || v > s.v1) continue;
        if (intersect_solid(sc, j, ray, 1e-9, blocker)) {
          blocked = true;
          break;
        }
      }
      if (!blocked) ++vis.visible;
    }
  }
  return vis;
}

int occlusion_level(double visible) {
  const double hidden = 1.0 - visible;
  if (hidden < 0.15) return 0;
  if (hidden < 0.55) return 1;
  if (hidden < 0.92) return 2;
  return 3;  // KITTI's "unknown": barely visible
}

Object dontcare_line(const Box2D& b) {
  Object d;
  d.type = "DontCare";
  d.cls = ObjectClass::DontCare;
  d.truncated = -1;
  d.occluded = -1;
  d.alpha = -10;
  d.box2d = b;
  d.h = d.w = d.l = -1;
  d.loc_cam = {-1000, -1000, -1000};
  d.rotation_y = -10;
  return d;
}

}  // namespace

FrameTruth annotate(const Scene& sc, Rng& rng) {
  const Camera& cam = *sc.cam;
  FrameTruth t;
  for (int i = 0; i < static_cast<int>(sc.objects.size()); ++i) {
    const SceneObject& so = sc.objects[static_cast<std::size_t>(i)];
    if (!sc.solids[static_cast<std::size_t>(so.solid)].in_image) continue;
    Object o = so.box;
    if (!project_label(o, cam)) continue;
    const Visibility vis = measure_visibility(sc, so.solid, o.box2d);
    if (vis.footprint == 0 || vis.visible == 0) continue;
    const double visible = static_cast<double>(vis.visible) / vis.footprint;
    if (visible < 0.05) continue;  // hidden: an annotator would not see it
    o.occluded = occlusion_level(visible);
    LabelledObject lo{o, i, visible, o.distance()};
    if (lo.distance > 72.0 || o.box2d.height() < 12.0) {
      if (visible > 0.3) t.dontcare.push_back(dontcare_line(o.box2d));
      t.ignored.push_back(std::move(lo));
    } else {
      t.objects.push_back(std::move(lo));
    }
  }
  rng.shuffle(t.objects);  // KITTI's label order carries no meaning
  return t;
}

}  // namespace needle::demo
