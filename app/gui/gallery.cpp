#include "gui/gallery.h"

#include <algorithm>

#include "gui/crop_textures.h"
#include "gui/model/overlay_style.h"
#include "gui/panels.h"

namespace needle::view {

namespace {
// Frame around a tile; the cursor's is thicker.
constexpr float kStateBorder = 2.0f, kCursorBorder = 3.5f;
// Extra gap between tiles beyond ImGui's item spacing, so the frames do not touch.
constexpr float kTileGap = 4.0f;
}  // namespace

float gallery_spacing() {
  return ImGui::GetStyle().ItemSpacing.x + kTileGap;
}

int gallery_per_row() {
  const float avail = ImGui::GetContentRegionAvail().x;
  return std::max(1, static_cast<int>(avail / (kTileW + gallery_spacing())));
}

int draw_gallery_tile(const DatasetIndex& ds, CropTextures* crops, const GalleryTile& t, int id) {
  ImGui::PushID(id);
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float caption_h = 2.0f * ImGui::GetTextLineHeightWithSpacing();
  ImGui::InvisibleButton("##tile", ImVec2(kTileW, kTileH + caption_h));
  int clicked = 0;
  if (ImGui::IsItemClicked()) clicked = 1;
  if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) clicked = 2;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + kTileW, p.y + kTileH), IM_COL32(18, 20, 24, 255));
  const CropTextures::Entry* entry = crops && !t.orphaned ? crops->get(ds, t.ref) : nullptr;
  std::string caption = t.ref.to_string();
  if (t.orphaned) {
    dl->AddText(ImVec2(p.x + 6, p.y + 6), IM_COL32(255, 140, 120, 255), "orphaned");
  } else if (!entry) {
    dl->AddText(ImVec2(p.x + 6, p.y + 6), IM_COL32(150, 150, 160, 255), "loading...");
  } else if (entry->texture.empty()) {
    dl->AddText(ImVec2(p.x + 6, p.y + 6), IM_COL32(255, 140, 120, 255),
                entry->crop.problem.c_str());
  } else {
    const ElementCrop& c = entry->crop;
    const float iw = static_cast<float>(c.image.width), ih = static_cast<float>(c.image.height);
    const float scale = std::min(kTileW / iw, kTileH / ih);
    const ImVec2 o(p.x + (kTileW - iw * scale) * 0.5f, p.y + (kTileH - ih * scale) * 0.5f);
    dl->AddImage(entry->texture.imgui_id(), o, ImVec2(o.x + iw * scale, o.y + ih * scale));
    dl->PushClipRect(o, ImVec2(o.x + iw * scale, o.y + ih * scale), true);
    for (const CropBox& b : c.boxes) {
      const ImVec2 a(o.x + static_cast<float>(b.box.x1) * scale,
                     o.y + static_cast<float>(b.box.y1) * scale);
      const ImVec2 z(o.x + static_cast<float>(b.box.x2) * scale,
                     o.y + static_cast<float>(b.box.y2) * scale);
      dl->AddRect(a, z, to_imu32(b.colour), 0.0f, 0, b.element ? 2.5f : 1.0f);
    }
    dl->PopClipRect();
    caption = t.ref.frame + "  " + c.caption;
  }
  dl->AddRect(ImVec2(p.x - 1, p.y - 1), ImVec2(p.x + kTileW + 1, p.y + kTileH + 1),
              t.cursor ? IM_COL32(255, 255, 0, 255) : t.border, 0.0f, 0,
              t.cursor ? kCursorBorder : kStateBorder);
  const float line = ImGui::GetTextLineHeightWithSpacing();
  dl->PushClipRect(ImVec2(p.x, p.y + kTileH), ImVec2(p.x + kTileW, p.y + kTileH + caption_h), true);
  dl->AddText(ImVec2(p.x + 2, p.y + kTileH + 2), IM_COL32(220, 222, 228, 255), caption.c_str());
  dl->AddText(ImVec2(p.x + 2, p.y + kTileH + 2 + line), t.line2_colour, t.line2.c_str());
  dl->PopClipRect();
  ImGui::PopID();
  return clicked;
}

}  // namespace needle::view
