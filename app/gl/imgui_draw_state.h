// GL state changes inserted into ImGui draw lists (ImDrawList::AddCallback). Opaque images drawn
// without blending cost llvmpipe far less fill work than blended ones.
#pragma once

struct ImDrawList;
struct ImDrawCmd;

namespace needle::gl {

// Disables blending for the draw commands that follow; end with ImDrawCallback_ResetRenderState.
void imgui_blend_off(const ImDrawList* list, const ImDrawCmd* cmd);

}  // namespace needle::gl
