#include "needle/box3d.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace needle {

const std::array<std::array<int, 2>, 12> kBoxEdges = {{
    {0, 1},
    {1, 2},
    {2, 3},
    {3, 0},  // bottom
    {4, 5},
    {5, 6},
    {6, 7},
    {7, 4},  // top
    {0, 4},
    {1, 5},
    {2, 6},
    {3, 7},  // verticals
}};

std::array<Vec3, 8> box_corners_rect(const Object& o) {
  const double c = std::cos(o.rotation_y), s = std::sin(o.rotation_y);
  const double hl = o.l / 2, hw = o.w / 2;
  // (length, width) offsets of corners 0..3; corners 4..7 are the same, raised by h (y up = -y).
  const double lx[4] = {hl, hl, -hl, -hl};
  const double wz[4] = {hw, -hw, -hw, hw};
  std::array<Vec3, 8> out{};
  for (std::size_t i = 0; i < 4; ++i) {
    const double x = c * lx[i] + s * wz[i] + o.loc_cam.x;
    const double z = -s * lx[i] + c * wz[i] + o.loc_cam.z;
    out[i] = {x, o.loc_cam.y, z};
    out[i + 4] = {x, o.loc_cam.y - o.h, z};
  }
  return out;
}

namespace {
// Projects p_rect (z > 0 guaranteed by the caller) through P2.
std::array<double, 2> project(const Calib& calib, const Vec3& p) {
  const auto& m = calib.P[2];
  const double u = m[0] * p.x + m[1] * p.y + m[2] * p.z + m[3];
  const double v = m[4] * p.x + m[5] * p.y + m[6] * p.z + m[7];
  const double w = m[8] * p.x + m[9] * p.y + m[10] * p.z + m[11];
  return {u / w, v / w};
}

// Clips segment a-b to z >= near; false when nothing remains.
bool clip_near(Vec3& a, Vec3& b, double near) {
  const bool ia = a.z >= near, ib = b.z >= near;
  if (!ia && !ib) return false;
  if (ia && ib) return true;
  const double t = (near - a.z) / (b.z - a.z);
  const Vec3 p{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y), near};
  (ia ? b : a) = p;
  return true;
}
}  // namespace

std::vector<Segment2D> project_box_edges(const Object& o, const Calib& calib, double near) {
  std::vector<Segment2D> segs;
  if (!o.has_3d()) return segs;
  const auto corners = box_corners_rect(o);
  segs.reserve(kBoxEdges.size());
  for (std::size_t e = 0; e < kBoxEdges.size(); ++e) {
    Vec3 a = corners[static_cast<std::size_t>(kBoxEdges[e][0])];
    Vec3 b = corners[static_cast<std::size_t>(kBoxEdges[e][1])];
    if (!clip_near(a, b, near)) continue;
    const auto ua = project(calib, a), ub = project(calib, b);
    segs.push_back({ua[0], ua[1], ub[0], ub[1], static_cast<int>(e)});
  }
  return segs;
}

std::optional<Box2D> projected_box_2d(const Object& o, const Calib& calib, int image_w,
                                      int image_h) {
  const auto segs = project_box_edges(o, calib);
  if (segs.empty()) return std::nullopt;
  double x1 = std::numeric_limits<double>::infinity(), y1 = x1, x2 = -x1, y2 = -x1;
  for (const auto& s : segs) {
    x1 = std::min({x1, s.u0, s.u1});
    x2 = std::max({x2, s.u0, s.u1});
    y1 = std::min({y1, s.v0, s.v1});
    y2 = std::max({y2, s.v0, s.v1});
  }
  Box2D b{std::max(x1, 0.0), std::max(y1, 0.0), std::min(x2, static_cast<double>(image_w - 1)),
          std::min(y2, static_cast<double>(image_h - 1))};
  if (b.x2 <= b.x1 || b.y2 <= b.y1) return std::nullopt;
  return b;
}

bool point_in_box(const Vec3& p_rect, const Object& o) {
  if (!o.has_3d()) return false;
  if (p_rect.y > o.loc_cam.y || p_rect.y < o.loc_cam.y - o.h) return false;
  const double c = std::cos(o.rotation_y), s = std::sin(o.rotation_y);
  const double dx = p_rect.x - o.loc_cam.x, dz = p_rect.z - o.loc_cam.z;
  // Inverse of the corner rotation: local = R^T * d.
  const double along_l = c * dx - s * dz;
  const double along_w = s * dx + c * dz;
  return std::abs(along_l) <= o.l / 2 && std::abs(along_w) <= o.w / 2;
}

namespace {
template <typename F>
void for_points_in_box(const PointCloud& cloud, const Calib& calib, const Object& o, F&& f) {
  if (!o.has_3d()) return;
  const Mat34 m = calib.velo_to_rect_matrix();
  const double r = std::hypot(o.l, o.w) / 2;
  const double cx = o.loc_cam.x, cz = o.loc_cam.z;
  const float* p = cloud.xyzr.data();
  const std::size_t n = cloud.size();
  for (std::size_t i = 0; i < n; ++i, p += 4) {
    const double x = p[0], y = p[1], z = p[2];
    const double xr = m[0] * x + m[1] * y + m[2] * z + m[3];
    const double zr = m[8] * x + m[9] * y + m[10] * z + m[11];
    if (std::abs(xr - cx) > r || std::abs(zr - cz) > r) continue;
    const double yr = m[4] * x + m[5] * y + m[6] * z + m[7];
    if (point_in_box({xr, yr, zr}, o)) f(i);
  }
}
}  // namespace

std::size_t count_points_in_box(const PointCloud& cloud, const Calib& calib, const Object& o) {
  std::size_t count = 0;
  for_points_in_box(cloud, calib, o, [&](std::size_t) { ++count; });
  return count;
}

std::vector<std::uint32_t> points_in_box(const PointCloud& cloud, const Calib& calib,
                                         const Object& o) {
  std::vector<std::uint32_t> idx;
  for_points_in_box(cloud, calib, o,
                    [&](std::size_t i) { idx.push_back(static_cast<std::uint32_t>(i)); });
  return idx;
}

}  // namespace needle
