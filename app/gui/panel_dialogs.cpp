// Floating windows: keyboard help (F1 / ?), go to frame (G), open dataset (Ctrl+O).
#include <cstring>
#include <string>

#include "gui/model/actions.h"
#include "gui/model/commands.h"
#include "gui/model/overlay_style.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

void draw_help_window(AppState& s) {
  if (!s.show_help) return;
  const ImVec2 c = ImGui::GetMainViewport()->GetCenter();
  ImGui::SetNextWindowPos(c, ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  if (ImGui::Begin("Keyboard shortcuts", &s.show_help,
                   ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_AlwaysAutoResize)) {
    // One row per command with a key chord, from the command table, then the mouse.
    if (ImGui::BeginTable("##keys", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
      for (const HelpRow& row : keyboard_help()) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(row.keys.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(row.text.c_str());
      }
      ImGui::EndTable();
    }
    // The finding tags of the frame list and inspector, and the lidar layers' colours.
    ImGui::Separator();
    if (ImGui::BeginTable("##kinds", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
      for (const FindingKindHelp& k : finding_kind_help()) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(to_imu32(finding_kind_color(k.kind))),
                           "%s", finding_kind_tag(k.kind));
        ImGui::TableNextColumn();
        ImGui::Text("%s: %s", k.kind, k.text);
      }
      ImGui::EndTable();
    }
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(to_imu32(kClusterColor)),
                       "cyan boxes and points: unlabelled lidar clusters (U)");
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(to_imu32(kGroundSeenColor)),
                       "brown mesh: lidar ground estimate (E; dark: interpolated cells)");
  }
  ImGui::End();
}

void draw_goto_popup(AppState& s) {
  static char buf[64] = "";
  static bool not_found = false;
  if (s.show_goto) {
    ImGui::OpenPopup("Go to frame");
    s.show_goto = false;
    buf[0] = '\0';
    not_found = false;
  }
  const ImVec2 c = ImGui::GetMainViewport()->GetCenter();
  ImGui::SetNextWindowPos(c, ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  if (ImGui::BeginPopupModal("Go to frame", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    const bool enter =
        ImGui::InputText("frame id", buf, sizeof buf, ImGuiInputTextFlags_EnterReturnsTrue);
    if (not_found) ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "no frame '%s'", buf);
    if (enter || ImGui::Button("Go")) {
      if (go_to_frame_id(s, buf))
        ImGui::CloseCurrentPopup();
      else
        not_found = true;
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape)))
      ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
}

std::string draw_open_dialog(AppState& s) {
  static char path[1024] = "";
  std::string chosen;
  if (s.show_open_dialog) {
    ImGui::OpenPopup("Open dataset");
    s.show_open_dialog = false;
    if (path[0] == '\0' && !s.recent.empty())
      std::strncpy(path, s.recent.front().c_str(), sizeof path - 1);
  }
  const ImVec2 c = ImGui::GetMainViewport()->GetCenter();
  ImGui::SetNextWindowPos(c, ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowSize(ImVec2(640, 0), ImGuiCond_Appearing);
  if (ImGui::BeginPopupModal("Open dataset", nullptr)) {
    ImGui::TextWrapped(
        "A KITTI-style folder (image_2/ velodyne/ calib/ label_2/, directly or under training/). "
        "Sub-folders of its pred/ folder open as prediction sets.");
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    ImGui::SetNextItemWidth(-1.0f);
    const bool enter =
        ImGui::InputText("##path", path, sizeof path, ImGuiInputTextFlags_EnterReturnsTrue);
    if (!s.recent.empty()) {
      ImGui::TextDisabled("Recent:");
      for (const std::string& r : s.recent)
        if (ImGui::Selectable(r.c_str())) std::strncpy(path, r.c_str(), sizeof path - 1);
    }
    if (!s.status_message.empty())
      ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "%s", s.status_message.c_str());
    if (enter || ImGui::Button("Open")) {
      chosen = path;
      ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape)))
      ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
  return chosen;
}

}  // namespace needle::view
