// Solid or dashed line quads (see lines.vert). Dashes: 60 % on, 40 % off of the period.
#version 330 core
in vec4 v_color;
noperspective in float v_dist;
flat in float v_dash;
out vec4 o_color;
void main() {
  if (v_dash > 0.0 && mod(max(v_dist, 0.0), v_dash) > 0.6 * v_dash) discard;
  o_color = v_color;
}
