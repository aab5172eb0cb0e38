// Compare mode's drawing (the logic is GL-free in gui/model/compare_view.h):
//   [window]     the Compare window: OLD/NEW pickers (re-rank), AP per class and difficulty of
//                both sets with the delta, regressions and fixes per class; a row click filters
//                the frame list (click_compare_row)
//   [legend]     the two sets' box styles, drawn over the camera and 3D views
//   [inspector]  per label: OLD's and NEW's match, IoU, score and the change
#include <algorithm>
#include <cstdio>
#include <string>

#include "gui/model/actions.h"
#include "gui/model/compare_view.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

namespace {

constexpr ImU32 kWorseText = IM_COL32(255, 110, 100, 255);   // a regression, a lower AP
constexpr ImU32 kBetterText = IM_COL32(110, 230, 120, 255);  // a fix, a higher AP
// AP changes smaller than this (percentage points) are shown uncoloured: the devkit prints two
// decimals, and a hundredth of a point is no change anyone acts on.
constexpr double kApNoChange = 0.005;

void text_ap(const std::optional<double>& ap) {
  if (ap)
    ImGui::Text("%.2f", *ap);
  else
    ImGui::TextDisabled("-");
}

void text_delta(const std::optional<double>& d) {
  if (!d) {
    ImGui::TextDisabled("-");
    return;
  }
  const bool changed = *d > kApNoChange || *d < -kApNoChange;
  if (changed) ImGui::PushStyleColor(ImGuiCol_Text, *d < 0 ? kWorseText : kBetterText);
  ImGui::Text("%+.2f", *d);
  if (changed) ImGui::PopStyleColor();
}

bool set_combo(const char* label, int& pick, const std::vector<std::string>& sets) {
  bool changed = false;
  const char* cur = pick >= 0 && static_cast<std::size_t>(pick) < sets.size()
                        ? sets[static_cast<std::size_t>(pick)].c_str()
                        : "-";
  if (ImGui::BeginCombo(label, cur)) {
    for (std::size_t i = 0; i < sets.size(); ++i)
      if (ImGui::Selectable(sets[i].c_str(), pick == static_cast<int>(i))) {
        pick = static_cast<int>(i);
        changed = true;
      }
    ImGui::EndCombo();
  }
  return changed;
}

// OLD and NEW pickers; "Compare" re-ranks with them, "Off" ends compare mode.
void draw_set_pickers(AppState& s) {
  const auto& sets = s.session->set_names;
  CompareViewState& cv = s.compare;
  const CompareSets now = compare_sets(s);
  if (cv.picks_for != s.rank_options.compare) {  // sets changed elsewhere (menu, script)
    cv.picks_for = s.rank_options.compare;
    cv.pick_old = cv.pick_new = -1;
  }
  if (cv.pick_old < 0) cv.pick_old = now.active() ? now.old_set : 0;
  if (cv.pick_new < 0) cv.pick_new = now.active() ? now.new_set : (sets.size() > 1 ? 1 : 0);
  if (sets.size() < 2) {
    ImGui::TextDisabled("Compare needs two prediction sets (DATASET/pred/<name>/).");
    return;
  }
  ImGui::PushItemWidth(140.0f);
  set_combo("OLD", cv.pick_old, sets);
  ImGui::SameLine();
  set_combo("NEW", cv.pick_new, sets);
  ImGui::PopItemWidth();
  ImGui::SameLine();
  const bool same = cv.pick_old == cv.pick_new;
  const bool unchanged = now.active() && now.old_set == cv.pick_old && now.new_set == cv.pick_new;
  ImGui::BeginDisabled(same || unchanged);
  if (ImGui::Button("Compare")) {
    PipelineOptions o = s.rank_options;
    o.compare = sets[static_cast<std::size_t>(cv.pick_old)] + "," +
                sets[static_cast<std::size_t>(cv.pick_new)];
    if (check_pipeline_options(o).empty()) {
      set_rank_options(s, o);
      clear_compare_filter(s);
    }
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(!now.active());
  if (ImGui::Button("Off")) {
    PipelineOptions o = s.rank_options;
    o.compare.clear();
    set_rank_options(s, o);
    clear_compare_filter(s);
  }
  ImGui::EndDisabled();
}

void draw_summary_table(AppState& s, const CompareSummary& c) {
  CompareViewState& cv = s.compare;
  ImGui::Text("%s -> %s: %zu labelled frames both predicted; %ld regressions, %ld fixes",
              c.old_name.c_str(), c.new_name.c_str(), c.frames_compared, c.regressions_total,
              c.fixes_total);
  int metric = static_cast<int>(cv.metric);
  ImGui::TextUnformatted("AP (R40)");
  ImGui::SameLine();
  ImGui::RadioButton("2D", &metric, static_cast<int>(EvalMetric::Image2D));
  ImGui::SameLine();
  ImGui::RadioButton("BEV", &metric, static_cast<int>(EvalMetric::Bev));
  ImGui::SameLine();
  ImGui::RadioButton("3D", &metric, static_cast<int>(EvalMetric::Box3D));
  cv.metric = static_cast<EvalMetric>(metric);
  ImGui::SameLine(0.0f, 20.0f);
  ImGui::TextUnformatted("a row lists");
  ImGui::SameLine();
  int list = static_cast<int>(cv.list);
  const bool list_changed =
      ImGui::RadioButton("regressions", &list, static_cast<int>(CompareList::Regressions));
  ImGui::SameLine();
  const bool fix_changed = ImGui::RadioButton("fixes", &list, static_cast<int>(CompareList::Fixes));
  cv.list = static_cast<CompareList>(list);
  if ((list_changed || fix_changed) && cv.filter.active) click_compare_row(s, cv.selected_row);

  if (cv.filter.active) {
    ImGui::Text("List: %s", compare_filter_text(cv.filter).c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("Clear")) clear_compare_filter(s);
  } else {
    ImGui::TextDisabled("Click a row to list its frames (N/P walk them).");
  }

  const std::vector<CompareRow> rows = compare_rows(c, cv.metric);
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
  if (!ImGui::BeginTable("##compare_rows", 7, flags, ImGui::GetContentRegionAvail())) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("class");
  ImGui::TableSetupColumn("difficulty");
  ImGui::TableSetupColumn("AP OLD");
  ImGui::TableSetupColumn("AP NEW");
  ImGui::TableSetupColumn("delta");
  ImGui::TableSetupColumn("regressions");
  ImGui::TableSetupColumn("fixes");
  ImGui::TableHeadersRow();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const CompareRow& r = rows[i];
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    char label[96];
    std::snprintf(label, sizeof label, "%s%s##crow%zu", r.difficulty < 0 ? "" : "  ", r.cls.c_str(),
                  i);
    const bool selected = cv.filter.active && cv.selected_row == static_cast<int>(i);
    if (ImGui::Selectable(label, selected, ImGuiSelectableFlags_SpanAllColumns))
      click_compare_row(s, static_cast<int>(i));
    ImGui::TableNextColumn();
    if (r.difficulty < 0)
      ImGui::TextDisabled("all (AP: moderate)");
    else
      ImGui::TextUnformatted(difficulty_key(static_cast<Difficulty>(r.difficulty)));
    ImGui::TableNextColumn();
    text_ap(r.ap_old);
    ImGui::TableNextColumn();
    text_ap(r.ap_new);
    ImGui::TableNextColumn();
    text_delta(r.delta());
    ImGui::TableNextColumn();
    if (r.regressions > 0) ImGui::PushStyleColor(ImGuiCol_Text, kWorseText);
    ImGui::Text("%ld", r.regressions);
    if (r.regressions > 0) ImGui::PopStyleColor();
    ImGui::TableNextColumn();
    if (r.fixes > 0) ImGui::PushStyleColor(ImGuiCol_Text, kBetterText);
    ImGui::Text("%ld", r.fixes);
    if (r.fixes > 0) ImGui::PopStyleColor();
  }
  ImGui::EndTable();
}

// A short sample of a box edge in a style, then its text.
void legend_line(ImDrawList* dl, ImVec2 p, float len, Rgb color, bool dashed, float width) {
  const ImU32 col = to_imu32(color);
  if (!dashed) {
    dl->AddLine(p, ImVec2(p.x + len, p.y), col, width);
    return;
  }
  // The camera view's dash pattern (panel_camera.cpp: 7 px on, 5 px off).
  for (float t = 0.0f; t < len; t += 12.0f)
    dl->AddLine(ImVec2(p.x + t, p.y), ImVec2(p.x + std::min(t + 7.0f, len), p.y), col, width);
}

}  // namespace

