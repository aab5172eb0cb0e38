// Point cloud in the velodyne frame (x forward, y left, z up; metres).
// Attributes: a_pos_velo (location 0), a_intensity (1, reflectance in [0,1]),
//             a_highlight (2, 1 = inside the selected box).
// Uniforms:   u_mvp (velodyne -> clip), u_mode (0 height, 1 intensity, 2 range),
//             u_point_size (pixels), u_height_range (z_velo mapped to [0,1]),
//             u_range_max (metres mapped to 1), u_highlight_color, u_dim (0..1 for non-highlighted).
#version 330 core
in vec3 a_pos_velo;
in float a_intensity;
in float a_highlight;
uniform mat4 u_mvp;
uniform int u_mode;
uniform float u_point_size;
uniform vec2 u_height_range;
uniform float u_range_max;
uniform vec3 u_highlight_color;
uniform float u_dim;
out vec3 v_color;

// Keep in step with kRamp in app/gui/overlay_style.cpp (never close to the highlight yellow).
vec3 ramp(float t) {
  const vec3 c0 = vec3(40.0, 60.0, 200.0) / 255.0;
  const vec3 c1 = vec3(0.0, 170.0, 255.0) / 255.0;
  const vec3 c2 = vec3(0.0, 220.0, 140.0) / 255.0;
  const vec3 c3 = vec3(180.0, 230.0, 80.0) / 255.0;
  const vec3 c4 = vec3(250.0, 150.0, 60.0) / 255.0;
  float s = clamp(t, 0.0, 1.0) * 4.0;
  if (s < 1.0) return mix(c0, c1, s);
  if (s < 2.0) return mix(c1, c2, s - 1.0);
  if (s < 3.0) return mix(c2, c3, s - 2.0);
  return mix(c3, c4, s - 3.0);
}

void main() {
  gl_Position = u_mvp * vec4(a_pos_velo, 1.0);
  vec3 c;
  if (u_mode == 0) {
    c = ramp((a_pos_velo.z - u_height_range.x) / (u_height_range.y - u_height_range.x));
  } else if (u_mode == 1) {
    float g = 0.25 + 0.75 * clamp(a_intensity * 1.6, 0.0, 1.0);
    c = vec3(g);
  } else {
    c = ramp(length(a_pos_velo.xy) / u_range_max);
  }
  if (a_highlight > 0.5) {
    v_color = u_highlight_color;
    gl_PointSize = u_point_size + 2.0;
  } else {
    v_color = c * (1.0 - u_dim);
    gl_PointSize = u_point_size;
  }
}
