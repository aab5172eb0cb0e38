// A gallery of object crops, shared by the issues panel (panel_issues.cpp) and the Similar
// window (panel_similar.cpp): one tile per object, its crop (gui/model/review_crops.h, uploaded
// by CropTextures) scaled to fit with every label and prediction box inside drawn (the object's
// own thicker), a frame in the caller's colour (the cursor's yellow and thicker), and two
// caption lines: "FRAME  Class, label N" and the caller's second line.
#pragma once

#include <string>

#include "imgui.h"
#include "needle/dataset.h"
#include "needle/store.h"

namespace needle::view {

class CropTextures;

// Gallery tile: the crop is scaled to fit this box (pixels), aspect kept.
inline constexpr float kTileW = 168.0f, kTileH = 112.0f;

struct GalleryTile {
  ObjectRef ref;
  bool orphaned = false;  // its object is no longer in the file: no crop
  bool cursor = false;    // framed in yellow, thicker
  ImU32 border = 0;       // frame colour when not the cursor
  std::string line2;      // second caption line
  ImU32 line2_colour = 0;
};

// Draws one tile at the cursor position (an item of kTileW x kTileH + two text lines); `id`
// makes it unique in the window. Returns 0, 1 when clicked, 2 when double-clicked.
int draw_gallery_tile(const DatasetIndex& ds, CropTextures* crops, const GalleryTile& t, int id);

// Tiles per row in the current window's content width, and the spacing between them.
int gallery_per_row();
float gallery_spacing();

}  // namespace needle::view
