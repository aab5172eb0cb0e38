// Thick (and optionally dashed) 3D line segments drawn as screen-space quads.
//
// LineBatch is plain CPU data (the truth); LineRenderer keeps its GPU mirror. Widths and dash
// periods are in pixels of the render target, whatever the distance of the segment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gl/mesh.h"
#include "gl/shader_program.h"

namespace needle::gl {

struct Rgba8 {
  std::uint8_t r = 255, g = 255, b = 255, a = 255;
};

struct LineVertex {
  float p0[3];
  float p1[3];
  std::uint8_t color[4];
  float params[4];  // side (-1/+1), end (0/1), width px, dash period px (0 = solid)
};

class LineBatch {
 public:
  void clear() { vertices_.clear(); }
  // One segment between two world points (the frame is whatever the mvp at draw time expects).
  void add(const float p0[3], const float p1[3], Rgba8 color, float width_px, float dash_px = 0.0f);
  std::size_t segments() const { return vertices_.size() / 6; }
  const std::vector<LineVertex>& vertices() const { return vertices_; }

 private:
  std::vector<LineVertex> vertices_;
};

class LineRenderer {
 public:
  LineRenderer() = default;  // empty; init() needs the GL context
  void init();               // throws ShaderError
  void upload(const LineBatch& batch);
  // depth_test false: lines are drawn over everything (box edges must not z-fight with points).
  void draw(const float* mvp_column_major, float viewport_w, float viewport_h,
            bool depth_test) const;

 private:
  ShaderProgram program_;
  Mesh mesh_;
  std::size_t vertex_count_ = 0;
  int u_mvp_ = -1, u_viewport_ = -1;
};

}  // namespace needle::gl
