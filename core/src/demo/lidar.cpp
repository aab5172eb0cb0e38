// demo/lidar.cpp — a simulated HDL-64E-like spinning lidar, ray-cast against the scene.
//
// 64 beams from +2.0 to -24.8 degrees elevation (upper block ~1/3 degree apart, lower block ~1/2
// degree), 2083 azimuth steps of 0.1728 degrees, mounted kLidarHeight above the ground. Every ray
// returns its first hit (ground, structure or object), so occlusion, shadows behind objects and the
// fall of density with range come from the geometry itself. Returns carry ~2 cm range noise and a
// reflectance in [0, 1) from the surface and the angle of incidence; some far or dark returns and
// some returns from glass are lost. Points are written in the velodyne frame (x fwd, y left, z up).
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "pipeline.h"

namespace needle::demo {

namespace {
constexpr int kBeams = 64;
constexpr int kColumns = 2083;
constexpr double kMaxRange = 120.0, kMinRange = 2.5;

std::array<double, kBeams> beam_elevations() {
  std::array<double, kBeams> e{};
  for (int i = 0; i < 32; ++i) {
    e[static_cast<std::size_t>(i)] = (2.0 - i * (10.33 / 31.0)) * std::numbers::pi / 180.0;
    e[static_cast<std::size_t>(i + 32)] = (-8.83 - i * (15.97 / 31.0)) * std::numbers::pi / 180.0;
  }
  return e;
}

// Per-column candidate solids (compressed rows): a ray only tests solids whose azimuth interval
// holds its column, and then only if its elevation is inside the solid's elevation interval.
struct ColumnIndex {
  std::vector<int> start, items;
  ColumnIndex(const Scene& sc, double step) : start(kColumns + 1, 0) {
    std::vector<std::array<int, 2>> ranges(sc.solids.size());
    auto column = [&](double az) {
      return static_cast<int>(std::floor((az + std::numbers::pi) / step));
    };
    for (std::size_t i = 0; i < sc.solids.size(); ++i) {
      const Solid& s = sc.solids[i];
      ranges[i] =
          s.az_full ? std::array{0, kColumns - 1} : std::array{column(s.az0), column(s.az1)};
      if (ranges[i][1] - ranges[i][0] >= kColumns) ranges[i] = {0, kColumns - 1};
    }
    auto for_each = [&](auto&& f) {
      for (std::size_t i = 0; i < ranges.size(); ++i)
        for (int j = ranges[i][0]; j <= ranges[i][1]; ++j)
          f(((j % kColumns) + kColumns) % kColumns, static_cast<int>(i));
    };
    for_each([&](int j, int) { ++start[static_cast<std::size_t>(j) + 1]; });
    for (int j = 0; j < kColumns; ++j)
      start[static_cast<std::size_t>(j) + 1] += start[static_cast<std::size_t>(j)];
    items.resize(static_cast<std::size_t>(start[kColumns]));
    std::vector<int> fill(start.begin(), start.end() - 1);
    for_each([&](int j, int i) {
      items[static_cast<std::size_t>(fill[static_cast<std::size_t>(j)]++)] = i;
    });
  }
};
}  // namespace

PointCloud scan_lidar(const Scene& sc, Rng& rng, const LidarShift& shift) {
  const Camera& cam = *sc.cam;
  static const std::array<double, kBeams> kElev = beam_elevations();
  const double step = 2 * std::numbers::pi / kColumns;
  const ColumnIndex index(sc, step);
  PointCloud cloud;
  cloud.xyzr.reserve(static_cast<std::size_t>(kBeams) * kColumns * 4);
  std::array<double, kBeams> ce{}, se{};
  for (std::size_t b = 0; b < kBeams; ++b) ce[b] = std::cos(kElev[b]), se[b] = std::sin(kElev[b]);

  for (int j = 0; j < kColumns; ++j) {
    // Start behind the car and sweep counter-clockwise, like the sensor's packets.
    const double az = -std::numbers::pi + (j + 0.5) * step;
    const double ca = std::cos(az), sa = std::sin(az);
    const int* cand = index.items.data() + index.start[static_cast<std::size_t>(j)];
    const int n_cand =
        index.start[static_cast<std::size_t>(j) + 1] - index.start[static_cast<std::size_t>(j)];
    for (std::size_t b = 0; b < kBeams; ++b) {
      if (shift.beam_stride > 1 && b % static_cast<std::size_t>(shift.beam_stride) != 0) continue;
      const Vec3 d_velo{ce[b] * ca, ce[b] * sa, se[b]};
      const Ray ray{cam.lidar_rect, apply_linear(cam.velo_to_rect, d_velo)};
      const double t_ground = intersect_ground(cam, ray);
      Hit hit;
      hit.t = std::min(t_ground, kMaxRange);
      for (int k = 0; k < n_cand; ++k) {
        const Solid& s = sc.solids[static_cast<std::size_t>(cand[k])];
        if (kElev[b] < s.el0 || kElev[b] > s.el1) continue;
        intersect_solid(sc, cand[k], ray, 0.3, hit);
      }
      if (hit.t >= kMaxRange || hit.t < kMinRange) continue;
      double reflect, cos_inc;
      bool glass = false;
      if (hit.solid < 0) {
        double s, d;
        road_coords(sc.road, hit.t * d_velo.x, hit.t * d_velo.y, s, d);
        reflect = ground_look(sc.road, s, d).reflect;
        cos_inc = -se[b];
      } else {
        const Part& p = sc.solids[static_cast<std::size_t>(hit.solid)]
                            .parts[static_cast<std::size_t>(hit.part)];
        reflect = p.reflect;
        glass = p.surface == Surface::Glass;
        cos_inc = std::abs(dot(hit.n_rect, ray.d));
      }
      // Lost returns: glass often, dark surfaces far away more often than bright ones.
      double p_drop = glass ? 0.45 : 0.004;
      if (hit.t > 50) p_drop += (hit.t - 50) / 110.0 * (1.0 - std::min(reflect * 1.5, 0.9));
      if (rng.chance(p_drop)) continue;
      double r = reflect * (0.35 + 0.65 * cos_inc) + rng.normal(0, 0.025);
      r = std::clamp(std::floor(r * 100.0) / 100.0, 0.0, 0.99);
      const double range = hit.t + rng.normal(0, shift.range_sigma_m);
      cloud.xyzr.push_back(static_cast<float>(range * d_velo.x));
      cloud.xyzr.push_back(static_cast<float>(range * d_velo.y));
      cloud.xyzr.push_back(static_cast<float>(range * d_velo.z));
      cloud.xyzr.push_back(static_cast<float>(r));
    }
  }
  return cloud;
}

}  // namespace needle::demo
