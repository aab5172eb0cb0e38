// Inspector: the current frame's problems, labels, predictions per set and the engine's findings.
// Clicking a row selects the object (a finding selects its label and prediction) in every view.
#include <cstdio>
#include <string>

#include "gui/model/actions.h"
#include "gui/model/lidar_overlay.h"
#include "needle/eval.h"
#include "gui/model/overlay_style.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

namespace {

const char* status_name(PredStatus st) {
  switch (st) {
    case PredStatus::Missing:
      return "no file (frame not predicted)";
    case PredStatus::Empty:
      return "empty file (no detections)";
    case PredStatus::Present:
      return "";
    case PredStatus::Invalid:
      return "invalid file";
  }
  return "";
}

void colour_swatch(Rgb c) {
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float h = ImGui::GetTextLineHeight();
  ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + 2.0f),
                                            ImVec2(p.x + 8.0f, p.y + h - 2.0f), to_imu32(c));
  ImGui::Dummy(ImVec2(10.0f, h));
  ImGui::SameLine(0.0f, 2.0f);
}

constexpr ImGuiTableFlags kTableFlags =
    ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;

// Per label: non-ground points inside (against the range the ranking's lidar model expects, see
// lidar_overlay.h; the selected label's in words above the table), shell points, the bottom's
// height above the local ground (~ interpolated ground) and the fit: the share of its cluster
// inside the box, that cluster's points outside, and the largest overflow beyond a face.
void draw_lidar_section(AppState& s, const LoadedFrame& f) {
  const auto& labels = f.data.ann.labels;
  char title[128];
  if (!f.lidar.ok) {
    std::snprintf(title, sizeof title, "Lidar - no scan analysis###lidar");
    ImGui::CollapsingHeader(title, ImGuiTreeNodeFlags_Leaf);
    return;
  }
  std::snprintf(title, sizeof title, "Lidar (%zu clusters, %zu unlabelled, %.0f ms)###lidar",
                f.lidar.clusters.size(), f.unlabeled_clusters.size(), f.lidar.timings.total);
  if (!ImGui::CollapsingHeader(title, ImGuiTreeNodeFlags_DefaultOpen)) return;
  const RankingData* rank = s.session ? s.session->rank() : nullptr;
  const std::vector<LidarLabelRow> rows = lidar_label_rows(
      labels, f.lidar, rank ? label_expected_of(rank->label_expected, f.index) : nullptr);
  // The selected label's count against what its class has at that range in this dataset (first,
  // above the table, so it is in view).
  if (s.selection.label >= 0 && static_cast<std::size_t>(s.selection.label) < rows.size() &&
      rows[static_cast<std::size_t>(s.selection.label)].valid) {
    const auto i = static_cast<std::size_t>(s.selection.label);
    ImGui::PushTextWrapPos(0.0f);
    ImGui::Text("label %zu: %s", i, points_inside_text(labels[i], rows[i]).c_str());
    ImGui::PopTextWrapPos();
  }
  if (!rows.empty() && ImGui::BeginTable("##lidar", 6, kTableFlags)) {
    ImGui::TableSetupColumn("#");
    ImGui::TableSetupColumn("class");
    ImGui::TableSetupColumn("in (expected)");
    ImGui::TableSetupColumn("shell");
    ImGui::TableSetupColumn("ground m");
    ImGui::TableSetupColumn("fit: share / out / overflow", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    for (const LidarLabelRow& r : rows) {
      if (!r.valid) continue;
      const auto i = static_cast<std::size_t>(r.label);
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      char label[80];
      std::snprintf(label, sizeof label, "%zu##lidarlabel%zu", i, i);
      if (ImGui::Selectable(label, s.selection.label == r.label,
                            ImGuiSelectableFlags_SpanAllColumns))
        select_label(s, r.label);
      ImGui::TableNextColumn();
      colour_swatch(label_color(labels[i].cls));
      ImGui::TextUnformatted(labels[i].type.c_str());
      ImGui::TableNextColumn();
      if (r.has_expected) {
        if (r.below_expected) ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(240, 200, 90, 255));
        ImGui::Text("%u (%.0f-%.0f)", r.n_in, r.expected_lo, r.expected_hi);
        if (r.below_expected) ImGui::PopStyleColor();
        if (ImGui::IsItemHovered())
          ImGui::SetTooltip("%s", points_inside_text(labels[i], r).c_str());
      } else {
        ImGui::Text("%u", r.n_in);
      }
      ImGui::TableNextColumn();
      ImGui::Text("%u", r.n_shell);
      ImGui::TableNextColumn();
      ImGui::Text("%+.2f%s", r.ground_offset, r.ground_seen ? "" : " ~");
      ImGui::TableNextColumn();
      if (r.cluster < 0)
        ImGui::TextDisabled("no cluster");
      else
        ImGui::Text("%.0f%% / %u / %.2f m %s", 100.0 * r.cluster_share, r.n_out, r.max_overflow,
                    overflow_face_name(r.max_overflow_face));
    }
    ImGui::EndTable();
  }
  for (int c : f.unlabeled_clusters) {
    const LidarCluster& cl = f.lidar.clusters[static_cast<std::size_t>(c)];
    colour_swatch(kClusterColor);
    ImGui::Text("cluster %d: %u points, %.1f x %.1f x %.1f m at %.1f m", c, cl.n_points, cl.box.l,
                cl.box.w, cl.box.h, cl.box.distance());
  }
}

}  // namespace

