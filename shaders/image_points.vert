// Lidar points drawn over the camera image (camera panel), in window pixels.
// Attributes: a_uvd (location 0: u, v in image_2 pixels, depth in metres).
// Uniforms:   u_map (image pixel -> window pixel: x = map.x + u * map.z, y = map.y + v * map.z),
//             u_display (window size in pixels), u_point_size (pixels), u_depth_max (metres at the
//             far end of the colour ramp; near points are warm).
#version 330 core
in vec3 a_uvd;
uniform vec4 u_map;
uniform vec2 u_display;
uniform float u_point_size;
uniform float u_depth_max;
out vec3 v_color;

// Keep in step with kRamp in app/gui/overlay_style.cpp and shaders/points.vert.
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
  vec2 win = u_map.xy + a_uvd.xy * u_map.z;
  gl_Position = vec4(win.x / u_display.x * 2.0 - 1.0, 1.0 - win.y / u_display.y * 2.0, 0.0, 1.0);
  gl_PointSize = u_point_size;
  v_color = ramp(1.0 - min(a_uvd.z / u_depth_max, 1.0));
}
