#include "gui/crop_textures.h"

namespace needle::view {

const CropTextures::Entry* CropTextures::get(const DatasetIndex& ds, const ObjectRef& ref) {
  if (ds.root.string() != root_ || cache_.size() > kMaxCrops) {
    cache_.clear();
    root_ = ds.root.string();
  }
  const std::string key = ref.to_string();
  if (auto it = cache_.find(key); it != cache_.end()) return &it->second;
  if (built_this_frame_ >= kBuildsPerFrame) return nullptr;
  ++built_this_frame_;
  Entry& e = cache_[key];
  e.crop = load_element_crop(ds, ref);
  if (!e.crop.image.empty())
    e.texture.upload_rgb(e.crop.image.width, e.crop.image.height, e.crop.image.rgb.data());
  return &e;
}

}  // namespace needle::view
