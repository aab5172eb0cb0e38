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
#include "gui/gallery.h"
#include "gui/model/actions.h"
#include "gui/model/review_actions.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

namespace {

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
  const int per_row = gallery_per_row();
  for (int i = 0; i < n; ++i) {
    if (i % per_row != 0) ImGui::SameLine(0.0f, gallery_spacing());
    const ElementRecord& e = d->elements[static_cast<std::size_t>(i)];
    GalleryTile tile;
    tile.ref = e.object.ref;
    tile.orphaned = e.object.orphaned;
    tile.cursor = i == cursor;
    tile.border = tile.line2_colour = state_color(e.state);
    tile.line2 = element_state_name(e.state);
    const int click = draw_gallery_tile(*s.session->index, ui.crops, tile, i);
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
