// Status bar: frame i of N, rank, load time of this frame, FPS, background work, last message.
#include <cstdio>
#include <string>

#include "gui/model/actions.h"
#include "gui/model/ranking_swap.h"
#include "gui/model/review_actions.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

void draw_status_bar(UiContext& ui, const Rect& r) {
  AppState& s = ui.state;
  ui.layout.panels.status = r;
  begin_panel("##status", r, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(r.x, r.y), ImVec2(r.x + r.w, r.y + r.h),
                                            IM_COL32(30, 33, 40, 255));
  ImGui::SetCursorScreenPos(ImVec2(r.x + 8.0f, r.y + (r.h - ImGui::GetTextLineHeight()) * 0.5f));
  std::string text;
  char buf[256];
  if (s.session) {
    const auto& frames = s.session->index->frames;
    std::snprintf(buf, sizeof buf, "Frame %zu of %zu (%s)", s.frame + 1, frames.size(),
                  frames[s.frame].id.c_str());
    text += buf;
    if (const RankingData* rank = s.session->rank()) {
      const int rk = rank_of_frame(s, s.frame);
      if (rk > 0)
        std::snprintf(buf, sizeof buf, "   rank %d of %zu", rk, rank->rank.frames.size());
      else
        std::snprintf(buf, sizeof buf, "   not ranked (%zu ranked)", rank->rank.frames.size());
    } else {
      const RankingProgress p = s.session->ranking->progress();
      std::snprintf(buf, sizeof buf, "   ranking: %s %zu/%zu...", p.phase.c_str(), p.done, p.total);
    }
    text += buf;
    if (const RankingData* rank = s.session->rank(); rank && rank->interim)
      text += "   " + ranking_state_text(rank, s.session->ranking->progress());
    if (const std::string review = review_status_text(s); !review.empty()) text += "   " + review;
    if (s.current) {
      std::snprintf(buf, sizeof buf, "   loaded in %.1f ms", s.current->load_ms);
      text += buf;
      std::string bad;
      for (const Problem& p : s.current->data.ann.problems)
        if (p.fatal && bad.find(p.modality) == std::string::npos)
          bad += (bad.empty() ? "" : ", ") + p.modality;
      if (!bad.empty()) text += "   INVALID: " + bad;
    } else {
      text += "   loading...";
    }
  } else {
    text += "No dataset";
  }
  std::snprintf(buf, sizeof buf, "   %.1f fps", s.fps);
  text += buf;
  ImGui::TextUnformatted(text.c_str());
  if (!s.status_message.empty()) {
    ImGui::SameLine(0.0f, 24.0f);
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(240, 200, 90, 255));
    ImGui::TextUnformatted(s.status_message.c_str());
    ImGui::PopStyleColor();
  }
  ImGui::SameLine();
  const char* hint = "F1: help";
  ImGui::SetCursorPosX(r.w - ImGui::CalcTextSize(hint).x - 10.0f);
  ImGui::TextDisabled("%s", hint);
  end_panel();
}

}  // namespace needle::view
