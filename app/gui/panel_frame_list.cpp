// Frame list: the engine's rank order (rank, id, score, finding tags) or plain id order,
// filterable by finding kind, class and prediction set. Click opens a frame; the list keeps the
// current frame in view.
#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

#include "gui/model/actions.h"
#include "gui/model/review_actions.h"
#include "gui/model/compare_view.h"
#include "gui/model/ranking_swap.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

namespace {

bool finding_passes(const Finding& f, const ListFilter& flt, const std::vector<std::string>& sets) {
  if (!flt.kind.empty() && f.kind != flt.kind) return false;
  if (!flt.cls.empty() && f.cls != flt.cls && f.predicted_class != flt.cls) return false;
  if (flt.pred_set >= 0 && (static_cast<std::size_t>(flt.pred_set) >= sets.size() ||
                            f.prediction_set != sets[static_cast<std::size_t>(flt.pred_set)]))
    return false;
  return true;
}

const FrameRank* frame_rank(const RankingData* r, std::size_t frame) {
  if (!r || frame >= r->position_of_frame.size() || r->position_of_frame[frame] < 0) return nullptr;
  return &r->rank.frames[static_cast<std::size_t>(r->position_of_frame[frame])];
}

bool combo_string(const char* label, std::string& value, const std::vector<std::string>& options) {
  bool changed = false;
  if (ImGui::BeginCombo(label, value.empty() ? "any" : value.c_str())) {
    if (ImGui::Selectable("any", value.empty())) {
      value.clear();
      changed = true;
    }
    for (const auto& o : options)
      if (ImGui::Selectable(o.c_str(), value == o)) {
        value = o;
        changed = true;
      }
    ImGui::EndCombo();
  }
  return changed;
}

}  // namespace

