// Test-owned geometry, written from the KITTI conventions and textbook formulas rather than from
// needle's code, so that tests of needle's geometry have an expectation of their own:
//   * footprint corners of a KITTI box (rotation about camera Y: R_y(ry) maps the length axis
//     (1, 0, 0) to (cos ry, 0, -sin ry) and the width axis (0, 0, 1) to (sin ry, 0, cos ry));
//   * convex polygon intersection by a different method from needle's clipper: the vertices of
//     each polygon inside the other plus all edge-edge crossings, sorted by angle around their
//     mean, then the shoelace formula;
//   * pinhole projection with a 3x4 matrix read from a calib file by the test itself, and
//     near-plane clipping of a segment by its parametric form.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace needle::test::ref_geom {

struct Pt {
  double x, z;
};

// A KITTI box in plain numbers: bottom centre (x, y, z) in the rectified camera frame, camera y
// down, dimensions h, w, l, heading ry.
struct Box {
  double h, w, l, x, y, z, ry;
};

// Footprint on the camera x-z plane, in the corner order (+l/2,+w/2) (+l/2,-w/2) (-l/2,-w/2)
// (-l/2,+w/2).
inline std::array<Pt, 4> footprint(const Box& b) {
  const double c = std::cos(b.ry), s = std::sin(b.ry);
  const double sl[4] = {0.5, 0.5, -0.5, -0.5}, sw[4] = {0.5, -0.5, -0.5, 0.5};
  std::array<Pt, 4> out{};
  for (int i = 0; i < 4; ++i) {
    const double a = sl[i] * b.l, d = sw[i] * b.w;  // along length, along width
    out[static_cast<std::size_t>(i)] = {b.x + a * c + d * s, b.z - a * s + d * c};
  }
  return out;
}

inline double shoelace(const std::vector<Pt>& p) {
  double s = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const Pt& a = p[i];
    const Pt& b = p[(i + 1) % p.size()];
    s += a.x * b.z - b.x * a.z;
  }
  return std::abs(s) / 2;
}

// Point inside a convex polygon (either orientation), boundary included within eps.
inline bool inside_convex(const std::vector<Pt>& poly, Pt q, double eps = 1e-12) {
  int pos = 0, neg = 0;
  for (std::size_t i = 0; i < poly.size(); ++i) {
    const Pt& a = poly[i];
    const Pt& b = poly[(i + 1) % poly.size()];
    const double cr = (b.x - a.x) * (q.z - a.z) - (b.z - a.z) * (q.x - a.x);
    if (cr > eps) ++pos;
    if (cr < -eps) ++neg;
  }
  return pos == 0 || neg == 0;
}

// Proper crossing point of segments p1-p2 and q1-q2, if any (parallel segments: none; their
// overlap adds no area and their end points are found as vertices inside the other polygon).
inline std::optional<Pt> crossing(Pt p1, Pt p2, Pt q1, Pt q2) {
  const double rx = p2.x - p1.x, rz = p2.z - p1.z, sx = q2.x - q1.x, sz = q2.z - q1.z;
  const double den = rx * sz - rz * sx;
  if (std::abs(den) < 1e-15) return std::nullopt;
  const double t = ((q1.x - p1.x) * sz - (q1.z - p1.z) * sx) / den;
  const double u = ((q1.x - p1.x) * rz - (q1.z - p1.z) * rx) / den;
  if (t < 0 || t > 1 || u < 0 || u > 1) return std::nullopt;
  return Pt{p1.x + t * rx, p1.z + t * rz};
}

// Area of the intersection of two convex polygons.
inline double convex_intersection_area(const std::vector<Pt>& a, const std::vector<Pt>& b) {
  std::vector<Pt> pts;
  for (const Pt& p : a)
    if (inside_convex(b, p, 1e-9)) pts.push_back(p);
  for (const Pt& p : b)
    if (inside_convex(a, p, 1e-9)) pts.push_back(p);
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < b.size(); ++j)
      if (auto c = crossing(a[i], a[(i + 1) % a.size()], b[j], b[(j + 1) % b.size()]))
        pts.push_back(*c);
  if (pts.size() < 3) return 0;
  double mx = 0, mz = 0;
  for (const Pt& p : pts) mx += p.x, mz += p.z;
  mx /= static_cast<double>(pts.size());
  mz /= static_cast<double>(pts.size());
  std::sort(pts.begin(), pts.end(), [&](const Pt& p, const Pt& q) {
    return std::atan2(p.z - mz, p.x - mx) < std::atan2(q.z - mz, q.x - mx);
  });
  return shoelace(pts);
}

