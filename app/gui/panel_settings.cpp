// Display settings: layers (labels, each prediction set with its score threshold, classes,
// DontCare), camera overlay style, point colouring and size, 3D box style. Changes apply at once.
#include <algorithm>
#include <cstdio>

#include "gui/model/overlay_style.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

void draw_settings(UiContext& ui, const Rect& r) {
  AppState& s = ui.state;
  DisplaySettings& d = s.display;
  ui.layout.panels.settings = r;
  begin_panel("##settings", r);
  panel_header("Display");

  if (ImGui::CollapsingHeader("Layers", ImGuiTreeNodeFlags_DefaultOpen)) {
    ImGui::Checkbox("Labels (solid)", &d.show_labels);
    ImGui::SameLine();
    ImGui::Checkbox("DontCare", &d.show_dontcare);
    if (s.session) {
      const RankingData* rank = s.session->rank();
      for (std::size_t i = 0; i < s.session->set_names.size() && i < d.show_pred.size(); ++i) {
        ImGui::PushID(static_cast<int>(i));
        bool on = d.show_pred[i] != 0;
        char label[128];
        std::snprintf(label, sizeof label, "%s (dashed)", s.session->set_names[i].c_str());
        if (ImGui::Checkbox(label, &on)) d.show_pred[i] = on ? 1 : 0;
        float hi = 1.0f;
        if (rank && i < rank->score_range.size())
          hi = static_cast<float>(std::max(rank->score_range[i].second, 1.0));
        ImGui::SetNextItemWidth(-90.0f);
        ImGui::SliderFloat("min score", &d.min_score[i], 0.0f, hi, hi > 10.0f ? "%.1f" : "%.2f");
        ImGui::PopID();
      }
    }
    if (ImGui::TreeNode("Classes")) {
      for (std::size_t c = 0; c < kClassCount; ++c) {
        const auto cls = static_cast<ObjectClass>(c);
        if (cls == ObjectClass::DontCare) continue;
        ImGui::Checkbox(class_name(cls), &d.show_class[c]);
        if (c % 3 != 2) ImGui::SameLine(0.0f, 12.0f);
      }
      ImGui::NewLine();
      ImGui::TreePop();
    }
  }
  if (ImGui::CollapsingHeader("Camera", ImGuiTreeNodeFlags_DefaultOpen)) {
    int style = static_cast<int>(d.camera_boxes);
    ImGui::SetNextItemWidth(-90.0f);
    if (ImGui::Combo("boxes", &style,
                     "3D wireframe\0"
                     "2D box\0"
                     "both\0"))
      d.camera_boxes = static_cast<CameraBoxStyle>(style);
    ImGui::SetNextItemWidth(-90.0f);
    ImGui::SliderFloat("line width", &d.camera_line_width, 1.0f, 5.0f, "%.1f px");
    ImGui::Checkbox("Scores", &d.score_text);
    ImGui::SameLine();
    ImGui::Checkbox("Lidar on image (L)", &d.lidar_on_image);
    if (d.lidar_on_image) {
      ImGui::SetNextItemWidth(-90.0f);
      ImGui::SliderFloat("lidar size", &d.image_point_size, 1.0f, 6.0f, "%.1f px");
    }
  }
  if (ImGui::CollapsingHeader("3D view", ImGuiTreeNodeFlags_DefaultOpen)) {
    int mode = static_cast<int>(d.point_color);
    ImGui::TextUnformatted("colour");
    ImGui::SameLine();
    ImGui::RadioButton("height", &mode, 0);
    ImGui::SameLine();
    ImGui::RadioButton("intensity", &mode, 1);
    ImGui::SameLine();
    ImGui::RadioButton("range", &mode, 2);
    d.point_color = static_cast<PointColorMode>(mode);
    ImGui::SetNextItemWidth(-90.0f);
    ImGui::SliderFloat("point size", &d.point_size, 1.0f, 6.0f, "%.1f px");
    ImGui::SetNextItemWidth(-90.0f);
    ImGui::SliderFloat("box width", &d.box_line_width, 1.0f, 6.0f, "%.1f px");
    ImGui::Checkbox("Heading", &d.heading_marker);
    ImGui::SameLine();
    ImGui::Checkbox("Grid", &d.show_grid);
    ImGui::SameLine();
    ImGui::Checkbox("Highlight points", &d.highlight_points);
    if (ImGui::Checkbox("Bird's-eye (B)", &s.camera3d.bev)) {
    }
    ImGui::SameLine();
    if (ImGui::Button("Reset camera (R)")) {
      const bool bev = s.camera3d.bev;
      s.camera3d.reset();
      s.camera3d.bev = bev;
    }
  }
  end_panel();
}

}  // namespace needle::view
