#include "gl/point_renderer.h"

#include <cstring>

#include "gl/gl_api.h"

namespace needle::gl {

namespace {
constexpr GLuint kPos = 0, kIntensity = 1, kHighlight = 2;  // attribute locations
constexpr std::size_t kPointsBuffer = 0, kHighlightBuffer = 1;
}  // namespace

void PointRenderer::init() {
  program_ = ShaderProgram::build(
      "points.vert", "points.frag",
      {{kPos, "a_pos_velo"}, {kIntensity, "a_intensity"}, {kHighlight, "a_highlight"}});
  u_mvp_ = program_.uniform("u_mvp");
  u_mode_ = program_.uniform("u_mode");
  u_size_ = program_.uniform("u_point_size");
  u_height_ = program_.uniform("u_height_range");
  u_range_ = program_.uniform("u_range_max");
  u_hl_ = program_.uniform("u_highlight_color");
  u_dim_ = program_.uniform("u_dim");
  // Buffer 0: x, y, z, reflectance (velodyne frame, 4 floats a point); buffer 1: the highlight
  // mask (one byte a point).
  constexpr std::size_t kXyzr = 4 * sizeof(float);
  mesh_.init(2, {{kPos, 3, AttribType::Float, false, kXyzr, 0, kPointsBuffer},
                 {kIntensity, 1, AttribType::Float, false, kXyzr, 3 * sizeof(float), kPointsBuffer},
                 {kHighlight, 1, AttribType::UnsignedByte, true, 1, 0, kHighlightBuffer}});
}

void PointRenderer::upload(const float* xyzr, std::size_t count) {
  count_ = 0;
  if (count == 0 || !xyzr) return;
  const std::size_t bytes = count * 4 * sizeof(float);
  void* dst = mesh_.map_write(kPointsBuffer, bytes, BufferUsage::Static);
  if (!dst) return;
  std::memcpy(dst, xyzr, bytes);
  if (mesh_.unmap(kPointsBuffer)) count_ = count;  // else the contents were lost
}

void PointRenderer::upload_highlight(const std::vector<std::uint8_t>& mask) {
  if (mask.size() != count_ || count_ == 0) return;
  // stream(): reuses the storage while the cloud size does not grow.
  mesh_.stream(kHighlightBuffer, mask.data(), count_);
}

void PointRenderer::draw(const float* mvp, const PointStyle& s, std::size_t step, std::size_t first,
                         std::size_t max_points) const {
  if (step < 1) step = 1;
  if (first >= count_) return;
  const std::size_t all = (count_ - first + step - 1) / step;
  const std::size_t n = all < max_points ? all : max_points;
  if (n == 0 || !program_.valid()) return;
  program_.use();
  ShaderProgram::set_mat4(u_mvp_, mvp);
  ShaderProgram::set(u_mode_, s.color_mode);
  ShaderProgram::set(u_size_, s.point_size);
  ShaderProgram::set2(u_height_, s.height_min, s.height_max);
  ShaderProgram::set(u_range_, s.range_max);
  glUniform3fv(u_hl_, 1, s.highlight_rgb);
  ShaderProgram::set(u_dim_, s.dim);
  glEnable(GL_PROGRAM_POINT_SIZE);
  mesh_.draw(Primitive::Points, n, step, first);
  glDisable(GL_PROGRAM_POINT_SIZE);
}

}  // namespace needle::gl