inline double bev_intersection(const Box& a, const Box& b) {
  const auto fa = footprint(a), fb = footprint(b);
  return convex_intersection_area({fa.begin(), fa.end()}, {fb.begin(), fb.end()});
}

inline double bev_iou(const Box& a, const Box& b) {
  const double i = bev_intersection(a, b);
  return i > 0 ? i / (a.l * a.w + b.l * b.w - i) : 0;
}

// Height overlap of [y - h, y] intervals (camera y points down, y is the bottom).
inline double height_overlap(const Box& a, const Box& b) {
  return std::max(0.0, std::min(a.y, b.y) - std::max(a.y - a.h, b.y - b.h));
}

inline double iou_3d(const Box& a, const Box& b) {
  const double v = bev_intersection(a, b) * height_overlap(a, b);
  return v > 0 ? v / (a.h * a.w * a.l + b.h * b.w * b.l - v) : 0;
}

// ---- Projection ----------------------------------------------------------------------------

// The 12 numbers after "KEY:" in a KITTI calib file (e.g. "P2:"), read by the test itself.
inline std::optional<std::array<double, 12>> read_calib_row(const std::filesystem::path& file,
                                                            const std::string& key) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) != 0) continue;
    std::istringstream ss(line.substr(key.size()));
    std::array<double, 12> m{};
    for (double& v : m)
      if (!(ss >> v)) return std::nullopt;
    return m;
  }
  return std::nullopt;
}

struct Pt3 {
  double x, y, z;
};

// The 8 corners: 0-3 bottom (y), 4-7 top (y - h), i + 4 above i; footprint order as above.
inline std::array<Pt3, 8> corners(const Box& b) {
  const auto f = footprint(b);
  std::array<Pt3, 8> out{};
  for (std::size_t i = 0; i < 4; ++i) {
    out[i] = {f[i].x, b.y, f[i].z};
    out[i + 4] = {f[i].x, b.y - b.h, f[i].z};
  }
  return out;
}

// A cuboid's 12 edges: bottom ring, top ring, verticals.
inline const std::array<std::array<std::size_t, 2>, 12>& cuboid_edges() {
  static const std::array<std::array<std::size_t, 2>, 12> e = {{{0, 1},
                                                                {1, 2},
                                                                {2, 3},
                                                                {3, 0},
                                                                {4, 5},
                                                                {5, 6},
                                                                {6, 7},
                                                                {7, 4},
                                                                {0, 4},
                                                                {1, 5},
                                                                {2, 6},
                                                                {3, 7}}};
  return e;
}

inline std::array<double, 2> pinhole(const std::array<double, 12>& P, const Pt3& p) {
  const double u = P[0] * p.x + P[1] * p.y + P[2] * p.z + P[3];
  const double v = P[4] * p.x + P[5] * p.y + P[6] * p.z + P[7];
  const double w = P[8] * p.x + P[9] * p.y + P[10] * p.z + P[11];
  return {u / w, v / w};
}

struct ImageSegment {
  double u0, v0, u1, v1;
  std::size_t edge;
};

// Edges in image pixels, each clipped to z >= near: the end behind the plane moves along the edge
// to where it meets the plane, the end in front stays; an edge wholly behind is dropped.
inline std::vector<ImageSegment> image_edges(const Box& b, const std::array<double, 12>& P,
                                             double near = 0.1) {
  const auto c = corners(b);
  std::vector<ImageSegment> out;
  for (std::size_t e = 0; e < 12; ++e) {
    Pt3 p = c[cuboid_edges()[e][0]], q = c[cuboid_edges()[e][1]];
    if (p.z < near && q.z < near) continue;
    auto to_plane = [&](const Pt3& behind, const Pt3& front) {
      const double t = (near - behind.z) / (front.z - behind.z);
      return Pt3{behind.x + t * (front.x - behind.x), behind.y + t * (front.y - behind.y), near};
    };
    if (p.z < near) p = to_plane(p, q);
    if (q.z < near) q = to_plane(q, p);
    const auto a = pinhole(P, p), d = pinhole(P, q);
    out.push_back({a[0], a[1], d[0], d[1], e});
  }
  return out;
}

}  // namespace needle::test::ref_geom
