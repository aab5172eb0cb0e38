// GL-free viewer maths, header-only so tests use it without a window.
//
//  * Mat4: column-major 4x4 (the layout glUniformMatrix4fv expects with transpose = false).
//  * OrbitCamera: the 3D view's camera in the velodyne frame (x forward, y left, z up, metres):
//    orbit mode (perspective, yaw/pitch/distance around a target) and bird's-eye mode
//    (top-down orthographic, vehicle forward = screen up, vehicle left = screen left).
//  * ImageViewport: image_2 pixels <-> panel pixels for the camera panel with zoom and pan.
// Screen coordinates everywhere are pixels with the origin at the top-left, y down.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

namespace needle::view {

struct Vec3f {
  float x = 0, y = 0, z = 0;
};
inline Vec3f operator+(Vec3f a, Vec3f b) {
  return {a.x + b.x, a.y + b.y, a.z + b.z};
}
inline Vec3f operator-(Vec3f a, Vec3f b) {
  return {a.x - b.x, a.y - b.y, a.z - b.z};
}
inline Vec3f operator*(Vec3f a, float s) {
  return {a.x * s, a.y * s, a.z * s};
}
inline float dot(Vec3f a, Vec3f b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
inline Vec3f cross(Vec3f a, Vec3f b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline float length(Vec3f a) {
  return std::sqrt(dot(a, a));
}
inline Vec3f normalize(Vec3f a) {
  const float l = length(a);
  return l > 0 ? a * (1.0f / l) : a;
}

struct Vec4f {
  float x = 0, y = 0, z = 0, w = 0;
};

struct Mat4 {
  std::array<float, 16> m{};  // column-major: element (row r, col c) at m[c * 4 + r]
  float& at(int r, int c) { return m[static_cast<std::size_t>(c * 4 + r)]; }
  float at(int r, int c) const { return m[static_cast<std::size_t>(c * 4 + r)]; }
  const float* data() const { return m.data(); }
  static Mat4 identity() {
    Mat4 r;
    for (int i = 0; i < 4; ++i) r.at(i, i) = 1.0f;
    return r;
  }
};

inline Mat4 operator*(const Mat4& a, const Mat4& b) {
  Mat4 r;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      float s = 0;
      for (int k = 0; k < 4; ++k) s += a.at(i, k) * b.at(k, j);
      r.at(i, j) = s;
    }
  return r;
}

inline Vec4f transform(const Mat4& a, Vec3f p) {
  return {a.at(0, 0) * p.x + a.at(0, 1) * p.y + a.at(0, 2) * p.z + a.at(0, 3),
          a.at(1, 0) * p.x + a.at(1, 1) * p.y + a.at(1, 2) * p.z + a.at(1, 3),
          a.at(2, 0) * p.x + a.at(2, 1) * p.y + a.at(2, 2) * p.z + a.at(2, 3),
          a.at(3, 0) * p.x + a.at(3, 1) * p.y + a.at(3, 2) * p.z + a.at(3, 3)};
}

// Right-handed view matrix looking from eye at target (OpenGL convention: camera looks down -z).
inline Mat4 look_at(Vec3f eye, Vec3f target, Vec3f up) {
  const Vec3f f = normalize(target - eye);
  const Vec3f s = normalize(cross(f, up));
  const Vec3f u = cross(s, f);
  Mat4 r = Mat4::identity();
  r.at(0, 0) = s.x, r.at(0, 1) = s.y, r.at(0, 2) = s.z, r.at(0, 3) = -dot(s, eye);
  r.at(1, 0) = u.x, r.at(1, 1) = u.y, r.at(1, 2) = u.z, r.at(1, 3) = -dot(u, eye);
  r.at(2, 0) = -f.x, r.at(2, 1) = -f.y, r.at(2, 2) = -f.z, r.at(2, 3) = dot(f, eye);
  return r;
}

inline Mat4 perspective(float fovy_rad, float aspect, float near_z, float far_z) {
  const float t = 1.0f / std::tan(fovy_rad * 0.5f);
  Mat4 r;
  r.at(0, 0) = t / aspect;
  r.at(1, 1) = t;
  r.at(2, 2) = (far_z + near_z) / (near_z - far_z);
  r.at(2, 3) = 2.0f * far_z * near_z / (near_z - far_z);
  r.at(3, 2) = -1.0f;
  return r;
}

inline Mat4 orthographic(float left, float right, float bottom, float top, float near_z,
                         float far_z) {
  Mat4 r = Mat4::identity();
  r.at(0, 0) = 2.0f / (right - left);
  r.at(1, 1) = 2.0f / (top - bottom);
  r.at(2, 2) = -2.0f / (far_z - near_z);
  r.at(0, 3) = -(right + left) / (right - left);
  r.at(1, 3) = -(top + bottom) / (top - bottom);
  r.at(2, 3) = -(far_z + near_z) / (far_z - near_z);
  return r;
}

// Clip space -> viewport pixels (top-left origin). nullopt when behind the camera.
inline std::optional<std::array<float, 2>> clip_to_screen(Vec4f c, float vw, float vh) {
  if (c.w <= 1e-6f) return std::nullopt;
  const float nx = c.x / c.w, ny = c.y / c.w;
  return std::array<float, 2>{(nx + 1.0f) * 0.5f * vw, (1.0f - ny) * 0.5f * vh};
}

class OrbitCamera {
 public:
  // Defaults: behind and above the ego vehicle, looking ahead.
  static constexpr float kFovY = 0.7854f;  // 45 degrees
  OrbitCamera() { reset(); }

  void reset() {
    target = {12.0f, 0.0f, -1.0f};
    yaw = 0.0f;
    pitch = 0.45f;
    distance = 32.0f;
    bev_center = {20.0f, 0.0f, 0.0f};
    bev_half_height = 28.0f;
  }

  bool bev = false;
  Vec3f target;               // orbit centre, velodyne frame
  float yaw = 0;              // radians around +z; 0 = camera behind the target looking along +x
  float pitch = 0;            // radians above the ground plane, clamped to [-0.1, 1.55]
  float distance = 0;         // metres from the target
  Vec3f bev_center;           // bird's-eye: the velodyne point at the view centre (z ignored)
  float bev_half_height = 0;  // bird's-eye: metres from the view centre to the top edge

  Vec3f eye() const {
    const float cp = std::cos(pitch);
    return target + Vec3f{-cp * std::cos(yaw), -cp * std::sin(yaw), std::sin(pitch)} * distance;
  }
  Mat4 view() const {
    if (bev)
      return look_at({bev_center.x, bev_center.y, 200.0f}, {bev_center.x, bev_center.y, 0.0f},
                     {1, 0, 0});
    return look_at(eye(), target, {0, 0, 1});
  }
  Mat4 projection(float aspect) const {
    if (bev) {
      const float h = bev_half_height, w = h * aspect;
      return orthographic(-w, w, -h, h, 1.0f, 400.0f);
    }
    return perspective(kFovY, aspect, 0.3f, 600.0f);
  }
  Mat4 view_projection(float aspect) const { return projection(aspect) * view(); }

  std::optional<std::array<float, 2>> world_to_screen(Vec3f p_velo, float vw, float vh) const {
    return clip_to_screen(transform(view_projection(vw / vh), p_velo), vw, vh);
  }

  // Mouse drag in pixels: orbit (rotate around the target). Bird's-eye mode pans instead.
  void orbit(float dx_px, float dy_px, float vh) {
    if (bev) return pan(dx_px, dy_px, vh);
    yaw -= dx_px * 0.008f;
    pitch = std::clamp(pitch + dy_px * 0.008f, -0.1f, 1.55f);
  }
  // Mouse drag in pixels: the scene follows the cursor.
  void pan(float dx_px, float dy_px, float vh) {
    if (bev) {
      const float m_per_px = 2.0f * bev_half_height / vh;
      // screen right = -y_velo, screen down = -x_velo
      bev_center.x += dy_px * m_per_px;
      bev_center.y += dx_px * m_per_px;
      return;
    }
    const float m_per_px = 2.0f * distance * std::tan(kFovY * 0.5f) / vh;
    const Vec3f f = normalize(target - eye());
    const Vec3f s = normalize(cross(f, {0, 0, 1}));
    const Vec3f u = cross(s, f);
    target = target - s * (dx_px * m_per_px) + u * (dy_px * m_per_px);
  }
  // Wheel steps (positive = zoom in).
  void zoom(float steps) {
    const float f = std::pow(0.87f, steps);
    if (bev)
      bev_half_height = std::clamp(bev_half_height * f, 2.0f, 150.0f);
    else
      distance = std::clamp(distance * f, 1.5f, 250.0f);
  }
  // Centres both modes on a point (e.g. the selected box), keeping the viewing angle.
  void centre_on(Vec3f p_velo) {
    target = p_velo;
    bev_center = {p_velo.x, p_velo.y, 0.0f};
    distance = std::min(distance, 20.0f);
  }
};

// Camera panel mapping: the image is fitted into the panel at its aspect ratio (zoom 1), then
// zoomed around and panned. `center_image` is the image point shown at the panel centre.
struct ImageViewport {
  float panel_x = 0, panel_y = 0, panel_w = 1, panel_h = 1;  // panel rectangle, screen pixels
  float image_w = 1, image_h = 1;                            // image size, pixels
  float zoom = 1.0f;                                         // 1 = fitted
  float center_u = 0.5f, center_v = 0.5f;                    // as a fraction of the image size

  float fit_scale() const { return std::min(panel_w / image_w, panel_h / image_h); }
  float scale() const { return fit_scale() * zoom; }  // screen pixels per image pixel
  std::array<float, 2> image_to_screen(float u, float v) const {
    const float s = scale();
    return {panel_x + panel_w * 0.5f + (u - center_u * image_w) * s,
            panel_y + panel_h * 0.5f + (v - center_v * image_h) * s};
  }
  std::array<float, 2> screen_to_image(float x, float y) const {
    const float s = scale();
    return {(x - panel_x - panel_w * 0.5f) / s + center_u * image_w,
            (y - panel_y - panel_h * 0.5f) / s + center_v * image_h};
  }
  // Zooms by `factor` keeping the image point under (sx, sy) fixed; zoom stays in [1, 32].
  void zoom_at(float sx, float sy, float factor) {
    const auto before = screen_to_image(sx, sy);
    zoom = std::clamp(zoom * factor, 1.0f, 32.0f);
    const auto after = screen_to_image(sx, sy);
    center_u += (before[0] - after[0]) / image_w;
    center_v += (before[1] - after[1]) / image_h;
    clamp_center();
  }
  void pan_by(float dx_px, float dy_px) {
    const float s = scale();
    center_u -= dx_px / s / image_w;
    center_v -= dy_px / s / image_h;
    clamp_center();
  }
  void reset() {
    zoom = 1.0f;
    center_u = center_v = 0.5f;
  }
  // Keeps the image covering the view centre (no panning the image out of sight).
  void clamp_center() {
    center_u = std::clamp(center_u, 0.0f, 1.0f);
    center_v = std::clamp(center_v, 0.0f, 1.0f);
    if (zoom <= 1.0f) center_u = center_v = 0.5f;
  }
};

}  // namespace needle::view
