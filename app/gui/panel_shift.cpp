// The Shift window (`needle view PROD --reference TRAIN`, shift_view.h): the current frame's
// novelty with its reason and nearest TRAIN frames, the attributes worst first (click one), and
// the chosen attribute's histograms of TRAIN and PROD overlaid.
#include <algorithm>
#include <cstdio>

#include "gui/model/shift_view.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

namespace {

constexpr ImU32 kTrainColour = IM_COL32(90, 160, 255, 150);  // TRAIN bars: blue
constexpr ImU32 kProdColour = IM_COL32(255, 150, 60, 150);   // PROD bars: orange

void draw_histogram(const ShiftHistogram& h, ImVec2 size) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const float label_h = ImGui::GetTextLineHeight();
  const ImVec2 p1(p0.x + size.x, p0.y + size.y - label_h);
  dl->AddRectFilled(p0, ImVec2(p1.x, p0.y + size.y), IM_COL32(30, 30, 34, 255));
  const std::size_t n = h.labels.size();
  if (n == 0) {
    ImGui::Dummy(size);
    return;
  }
  double top = 1e-9;
  for (std::size_t i = 0; i < n; ++i) top = std::max({top, h.train[i], h.prod[i]});
  const float bw = (p1.x - p0.x) / static_cast<float>(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float x0 = p0.x + bw * static_cast<float>(i) + 1.0f, x1 = x0 + bw - 2.0f;
    const auto y_of = [&](double v) {
      return p1.y - static_cast<float>(v / top) * (p1.y - p0.y - 4.0f);
    };
    dl->AddRectFilled(ImVec2(x0, y_of(h.train[i])), ImVec2(x1, p1.y), kTrainColour);
    dl->AddRectFilled(ImVec2(x0, y_of(h.prod[i])), ImVec2(x1, p1.y), kProdColour);
    // Every other label on numeric axes (they are bin starts); all categories.
    if (h.categorical || i % 4 == 0)
      dl->AddText(ImVec2(x0, p1.y + 1.0f), IM_COL32(200, 200, 200, 255), h.labels[i].c_str());
  }
  ImGui::Dummy(size);
}

}  // namespace

void draw_shift_window(UiContext& ui) {
  AppState& s = ui.state;
  ShiftView& v = s.shift;
  if (!s.session || v.reference.empty() || !v.show) return;
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.52f, io.DisplaySize.y * 0.50f),
                          ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(io.DisplaySize.x * 0.46f, io.DisplaySize.y * 0.46f),
                           ImGuiCond_FirstUseEver);
  bool open = true;
  if (!ImGui::Begin("Shift###shift_window", &open, ImGuiWindowFlags_NoCollapse)) {
    ImGui::End();
    if (!open) v.show = false;
    return;
  }
  if (!open) v.show = false;
  ImGui::TextDisabled("PROD %s against TRAIN %s", s.session->root.string().c_str(),
                      v.reference.string().c_str());
  if (!v.error.empty()) {
    problem_text("shift", v.error);
    ImGui::End();
    return;
  }
  if (!v.report) {
    char label[64];
    std::snprintf(label, sizeof label, "descriptors %.0f%%", 100.0 * shift_progress(s));
    ImGui::ProgressBar(static_cast<float>(shift_progress(s)), ImVec2(-1.0f, 0.0f), label);
    ImGui::End();
    return;
  }
  const ShiftReport& r = *v.report;
  // The current frame.
  for (const FrameNovelty& f : r.novelty.frames) {
    if (f.frame != s.frame) continue;
    const int pos = s.frame < v.position.size() ? v.position[s.frame] : -1;
    ImGui::Text("Frame %s: novelty %.1f (#%d of %zu)", s.session->index->frames[s.frame].id.c_str(),
                f.novelty, pos + 1, v.order.size());
    ImGui::TextWrapped("%s", f.reason.c_str());
    std::string near;
    for (std::size_t k : f.nearest) near += (near.empty() ? "" : " ") + r.train_ids[k];
    ImGui::TextDisabled("nearest in TRAIN: %s", near.c_str());
  }
  ImGui::Separator();
  // Attributes (left) and the chosen one's histograms (right).
  const float avail = ImGui::GetContentRegionAvail().x;
  ImGui::BeginChild("##shift_attributes", ImVec2(avail * 0.42f, 0), false);
  if (ImGui::BeginTable("##attrs", 3,
                        ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("attribute");
    ImGui::TableSetupColumn("PSI");
    ImGui::TableSetupColumn("p");
    ImGui::TableHeadersRow();
    for (const AttributeShift& a : r.attributes) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      if (ImGui::Selectable(a.attribute.c_str(), a.attribute == v.attribute,
                            ImGuiSelectableFlags_SpanAllColumns))
        v.attribute = a.attribute;
      ImGui::TableNextColumn();
      const ImVec4 c = a.psi > 0.25   ? ImVec4(1.0f, 0.45f, 0.4f, 1.0f)
                       : a.psi > 0.1 ? ImVec4(1.0f, 0.8f, 0.3f, 1.0f)
                                     : ImVec4(0.75f, 0.75f, 0.75f, 1.0f);
      ImGui::TextColored(c, "%.3f", a.psi);
      ImGui::TableNextColumn();
      ImGui::Text("%.2g", a.p);
    }
    ImGui::EndTable();
  }
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("##shift_histogram", ImVec2(0, 0), false);
  ImGui::Text("%s", v.attribute.c_str());
  ImGui::SameLine();
  ImGui::TextColored(ImVec4(0.35f, 0.63f, 1.0f, 1.0f), "  TRAIN");
  ImGui::SameLine();
  ImGui::TextColored(ImVec4(1.0f, 0.59f, 0.24f, 1.0f), " PROD");
  const ShiftHistogram h = shift_histogram(r, v.attribute);
  const ImVec2 room = ImGui::GetContentRegionAvail();
  draw_histogram(h, ImVec2(room.x, std::max(60.0f, room.y - 4.0f)));
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace needle::view
