#include "gl/line_renderer.h"

#include <cstddef>

#include "gl/gl_api.h"

namespace needle::gl {

namespace {
constexpr GLuint kP0 = 0, kP1 = 1, kColor = 2, kParams = 3;
}

void LineBatch::add(const float p0[3], const float p1[3], Rgba8 c, float width_px, float dash_px) {
  // Two triangles: (start,-1) (start,+1) (end,+1) / (start,-1) (end,+1) (end,-1).
  static constexpr float kCorners[6][2] = {{-1, 0}, {1, 0}, {1, 1}, {-1, 0}, {1, 1}, {-1, 1}};
  for (const auto& k : kCorners) {
    LineVertex v{};
    for (int i = 0; i < 3; ++i) {
      v.p0[i] = p0[i];
      v.p1[i] = p1[i];
    }
    v.color[0] = c.r;
    v.color[1] = c.g;
    v.color[2] = c.b;
    v.color[3] = c.a;
    v.params[0] = k[0];
    v.params[1] = k[1];
    v.params[2] = width_px;
    v.params[3] = dash_px;
    vertices_.push_back(v);
  }
}

void LineRenderer::init() {
  program_ = ShaderProgram::build(
      "lines.vert", "lines.frag",
      {{kP0, "a_p0"}, {kP1, "a_p1"}, {kColor, "a_color"}, {kParams, "a_params"}});
  u_mvp_ = program_.uniform("u_mvp");
  u_viewport_ = program_.uniform("u_viewport");
  constexpr std::size_t kStride = sizeof(LineVertex);
  mesh_.init(1, {{kP0, 3, AttribType::Float, false, kStride, offsetof(LineVertex, p0)},
                 {kP1, 3, AttribType::Float, false, kStride, offsetof(LineVertex, p1)},
                 {kColor, 4, AttribType::UnsignedByte, true, kStride, offsetof(LineVertex, color)},
                 {kParams, 4, AttribType::Float, false, kStride, offsetof(LineVertex, params)}});
}

void LineRenderer::upload(const LineBatch& batch) {
  const auto& v = batch.vertices();
  vertex_count_ = v.size();
  mesh_.stream(0, v.data(), v.size() * sizeof(LineVertex));
}

void LineRenderer::draw(const float* mvp, float vw, float vh, bool depth_test) const {
  if (vertex_count_ == 0 || !program_.valid()) return;
  program_.use();
  ShaderProgram::set_mat4(u_mvp_, mvp);
  ShaderProgram::set2(u_viewport_, vw, vh);
  if (depth_test)
    glEnable(GL_DEPTH_TEST);
  else
    glDisable(GL_DEPTH_TEST);
  glDepthMask(depth_test ? GL_TRUE : GL_FALSE);
  mesh_.draw(Primitive::Triangles, vertex_count_);
  glDepthMask(GL_TRUE);
}

}  // namespace needle::gl
