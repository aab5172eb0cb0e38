// Thick lines as screen-space quads (glLineWidth > 1 is not available in a core context).
// Each segment is 6 vertices (two triangles); every vertex carries both endpoints.
// Attributes: a_p0, a_p1 (locations 0, 1: segment endpoints, world frame),
//             a_color (2, RGBA), a_params (3: x side -1/+1, y end 0/1, z width px, w dash period px,
//             0 = solid).
// Uniforms:   u_mvp (world -> clip), u_viewport (target size in pixels).
// Segments crossing the near plane are clipped in clip space, so boxes behind the camera do not
// explode across the screen.
#version 330 core
in vec3 a_p0;
in vec3 a_p1;
in vec4 a_color;
in vec4 a_params;
uniform mat4 u_mvp;
uniform vec2 u_viewport;
out vec4 v_color;
noperspective out float v_dist;
flat out float v_dash;

void main() {
  vec4 c0 = u_mvp * vec4(a_p0, 1.0);
  vec4 c1 = u_mvp * vec4(a_p1, 1.0);
  float d0 = c0.z + c0.w;  // >= 0 in front of the near plane
  float d1 = c1.z + c1.w;
  v_color = a_color;
  v_dash = a_params.w;
  v_dist = 0.0;
  if (d0 < 0.0 && d1 < 0.0) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);  // wholly behind: outside the clip volume
    return;
  }
  if (d0 < 0.0) c0 = mix(c0, c1, d0 / (d0 - d1));
  else if (d1 < 0.0) c1 = mix(c1, c0, d1 / (d1 - d0));
  vec2 half_vp = 0.5 * u_viewport;
  vec2 s0 = c0.xy / c0.w * half_vp;
  vec2 s1 = c1.xy / c1.w * half_vp;
  vec2 dir = s1 - s0;
  float len = length(dir);
  dir = len > 1e-6 ? dir / len : vec2(1.0, 0.0);
  vec2 n = vec2(-dir.y, dir.x);
  bool at_end = a_params.y > 0.5;
  vec4 c = at_end ? c1 : c0;
  float hw = 0.5 * a_params.z;
  // Offset sideways, and past the endpoint by half the width so that corners join squarely.
  vec2 off = n * a_params.x * hw + dir * (at_end ? hw : -hw);
  c.xy += off / half_vp * c.w;
  gl_Position = c;
  v_dist = at_end ? len + hw : -hw;
}
