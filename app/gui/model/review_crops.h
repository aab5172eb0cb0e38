// Image crops of issue elements for the issues panel's gallery, made on the CPU from the frame's
// image (the GL side only uploads them: app/gui/crop_textures.h). An object's crop is its 2D box
// with a margin; a frame's crop is the whole image. Every label and prediction 2D box inside the
// crop comes with it (crop pixels), the element's own object marked, so the panel draws them.
#pragma once

#include <string>
#include <vector>

#include "gui/model/overlay_style.h"
#include "needle/dataset.h"
#include "needle/store.h"

namespace needle::view {

// Context around an object's 2D box, each side: this share of the box's width (height), at
// least kCropMinMarginPx. A quarter shows the neighbouring road and objects without shrinking
// the object in a gallery tile; 12 px keeps a far object (KITTI's smallest evaluated box is
// 25 px high) recognisable.
inline constexpr double kCropMargin = 0.25;
inline constexpr double kCropMinMarginPx = 12.0;

struct CropBox {
  Box2D box;   // crop pixels
  Rgb colour;  // label or prediction colour of its class (overlay_style.h)
  bool prediction = false;
  bool element = false;  // the element's own object
};

struct ElementCrop {
  Image image;                 // the crop's pixels (empty when there is none: see problem)
  Box2D region;                // where the crop lies in the frame's image (pixels)
  std::vector<CropBox> boxes;  // label and prediction boxes overlapping the crop
  std::string caption;         // "Car, label 2" / "frame"
  std::string problem;         // why there is no crop ("" when there is)
};

// The crop region of a 2D box in an image of w x h pixels: the box grown by the margin, clipped
// to the image, on whole pixels. Empty (area 0) when the box misses the image.
Box2D crop_region(const Box2D& box, int w, int h);
// The pixels of `region` (whole pixels, inside the image).
Image crop_pixels(const Image& img, const Box2D& region);
// The crop of element `ref` from a frame's data (image, labels, predictions of `set_names`).
ElementCrop make_element_crop(const FrameData& data, const std::vector<std::string>& set_names,
                              const ObjectRef& ref);
// The same, loading the frame (image, labels, predictions; no scan). Never throws.
ElementCrop load_element_crop(const DatasetIndex& ds, const ObjectRef& ref);

}  // namespace needle::view