// [SECTION] window

void draw_compare_window(UiContext& ui) {
  AppState& s = ui.state;
  if (!s.compare.show_panel || !s.session) return;
  // First shown over the settings panel, widened to the left over the 3D view: the frame list,
  // the camera and the inspector stay visible.
  const Rect& st = ui.layout.panels.settings;
  constexpr float kMinW = 640.0f, kMinH = 360.0f;
  const float w = std::max(st.w, kMinW), h = std::max(st.h, kMinH);
  ImGui::SetNextWindowPos(ImVec2(st.x + st.w - w, st.y + st.h - h), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(w, h), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowBgAlpha(1.0f);  // the settings panel under it would show through
  if (!ImGui::Begin("Compare (M)", &s.compare.show_panel, ImGuiWindowFlags_NoCollapse)) {
    ImGui::End();
    return;
  }
  draw_set_pickers(s);
  ImGui::Separator();
  const CompareSets sets = compare_sets(s);
  const CompareSummary* c = compare_summary(s);
  if (!sets.active())
    ImGui::TextDisabled("Compare mode is off: pick OLD and NEW, then Compare.");
  else if (!c)
    ImGui::TextDisabled("ranking...");
  else
    draw_summary_table(s, *c);
  ImGui::End();
}

// [SECTION] legend

void draw_compare_legend(ImDrawList* dl, float right_x, float top_y, const AppState& s) {
  const std::vector<LegendEntry> entries = compare_legend(s);
  if (entries.empty()) return;
  constexpr float kSample = 34.0f, kPad = 6.0f, kGap = 6.0f;
  const float line_h = ImGui::GetTextLineHeight() + 2.0f;
  float text_w = ImGui::CalcTextSize("labels (class colours)").x;
  for (const LegendEntry& e : entries)
    text_w = std::max(text_w, ImGui::CalcTextSize(e.text.c_str()).x);
  const float w = kPad + kSample + kGap + text_w + kPad;
  const float h = kPad * 2.0f + line_h * static_cast<float>(entries.size() + 1);
  const ImVec2 a(right_x - w, top_y), b(right_x, top_y + h);
  dl->AddRectFilled(a, b, IM_COL32(0, 0, 0, 190), 3.0f);
  const float base_w = s.display.camera_line_width;
  float y = a.y + kPad;
  for (const LegendEntry& e : entries) {
    legend_line(dl, ImVec2(a.x + kPad, y + line_h * 0.5f), kSample, e.style.color, e.style.dashed,
                std::max(1.0f, base_w * e.style.width_scale));
    dl->AddText(ImVec2(a.x + kPad + kSample + kGap, y), to_imu32(e.style.color), e.text.c_str());
    y += line_h;
  }
  legend_line(dl, ImVec2(a.x + kPad, y + line_h * 0.5f), kSample, label_color(ObjectClass::Car),
              false, base_w);
  dl->AddText(ImVec2(a.x + kPad + kSample + kGap, y), IM_COL32(220, 220, 220, 255),
              "labels (class colours)");
}

// [SECTION] inspector

void draw_compare_section(AppState& s) {
  const CompareSets sets = compare_sets(s);
  if (!sets.active()) return;
  const std::vector<LabelCompare> rows = current_label_compare(s);
  int regressed = 0, fixed = 0;
  for (const LabelCompare& r : rows) {
    regressed += r.outcome == LabelOutcome::Regressed;
    fixed += r.outcome == LabelOutcome::Fixed;
  }
  const std::string& on = s.session->set_names[static_cast<std::size_t>(sets.old_set)];
  const std::string& nn = s.session->set_names[static_cast<std::size_t>(sets.new_set)];
  char title[192];
  std::snprintf(title, sizeof title, "Compare %s -> %s (%zu labels, %d regressed, %d fixed)###cmp",
                on.c_str(), nn.c_str(), rows.size(), regressed, fixed);
  if (!ImGui::CollapsingHeader(title, ImGuiTreeNodeFlags_DefaultOpen)) return;
  if (rows.empty()) {
    ImGui::TextDisabled("no labels, or a set did not predict this frame");
    return;
  }
  const ImGuiTableFlags flags =
      ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("##compare_labels", 6, flags)) return;
  ImGui::TableSetupColumn("#");
  ImGui::TableSetupColumn("class");
  ImGui::TableSetupColumn("OLD: # class IoU score (conf)");
  ImGui::TableSetupColumn("NEW: # class IoU score (conf)");
  ImGui::TableSetupColumn("d conf");
  ImGui::TableSetupColumn("outcome");
  ImGui::TableHeadersRow();
  auto side = [](const LabelSide& sd) {
    if (sd.pred < 0) {
      ImGui::TextDisabled("nothing");
      return;
    }
    const char* how = sd.compatible ? "" : sd.paired ? " (other class)" : " (nearby)";
    char buf[96];
    char score[48] = "-";
    if (sd.score && sd.conf)
      std::snprintf(score, sizeof score, *sd.score < 10.0 ? "%.2f (%.2f)" : "%.1f (%.2f)",
                    *sd.score, *sd.conf);
    else if (sd.score)
      std::snprintf(score, sizeof score, *sd.score < 10.0 ? "%.2f" : "%.1f", *sd.score);
    std::snprintf(buf, sizeof buf, "#%d %s%s %.2f %s", sd.pred, sd.cls.c_str(), how, sd.iou, score);
    ImGui::TextUnformatted(buf);
  };
  for (const LabelCompare& r : rows) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    char label[32];
    std::snprintf(label, sizeof label, "%zu##cmp%zu", r.label, r.label);
    if (ImGui::Selectable(label, s.selection.label == static_cast<int>(r.label),
                          ImGuiSelectableFlags_SpanAllColumns))
      select_label(s, static_cast<int>(r.label));
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(r.cls.c_str());
    ImGui::TableNextColumn();
    side(r.old_side);
    ImGui::TableNextColumn();
    side(r.new_side);
    ImGui::TableNextColumn();
    if (const auto d = r.conf_change())
      ImGui::Text("%+.2f", *d);
    else
      ImGui::TextDisabled("-");
    ImGui::TableNextColumn();
    const bool worse = r.outcome == LabelOutcome::Regressed,
               better = r.outcome == LabelOutcome::Fixed;
    if (worse || better) ImGui::PushStyleColor(ImGuiCol_Text, worse ? kWorseText : kBetterText);
    ImGui::TextUnformatted(label_outcome_name(r.outcome));
    if (worse || better) ImGui::PopStyleColor();
  }
  ImGui::EndTable();
}

}  // namespace needle::view
