// demo/raycast.cpp — the demo's sensor rig (camera presets and their calibration) and ray casting
// against the scene: ray/box and ray/ground intersection, per-solid culling bounds, the ground's
// appearance, and the bird's-eye overlap test used when placing objects.
//
// Index
//   [SECTION] Calibration presets
//   [SECTION] Ray casting
//   [SECTION] Culling bounds
//   [SECTION] Ground appearance
//   [SECTION] Footprint overlap
#include <algorithm>
#include <cmath>
#include <numbers>

#include "needle/kitti_io.h"
#include "needle/demo.h"
#include "scene.h"

namespace needle::demo {

// =============================================================================================
// [SECTION] Calibration presets
// =============================================================================================
namespace {

using M3 = std::array<double, 9>;

M3 mul33(const M3& a, const M3& b) {
  M3 o{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      double s = 0;
      for (int k = 0; k < 3; ++k)
        s += a[static_cast<std::size_t>(r * 3 + k)] * b[static_cast<std::size_t>(k * 3 + c)];
      o[static_cast<std::size_t>(r * 3 + c)] = s;
    }
  return o;
}

M3 inverse33(const M3& m) {
  const double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5], g = m[6], h = m[7],
               i = m[8];
  const double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  const double k = 1.0 / det;
  return {(e * i - f * h) * k, (c * h - b * i) * k, (b * f - c * e) * k,
          (f * g - d * i) * k, (a * i - c * g) * k, (c * d - a * f) * k,
          (d * h - e * g) * k, (b * g - a * h) * k, (a * e - b * d) * k};
}

// Rotation by the vector w (axis * angle), Rodrigues' formula.
M3 rodrigues(double wx, double wy, double wz) {
  const double th = std::sqrt(wx * wx + wy * wy + wz * wz);
  if (th < 1e-15) return {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const double kx = wx / th, ky = wy / th, kz = wz / th, c = std::cos(th), s = std::sin(th),
               v = 1 - c;
  return {c + kx * kx * v,      kx * ky * v - kz * s, kx * kz * v + ky * s,
          ky * kx * v + kz * s, c + ky * ky * v,      ky * kz * v - kx * s,
          kz * kx * v - ky * s, kz * ky * v + kx * s, c + kz * kz * v};
}

Mat34 rigid(const M3& r, double tx, double ty, double tz) {
  return {r[0], r[1], r[2], tx, r[3], r[4], r[5], ty, r[6], r[7], r[8], tz};
}

struct Preset {
  int width, height;
  double f, cx, cy;
  double p1x;               // P1 (right grey camera): -f * baseline
  double p2x, p2y, p2z;     // P2 translation column
  double p3x, p3y, p3z;     // P3 translation column
  double r0[3];             // R0_rect as a rotation vector
  double tr_w[3], tr_t[3];  // Tr_velo_to_cam: small rotation after the axis swap, offset
};

// Close to KITTI's three calibration days (2011_09_26, _09_29, _09_30): same focal lengths,
// principal points, baselines and camera-lidar offsets; rotations rebuilt from small angles.
constexpr Preset kPresets[kCameraPresets] = {
    {1242,
     375,
     721.5377,
     609.5593,
     172.854,
     -387.5744,
     44.85728,
     0.2163791,
     0.002745884,
     -339.5242,
     2.199936,
     0.002729905,
     {0.0043, -0.0074, -0.0099},
     {-0.0148, 0.0075, -0.0007},
     {-0.004069766, -0.07631618, -0.2717806}},
    {1238,
     374,
     718.3351,
     600.3891,
     181.5122,
     -385.8846,
     44.50382,
     -0.5951107,
     0.002616315,
     -336.3147,
     3.159867,
     0.005323834,
     {0.0052, -0.0029, -0.0098},
     {-0.0023, 0.0078, -0.0010},
     {-0.007275538, -0.06324057, -0.2670414}},
    {1224,
     370,
     707.0493,
     604.0814,
     180.5066,
     -379.7842,
     45.75831,
     -0.3454157,
     0.004981016,
     -334.1081,
     2.33066,
     0.00201464,
     {0.0021, -0.0040, -0.0075},
     {-0.0084, 0.0069, -0.0012},
     {-0.004784, -0.07337429, -0.3339968}},
};

}  // namespace

Vec3 apply(const Mat34& m, const Vec3& p) {
  return {m[0] * p.x + m[1] * p.y + m[2] * p.z + m[3], m[4] * p.x + m[5] * p.y + m[6] * p.z + m[7],
          m[8] * p.x + m[9] * p.y + m[10] * p.z + m[11]};
}

Vec3 apply_linear(const Mat34& m, const Vec3& v) {
  return {m[0] * v.x + m[1] * v.y + m[2] * v.z, m[4] * v.x + m[5] * v.y + m[6] * v.z,
          m[8] * v.x + m[9] * v.y + m[10] * v.z};
}

namespace {
// Preset 0's rig (baselines, rotations, lidar offset) behind another lens: the "camera" shift.
// The principal point sits at the image centre; the stereo terms scale with the focal length.
Preset shifted_preset() {
  Preset p = kPresets[0];
  const double k = kShiftCameraFocal / p.f;
  p.width = kShiftCameraWidth;
  p.height = kShiftCameraHeight;
  p.f = kShiftCameraFocal;
  p.cx = kShiftCameraWidth / 2.0;
  p.cy = kShiftCameraHeight / 2.0;
  p.p1x *= k, p.p2x *= k, p.p2y *= k, p.p3x *= k, p.p3y *= k;
  return p;
}
}  // namespace

Camera make_shifted_camera() {
  return make_camera(kShiftedCameraPreset);
}

Camera make_camera(int preset) {
  static const Preset kShifted = shifted_preset();
  const Preset& p = preset == kShiftedCameraPreset
                        ? kShifted
                        : kPresets[std::clamp(preset, 0, kCameraPresets - 1)];
  Calib c;
  auto proj = [&](double tx, double ty, double tz) {
    return Mat34{p.f, 0, p.cx, tx, 0, p.f, p.cy, ty, 0, 0, 1, tz};
  };
  c.P = {proj(0, 0, 0), proj(p.p1x, 0, 0), proj(p.p2x, p.p2y, p.p2z), proj(p.p3x, p.p3y, p.p3z)};
  c.R0_rect = rodrigues(p.r0[0], p.r0[1], p.r0[2]);
  // Velodyne (x fwd, y left, z up) -> camera (x right, y down, z fwd), then a small rotation.
  const M3 axes = {0, -1, 0, 0, 0, -1, 1, 0, 0};
  c.Tr_velo_to_cam = rigid(mul33(rodrigues(p.tr_w[0], p.tr_w[1], p.tr_w[2]), axes), p.tr_t[0],
                           p.tr_t[1], p.tr_t[2]);
  c.Tr_imu_to_velo = rigid(rodrigues(0.0148, -0.0020, -0.00077), -0.8086759, 0.3195559, -0.7997231);

  Camera cam;
  cam.preset = preset;
  cam.width = p.width;
  cam.height = p.height;
  cam.calib_text = format_calib(c);
  // Everything downstream uses the calibration exactly as a reader parses it back.
  cam.calib = parse_calib(cam.calib_text, "demo calib");
  cam.velo_to_rect = cam.calib.velo_to_rect_matrix();
  const Mat34& v = cam.velo_to_rect;
  const M3 a = {v[0], v[1], v[2], v[4], v[5], v[6], v[8], v[9], v[10]};
  const M3 ai = inverse33(a);
  cam.rect_to_velo = rigid(ai, -(ai[0] * v[3] + ai[1] * v[7] + ai[2] * v[11]),
                           -(ai[3] * v[3] + ai[4] * v[7] + ai[5] * v[11]),
                           -(ai[6] * v[3] + ai[7] * v[7] + ai[8] * v[11]));
  const Mat34& p2 = cam.calib.P[2];
  const M3 k = {p2[0], p2[1], p2[2], p2[4], p2[5], p2[6], p2[8], p2[9], p2[10]};
  cam.pix_to_dir = inverse33(k);
  const auto& ki = cam.pix_to_dir;
  cam.center_rect = {-(ki[0] * p2[3] + ki[1] * p2[7] + ki[2] * p2[11]),
                     -(ki[3] * p2[3] + ki[4] * p2[7] + ki[5] * p2[11]),
                     -(ki[6] * p2[3] + ki[7] * p2[7] + ki[8] * p2[11])};
  cam.lidar_rect = {v[3], v[7], v[11]};
  // z_velo = n . p_rect + t_z, so the ground z_velo = -h is n . p_rect = -h - t_z.
  const Mat34& b = cam.rect_to_velo;
  cam.ground_n = {b[8], b[9], b[10]};
  cam.ground_c = -kLidarHeight - b[11];
  return cam;
}

// =============================================================================================
// [SECTION] Ray casting
// =============================================================================================
namespace {
// One slab of the ray/box test. Narrows [tn, tf]; records the axis when the entry moves.
inline bool slab(double o, double v, double lo, double hi, double& tn, double& tf, int axis_id,
                 int& axis, double& sign) {
  if (v == 0.0) return o >= lo && o <= hi;
  const double inv = 1.0 / v;
  double t0 = (lo - o) * inv, t1 = (hi - o) * inv;
  double s = -1.0;  // entering through the low face when moving towards +
  if (t0 > t1) {
    std::swap(t0, t1);
    s = 1.0;
  }
  if (t0 > tn) {
    tn = t0;
    axis = axis_id;
    sign = s;
  }
  if (t1 < tf) tf = t1;
  return tn <= tf;
}
}  // namespace

bool intersect_solid(const Scene& scene, int si, const Ray& ray, double t_min, Hit& hit) {
  const Solid& s = scene.solids[static_cast<std::size_t>(si)];
  const double c = s.cos_ry, sn = s.sin_ry;
  const double dx = ray.o.x - s.loc.x, dy = ray.o.y - s.loc.y, dz = ray.o.z - s.loc.z;
  // local = R^T (p - loc): the length axis is (c, 0, -s) in rect, the width axis (s, 0, c).
  const double ox = c * dx - sn * dz, oy = dy, oz = sn * dx + c * dz;
  const double vx = c * ray.d.x - sn * ray.d.z, vy = ray.d.y, vz = sn * ray.d.x + c * ray.d.z;
  bool found = false;
  for (int i = 0; i < s.n_parts; ++i) {
    const Part& p = s.parts[static_cast<std::size_t>(i)];
    double tn = t_min, tf = hit.t, sign = 0;
    int axis = -1;
    if (!slab(ox, vx, p.x0, p.x1, tn, tf, 0, axis, sign)) continue;
    if (!slab(oy, vy, p.y0, p.y1, tn, tf, 1, axis, sign)) continue;
    if (!slab(oz, vz, p.z0, p.z1, tn, tf, 2, axis, sign)) continue;
    if (axis < 0 || tn >= hit.t) continue;  // origin inside the part, or not closer
    hit.t = tn;
    hit.solid = si;
    hit.part = i;
    hit.lx = ox + tn * vx;
    hit.ly = oy + tn * vy;
    hit.lz = oz + tn * vz;
    if (axis == 0)
      hit.n_rect = {sign * c, 0, -sign * sn};
    else if (axis == 1)
      hit.n_rect = {0, sign, 0};
    else
      hit.n_rect = {sign * sn, 0, sign * c};
    found = true;
  }
  return found;
}

// =============================================================================================
// [SECTION] Culling bounds
// =============================================================================================
namespace {
double point_segment_distance(double px, double py, double ax, double ay, double bx, double by) {
  const double ex = bx - ax, ey = by - ay;
  const double len2 = ex * ex + ey * ey;
  double t = len2 > 0 ? ((px - ax) * ex + (py - ay) * ey) / len2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(px - (ax + t * ex), py - (ay + t * ey));
}

std::array<Vec3, 8> solid_corners_rect(const Solid& s) {
  double x0 = 1e30, x1 = -1e30, y0 = 1e30, y1 = -1e30, z0 = 1e30, z1 = -1e30;
  for (int i = 0; i < s.n_parts; ++i) {
    const Part& p = s.parts[static_cast<std::size_t>(i)];
    x0 = std::min(x0, p.x0), x1 = std::max(x1, p.x1);
    y0 = std::min(y0, p.y0), y1 = std::max(y1, p.y1);
    z0 = std::min(z0, p.z0), z1 = std::max(z1, p.z1);
  }
  std::array<Vec3, 8> out{};
  for (std::size_t k = 0; k < 8; ++k) {
    const double lx = (k & 1) ? x1 : x0, ly = (k & 4) ? y0 : y1, lz = (k & 2) ? z1 : z0;
    out[k] = {s.loc.x + s.cos_ry * lx + s.sin_ry * lz, s.loc.y + ly,
              s.loc.z - s.sin_ry * lx + s.cos_ry * lz};
  }
  return out;
}

void image_bounds(const Camera& cam, Solid& s, const std::array<Vec3, 8>& c) {
  constexpr double kNear = 0.05;
  const Mat34& p = cam.calib.P[2];
  double u0 = 1e30, u1 = -1e30, v0 = 1e30, v1 = -1e30;
  auto add = [&](const Vec3& q) {
    const double w = p[8] * q.x + p[9] * q.y + p[10] * q.z + p[11];
    const double u = (p[0] * q.x + p[1] * q.y + p[2] * q.z + p[3]) / w;
    const double v = (p[4] * q.x + p[5] * q.y + p[6] * q.z + p[7]) / w;
    u0 = std::min(u0, u), u1 = std::max(u1, u), v0 = std::min(v0, v), v1 = std::max(v1, v);
  };
  // Corner k's neighbours differ in one bit; clip every edge at z = near.
  for (std::size_t a = 0; a < 8; ++a)
    for (std::size_t bit : {1u, 2u, 4u}) {
      const std::size_t b = a ^ bit;
      if (b < a) continue;
      const bool ia = c[a].z >= kNear, ib = c[b].z >= kNear;
      if (ia) add(c[a]);
      if (ib) add(c[b]);
      if (ia != ib) {
        const double t = (kNear - c[a].z) / (c[b].z - c[a].z);
        add({c[a].x + t * (c[b].x - c[a].x), c[a].y + t * (c[b].y - c[a].y), kNear});
      }
    }
  s.in_image = u1 >= -1 && u0 <= cam.width && v1 >= -1 && v0 <= cam.height && u0 <= u1;
  s.u0 = std::max(u0, -1.0) - 1, s.u1 = std::min(u1, static_cast<double>(cam.width)) + 1;
  s.v0 = std::max(v0, -1.0) - 1, s.v1 = std::min(v1, static_cast<double>(cam.height)) + 1;
}

void lidar_bounds(const Camera& cam, Solid& s, const std::array<Vec3, 8>& c_rect) {
  std::array<Vec3, 8> c;
  for (std::size_t k = 0; k < 8; ++k) c[k] = apply(cam.rect_to_velo, c_rect[k]);
  // Footprint: corners 0,1,3,2 (bottom face, bit 4 clear) in order around the rectangle.
  const std::size_t ring[4] = {0, 1, 3, 2};
  double rho_min = 1e30;
  for (int e = 0; e < 4; ++e) {
    const Vec3& a = c[ring[e]];
    const Vec3& b = c[ring[(e + 1) % 4]];
    rho_min = std::min(rho_min, point_segment_distance(0, 0, a.x, a.y, b.x, b.y));
  }
  // Inside test for the footprint (convex): same side of every edge.
  int pos = 0, neg = 0;
  for (int e = 0; e < 4; ++e) {
    const Vec3& a = c[ring[e]];
    const Vec3& b = c[ring[(e + 1) % 4]];
    const double cr = (b.x - a.x) * (0 - a.y) - (b.y - a.y) * (0 - a.x);
    (cr >= 0 ? pos : neg)++;
  }
  double rho_max = 0, z0 = 1e30, z1 = -1e30;
  for (const Vec3& q : c) {
    rho_max = std::max(rho_max, std::hypot(q.x, q.y));
    z0 = std::min(z0, q.z), z1 = std::max(z1, q.z);
  }
  // A tall solid leans a little in the velodyne frame: keep a margin around the footprint.
  const double lean = 0.03 * (z1 - z0) + 0.05;
  s.az_full = pos == 4 || neg == 4 || rho_min < lean;
  rho_min = std::max(rho_min - lean, 0.01);
  const double margin = 0.004;
  s.el1 = (z1 > 0 ? std::atan2(z1, rho_min) : std::atan2(z1, rho_max)) + margin;
  s.el0 = (z0 < 0 ? std::atan2(z0, rho_min) : std::atan2(z0, rho_max)) - margin;
  if (s.az_full) return;
  double cx = 0, cy = 0;
  for (const Vec3& q : c) cx += q.x / 8, cy += q.y / 8;
  const double mid = std::atan2(cy, cx);
  double lo = 0, hi = 0;
  for (const Vec3& q : c) {
    double a = std::atan2(q.y, q.x) - mid;
    if (a > std::numbers::pi) a -= 2 * std::numbers::pi;
    if (a < -std::numbers::pi) a += 2 * std::numbers::pi;
    lo = std::min(lo, a), hi = std::max(hi, a);
  }
  const double az_margin = lean / std::max(rho_min, 0.5) + margin;
  s.az0 = mid + lo - az_margin;
  s.az1 = mid + hi + az_margin;
}
}  // namespace

void prepare_culling(Scene& scene) {
  for (Solid& s : scene.solids) {
    const auto c = solid_corners_rect(s);
    image_bounds(*scene.cam, s, c);
    lidar_bounds(*scene.cam, s, c);
  }
}

// =============================================================================================
// [SECTION] Ground appearance
// =============================================================================================
namespace {
constexpr Rgb kAsphalt{92, 92, 97}, kParking{102, 101, 104}, kPaint{228, 228, 220},
    kKerb{178, 176, 170}, kSidewalk{156, 152, 143}, kPlaza{140, 134, 124}, kGrass{88, 122, 58},
    kGravel{132, 122, 104};
}

GroundLook ground_look(const Road& r, double s, double d) {
  GroundLook g;
  if (d >= r.right_edge && d <= r.left_edge) {
    const bool parking = d < r.drive_right || d > r.drive_left;
    g.base = parking ? kParking : kAsphalt;
    g.color = g.base;
    g.reflect = 0.16;
    if (parking) return g;
    constexpr double kW = 0.15;
    auto paint = [&](double centre, bool dashed) {
      if (std::abs(d - centre) > kW / 2) return false;
      if (!dashed) return true;
      double ph = std::fmod(s - r.dash_phase, r.dash_period);
      if (ph < 0) ph += r.dash_period;
      return ph < r.dash_len;
    };
    bool on = paint(r.drive_right + 0.3, false) || paint(r.drive_left - 0.3, false);
    for (int k = 1; k < r.lanes && !on; ++k) {
      const bool centre = k == r.lanes_same;
      on = paint(r.drive_right + k * r.lane_w, !(centre && r.centre_solid));
    }
    if (on) {
      g.color = kPaint;
      g.reflect = 0.7;
      g.paint_width = kW;
    }
    return g;
  }
  const double out = d < r.right_edge ? r.right_edge - d : d - r.left_edge;
  const double walk = d < r.right_edge ? r.sidewalk_right : r.sidewalk_left;
  if (r.rural) {
    g.color = out < 1.2 ? kGravel : kGrass;
    g.reflect = out < 1.2 ? 0.28 : 0.42;
  } else if (out < 0.25) {
    g.color = kKerb;
    g.reflect = 0.32;
  } else if (out < walk) {
    g.color = kSidewalk;
    g.reflect = 0.27;
  } else {
    g.color = walk > 2.4 ? kPlaza : kGrass;
    g.reflect = walk > 2.4 ? 0.25 : 0.42;
  }
  g.base = g.color;
  return g;
}

// =============================================================================================
// [SECTION] Footprint overlap
// =============================================================================================
bool footprints_overlap(const Footprint& a, const Footprint& b, double margin) {
  const double ax[2] = {std::cos(a.theta), std::sin(a.theta)};
  const double ay[2] = {-ax[1], ax[0]};
  const double bx[2] = {std::cos(b.theta), std::sin(b.theta)};
  const double by[2] = {-bx[1], bx[0]};
  const double tx = b.x - a.x, ty = b.y - a.y;
  const double* axes[4] = {ax, ay, bx, by};
  for (const double* n : axes) {
    const double ra = (a.half_l + margin) * std::abs(n[0] * ax[0] + n[1] * ax[1]) +
                      (a.half_w + margin) * std::abs(n[0] * ay[0] + n[1] * ay[1]);
    const double rb = b.half_l * std::abs(n[0] * bx[0] + n[1] * bx[1]) +
                      b.half_w * std::abs(n[0] * by[0] + n[1] * by[1]);
    if (std::abs(tx * n[0] + ty * n[1]) > ra + rb) return false;
  }
  return true;
}

}  // namespace needle::demo
