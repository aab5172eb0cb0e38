// demo/render.cpp — the image_2 picture of a scene, ray-cast pixel by pixel from camera 2 through
// the frame's calibration (so labels project exactly onto what is drawn). Flat shading: sky
// gradient, asphalt with lane paint, kerbs and sidewalks, facades with windows, objects as shaded
// boxes in per-class colours with one shade per face, a contact shadow under objects and a little
// haze with distance. Cost is bounded by culling: a pixel only tests solids whose projected
// bounds contain it.
#include <algorithm>
#include <cmath>

#include "pipeline.h"

namespace needle::demo {

namespace {
constexpr Rgb kHorizon{206, 218, 230}, kZenith{104, 148, 214}, kHaze{198, 207, 218},
    kWindow{62, 78, 96};

double frac(double x) {
  return x - std::floor(x);
}
std::uint8_t to_byte(double v) {
  return static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0) + 0.5);
}

// Cheap deterministic value noise for foliage texture (position -> [0, 1)).
double hash3(double x, double y, double z) {
  const auto xi = static_cast<std::int64_t>(std::floor(x)),
             yi = static_cast<std::int64_t>(std::floor(y)),
             zi = static_cast<std::int64_t>(std::floor(z));
  std::uint64_t h = static_cast<std::uint64_t>(xi) * 0x9E3779B97F4A7C15ULL ^
                    static_cast<std::uint64_t>(yi) * 0xC2B2AE3D27D4EB4FULL ^
                    static_cast<std::uint64_t>(zi) * 0x165667B19E3779F9ULL;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 32;
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

Rgb shade_solid(const Scene& sc, const Hit& hit) {
  const Solid& s = sc.solids[static_cast<std::size_t>(hit.solid)];
  const Part& p = s.parts[static_cast<std::size_t>(hit.part)];
  const Vec3& n = hit.n_rect;
  const double up = -n.y;
  double light = 0.62 + 0.14 * up + 0.34 * std::max(0.0, dot(n, sc.sun_rect)) + 0.07 * n.x;
  Rgb c = p.color;
  if (p.surface == Surface::Facade && up == 0.0) {
    // Windows: 3.2 m storeys, 3 m bays, on the wall the ray hit.
    const double n_along_length = n.x * s.cos_ry - n.z * s.sin_ry;
    const double along = std::abs(n_along_length) > 0.5 ? hit.lz : hit.lx;
    const double height = -hit.ly;
    const double fs = frac(height / 3.2) * 3.2, fb = frac(along / 3.0) * 3.0;
    if (height > 0.9 && height < -p.y0 - 0.8 && fs > 0.9 && fs < 2.3 && fb > 0.8 && fb < 2.2)
      c = mix(kWindow, kHorizon, 0.15);
  } else if (p.surface == Surface::Foliage) {
    light *= 0.8 + 0.35 * hash3(hit.lx * 4, hit.ly * 4, hit.lz * 4);
  }
  return c * std::min(light, 1.25);
}

}  // namespace

Image render_image(const Scene& sc) {
  const Camera& cam = *sc.cam;
  Image img;
  img.width = cam.width;
  img.height = cam.height;
  img.rgb.resize(static_cast<std::size_t>(cam.width) * static_cast<std::size_t>(cam.height) * 3);
  std::vector<int> visible;
  for (int i = 0; i < static_cast<int>(sc.solids.size()); ++i)
    if (sc.solids[static_cast<std::size_t>(i)].in_image) visible.push_back(i);
  const double up_len = std::sqrt(dot(cam.ground_n, cam.ground_n));
  std::vector<int> row;
  std::uint8_t* out = img.rgb.data();
  for (int v = 0; v < cam.height; ++v) {
    row.clear();
    for (int i : visible) {
      const Solid& s = sc.solids[static_cast<std::size_t>(i)];
      if (v >= s.v0 && v <= s.v1) row.push_back(i);
    }
    for (int u = 0; u < cam.width; ++u, out += 3) {
      const Ray ray = camera_ray(cam, u, v);
      const double t_ground = intersect_ground(cam, ray);
      Hit hit;
      hit.t = t_ground;
      for (int i : row) {
        const Solid& s = sc.solids[static_cast<std::size_t>(i)];
        if (u >= s.u0 && u <= s.u1) intersect_solid(sc, i, ray, 1e-9, hit);
      }
      const double dlen = std::sqrt(dot(ray.d, ray.d));
      Rgb c;
      if (hit.solid >= 0) {
        c = shade_solid(sc, hit);
      } else if (std::isfinite(t_ground)) {
        const Vec3 p{ray.o.x + t_ground * ray.d.x, ray.o.y + t_ground * ray.d.y,
                     ray.o.z + t_ground * ray.d.z};
        const Vec3 p_velo = apply(cam.rect_to_velo, p);
        double s, d;
        road_coords(sc.road, p_velo.x, p_velo.y, s, d);
        const GroundLook g = ground_look(sc.road, s, d);
        c = g.color;
        if (g.paint_width > 0) {  // paint narrower than a pixel fades instead of flickering
          const double px = g.paint_width * cam.calib.P[2][0] / std::max(p.z, 0.1);
          if (px < 1.5) c = mix(g.base, g.color, std::max(px / 1.5, 0.25));
        }
        // Contact shadow under objects standing here.
        for (int i : row) {
          const Solid& so = sc.solids[static_cast<std::size_t>(i)];
          if (so.object < 0 || u < so.u0 || u > so.u1) continue;
          const double dx = p.x - so.loc.x, dz = p.z - so.loc.z;
          const double lx = so.cos_ry * dx - so.sin_ry * dz, lz = so.sin_ry * dx + so.cos_ry * dz;
          const Part& body = so.parts[0];
          const double hl = std::max(std::abs(body.x0), std::abs(body.x1)) + 0.15;
          const double hw = std::max(std::abs(body.z0), std::abs(body.z1)) + 0.15;
          if (std::abs(lx) < hl && std::abs(lz) < hw) {
            c = c * 0.55;
            break;
          }
        }
        hit.t = t_ground;
      } else {
        const double el = dot(cam.ground_n, ray.d) / (up_len * dlen);
        c = mix(kHorizon, kZenith, std::clamp(el * 3.5, 0.0, 1.0));
      }
      if (std::isfinite(hit.t)) {  // haze: ~25% at 100 m, ~50% at 300 m
        const double x = hit.t * dlen / 300.0;
        c = mix(c, kHaze, x / (1.0 + x));
      }
      out[0] = to_byte(c.r);
      out[1] = to_byte(c.g);
      out[2] = to_byte(c.b);
    }
  }
  return img;
}

}  // namespace needle::demo
