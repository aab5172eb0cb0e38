// Off-screen render target (RGBA8 colour texture + 24-bit depth) for the 3D view, shown with
// ImGui::Image. Sizes are in pixels.
#pragma once

#include <cstdint>

#include "gl/handles.h"

namespace needle::gl {

class RenderTarget {
 public:
  RenderTarget() = default;  // empty, no context needed
  // (Re)allocates when the size changes; returns false for a zero size (nothing to render).
  bool ensure_size(int width, int height);
  // Binds the target, sets the viewport and clears colour (rgb in [0,1]) and depth.
  void begin(float r, float g, float b) const;
  // Binds it for drawing over what it holds (no clear): adding detail to a picture.
  void resume() const;
  static void end();  // back to the default framebuffer
  int width() const { return width_; }
  int height() const { return height_; }
  void* imgui_id() const {
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(color_.id()));
  }

 private:
  Framebuffer fbo_;
  Texture color_;
  Renderbuffer depth_;
  int width_ = 0, height_ = 0;
};

}  // namespace needle::gl
