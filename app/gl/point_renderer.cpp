#include "gl/point_renderer.h"

#include "gl/gl_api.h"

namespace needle::gl {

namespace {
constexpr GLuint kPos = 0, kIntensity = 1, kHighlight = 2;
}

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
  vao_ = VertexArray::create();
  points_ = Buffer::create();
  highlight_ = Buffer::create();
  glBindVertexArray(vao_.id());
  glBindBuffer(GL_ARRAY_BUFFER, points_.id());
  glEnableVertexAttribArray(kPos);
  glVertexAttribPointer(kPos, 3, GL_FLOAT, GL_FALSE, 16, reinterpret_cast<const void*>(0));
  glEnableVertexAttribArray(kIntensity);
  glVertexAttribPointer(kIntensity, 1, GL_FLOAT, GL_FALSE, 16, reinterpret_cast<const void*>(12));
  glBindBuffer(GL_ARRAY_BUFFER, highlight_.id());
  glEnableVertexAttribArray(kHighlight);
  glVertexAttribPointer(kHighlight, 1, GL_UNSIGNED_BYTE, GL_TRUE, 1,
                        reinterpret_cast<const void*>(0));
  glBindVertexArray(0);
  glBindBuffer(GL_ARRAY_BUFFER, 0);
}

void PointRenderer::upload(const float* xyzr, std::size_t count) {
  count_ = count;
  glBindBuffer(GL_ARRAY_BUFFER, points_.id());
  glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(count * 16), xyzr, GL_STATIC_DRAW);
  const std::vector<std::uint8_t> zeros(count, 0);
  glBindBuffer(GL_ARRAY_BUFFER, highlight_.id());
  glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(count), zeros.data(), GL_DYNAMIC_DRAW);
  glBindBuffer(GL_ARRAY_BUFFER, 0);
}

void PointRenderer::upload_highlight(const std::vector<std::uint8_t>& mask) {
  if (mask.size() != count_ || count_ == 0) return;
  glBindBuffer(GL_ARRAY_BUFFER, highlight_.id());
  glBufferSubData(GL_ARRAY_BUFFER, 0, static_cast<GLsizeiptr>(count_), mask.data());
  glBindBuffer(GL_ARRAY_BUFFER, 0);
}

void PointRenderer::draw(const float* mvp, const PointStyle& s) const {
  if (count_ == 0 || !program_.valid()) return;
  program_.use();
  ShaderProgram::set_mat4(u_mvp_, mvp);
  ShaderProgram::set(u_mode_, s.color_mode);
  ShaderProgram::set(u_size_, s.point_size);
  ShaderProgram::set2(u_height_, s.height_min, s.height_max);
  ShaderProgram::set(u_range_, s.range_max);
  glUniform3fv(u_hl_, 1, s.highlight_rgb);
  ShaderProgram::set(u_dim_, s.dim);
  glEnable(GL_PROGRAM_POINT_SIZE);
  glBindVertexArray(vao_.id());
  glDrawArrays(GL_POINTS, 0, static_cast<GLsizei>(count_));
  glBindVertexArray(0);
  glDisable(GL_PROGRAM_POINT_SIZE);
}

}  // namespace needle::gl
