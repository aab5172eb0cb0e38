// Lidar points over the camera image, drawn by GL inside the ImGui draw list of the camera panel
// (ImDrawList::AddCallback), so they keep ImGui's draw order and clipping: after the image, before
// the box overlays. One GL point per lidar point is far cheaper on llvmpipe than an ImDrawList
// quad each (~17k points a KITTI frame).
#pragma once

#include <cstddef>

#include "gl/mesh.h"
#include "gl/shader_program.h"

struct ImDrawList;
struct ImDrawCmd;

namespace needle::gl {

class ImagePointRenderer {
 public:
  ImagePointRenderer() = default;  // empty; init() needs the GL context
  void init();                     // throws ShaderError
  // uvd: u, v (image pixels), depth (metres) triples.
  void upload(const float* uvd, std::size_t count);
  // Mapping for the next draw: window pixel = origin + image pixel * scale.
  void set_mapping(float origin_x, float origin_y, float scale, float point_size_px,
                   float depth_max_m);
  // ImDrawCallback; the command's user data must be this renderer. Follow it with
  // ImDrawCallback_ResetRenderState.
  static void draw_callback(const ImDrawList* list, const ImDrawCmd* cmd);
  // Level of detail shared with the 3D view: while its camera moves every frame's overlay draws
  // every step-th point (the 3D view's step), 1 (every point) otherwise. Set by Scene3D::render
  // before ImGui renders the frame; GL thread only.
  static void set_motion_step(std::size_t step);

 private:
  void draw(const ImDrawCmd* cmd) const;
  ShaderProgram program_;
  Mesh mesh_;
  std::size_t count_ = 0;
  float map_[4] = {0, 0, 1, 0};
  float point_size_ = 2.0f, depth_max_ = 50.0f;
  int u_map_ = -1, u_display_ = -1, u_size_ = -1, u_depth_ = -1;
};

}  // namespace needle::gl