void draw_frame_list(UiContext& ui, const Rect& r) {
  AppState& s = ui.state;
  ui.layout.panels.frame_list = r;
  begin_panel("##frame_list", r, ImGuiWindowFlags_NoScrollbar);
  if (!s.session) {
    panel_header("Frames");
    ImGui::TextDisabled("No dataset open");
    end_panel();
    return;
  }
  const RankingData* rank = s.session->rank();
  char detail[96];
  std::snprintf(detail, sizeof detail, "%zu frames%s", s.session->frame_count(),
                !rank           ? ", ranking..."
                : rank->interim ? ", interim ranking"
                                : "");
  panel_header("Frames", detail);

  if (!rank || rank->interim) {
    // The pipeline's phase (loading, lidar, ranking) and how far it is; over an interim ranking
    // (ranking_swap.h) that the list will refine.
    const RankingProgress p = s.session->ranking->progress();
    const float frac = p.total ? static_cast<float>(p.done) / static_cast<float>(p.total) : 0.0f;
    char overlay[96];
    std::snprintf(overlay, sizeof overlay, "ranking: %s %zu/%zu", p.phase.c_str(), p.done, p.total);
    const std::string interim = rank ? ranking_state_text(rank, p) : "";
    ImGui::ProgressBar(frac, ImVec2(-1, 0), rank ? interim.c_str() : overlay);
  } else if (!rank->error.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 100, 255));
    ImGui::TextWrapped("ranking failed: %s", rank->error.c_str());
    ImGui::PopStyleColor();
  }

  int order = s.order == ListOrder::Rank ? 0 : s.order == ListOrder::Id ? 1 : 2;
  ImGui::BeginDisabled(!rank);
  if (ImGui::RadioButton("Rank order", &order, 0)) s.scroll_list_to_current = true;
  ImGui::SameLine();
  if (ImGui::RadioButton("Id order", &order, 1)) s.scroll_list_to_current = true;
  if (!s.shift.reference.empty()) {  // --reference: novelty order once the report is there
    ImGui::SameLine();
    ImGui::BeginDisabled(!s.shift.report);
    if (ImGui::RadioButton(s.shift.report ? "Novelty" : "Novelty...", &order, 2))
      s.scroll_list_to_current = true;
    ImGui::EndDisabled();
  }
  s.order = order == 0 ? ListOrder::Rank : order == 1 ? ListOrder::Id : ListOrder::Novelty;
  ImGui::PushItemWidth(-60.0f);
  static const std::vector<std::string> kNone;
  if (combo_string("kind", s.filter.kind, rank ? rank->kinds : kNone))
    s.scroll_list_to_current = true;
  if (combo_string("class", s.filter.cls, rank ? rank->classes : kNone))
    s.scroll_list_to_current = true;
  {
    const auto& sets = s.session->set_names;
    const char* cur =
        s.filter.pred_set >= 0 && static_cast<std::size_t>(s.filter.pred_set) < sets.size()
            ? sets[static_cast<std::size_t>(s.filter.pred_set)].c_str()
            : "any";
    if (ImGui::BeginCombo("set", cur)) {
      if (ImGui::Selectable("any", s.filter.pred_set < 0)) s.filter.pred_set = -1;
      for (std::size_t i = 0; i < sets.size(); ++i)
        if (ImGui::Selectable(sets[i].c_str(), s.filter.pred_set == static_cast<int>(i)))
          s.filter.pred_set = static_cast<int>(i);
      ImGui::EndCombo();
    }
  }
  draw_review_filters(s);
  ImGui::PopItemWidth();
  ImGui::EndDisabled();
  if (s.compare.filter.active && compare_summary(s)) {
    ImGui::TextColored(ImVec4(1.0f, 0.8f, 0.3f, 1.0f), "%s",
                       compare_filter_text(s.compare.filter).c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("x##compare_filter")) clear_compare_filter(s);
  }
  if (s.patterns.filter_active) {  // a patterns panel slice or curve point (patterns_view.h)
    ImGui::TextColored(ImVec4(1.0f, 0.9f, 0.3f, 1.0f), "%s", s.patterns.filter_text.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("x##patterns_filter")) patterns_clear_filter(s);
  }

  draw_map_filter_chip(s);

  // Rows to show: frame indices.
  std::vector<std::size_t> rows;
  const bool by_novelty = s.order == ListOrder::Novelty && s.shift.report;
  const bool by_rank = rank && s.order == ListOrder::Rank;
  auto passes = [&](std::size_t frame) {
    if (!review_row_passes(s, frame)) return false;
    if (!compare_filter_passes(s, frame)) return false;  // a compare summary row (compare_view.h)
    if (!patterns_frame_passes(s, frame)) return false;  // a patterns slice (patterns_view.h)
    if (!map_filter_passes(s, frame)) return false;      // a map selection (map_view.h)
    if (!s.filter.active()) return true;
    const FrameRank* fr = frame_rank(rank, frame);
    if (!fr) return false;
    return std::any_of(fr->findings.begin(), fr->findings.end(), [&](const Finding& f) {
      return finding_passes(f, s.filter, s.session->set_names);
    });
  };
  if (by_novelty) {
    for (std::size_t f : s.shift.order)
      if (f < s.session->frame_count() && passes(f)) rows.push_back(f);
  } else if (by_rank && s.compare.filter.active && compare_summary(s)) {
    // A compare summary row: its frames in rank order, then those without findings (a fix).
    for (std::size_t f : compare_filtered_frames(s))
      if (passes(f)) rows.push_back(f);
  } else if (const std::vector<std::size_t> mf = map_filtered_frames(s); !mf.empty()) {
    // A map selection: its frames, rarest object first (map_view.h).
    for (std::size_t f : mf)
      if (passes(f)) rows.push_back(f);
  } else if (by_rank) {
    for (const FrameRank& fr : rank->rank.frames)
      if (passes(fr.frame_index)) rows.push_back(fr.frame_index);
    if (s.patterns.filter_active)  // a slice's frames without findings follow, in id order
      for (std::size_t f : s.patterns.filter_frames)
        if (!frame_rank(rank, f) && passes(f)) rows.push_back(f);
  } else {
    for (std::size_t i = 0; i < s.session->frame_count(); ++i)
      if (passes(i)) rows.push_back(i);
  }
  if (by_rank && rows.empty() && !s.filter.active()) ImGui::TextDisabled("No suspicious frames.");
  ui.layout.list_rows = rows.size();

  const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
  const float row_h = ImGui::GetTextLineHeight() + 2.0f * ImGui::GetStyle().CellPadding.y + 2.0f;
  if (ImGui::BeginTable("##frames", 4, flags, ImGui::GetContentRegionAvail())) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Rank");
    ImGui::TableSetupColumn("Id");
    ImGui::TableSetupColumn(by_novelty ? "Novelty" : "Score");
    ImGui::TableSetupColumn("Findings", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    if (s.scroll_list_to_current) {
      const auto it = std::find(rows.begin(), rows.end(), s.frame);
      if (it != rows.end()) {
        const float y = static_cast<float>(it - rows.begin()) * row_h;
        const float top = ImGui::GetScrollY(), h = ImGui::GetWindowHeight() - 2.0f * row_h;
        if (y < top || y > top + h) ImGui::SetScrollY(std::max(0.0f, y - h * 0.5f));
      }
      s.scroll_list_to_current = false;
    }
    // After a ranking swap: the frame that was in the first visible row goes back to the top.
    const bool anchoring = s.scroll_list_to_top_frame;
    if (anchoring) {
      const auto it =
          std::find(rows.begin(), rows.end(), static_cast<std::size_t>(s.list_top_frame));
      if (it != rows.end()) ImGui::SetScrollY(static_cast<float>(it - rows.begin()) * row_h);
      s.scroll_list_to_top_frame = false;
    }
    // The frame in the first visible row, -1 at the very top (a list at its top stays there)
    // (not in the frame that moves the scroll: that applies next frame).
    if (!anchoring) {
      const float y = ImGui::GetScrollY();
      const auto top = static_cast<std::size_t>(std::max(0.0f, y) / row_h + 0.5f);
      s.list_top_frame = y >= 0.5f * row_h && top < rows.size() ? static_cast<long>(rows[top]) : -1;
    }
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(rows.size()), row_h);
    while (clipper.Step()) {
      for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
        const std::size_t frame = rows[static_cast<std::size_t>(row)];
        const FrameRank* fr = frame_rank(rank, frame);
        ImGui::TableNextRow(0, row_h);
        ImGui::TableNextColumn();
        char label[64];
        if (fr)
          std::snprintf(label, sizeof label, "%d##f%zu", fr->rank, frame);
        else
          std::snprintf(label, sizeof label, "-##f%zu", frame);
        if (ImGui::Selectable(label, frame == s.frame, ImGuiSelectableFlags_SpanAllColumns))
          go_to_frame(s, frame);
        if (frame == s.frame) {
          // Fully inside the scrolling region, below the frozen header row (whose height is a
          // row's without the 2 px extra), for the layout report that tests read.
          const float win_y = ImGui::GetWindowPos().y;
          const float top = win_y + row_h - 2.0f, bottom = win_y + ImGui::GetWindowHeight();
          ui.layout.list_current_visible =
              ImGui::GetItemRectMin().y >= top - 0.5f && ImGui::GetItemRectMax().y <= bottom + 0.5f;
        }
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(s.session->index->frames[frame].id.c_str());
        ImGui::TableNextColumn();
        if (by_novelty && frame < s.shift.novelty.size())
          ImGui::Text("%.1f", s.shift.novelty[frame]);
        else if (fr)
          ImGui::Text("%.2f", fr->score);
        else
          ImGui::TextDisabled("-");
        ImGui::TableNextColumn();
        std::set<std::string> seen;
        if (fr) {
          for (const Finding& f : fr->findings) {
            if (finding_hidden(s, fr->frame, f) || !seen.insert(f.kind).second) continue;
            if (seen.size() > 1) ImGui::SameLine(0.0f, 3.0f);
            finding_tag(f.kind);
          }
        }
        draw_review_marks(s, frame, !seen.empty());
      }
    }
    ImGui::EndTable();
  }
  end_panel();
}

}  // namespace needle::view
