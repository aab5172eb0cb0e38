#include <string>

#include "gui/model/actions.h"
#include "gui/model/overlay_style.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

void begin_panel(const char* id, const Rect& r, int extra_flags) {
  ImGui::SetCursorScreenPos(ImVec2(r.x, r.y));
  ImGui::BeginChild(id, ImVec2(r.w, r.h), false, extra_flags);
}

void end_panel() {
  ImGui::EndChild();
}

const LoadedFrame* refresh_current(AppState& s) {
  if (!s.session) return nullptr;
  if (!s.current || s.current->index != s.frame) s.current = s.session->loader->get(s.frame);
  apply_pending_selection(s);  // e.g. the first label error's finding, once its frame is here
  return s.current.get();
}

void panel_header(const char* title, const char* detail) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x;
  const float h = ImGui::GetTextLineHeightWithSpacing() + 2.0f;
  dl->AddRectFilled(p, ImVec2(p.x + w, p.y + h), IM_COL32(38, 42, 52, 255));
  ImGui::SetCursorScreenPos(ImVec2(p.x + 6.0f, p.y + 2.0f));
  ImGui::TextUnformatted(title);
  if (detail && *detail) {
    ImGui::SameLine();
    ImGui::TextDisabled("%s", detail);
  }
  ImGui::SetCursorScreenPos(ImVec2(p.x, p.y + h + 2.0f));
}

void finding_tag(const std::string& kind) {
  const char* text = finding_kind_tag(kind);
  const Rgb c = finding_kind_color(kind);
  const ImVec2 ts = ImGui::CalcTextSize(text);
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const ImVec2 size(ts.x + 6.0f, ImGui::GetTextLineHeight());
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), to_imu32(c), 3.0f);
  dl->AddText(ImVec2(p.x + 3.0f, p.y), IM_COL32(255, 255, 255, 255), text);
  ImGui::Dummy(size);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", kind.c_str());
}

void problem_text(const char* what, const std::string& problems) {
  ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 100, 255));
  ImGui::PushTextWrapPos(0.0f);
  ImGui::Text("%s is invalid:", what);
  ImGui::TextUnformatted(problems.c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopStyleColor();
}

}  // namespace needle::view
