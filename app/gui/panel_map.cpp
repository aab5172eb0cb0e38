// Map window (issue #12 §2; gui/model/map_view.h): the embedding map as a scatter of every label
// object, coloured by class, finding kind, dataset or rarity; wheel zooms, right-drag pans, a
// left-drag selects a box (Shift: a lasso), a click opens the point's frame with its object
// selected. Below it, the selection as a gallery of crops, rarest first (gui/gallery.h). While
// the map is built in the background, a progress bar: the rest of the viewer keeps working.
//
// Drawing: the points inside the visible region only, as small squares written straight into
// the window's draw list in batches (one PrimReserve per kBatch points: a 16-bit index buffer
// holds 65,536 vertices, 4 per point), so ~90k points cost one pass over the positions.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gui/crop_textures.h"
#include "gui/gallery.h"
#include "gui/model/map_view.h"
#include "gui/model/overlay_style.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

namespace {

// Points per PrimReserve: 4 vertices each, below the 65,536 a 16-bit index can reach.
constexpr int kBatch = 16000;
// Square side of a point (pixels): larger on small maps where points are few.
constexpr float kPointPx = 2.0f, kPointPxFew = 4.0f;
constexpr std::size_t kFewPoints = 5000;
// Hover and click pick the nearest point within this many pixels; a drag shorter than
// kClickPx is a click.
constexpr float kPickPx = 6.0f, kClickPx = 3.0f;
// Zoom per wheel notch.
constexpr float kZoomStep = 1.2f;
// Gallery tiles drawn at most (the selection may hold thousands: the rarest come first).
constexpr std::size_t kGalleryTiles = 60;
// Rarity colour: the ramp from a typical object (score 1) to kRareTop and beyond.
constexpr float kRareTop = 4.0f;
// Margin around the points when the view is fitted (share of the extent).
constexpr float kFitMargin = 0.05f;

ImU32 col(Rgb c, int alpha = 255) {
  return IM_COL32(c.r, c.g, c.b, alpha);
}

// Dataset colours: this dataset, a reference dataset (`needle view --reference`, when present).
constexpr Rgb kDatasetColours[] = {{90, 160, 255}, {255, 150, 60}};
constexpr Rgb kNoFinding{95, 100, 110};

ImU32 point_colour(const MapView& v, std::size_t i) {
  switch (v.colour) {
    case MapColour::Class:
      return col(label_color(static_cast<ObjectClass>(v.class_of[i])));
    case MapColour::Finding:
      return v.finding_of[i].empty() ? col(kNoFinding, 160)
                                     : col(finding_kind_color(v.finding_of[i]));
    case MapColour::Dataset:
      return col(kDatasetColours[std::min<std::size_t>(v.dataset_of[i], 1)]);
    case MapColour::Rarity: {
      const float r = v.built->map.rare[i];
      return col(ramp_color(std::clamp((r - 1.0f) / (kRareTop - 1.0f), 0.0f, 1.0f)));
    }
  }
  return IM_COL32_WHITE;
}

// Draw order: the points that matter in the colour mode last, so they stay on top.
std::vector<std::size_t> draw_order(const MapView& v) {
  const std::size_t n = v.frame_of.size();
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  if (v.colour == MapColour::Finding)
    std::stable_partition(order.begin(), order.end(),
                          [&](std::size_t i) { return v.finding_of[i].empty(); });
  if (v.colour == MapColour::Rarity) {
    order = rarest_first(v.built->map.rare);
    std::reverse(order.begin(), order.end());
  }
  return order;
}

// Map units <-> screen pixels for a canvas (y up on the map, down on screen).
struct Xform {
  ImVec2 origin;  // canvas top-left
  ImVec2 size;
  MapBounds view;
  float scale = 1;  // pixels per map unit
  float cx = 0, cy = 0;
  Xform(ImVec2 o, ImVec2 s, const MapBounds& v) : origin(o), size(s), view(v) {
    scale = std::min(s.x / std::max(v.x1 - v.x0, 1e-6f), s.y / std::max(v.y1 - v.y0, 1e-6f));
    cx = 0.5f * (v.x0 + v.x1), cy = 0.5f * (v.y0 + v.y1);
  }
  ImVec2 to_screen(float x, float y) const {
    return ImVec2(origin.x + 0.5f * size.x + (x - cx) * scale,
                  origin.y + 0.5f * size.y - (y - cy) * scale);
  }
  void to_map(ImVec2 p, float* x, float* y) const {
    *x = cx + (p.x - origin.x - 0.5f * size.x) / scale;
    *y = cy - (p.y - origin.y - 0.5f * size.y) / scale;
  }
};

// The panel's drag state (one Map window).
struct Drag {
  bool active = false;
  bool lasso = false;
  ImVec2 start;
  std::vector<ImVec2> path;  // lasso, screen pixels
};
Drag g_drag;
MapColour g_order_colour = MapColour::Class;
const void* g_order_for = nullptr;  // the map / findings the cached order belongs to
std::vector<std::size_t> g_order;

void fit_view(MapView& v) {
  const MapBounds& b = v.bounds;
  const float mx = (b.x1 - b.x0) * kFitMargin, my = (b.y1 - b.y0) * kFitMargin;
  v.view = {b.x0 - mx, b.y0 - my, b.x1 + mx, b.y1 + my};
  v.view_set = true;
}

void draw_toolbar(AppState& s, MapView& v) {
  int c = static_cast<int>(v.colour);
  ImGui::SetNextItemWidth(120.0f);
  if (ImGui::Combo("colour", &c, "class\0finding kind\0dataset\0rarity\0"))
    v.colour = static_cast<MapColour>(c);
  ImGui::SameLine();
  static int rarest_k = 50;
  if (ImGui::Button("Rarest"))
    map_select_rarest(s, static_cast<std::size_t>(std::max(rarest_k, 1)));
  ImGui::SameLine();
  ImGui::SetNextItemWidth(80.0f);
  ImGui::InputInt("##rarest_k", &rarest_k, 10, 100);
  ImGui::SameLine();
  if (ImGui::Button("Clear")) map_clear_selection(s);
  ImGui::SameLine();
  if (ImGui::Button("Fit")) fit_view(v);
  ImGui::SameLine();
  ImGui::Checkbox("filter frame list", &v.filter);
  ImGui::SameLine();
  ImGui::TextDisabled("%zu objects%s%s", v.frame_of.size(), v.selection_text.empty() ? "" : "  |  ",
                      v.selection_text.c_str());
}

void draw_legend(ImDrawList* dl, const MapView& v, ImVec2 at) {
  auto entry = [&](ImU32 colour, const char* text) {
    dl->AddRectFilled(at, ImVec2(at.x + 8, at.y + 8), colour);
    dl->AddText(ImVec2(at.x + 12, at.y - 4), IM_COL32(220, 220, 225, 255), text);
    at.y += ImGui::GetTextLineHeight();
  };
  if (v.colour == MapColour::Class) {
    for (ObjectClass k :
         {ObjectClass::Car, ObjectClass::Van, ObjectClass::Truck, ObjectClass::Pedestrian,
          ObjectClass::PersonSitting, ObjectClass::Cyclist, ObjectClass::Tram, ObjectClass::Misc})
      entry(col(label_color(k)), class_name(k));
  } else if (v.colour == MapColour::Rarity) {
    entry(col(ramp_color(0)), "typical (rare 1)");
    entry(col(ramp_color(1)), "rare >= 4");
  } else if (v.colour == MapColour::Dataset) {
    entry(col(kDatasetColours[0]), "this dataset");
  } else {
    entry(col(kNoFinding), "no finding");
    std::vector<std::string> kinds;
    for (const std::string& k : v.finding_of)
      if (!k.empty() && std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
    std::sort(kinds.begin(), kinds.end());
    for (const std::string& k : kinds) entry(col(finding_kind_color(k)), k.c_str());
  }
}

void draw_scatter(AppState& s, MapView& v, ImVec2 size) {
  if (!v.view_set) fit_view(v);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##map_canvas", size,
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight |
                             ImGuiButtonFlags_MouseButtonMiddle);
  const bool hovered = ImGui::IsItemHovered();
  const ImGuiIO& io = ImGui::GetIO();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 end(origin.x + size.x, origin.y + size.y);
  dl->AddRectFilled(origin, end, IM_COL32(18, 20, 24, 255));
  dl->PushClipRect(origin, end, true);

  // Zoom about the mouse; pan with the right or middle button.
  Xform xf(origin, size, v.view);
  if (hovered && io.MouseWheel != 0.0f) {
    float mx, my;
    xf.to_map(io.MousePos, &mx, &my);
    const float f = std::pow(kZoomStep, -io.MouseWheel);
    v.view = {mx + (v.view.x0 - mx) * f, my + (v.view.y0 - my) * f, mx + (v.view.x1 - mx) * f,
              my + (v.view.y1 - my) * f};
    xf = Xform(origin, size, v.view);
  }
  if (ImGui::IsItemActive() && (ImGui::IsMouseDragging(ImGuiMouseButton_Right) ||
                                ImGui::IsMouseDragging(ImGuiMouseButton_Middle))) {
    const float dx = io.MouseDelta.x / xf.scale, dy = io.MouseDelta.y / xf.scale;
    v.view = {v.view.x0 - dx, v.view.y0 + dy, v.view.x1 - dx, v.view.y1 + dy};
    xf = Xform(origin, size, v.view);
  }

  // The visible points, batched.
  const std::vector<float>& xy = v.built->map.xy;
  if (g_order_for != v.findings_from || g_order_colour != v.colour ||
      g_order.size() != v.frame_of.size()) {
    g_order = draw_order(v);
    g_order_for = v.findings_from;
    g_order_colour = v.colour;
  }
  float vx0, vy0, vx1, vy1;
  xf.to_map(origin, &vx0, &vy1);
  xf.to_map(end, &vx1, &vy0);
  const float half = 0.5f * (v.frame_of.size() < kFewPoints ? kPointPxFew : kPointPx);
  struct Pt {
    ImVec2 p;
    ImU32 c;
  };
  std::vector<Pt> pts;
  pts.reserve(g_order.size());
  for (std::size_t i : g_order) {
    const float x = xy[i * 2], y = xy[i * 2 + 1];
    if (x < vx0 || x > vx1 || y < vy0 || y > vy1) continue;
    pts.push_back({xf.to_screen(x, y), point_colour(v, i)});
  }
  for (std::size_t b = 0; b < pts.size(); b += kBatch) {
    const int count = static_cast<int>(std::min<std::size_t>(kBatch, pts.size() - b));
    dl->PrimReserve(count * 6, count * 4);
    for (int k = 0; k < count; ++k) {
      const Pt& q = pts[b + std::size_t(k)];
      dl->PrimRect(ImVec2(q.p.x - half, q.p.y - half), ImVec2(q.p.x + half, q.p.y + half), q.c);
    }
  }
  // The selection on top, in the highlight colour.
  for (std::size_t i : v.selected) {
    const ImVec2 p = xf.to_screen(xy[i * 2], xy[i * 2 + 1]);
    dl->AddRect(ImVec2(p.x - half - 1, p.y - half - 1), ImVec2(p.x + half + 1, p.y + half + 1),
                col(kHighlight));
  }

  // Left drag: a box (Shift: a lasso); a short one is a click on the nearest point.
  if (ImGui::IsItemClicked(ImGuiMouseButton_Left)) {
    g_drag = Drag{};
    g_drag.active = true;
    g_drag.lasso = io.KeyShift;
    g_drag.start = io.MousePos;
    g_drag.path = {io.MousePos};
  }
  if (g_drag.active) {
    const ImVec2 p = io.MousePos;
    if (g_drag.lasso) {
      const ImVec2 last = g_drag.path.back();
      if (std::hypot(p.x - last.x, p.y - last.y) > 2.0f) g_drag.path.push_back(p);
      dl->AddPolyline(g_drag.path.data(), static_cast<int>(g_drag.path.size()), col(kHighlight), 0,
                      1.5f);
    } else {
      dl->AddRectFilled(g_drag.start, p, IM_COL32(255, 255, 0, 30));
      dl->AddRect(g_drag.start, p, col(kHighlight));
    }
    if (!ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
      g_drag.active = false;
      const bool click = std::hypot(p.x - g_drag.start.x, p.y - g_drag.start.y) < kClickPx;
      if (click) {
        float mx, my;
        xf.to_map(p, &mx, &my);
        const long i = map_nearest(s, mx, my, kPickPx / xf.scale);
        if (i >= 0) map_open_point(s, static_cast<std::size_t>(i));
      } else if (g_drag.lasso && g_drag.path.size() >= 3) {
        std::vector<float> poly;
        for (const ImVec2& q : g_drag.path) {
          float mx, my;
          xf.to_map(q, &mx, &my);
          poly.push_back(mx), poly.push_back(my);
        }
        map_select_lasso(s, poly);
      } else {
        float x0, y0, x1, y1;
        xf.to_map(g_drag.start, &x0, &y0);
        xf.to_map(p, &x1, &y1);
        map_select_box(s, {x0, y0, x1, y1});
      }
    }
  } else if (hovered) {
    float mx, my;
    xf.to_map(io.MousePos, &mx, &my);
    const long i = map_nearest(s, mx, my, kPickPx / xf.scale);
    if (i >= 0) {
      const ImVec2 p = xf.to_screen(xy[std::size_t(i) * 2], xy[std::size_t(i) * 2 + 1]);
      dl->AddCircle(p, 5.0f, IM_COL32_WHITE);
      ImGui::SetTooltip("%s\nclick: open its frame", map_point_text(s, std::size_t(i)).c_str());
    }
  }
  draw_legend(dl, v, ImVec2(origin.x + 8, origin.y + 8));
  char info[96];
  std::snprintf(info, sizeof info, "%zu of %zu points in view", pts.size(), v.frame_of.size());
  dl->AddText(ImVec2(origin.x + 8, end.y - ImGui::GetTextLineHeight() - 4),
              IM_COL32(150, 150, 160, 255), info);
  dl->PopClipRect();
}

void draw_selection_gallery(UiContext& ui, MapView& v) {
  AppState& s = ui.state;
  if (v.selected.empty()) {
    ImGui::TextDisabled(
        "drag a box (Shift+drag: a lasso) to see its objects here, rarest first; 'Rarest' picks "
        "the objects with the fewest neighbours in descriptor space");
    return;
  }
  ImGui::Text("%s%s", v.selection_text.c_str(),
              v.selected.size() > kGalleryTiles ? " (the rarest shown)" : "");
  ImGui::BeginChild("##map_gallery");
  const int per_row = gallery_per_row();
  for (std::size_t k = 0; k < v.selected.size() && k < kGalleryTiles; ++k) {
    const int kk = static_cast<int>(k);
    if (kk % per_row != 0) ImGui::SameLine(0.0f, gallery_spacing());
    const std::size_t i = v.selected[k];
    GalleryTile tile;
    tile.ref = v.built->objects.items[i].ref;
    tile.cursor = kk == v.cursor;
    tile.border = tile.line2_colour = point_colour(v, i);
    char line[96];
    std::snprintf(line, sizeof line, "#%d  rare %.2f%s%s", kk + 1, double(v.built->map.rare[i]),
                  v.finding_of[i].empty() ? "" : "  ", v.finding_of[i].c_str());
    tile.line2 = line;
    if (draw_gallery_tile(*s.session->index, ui.crops, tile, kk) > 0) map_open_selected(s, k);
  }
  ImGui::EndChild();
}

}  // namespace

