#include "gl/image_points_renderer.h"

#include <cmath>

#include "gl/gl_api.h"
#include "imgui.h"

namespace needle::gl {

namespace {
constexpr GLuint kUvd = 0;
}

void ImagePointRenderer::init() {
  program_ = ShaderProgram::build("image_points.vert", "image_points.frag", {{kUvd, "a_uvd"}});
  u_map_ = program_.uniform("u_map");
  u_display_ = program_.uniform("u_display");
  u_size_ = program_.uniform("u_point_size");
  u_depth_ = program_.uniform("u_depth_max");
  constexpr std::size_t kUvdBytes = 3 * sizeof(float);  // u, v, depth
  mesh_.init(1, {{kUvd, 3, AttribType::Float, false, kUvdBytes, 0}});
}

void ImagePointRenderer::upload(const float* uvd, std::size_t count) {
  count_ = count;
  mesh_.upload(0, uvd, count * 3 * sizeof(float), BufferUsage::Static);
}

void ImagePointRenderer::set_mapping(float ox, float oy, float scale, float size, float depth_max) {
  map_[0] = ox;
  map_[1] = oy;
  map_[2] = scale;
  point_size_ = size;
  depth_max_ = depth_max;
}

namespace {
std::size_t g_motion_step = 1;  // ImagePointRenderer::set_motion_step
}  // namespace

void ImagePointRenderer::set_motion_step(std::size_t step) {
  g_motion_step = step < 1 ? 1 : step;
}

void ImagePointRenderer::draw_callback(const ImDrawList*, const ImDrawCmd* cmd) {
  static_cast<const ImagePointRenderer*>(cmd->UserCallbackData)->draw(cmd);
}

void ImagePointRenderer::draw(const ImDrawCmd* cmd) const {
  if (count_ == 0 || !program_.valid()) return;
  const ImDrawData* dd = ImGui::GetDrawData();
  const ImVec2 pos = dd->DisplayPos, size = dd->DisplaySize, fb_scale = dd->FramebufferScale;
  const float fb_h = size.y * fb_scale.y;
  // The backend does not set the scissor for callbacks: clip to this command's rectangle.
  const ImVec4 c = cmd->ClipRect;
  glEnable(GL_SCISSOR_TEST);
  glScissor(static_cast<GLint>((c.x - pos.x) * fb_scale.x),
            static_cast<GLint>(fb_h - (c.w - pos.y) * fb_scale.y),
            static_cast<GLsizei>((c.z - c.x) * fb_scale.x),
            static_cast<GLsizei>((c.w - c.y) * fb_scale.y));
  glDisable(GL_BLEND);
  program_.use();
  const float m[4] = {map_[0] - pos.x, map_[1] - pos.y, map_[2], 0.0f};
  ShaderProgram::set4(u_map_, m);
  ShaderProgram::set2(u_display_, size.x, size.y);
  ShaderProgram::set(u_size_, point_size_ * fb_scale.x);
  ShaderProgram::set(u_depth_, depth_max_);
  glEnable(GL_PROGRAM_POINT_SIZE);
  mesh_.draw(Primitive::Points, (count_ + g_motion_step - 1) / g_motion_step, g_motion_step);
  glDisable(GL_PROGRAM_POINT_SIZE);
}

}  // namespace needle::gl
