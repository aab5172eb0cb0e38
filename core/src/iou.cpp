// Overlap measures. BEV/3D follow the KITTI devkit (evaluate_object_3d_offline.cpp): the box
// footprint on the camera x–z plane is the rectangle (±l/2, ±w/2) rotated by R(ry) =
// [cos sin; -sin cos] and translated to (x, z); the 3D overlap multiplies the footprint
// intersection by the overlap of [y - h, y] along camera y.
#include "needle/iou.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace needle {

namespace {
struct P2 {
  double x, z;
};

using Quad = std::array<P2, 4>;

Quad footprint(const Object& o) {
  const double c = std::cos(o.rotation_y), s = std::sin(o.rotation_y);
  const double hl = o.l / 2, hw = o.w / 2;
  const std::array<P2, 4> local = {P2{hl, hw}, P2{hl, -hw}, P2{-hl, -hw}, P2{-hl, hw}};
  Quad q;
  for (std::size_t i = 0; i < 4; ++i)
    q[i] = {c * local[i].x + s * local[i].z + o.loc_cam.x,
            -s * local[i].x + c * local[i].z + o.loc_cam.z};
  return q;
}

double cross(const P2& o, const P2& a, const P2& b) {
  return (a.x - o.x) * (b.z - o.z) - (a.z - o.z) * (b.x - o.x);
}

template <std::size_t N>
double signed_area(const std::array<P2, N>& p, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const P2& a = p[i];
    const P2& b = p[(i + 1) % n];
    s += a.x * b.z - b.x * a.z;
  }
  return s / 2;
}

// Intersection area of two convex quadrilaterals (Sutherland–Hodgman; both made counter-clockwise).
double convex_intersection_area(Quad a, Quad b) {
  if (signed_area(a, 4) < 0) std::reverse(a.begin(), a.end());
  if (signed_area(b, 4) < 0) std::reverse(b.begin(), b.end());
  // A convex quad clipped by 4 half-planes has at most 8 vertices.
  std::array<P2, 12> poly{}, next{};
  std::size_t n = 4;
  std::copy(a.begin(), a.end(), poly.begin());
  for (std::size_t e = 0; e < 4 && n > 0; ++e) {
    const P2& c0 = b[e];
    const P2& c1 = b[(e + 1) % 4];
    std::size_t m = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const P2& cur = poly[i];
      const P2& prev = poly[(i + n - 1) % n];
      const double dc = cross(c0, c1, cur), dp = cross(c0, c1, prev);
      const bool in_c = dc >= 0, in_p = dp >= 0;
      if (in_c != in_p) {
        const double t = dp / (dp - dc);
        next[m++] = {prev.x + t * (cur.x - prev.x), prev.z + t * (cur.z - prev.z)};
      }
      if (in_c) next[m++] = cur;
    }
    poly = next;
    n = m;
  }
  return n >= 3 ? std::abs(signed_area(poly, n)) : 0.0;
}
}  // namespace

double iou_2d(const Box2D& a, const Box2D& b) {
  const double w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const double h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const double inter = w * h;
  const double uni = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return uni > 0 ? inter / uni : 0;
}

double overlap_2d_over_a(const Box2D& a, const Box2D& b) {
  const double w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const double h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const double area_a = (a.x2 - a.x1) * (a.y2 - a.y1);
  return area_a > 0 ? w * h / area_a : 0;
}

double bev_intersection_area(const Object& a, const Object& b) {
  if (!a.has_3d() || !b.has_3d()) return 0;
  // Cheap reject: footprints are inside circles of radius half the diagonal.
  const double ra = std::hypot(a.l, a.w) / 2, rb = std::hypot(b.l, b.w) / 2;
  const double dx = a.loc_cam.x - b.loc_cam.x, dz = a.loc_cam.z - b.loc_cam.z;
  if (dx * dx + dz * dz >= (ra + rb) * (ra + rb)) return 0;
  return convex_intersection_area(footprint(a), footprint(b));
}

double iou_bev(const Object& a, const Object& b) {
  const double inter = bev_intersection_area(a, b);
  if (inter <= 0) return 0;
  return inter / (a.l * a.w + b.l * b.w - inter);
}

double iou_3d(const Object& a, const Object& b) {
  const double inter_area = bev_intersection_area(a, b);
  if (inter_area <= 0) return 0;
  const double ymax = std::min(a.loc_cam.y, b.loc_cam.y);
  const double ymin = std::max(a.loc_cam.y - a.h, b.loc_cam.y - b.h);
  const double inter_vol = inter_area * std::max(0.0, ymax - ymin);
  const double uni = a.h * a.l * a.w + b.h * b.l * b.w - inter_vol;
  return uni > 0 ? inter_vol / uni : 0;
}

double centre_distance_bev(const Object& a, const Object& b) {
  return std::hypot(a.loc_cam.x - b.loc_cam.x, a.loc_cam.z - b.loc_cam.z);
}

}  // namespace needle