void draw_inspector(UiContext& ui, const Rect& r) {
  AppState& s = ui.state;
  ui.layout.panels.inspector = r;
  begin_panel("##inspector", r);
  const LoadedFrame* f = refresh_current(s);
  std::string detail = s.session ? "frame " + s.session->index->frames[s.frame].id : "";
  panel_header("Inspector", detail.c_str());
  if (!f) {
    ImGui::TextDisabled(s.session ? "Loading..." : "No dataset open");
    end_panel();
    return;
  }
  const FrameAnnotations& ann = f->data.ann;
  const DisplaySettings& d = s.display;

  // Problems first: an invalid modality is the most important fact about a frame.
  if (!ann.problems.empty()) {
    for (const Problem& p : ann.problems) {
      ui.layout.problems.push_back(p.modality + ": " + p.to_string());
      ImGui::PushStyleColor(ImGuiCol_Text,
                            p.fatal ? IM_COL32(255, 110, 100, 255) : IM_COL32(240, 200, 90, 255));
      ImGui::PushTextWrapPos(0.0f);
      ImGui::Text("%s %s: %s", p.fatal ? "invalid" : "warning", p.modality.c_str(),
                  p.to_string().c_str());
      ImGui::PopTextWrapPos();
      ImGui::PopStyleColor();
    }
    ImGui::Separator();
  }

  draw_review_section(s);

  // Findings.
  const auto& findings = current_findings(s);
  char title[96];
  std::snprintf(title, sizeof title, "Findings (%zu)###findings", findings.size());
  if (ImGui::CollapsingHeader(title, ImGuiTreeNodeFlags_DefaultOpen)) {
    if (findings.empty())
      ImGui::TextDisabled(s.session->rank() ? "none" : "ranking...");
    else if (ImGui::BeginTable("##findings", 4, kTableFlags)) {
      ImGui::TableSetupColumn("#");
      ImGui::TableSetupColumn("kind");
      ImGui::TableSetupColumn("score");
      ImGui::TableSetupColumn("reason", ImGuiTableColumnFlags_WidthStretch);
      ImGui::TableHeadersRow();
      for (std::size_t i = 0; i < findings.size(); ++i) {
        const Finding& fd = findings[i];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        char label[80];
        std::snprintf(label, sizeof label, "%zu##finding%zu", i, i);
        if (ImGui::Selectable(label, s.selection.finding == static_cast<int>(i),
                              ImGuiSelectableFlags_SpanAllColumns))
          select_finding(s, static_cast<int>(i));
        ImGui::TableNextColumn();
        finding_tag(fd.kind);
        draw_finding_verdict(s, fd);
        ImGui::TableNextColumn();
        ImGui::Text("%.2f", fd.score);
        ImGui::TableNextColumn();
        ImGui::PushTextWrapPos(0.0f);
        std::string who;
        if (fd.label >= 0) who += "label " + std::to_string(fd.label);
        if (fd.prediction >= 0)
          who +=
              (who.empty() ? "" : ", ") + fd.prediction_set + " " + std::to_string(fd.prediction);
        ImGui::Text("%s%s%s", who.c_str(), who.empty() ? "" : ": ", fd.reason.c_str());
        ImGui::PopTextWrapPos();
      }
      ImGui::EndTable();
    }
  }

  draw_compare_section(s);  // compare mode: per label OLD's and NEW's match (panel_compare.cpp)

  // Labels.
  std::snprintf(title, sizeof title, "Labels (%zu)%s###labels", ann.labels.size(),
                ann.has_labels ? "" : " - no label file");
  if (ImGui::CollapsingHeader(title, ImGuiTreeNodeFlags_DefaultOpen) && !ann.labels.empty() &&
      ImGui::BeginTable("##labels", 6, kTableFlags)) {
    ImGui::TableSetupColumn("#");
    ImGui::TableSetupColumn("class");
    ImGui::TableSetupColumn("dist m");
    ImGui::TableSetupColumn("points");
    ImGui::TableSetupColumn("difficulty");
    ImGui::TableSetupColumn("trunc/occl", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    for (std::size_t i = 0; i < ann.labels.size(); ++i) {
      const Object& o = ann.labels[i];
      const bool visible = d.show_labels && d.class_visible(o.cls);
      ImGui::TableNextRow();
      if (!visible) ImGui::PushStyleVar(ImGuiStyleVar_Alpha, 0.5f);
      ImGui::TableNextColumn();
      char label[80];
      std::snprintf(label, sizeof label, "%zu##label%zu", i, i);
      if (ImGui::Selectable(label, s.selection.label == static_cast<int>(i),
                            ImGuiSelectableFlags_SpanAllColumns))
        select_label(s, static_cast<int>(i));
      ImGui::TableNextColumn();
      colour_swatch(label_color(o.cls));
      ImGui::TextUnformatted(o.type.c_str());
      ImGui::TableNextColumn();
      if (o.has_3d())
        ImGui::Text("%.1f", o.distance());
      else
        ImGui::TextDisabled("-");
      ImGui::TableNextColumn();
      if (o.has_3d() && i < f->label_points.size() && f->has_cloud())
        ImGui::Text("%zu", f->label_points[i].size());
      else
        ImGui::TextDisabled("-");
      ImGui::TableNextColumn();
      const auto difficulty = o.is_dontcare() ? std::nullopt : kitti_difficulty(o);
      ImGui::TextUnformatted(difficulty ? difficulty_key(*difficulty) : "-");
      ImGui::TableNextColumn();
      ImGui::Text("%.2f / %d", o.truncated, o.occluded);
      if (!visible) ImGui::PopStyleVar();
    }
    ImGui::EndTable();
  }

  // What the lidar says about each label (needle/lidar.h), and the unlabelled clusters.
  draw_lidar_section(s, *f);

  // Predictions, one section per set.
  for (std::size_t set = 0; set < ann.preds.size() && set < s.session->set_names.size(); ++set) {
    const PredictionFrame& pf = ann.preds[set];
    const std::string& name = s.session->set_names[set];
    std::snprintf(title, sizeof title, "%s (%zu) %s###pred%zu", name.c_str(), pf.objects.size(),
                  status_name(pf.status), set);
    if (!ImGui::CollapsingHeader(title, ImGuiTreeNodeFlags_DefaultOpen) || pf.objects.empty())
      continue;
    char tid[32];
    std::snprintf(tid, sizeof tid, "##predtable%zu", set);
    if (!ImGui::BeginTable(tid, 5, kTableFlags)) continue;
    ImGui::TableSetupColumn("#");
    ImGui::TableSetupColumn("class");
    ImGui::TableSetupColumn("score");
    ImGui::TableSetupColumn("dist m");
    ImGui::TableSetupColumn("points", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    for (std::size_t i = 0; i < pf.objects.size(); ++i) {
      const Object& o = pf.objects[i];
      const bool visible = d.prediction_visible(set, o);
      ImGui::TableNextRow();
      if (!visible) ImGui::PushStyleVar(ImGuiStyleVar_Alpha, 0.5f);
      ImGui::TableNextColumn();
      char label[80];
      std::snprintf(label, sizeof label, "%zu##p%zu_%zu", i, set, i);
      const bool sel =
          s.selection.pred_set == static_cast<int>(set) && s.selection.pred == static_cast<int>(i);
      if (ImGui::Selectable(label, sel, ImGuiSelectableFlags_SpanAllColumns))
        select_prediction(s, static_cast<int>(set), static_cast<int>(i));
      ImGui::TableNextColumn();
      colour_swatch(prediction_color(o.cls));
      ImGui::TextUnformatted(o.type.c_str());
      ImGui::TableNextColumn();
      if (o.score)
        ImGui::Text("%.3g", *o.score);
      else
        ImGui::TextDisabled("-");
      ImGui::TableNextColumn();
      if (o.has_3d())
        ImGui::Text("%.1f", o.distance());
      else
        ImGui::TextDisabled("-");
      ImGui::TableNextColumn();
      const auto& pp = f->pred_points;
      if (o.has_3d() && f->has_cloud() && set < pp.size() && i < pp[set].size())
        ImGui::Text("%zu", pp[set][i].size());
      else
        ImGui::TextDisabled("-");
      if (!visible) ImGui::PopStyleVar();
    }
    ImGui::EndTable();
  }
  end_panel();
}

}  // namespace needle::view
