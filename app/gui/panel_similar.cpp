// Similar window (issue #11 §4): the objects most similar to the one asked about (F3 on the
// selection; gui/model/similar_view.h), as a gallery of crops (gui/gallery.h) sorted by
// similarity, each captioned with its rank, its similarity and whether the current issue holds
// it. While the descriptors are built (once per dataset, in the background), a progress bar.
// Click: add to the current issue (one store transaction); double click: open its frame with
// the object selected (its first click has added it). Shift+A adds the cursor's tile and moves on.
#include <cstdio>
#include <string>

#include "gui/crop_textures.h"
#include "gui/gallery.h"
#include "gui/model/review_actions.h"
#include "gui/model/similar_view.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

namespace {

// Tile frame of a result the current issue holds / does not hold.
constexpr ImU32 kInIssueColour = IM_COL32(60, 200, 90, 255);
constexpr ImU32 kResultColour = IM_COL32(150, 150, 160, 255);

const ElementRecord* in_issue(const ReviewSession* r, const ObjectRef& ref) {
  if (!r) return nullptr;
  const IssueDetail* d = r->snapshot().issue(r->current_issue);
  if (!d) return nullptr;
  for (const ElementRecord& e : d->elements)
    if (!e.object.orphaned && e.object.ref == ref) return &e;
  return nullptr;
}

}  // namespace

void draw_similar_window(UiContext& ui) {
  AppState& s = ui.state;
  SimilarView& v = s.similar;
  if (!s.session || !v.show || v.root != s.session->root) return;
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.26f, io.DisplaySize.y * 0.08f),
                          ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(io.DisplaySize.x * 0.50f, io.DisplaySize.y * 0.50f),
                           ImGuiCond_FirstUseEver);
  bool open = true;
  if (!ImGui::Begin("Similar###similar_window", &open, ImGuiWindowFlags_NoCollapse)) {
    ImGui::End();
    if (!open) v.show = false;
    return;
  }
  const ReviewSession* r = review_of(s);
  ImGui::Text("Most similar to %s", v.query ? v.query->to_string().c_str() : "-");
  ImGui::SameLine();
  if (r && !r->current_issue.empty())
    ImGui::TextDisabled("  click: add to '%s'  double click: open  Shift+A: add cursor",
                        r->current_issue.c_str());
  else
    ImGui::TextDisabled("  no current issue: Shift+I creates one");
  if (!similar_ready(s)) {
    std::string phase;
    const double share = similar_progress(s, &phase);
    char label[96];
    std::snprintf(label, sizeof label, "building descriptors: %s %.0f%%", phase.c_str(),
                  100.0 * share);
    ImGui::ProgressBar(static_cast<float>(share), ImVec2(-1.0f, 0.0f), label);
    ImGui::End();
    if (!open) v.show = false;
    return;
  }
  if (!v.problem.empty())
    ImGui::TextColored(ImVec4(1.0f, 0.55f, 0.45f, 1.0f), "%s", v.problem.c_str());
  ImGui::Separator();
  ImGui::BeginChild("##similar_gallery");
  const int per_row = gallery_per_row();
  for (std::size_t i = 0; i < v.rows.size(); ++i) {
    const int ii = static_cast<int>(i);
    if (ii % per_row != 0) ImGui::SameLine(0.0f, gallery_spacing());
    const SimilarResult& row = v.rows[i];
    const ElementRecord* e = in_issue(r, row.ref);
    GalleryTile tile;
    tile.ref = row.ref;
    tile.cursor = ii == v.cursor;
    tile.border = tile.line2_colour = e ? kInIssueColour : kResultColour;
    char line[96];
    std::snprintf(line, sizeof line, "#%d  sim %.3f%s", ii + 1, row.similarity,
                  e ? "  in issue" : "");
    tile.line2 = line;
    const int click = draw_gallery_tile(*s.session->index, ui.crops, tile, ii);
    if (click == 1) similar_add(s, i);
    if (click == 2) similar_open(s, i);
  }
  ImGui::EndChild();
  ImGui::End();
  if (!open) v.show = false;
}

}  // namespace needle::view
