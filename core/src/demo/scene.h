// demo/scene.h — internal: the synthetic world of one demo frame and ray casting against it.
//
// Frames: the scene is laid out in road coordinates (s along the road, d to its left) on the
// velodyne ground plane z_velo = -kLidarHeight, and every solid is stored as an oriented box in the
// rectified camera frame (the label frame), rotated about the rect y axis like a KITTI box. Labels
// are therefore exact: a labelled object's solid is built from the label after rounding it to the
// label files' precision, and both the lidar and the camera ray-cast that very geometry through the
// calibration that is written to calib/<id>.txt.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "needle/calib.h"
#include "needle/types.h"
#include "rng.h"

namespace needle::demo {

constexpr double kLidarHeight = 1.73;  // velodyne origin above the ground, metres

struct Rgb {
  double r = 0, g = 0, b = 0;
};
inline Rgb operator*(const Rgb& c, double k) {
  return {c.r * k, c.g * k, c.b * k};
}
inline Rgb mix(const Rgb& a, const Rgb& b, double t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}
Rgb class_rgb(ObjectClass c);  // base colour of a class, components in [0, 255]

// One "drive": image size and calibration. Every derived matrix comes from the Calib exactly as
// parsed back from calib_text, so nothing differs from what a reader of the dataset sees.
struct Camera {
  int preset = 0;
  int width = 0, height = 0;
  Calib calib;
  std::string calib_text;
  Mat34 velo_to_rect{}, rect_to_velo{};
  Vec3 center_rect;                    // centre of projection of P2
  std::array<double, 9> pix_to_dir{};  // inverse of P2's left 3x3: dir_rect = M * (u, v, 1)
  Vec3 lidar_rect;                     // velodyne origin in the rect frame
  Vec3 ground_n;                       // ground plane in rect: dot(ground_n, p) == ground_c;
  double ground_c = 0;                 // dot(ground_n, p) - ground_c = height above ground (m)
};
constexpr int kCameraPresets = 3;
Camera make_camera(int preset);  // 0: 1242x375, 1: 1238x374, 2: 1224x370
// The camera of the "camera" shift: preset 0's rig with another lens and sensor size
// (kShiftCameraWidth x kShiftCameraHeight, focal kShiftCameraFocal px; needle/demo.h).
constexpr int kShiftedCameraPreset = kCameraPresets;
Camera make_shifted_camera();

Vec3 apply(const Mat34& m, const Vec3& p);         // affine
Vec3 apply_linear(const Mat34& m, const Vec3& v);  // rotation part only
inline double dot(const Vec3& a, const Vec3& b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}

// Surface kinds that shading and reflectance depend on.
enum class Surface : std::uint8_t { Plain, Facade, Glass, Foliage };

// An axis-aligned box in its solid's local frame: x along the solid's length (heading), y down
// (bottom at 0, so y < 0 is above the bottom), z across.
struct Part {
  double x0, x1, y0, y1, z0, z1;
  Rgb color;
  double reflect = 0.2;  // lidar reflectance at normal incidence
  Surface surface = Surface::Plain;
};

struct Solid {
  Vec3 loc;  // origin of the local frame (bottom centre for objects), rect frame
  double ry = 0, cos_ry = 1, sin_ry = 0;
  std::array<Part, 4> parts{};
  int n_parts = 0;
  int object = -1;  // index into Scene::objects, -1 for unlabelled structure
  // Culling data, filled by prepare_culling(): image-space bounds and lidar angular bounds.
  bool in_image = false;
  double u0 = 0, u1 = 0, v0 = 0, v1 = 0;
  double az0 = 0, az1 = 0, el0 = 0, el1 = 0;  // velodyne azimuth/elevation, radians
  bool az_full = false;
};

struct Road {
  double ux = 1, uy = 0;  // unit direction of the road in the velodyne x-y plane (s axis)
  double right_edge = -5, left_edge = 5;    // d of the kerbs
  double drive_right = -5, drive_left = 5;  // d of the driven area (inside parking strips)
  int lanes = 2, lanes_same = 1;            // lanes counted from the right; the first lanes_same
  double lane_w = 3.5;                      // drive along +s, the others along -s
  double sidewalk_right = 3, sidewalk_left = 3;  // widths beyond the kerbs (0 = none)
  double dash_len = 3, dash_period = 9, dash_phase = 0;
  bool centre_solid = true;
  bool rural = false;
};

struct SceneObject {
  Object box;  // the true box, rounded to label precision (type, cls, h, w, l, loc_cam, ry)
  int solid = -1;
  bool parked = false;
};

struct Scene {
  const Camera* cam = nullptr;
  Road road;
  std::vector<Solid> solids;
  std::vector<SceneObject> objects;
  Vec3 sun_rect;  // unit vector towards the sun
  int kind = 0;   // 0 city, 1 residential, 2 rural
};

// Road coordinates of a velodyne-frame ground point.
inline void road_coords(const Road& r, double x_velo, double y_velo, double& s, double& d) {
  s = x_velo * r.ux + y_velo * r.uy;
  d = -x_velo * r.uy + y_velo * r.ux;
}

// Shifted world conditions (demo --shift); the defaults are the normal world.
struct SceneShift {
  double size_factor = 1;     // every object's h, w, l multiplied by this
  double person_factor = 1;   // expected pedestrians and cyclists multiplied by this
  double vehicle_factor = 1;  // expected parked and moving vehicles multiplied by this
};

// Builds the frame's world. Deterministic in rng.
Scene build_scene(const Camera& cam, Rng& rng, const SceneShift& shift = {});

// A solid for a labelled box (shape by class: body + cabin for cars ...), colour from the class.
Solid make_object_solid(const Object& box, double tint, double reflect);

// ---- ray casting (raycast.cpp) --------------------------------------------------------------

struct Ray {
  Vec3 o, d;  // rect frame; d need not be unit length (t is in units of |d|)
};

struct Hit {
  double t = std::numeric_limits<double>::infinity();
  int solid = -1;  // -1: ground (when t is finite) or nothing
  int part = -1;
  Vec3 n_rect;                    // outward normal of the hit face
  double lx = 0, ly = 0, lz = 0;  // hit point in the solid's local frame
};

// Nearest intersection of the ray with one solid at t in (t_min, hit.t); updates hit when closer.
bool intersect_solid(const Scene& scene, int solid, const Ray& ray, double t_min, Hit& hit);
// Ground plane intersection parameter, or +inf when the ray does not go down.
inline double intersect_ground(const Camera& cam, const Ray& ray) {
  const double denom = dot(cam.ground_n, ray.d);
  if (denom >= -1e-12) return std::numeric_limits<double>::infinity();
  const double t = (cam.ground_c - dot(cam.ground_n, ray.o)) / denom;
  return t > 0 ? t : std::numeric_limits<double>::infinity();
}
// Fills the culling data of every solid (image bounds against cam, lidar angles).
void prepare_culling(Scene& scene);
// Ray through image_2 pixel (u, v) from camera 2's centre.
inline Ray camera_ray(const Camera& cam, double u, double v) {
  const auto& m = cam.pix_to_dir;
  return {cam.center_rect,
          {m[0] * u + m[1] * v + m[2], m[3] * u + m[4] * v + m[5], m[6] * u + m[7] * v + m[8]}};
}

// Ground appearance at road coordinates: colour, reflectance, and for lane paint the
// paint's width so the renderer can fade paint thinner than a pixel.
struct GroundLook {
  Rgb color;
  double reflect = 0.2;
  double paint_width = 0;  // metres, > 0 when this is lane paint
  Rgb base;                // the colour under the paint
};
GroundLook ground_look(const Road& road, double s, double d);

// Bird's-eye overlap test with a margin, for placing objects (velodyne x-y, heading theta).
struct Footprint {
  double x, y, half_l, half_w, theta;
};
bool footprints_overlap(const Footprint& a, const Footprint& b, double margin);

}  // namespace needle::demo
