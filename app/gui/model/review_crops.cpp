#include "gui/model/review_crops.h"

#include <algorithm>
#include <cmath>
#include <exception>

namespace needle::view {

Box2D crop_region(const Box2D& box, int w, int h) {
  const double mx = std::max(kCropMinMarginPx, kCropMargin * box.width());
  const double my = std::max(kCropMinMarginPx, kCropMargin * box.height());
  Box2D r;
  r.x1 = std::clamp(std::floor(box.x1 - mx), 0.0, static_cast<double>(w));
  r.y1 = std::clamp(std::floor(box.y1 - my), 0.0, static_cast<double>(h));
  r.x2 = std::clamp(std::ceil(box.x2 + mx), 0.0, static_cast<double>(w));
  r.y2 = std::clamp(std::ceil(box.y2 + my), 0.0, static_cast<double>(h));
  if (r.x2 <= r.x1 || r.y2 <= r.y1) return Box2D{};
  return r;
}

Image crop_pixels(const Image& img, const Box2D& region) {
  Image out;
  const int x1 = static_cast<int>(region.x1), y1 = static_cast<int>(region.y1);
  const int x2 = std::min(static_cast<int>(region.x2), img.width);
  const int y2 = std::min(static_cast<int>(region.y2), img.height);
  if (x1 < 0 || y1 < 0 || x2 <= x1 || y2 <= y1) return out;
  out.width = x2 - x1;
  out.height = y2 - y1;
  out.rgb.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height) * 3);
  const std::size_t row = static_cast<std::size_t>(out.width) * 3;
  for (int y = 0; y < out.height; ++y) {
    const std::size_t src =
        (static_cast<std::size_t>(y1 + y) * static_cast<std::size_t>(img.width) +
         static_cast<std::size_t>(x1)) *
        3;
    std::copy_n(img.rgb.begin() + static_cast<long>(src), row,
                out.rgb.begin() + static_cast<long>(static_cast<std::size_t>(y) * row));
  }
  return out;
}

namespace {

bool overlaps(const Box2D& a, const Box2D& b) {
  return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
}

Box2D to_crop(const Box2D& b, const Box2D& region) {
  return {b.x1 - region.x1, b.y1 - region.y1, b.x2 - region.x1, b.y2 - region.y1};
}

}  // namespace

ElementCrop make_element_crop(const FrameData& data, const std::vector<std::string>& set_names,
                              const ObjectRef& ref) {
  ElementCrop c;
  if (!data.image || data.image->empty()) {
    c.problem = "no image";
    return c;
  }
  const Image& img = *data.image;
  const FrameAnnotations& ann = data.ann;
  const Object* element = nullptr;
  std::size_t element_set = 0;
  if (ref.is_frame()) {
    c.caption = "frame";
  } else if (ref.is_label()) {
    if (ref.index >= 0 && static_cast<std::size_t>(ref.index) < ann.labels.size())
      element = &ann.labels[static_cast<std::size_t>(ref.index)];
    c.caption = "label " + std::to_string(ref.index);
  } else {
    for (std::size_t s = 0; s < set_names.size() && s < ann.preds.size(); ++s) {
      if (set_names[s] != ref.source) continue;
      element_set = s;
      if (ref.index >= 0 && static_cast<std::size_t>(ref.index) < ann.preds[s].objects.size())
        element = &ann.preds[s].objects[static_cast<std::size_t>(ref.index)];
    }
    c.caption = ref.source + " " + std::to_string(ref.index);
  }
  if (!ref.is_frame() && !element) {
    c.problem = "object " + ref.to_string() + " is not in the files";
    return c;
  }
  if (element) c.caption = element->type + ", " + c.caption;
  c.region = element ? crop_region(element->box2d, img.width, img.height)
                     : Box2D{0, 0, static_cast<double>(img.width), static_cast<double>(img.height)};
  if (c.region.area() <= 0) {
    c.problem = "2D box outside the image";
    return c;
  }
  c.image = crop_pixels(img, c.region);
  for (std::size_t i = 0; i < ann.labels.size(); ++i) {
    const Object& o = ann.labels[i];
    if (!overlaps(o.box2d, c.region)) continue;
    c.boxes.push_back(
        {to_crop(o.box2d, c.region), label_color(o.cls), false, element == &o && ref.is_label()});
  }
  for (std::size_t s = 0; s < ann.preds.size(); ++s)
    for (const Object& o : ann.preds[s].objects) {
      if (!overlaps(o.box2d, c.region)) continue;
      c.boxes.push_back({to_crop(o.box2d, c.region), prediction_color(o.cls), true,
                         element == &o && !ref.is_label() && s == element_set});
    }
  return c;
}

ElementCrop load_element_crop(const DatasetIndex& ds, const ObjectRef& ref) {
  try {
    const auto i = ds.find(ref.frame);
    if (!i) {
      ElementCrop c;
      c.problem = "no frame '" + ref.frame + "'";
      return c;
    }
    LoadOptions opt;
    opt.calib = false;
    opt.cloud = false;
    const FrameData data = load_frame(ds, *i, opt);
    std::vector<std::string> names;
    for (const auto& p : ds.pred_sets) names.push_back(p.name);
    return make_element_crop(data, names, ref);
  } catch (const std::exception& e) {
    ElementCrop c;
    c.problem = e.what();
    return c;
  }
}

}  // namespace needle::view
