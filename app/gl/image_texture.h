// GPU mirror of an 8-bit RGB needle::Image, for ImGui::Image / ImDrawList::AddImage.
#pragma once

#include <cstdint>

#include "gl/handles.h"

namespace needle::gl {

class ImageTexture {
 public:
  ImageTexture() = default;  // empty, no context needed
  // rgb: width*height*3 bytes, top row first. Reallocates only when the size changes.
  void upload_rgb(int width, int height, const std::uint8_t* rgb);
  void reset();
  bool empty() const { return !texture_ || width_ == 0; }
  int width() const { return width_; }
  int height() const { return height_; }
  // For ImGui (ImTextureID is void* in 1.86).
  void* imgui_id() const {
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(texture_.id()));
  }

 private:
  Texture texture_;
  int width_ = 0, height_ = 0;
};

}  // namespace needle::gl