void draw_map_window(UiContext& ui) {
  AppState& s = ui.state;
  MapView& v = s.map;
  if (!s.session || !v.show || v.root != s.session->root) return;
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.22f, io.DisplaySize.y * 0.06f),
                          ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(io.DisplaySize.x * 0.56f, io.DisplaySize.y * 0.86f),
                           ImGuiCond_FirstUseEver);
  bool open = true;
  if (!ImGui::Begin("Embedding map###map_window", &open, ImGuiWindowFlags_NoCollapse)) {
    ImGui::End();
    if (!open) v.show = false;
    return;
  }
  if (!v.built) {
    if (!v.problem.empty()) {
      ImGui::TextColored(ImVec4(1.0f, 0.55f, 0.45f, 1.0f), "%s", v.problem.c_str());
    } else {
      std::string phase;
      const double share = map_progress(s, &phase);
      char label[96];
      std::snprintf(label, sizeof label, "building the map: %s %.0f%%", phase.c_str(),
                    100.0 * share);
      ImGui::ProgressBar(static_cast<float>(share), ImVec2(-1.0f, 0.0f), label);
      ImGui::TextDisabled(
          "descriptors (cached per dataset), then the layout; the viewer works "
          "meanwhile");
    }
    ImGui::End();
    if (!open) v.show = false;
    return;
  }
  draw_toolbar(s, v);
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float gallery_h = v.selected.empty() ? ImGui::GetTextLineHeightWithSpacing() * 2
                                             : std::min(avail.y * 0.4f, kTileH + 70.0f);
  draw_scatter(s, v, ImVec2(avail.x, std::max(100.0f, avail.y - gallery_h)));
  draw_selection_gallery(ui, v);
  ImGui::End();
  if (!open) v.show = false;
}

void draw_map_filter_chip(AppState& s) {
  const MapView& v = s.map;
  if (!v.filter || v.selected.empty() || v.root != s.session->root) return;
  ImGui::TextColored(ImVec4(1.0f, 0.9f, 0.3f, 1.0f), "map: %s", v.selection_text.c_str());
  ImGui::SameLine();
  if (ImGui::SmallButton("x##map_filter")) map_clear_selection(s);
}

}  // namespace needle::view
