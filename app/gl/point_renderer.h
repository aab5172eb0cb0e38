// Draws a velodyne point cloud (GPU mirror of a needle::PointCloud) as coloured points.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gl/mesh.h"
#include "gl/shader_program.h"

namespace needle::gl {

struct PointStyle {
  int color_mode = 0;                           // 0 height, 1 intensity (reflectance), 2 range
  float point_size = 2.0f;                      // pixels
  float height_min = -2.5f, height_max = 1.5f;  // z_velo mapped to the colour ramp, metres
  float range_max = 60.0f;                      // metres mapped to the end of the ramp
  float highlight_rgb[3] = {1.0f, 1.0f, 0.0f};
  float dim = 0.0f;  // darken non-highlighted points (0 = no change)
};

class PointRenderer {
 public:
  PointRenderer() = default;  // empty; init() needs the GL context
  void init();                // compiles the program (throws ShaderError)
  // Uploads xyzr (4 floats a point, velodyne frame), written straight into the GL buffer's
  // storage (reused while big enough). The highlight mask must be uploaded after it.
  void upload(const float* xyzr, std::size_t count);
  // mask[i] = 255 highlights point i (a normalised attribute: > 127 counts); size must equal the
  // uploaded count (else ignored).
  void upload_highlight(const std::vector<std::uint8_t>& mask);
  // Draws every step-th point from point `first` (step 1: all of them), at most max_points.
  void draw(const float* mvp_column_major, const PointStyle& style, std::size_t step = 1,
            std::size_t first = 0, std::size_t max_points = SIZE_MAX) const;
  std::size_t count() const { return count_; }

 private:
  ShaderProgram program_;
  Mesh mesh_;
  std::size_t count_ = 0;
  int u_mvp_ = -1, u_mode_ = -1, u_size_ = -1, u_height_ = -1, u_range_ = -1, u_hl_ = -1,
      u_dim_ = -1;
};

}  // namespace needle::gl
