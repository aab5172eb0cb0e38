#include "gl/imgui_draw_state.h"

#include "gl/gl_api.h"

namespace needle::gl {

void imgui_blend_off(const ImDrawList*, const ImDrawCmd*) {
  glDisable(GL_BLEND);
}

}  // namespace needle::gl
