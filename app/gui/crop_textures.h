// GPU mirrors of the issues gallery's crops (gui/model/review_crops.h): each crop is made on the
// CPU once, uploaded as a texture and kept, keyed by dataset and element reference. New crops
// cost a frame load (image decode, ~10-20 ms for a KITTI PNG), so a UI frame builds at most
// kBuildsPerFrame of them and the gallery fills in over a few frames instead of stalling.
#pragma once

#include <map>
#include <string>

#include "gl/image_texture.h"
#include "gui/model/review_crops.h"

namespace needle::view {

class CropTextures {
 public:
  // Crops built per UI frame at most: two keep a frame under ~40 ms on a busy machine.
  static constexpr int kBuildsPerFrame = 2;
  // Crops kept at most; beyond it the cache starts again (a gallery shows far fewer).
  static constexpr std::size_t kMaxCrops = 256;

  struct Entry {
    ElementCrop crop;
    gl::ImageTexture texture;  // empty when the crop has a problem
  };

  void new_frame() { built_this_frame_ = 0; }
  // The crop of `ref` (null while it waits for this frame's budget).
  const Entry* get(const DatasetIndex& ds, const ObjectRef& ref);

 private:
  std::map<std::string, Entry> cache_;
  std::string root_;
  int built_this_frame_ = 0;
};

}  // namespace needle::view
