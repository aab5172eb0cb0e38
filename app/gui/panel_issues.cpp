// Issues panel: a floating window over the views (ImGui 1.86 has no docking). The current issue
// (pick one, or create one), the counts of its elements by state at the top, then its elements
// as a gallery of image crops (gui/model/review_crops.h: the object's 2D box with a margin, every
// label and prediction box inside drawn, the element's own thicker), each framed in its state's
// colour, the cursor's in yellow. Keys (the command table): I adds the selection or the frame,
// J/K move the cursor, A adds, X discards, O opens the element's frame. Click: cursor; double
// click: open.
#include <algorithm>
#include <cstdio>
#include <string>

#include "gui/crop_textures.h"
#include "gui/model/actions.h"
#include "gui/model/review_actions.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

namespace {

// Gallery tile: the crop is scaled to fit this box (pixels), aspect kept.
constexpr float kTileW = 168.0f, kTileH = 112.0f;
// Frame around a tile showing its state; the cursor's is thicker.
constexpr float kStateBorder = 2.0f, kCursorBorder = 3.5f;

ImU32 state_color(ElementState st) {
  switch (st) {
    case ElementState::Unsorted:
      return IM_COL32(150, 150, 160, 255);
    case ElementState::Added:
      return IM_COL32(60, 200, 90, 255);
    case ElementState::Discarded:
      return IM_COL32(220, 70, 60, 255);
  }
  return IM_COL32(150, 150, 160, 255);
}

void draw_counts(const IssueDetail& d) {
  for (ElementState st : {ElementState::Unsorted, ElementState::Added, ElementState::Discarded}) {
    const auto it = d.info.counts.find(st);
    const long n = it == d.info.counts.end() ? 0 : it->second;
    ImGui::PushStyleColor(ImGuiCol_Text, state_color(st));
    ImGui::Text("%s %ld", element_state_name(st), n);
    ImGui::PopStyleColor();
    ImGui::SameLine(0.0f, 18.0f);
  }
  ImGui::NewLine();
}

// One tile; returns 1 when clicked, 2 when double-clicked.
int draw_tile(const DatasetIndex& ds, CropTextures* crops, const ElementRecord& e, int index,
              bool cursor) {
  ImGui::PushID(index);
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float caption_h = 2.0f * ImGui::GetTextLineHeightWithSpacing();
  ImGui::InvisibleButton("##tile", ImVec2(kTileW, kTileH + caption_h));
  int clicked = 0;
  if (ImGui::IsItemClicked()) clicked = 1;
  if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) clicked = 2;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + kTileW, p.y + kTileH), IM_COL32(18, 20, 24, 255));
  const CropTextures::Entry* entry =
      crops && !e.object.orphaned ? crops->get(ds, e.object.ref) : nullptr;
  std::string caption = e.object.ref.to_string();
  if (e.object.orphaned) {
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
    caption = e.object.ref.frame + "  " + c.caption;
  }
  dl->AddRect(ImVec2(p.x - 1, p.y - 1), ImVec2(p.x + kTileW + 1, p.y + kTileH + 1),
              cursor ? IM_COL32(255, 255, 0, 255) : state_color(e.state), 0.0f, 0,
              cursor ? kCursorBorder : kStateBorder);
  const float line = ImGui::GetTextLineHeightWithSpacing();
  dl->PushClipRect(ImVec2(p.x, p.y + kTileH), ImVec2(p.x + kTileW, p.y + kTileH + caption_h), true);
  dl->AddText(ImVec2(p.x + 2, p.y + kTileH + 2), IM_COL32(220, 222, 228, 255), caption.c_str());
  dl->AddText(ImVec2(p.x + 2, p.y + kTileH + 2 + line), state_color(e.state),
              element_state_name(e.state));
  dl->PopClipRect();
  ImGui::PopID();
  return clicked;
}

}  // namespace

void draw_issues_panel(UiContext& ui) {
  AppState& s = ui.state;
  ReviewSession* r = review_of(s);
  if (ui.crops) ui.crops->new_frame();
  if (!r || !r->show_issues) return;
  const ImGuiIO& io = ImGui::GetIO();
  // Over the 3D view by default; the user may move and resize it.
  ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.24f, io.DisplaySize.y * 0.47f),
                          ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(io.DisplaySize.x * 0.50f, io.DisplaySize.y * 0.48f),
                           ImGuiCond_FirstUseEver);
  bool open = true;
  if (!ImGui::Begin("Issues###issues_panel", &open, ImGuiWindowFlags_NoCollapse)) {
    ImGui::End();
    if (!open) r->show_issues = false;
    return;
  }
  const ReviewSnapshot& snap = r->snapshot();
  ImGui::SetNextItemWidth(220.0f);
  if (ImGui::BeginCombo("issue", r->current_issue.empty() ? "(none)" : r->current_issue.c_str())) {
    for (const IssueDetail& d : snap.issues)
      if (ImGui::Selectable(d.info.name.c_str(), d.info.name == r->current_issue))
        review_open_issue(s, d.info.name);
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  if (ImGui::Button("New...")) r->show_issue_popup = true;
  ImGui::SameLine();
  ImGui::TextDisabled("I add  J/K move  A added  X discarded  O open");
  const IssueDetail* d = snap.issue(r->current_issue);
  if (!d) {
    ImGui::TextDisabled(snap.issues.empty() ? "No issues yet: Shift+I creates one."
                                            : "Pick an issue.");
    ImGui::End();
    if (!open) r->show_issues = false;
    return;
  }
  draw_counts(*d);
  if (!d->info.description.empty()) ImGui::TextWrapped("%s", d->info.description.c_str());
  ImGui::Separator();
  ImGui::BeginChild("##gallery");
  const int n = static_cast<int>(d->elements.size());
  if (n == 0) ImGui::TextDisabled("No elements yet: I adds the selected object or the frame.");
  const int cursor = std::clamp(r->element_cursor, 0, std::max(n - 1, 0));
  static int last_cursor_shown = -1;
  const float avail = ImGui::GetContentRegionAvail().x;
  const float step = kTileW + ImGui::GetStyle().ItemSpacing.x + 4.0f;
  const int per_row = std::max(1, static_cast<int>(avail / step));
  for (int i = 0; i < n; ++i) {
    if (i % per_row != 0) ImGui::SameLine(0.0f, ImGui::GetStyle().ItemSpacing.x + 4.0f);
    const int click = draw_tile(*s.session->index, ui.crops,
                                d->elements[static_cast<std::size_t>(i)], i, i == cursor);
    if (click >= 1) r->element_cursor = i;
    if (click == 2) review_open_element(s);
    if (i == cursor && cursor != last_cursor_shown && !ImGui::IsItemVisible())
      ImGui::SetScrollHereY();  // the cursor moved by key out of view
  }
  last_cursor_shown = cursor;
  ImGui::EndChild();
  ImGui::End();
  if (!open) r->show_issues = false;
}

}  // namespace needle::view
