// Display settings: layers (labels, each prediction set with its score threshold, classes,
// DontCare), camera overlay style, point colouring and size, 3D box style. Changes apply at once.
// The Ranking section holds `needle rank`'s options; a change re-ranks (set_rank_options, as the
// `rank ...` commands do).
#include <algorithm>
#include <cstdio>

#include "gui/model/actions.h"
#include "gui/model/compare_view.h"
#include "gui/model/overlay_style.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

namespace {

// The ranking options; each edit re-ranks (the min-score slider when released).
void draw_ranking_options(AppState& s) {
  PipelineOptions o = s.rank_options;
  bool changed = false;
  int method = static_cast<int>(o.method);
  ImGui::SetNextItemWidth(-90.0f);
  if (ImGui::Combo("method", &method,
                   "needle\0"
                   "mistakenness\0"
                   "objectlab\0")) {
    o.method = static_cast<RankMethod>(method);
    changed = true;
  }
  int evidence = static_cast<int>(o.evidence);
  ImGui::SetNextItemWidth(-90.0f);
  if (ImGui::Combo("evidence", &evidence,
                   "all\0"
                   "lidar\0"
                   "predictions\0")) {
    o.evidence = static_cast<Evidence>(evidence);
    if (o.evidence == Evidence::Lidar) o.compare.clear();  // compare needs the predictions
    changed = true;
  }
  // Compare: OLD and NEW among the session's prediction sets ("off" when either is unset).
  const auto& sets = s.session->set_names;
  std::string old_set, new_set;
  if (const std::size_t comma = o.compare.find(','); comma != std::string::npos) {
    old_set = o.compare.substr(0, comma);
    new_set = o.compare.substr(comma + 1);
  }
  auto set_combo = [&](const char* label, std::string& value) {
    ImGui::SetNextItemWidth(-90.0f);
    if (!ImGui::BeginCombo(label, value.empty() ? "off" : value.c_str())) return false;
    bool picked = false;
    if (ImGui::Selectable("off", value.empty())) {
      value.clear();
      picked = true;
    }
    for (const std::string& n : sets)
      if (ImGui::Selectable(n.c_str(), n == value)) {
        value = n;
        picked = true;
      }
    ImGui::EndCombo();
    return picked;
  };
  ImGui::BeginDisabled(sets.size() < 2 || o.evidence == Evidence::Lidar);
  bool cmp = set_combo("compare old", old_set);
  cmp = set_combo("compare new", new_set) || cmp;
  ImGui::EndDisabled();
  if (cmp) {
    const std::string c = old_set.empty() || new_set.empty() || old_set == new_set
                              ? std::string()
                              : old_set + "," + new_set;
    if (c != o.compare) {
      o.compare = c;
      changed = true;
    }
  }
  static float min_score = 0;  // the slider's value while dragged (the app has one panel)
  if (!ImGui::IsAnyItemActive()) min_score = static_cast<float>(o.min_finding_score);
  ImGui::SetNextItemWidth(-90.0f);
  ImGui::SliderFloat("min score", &min_score, 0.0f, 1.0f, "%.2f");
  if (ImGui::IsItemDeactivatedAfterEdit()) {
    o.min_finding_score = static_cast<double>(min_score);
    changed = true;
  }
  bool cache = o.lidar_cache;
  if (ImGui::Checkbox("lidar cache", &cache)) {
    o.lidar_cache = cache;
    changed = true;
  }
  ImGui::SameLine();
  if (ImGui::Button("Re-rank")) changed = true;
  if (changed && check_pipeline_options(o).empty()) set_rank_options(s, o);
  if (const RankingData* r = s.session->rank())
    ImGui::TextDisabled("%s%s, %.1f s", r->method_name.c_str(), r->lidar_used ? " + lidar" : "",
                        r->seconds);
}

}  // namespace

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
        const std::optional<SetStyle> cs = compare_style(s, i);  // compare mode: OLD / NEW
        std::snprintf(label, sizeof label, "%s (%s%s)", s.session->set_names[i].c_str(),
                      cs ? cs->role : "", cs ? (cs->dashed ? ", dashed" : ", solid") : "dashed");
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
  if (s.session && ImGui::CollapsingHeader("Ranking")) draw_ranking_options(s);
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
