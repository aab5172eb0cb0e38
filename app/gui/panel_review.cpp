// The review's parts of the other panels: the frame list's review filters and marks (tags,
// verdicts, reviewed), the inspector's review section and finding verdicts, and the tag and
// new-issue popups. State and actions: gui/model/review_actions.h.
// Index: [chips] [frame list] [inspector] [popups]
#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include "gui/model/actions.h"
#include "gui/model/review_actions.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

namespace {

// [SECTION] chips

constexpr ImU32 kTagColor = IM_COL32(70, 90, 140, 255);
constexpr ImU32 kReviewedColor = IM_COL32(60, 140, 90, 255);

ImU32 verdict_color(VerdictKind v) {
  switch (v) {
    case VerdictKind::LabelError:
      return IM_COL32(200, 60, 60, 255);
    case VerdictKind::ModelError:
      return IM_COL32(190, 110, 30, 255);
    case VerdictKind::Ambiguous:
      return IM_COL32(120, 100, 160, 255);
    case VerdictKind::NotAnError:
      return IM_COL32(90, 95, 100, 255);
  }
  return IM_COL32(90, 95, 100, 255);
}

// A small filled chip with text, advancing the cursor like a widget.
void chip(const char* text, ImU32 colour, const char* tooltip = nullptr) {
  const ImVec2 ts = ImGui::CalcTextSize(text);
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const ImVec2 size(ts.x + 6.0f, ImGui::GetTextLineHeight());
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), colour, 3.0f);
  dl->AddText(ImVec2(p.x + 3.0f, p.y), IM_COL32(255, 255, 255, 255), text);
  ImGui::Dummy(size);
  if (tooltip && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tooltip);
}

bool combo_value(const char* label, std::string& value, const std::vector<std::string>& options) {
  bool changed = false;
  if (ImGui::BeginCombo(label, value.empty() ? "any" : value.c_str())) {
    if (ImGui::Selectable("any", value.empty())) {
      value.clear();
      changed = true;
    }
    for (const std::string& o : options)
      if (ImGui::Selectable(o.c_str(), value == o)) {
        value = o;
        changed = true;
      }
    ImGui::EndCombo();
  }
  return changed;
}

}  // namespace

// [SECTION] frame list

void draw_review_filters(AppState& s) {
  ReviewSession* r = review_of(s);
  if (!r) return;
  ReviewFilter& f = r->filter;
  const ReviewSnapshot& snap = r->snapshot();
  std::vector<std::string> issues;
  for (const IssueDetail& d : snap.issues) issues.push_back(d.info.name);
  static const std::vector<std::string> kVerdicts = {"label_error", "model_error", "ambiguous",
                                                     "not_an_error"};
  bool changed = combo_value("tag", f.tag, snap.tags_in_use);
  changed |= combo_value("issue", f.issue, issues);
  changed |= combo_value("verdict", f.verdict, kVerdicts);
  changed |= ImGui::Checkbox("suppressed", &f.suppressed);
  ImGui::SameLine();
  changed |= ImGui::Checkbox("unreviewed", &f.unreviewed);
  if (changed) s.scroll_list_to_current = true;
}

void draw_review_marks(const AppState& s, std::size_t frame, bool same_line) {
  const ReviewSession* r = review_of(s);
  if (!r) return;
  const ReviewSnapshot& snap = r->snapshot();
  const std::string& id = s.session->index->frames[frame].id;
  auto place = [&] {
    if (same_line) ImGui::SameLine(0.0f, 3.0f);
    same_line = true;
  };
  if (auto it = snap.reviewed.find(id); it != snap.reviewed.end()) {
    place();
    const std::string tip = "reviewed by " + it->second.user + " at " + it->second.time;
    chip("R", kReviewedColor, tip.c_str());
  }
  if (auto it = snap.verdicts_by_frame.find(id); it != snap.verdicts_by_frame.end()) {
    std::set<VerdictKind> seen;
    for (const VerdictRecord& v : it->second) {
      if (!seen.insert(v.verdict).second) continue;
      place();
      chip(verdict_tag(v.verdict), verdict_color(v.verdict), verdict_name(v.verdict));
    }
  }
  if (auto it = snap.tags_by_frame.find(id); it != snap.tags_by_frame.end()) {
    std::set<std::string> seen;
    for (const TagRecord& t : it->second) {
      if (!seen.insert(t.tag).second) continue;
      place();
      const std::string tip = t.object.ref.to_string();
      chip(t.tag.c_str(), kTagColor, tip.c_str());
    }
  }
}

// [SECTION] inspector

void draw_finding_verdict(const AppState& s, const Finding& f) {
  if (!s.session) return;
  const auto v = finding_verdict(s, s.session->index->frames[s.frame].id, f);
  if (!v) return;
  ImGui::SameLine(0.0f, 3.0f);
  chip(verdict_tag(*v), verdict_color(*v), verdict_name(*v));
}

void draw_review_section(AppState& s) {
  ReviewSession* r = review_of(s);
  if (!r) return;
  const ReviewSnapshot& snap = r->snapshot();
  const std::string& id = s.session->index->frames[s.frame].id;
  if (!ImGui::CollapsingHeader("Review###review", ImGuiTreeNodeFlags_DefaultOpen)) return;
  if (!r->error().empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 110, 100, 255));
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(r->error().c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
  }
  if (auto it = snap.reviewed.find(id); it != snap.reviewed.end())
    ImGui::Text("reviewed by %s at %s", it->second.user.c_str(), it->second.time.c_str());
  else
    ImGui::TextDisabled("not reviewed (V marks it)");
  // Tags: the frame's, then each object's; the selected target's first word in bold colour.
  const ObjectRef target = review_target(s);
  if (auto it = snap.tags_by_frame.find(id); it != snap.tags_by_frame.end()) {
    std::string last;
    for (const TagRecord& t : it->second) {
      const std::string who = t.object.orphaned ? t.object.ref.to_string() + " (orphaned)"
                              : t.object.ref.is_frame()
                                  ? std::string("frame")
                                  : t.object.ref.to_string().substr(id.size() + 1);
      if (who != last) {
        const bool is_target = !t.object.orphaned && t.object.ref == target;
        if (is_target) ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 230, 120, 255));
        ImGui::Text("tags of %s:", who.c_str());
        if (is_target) ImGui::PopStyleColor();
        last = who;
      }
      ImGui::SameLine(0.0f, 4.0f);
      const std::string tip = "by " + t.user + " at " + t.time;
      chip(t.tag.c_str(), kTagColor, tip.c_str());
    }
  } else {
    ImGui::TextDisabled("no tags (T tags the selection or the frame)");
  }
  if (auto it = snap.verdicts_by_frame.find(id); it != snap.verdicts_by_frame.end()) {
    for (const VerdictRecord& v : it->second) {
      const std::string who = v.object.ref.is_frame()
                                  ? std::string("frame")
                                  : v.object.ref.to_string().substr(id.size() + 1);
      chip(verdict_tag(v.verdict), verdict_color(v.verdict), verdict_name(v.verdict));
      ImGui::SameLine(0.0f, 4.0f);
      ImGui::Text("%s %s: %s (%s)", who.c_str(), v.kind.c_str(), verdict_name(v.verdict),
                  v.user.c_str());
    }
  }
  // Issues holding the frame or one of its objects.
  std::string in_issues;
  for (const IssueDetail& d : snap.issues)
    for (const ElementRecord& e : d.elements)
      if (e.object.ref.frame == id) {
        in_issues += (in_issues.empty() ? "" : ", ") + d.info.name + " (" +
                     (e.object.ref.is_frame() ? std::string("frame")
                                              : e.object.ref.to_string().substr(id.size() + 1)) +
                     ": " + element_state_name(e.state) + ")";
      }
  if (!in_issues.empty()) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::Text("in issues: %s", in_issues.c_str());
    ImGui::PopTextWrapPos();
  }
}

// [SECTION] popups

void draw_review_popups(AppState& s) {
  ReviewSession* r = review_of(s);
  if (!r) return;
  static char tag_buf[128] = "";
  static char issue_buf[128] = "";
  static std::string message;
  if (r->show_tag_popup) {
    ImGui::OpenPopup("Tag");
    r->show_tag_popup = false;
    tag_buf[0] = '\0';
    message.clear();
  }
  if (r->show_issue_popup) {
    ImGui::OpenPopup("New issue");
    r->show_issue_popup = false;
    issue_buf[0] = '\0';
    message.clear();
  }
  const ImVec2 c = ImGui::GetMainViewport()->GetCenter();
  ImGui::SetNextWindowPos(c, ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  if (ImGui::BeginPopupModal("Tag", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
    const ObjectRef target = review_target(s);
    ImGui::Text("tag %s", target.to_string().c_str());
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    // Tab completes to the first tag in use that starts with what is typed.
    const std::string typed = tag_buf;
    std::vector<std::string> matches;
    for (const std::string& t : r->snapshot().tags_in_use)
      if (t.rfind(typed, 0) == 0) matches.push_back(t);
    struct Ctx {
      const std::vector<std::string>* matches;
    } ctx{&matches};
    const bool enter = ImGui::InputText(
        "tag", tag_buf, sizeof tag_buf,
        ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CallbackCompletion,
        [](ImGuiInputTextCallbackData* d) {
          const auto* m = static_cast<Ctx*>(d->UserData)->matches;
          if (d->EventFlag == ImGuiInputTextFlags_CallbackCompletion && !m->empty()) {
            d->DeleteChars(0, d->BufTextLen);
            d->InsertChars(0, m->front().c_str());
          }
          return 0;
        },
        &ctx);
    if (!matches.empty() && !typed.empty()) ImGui::TextDisabled("Tab: %s", matches.front().c_str());
    // The tags in use, one click each.
    int shown = 0;
    for (const std::string& t : matches) {
      if (shown > 0 && shown % 6 != 0) ImGui::SameLine();
      if (ImGui::SmallButton(t.c_str())) {
        std::strncpy(tag_buf, t.c_str(), sizeof tag_buf - 1);
        tag_buf[sizeof tag_buf - 1] = '\0';
      }
      ++shown;
    }
    if (!message.empty()) ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "%s", message.c_str());
    if (enter || ImGui::Button("Add tag")) {
      message = review_tag(s, tag_buf);
      if (message.empty()) ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Remove tag")) {
      message = review_untag(s, tag_buf);
      if (message.empty()) ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape)))
      ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
  ImGui::SetNextWindowPos(c, ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  if (ImGui::BeginPopupModal("New issue", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    const bool enter =
        ImGui::InputText("name", issue_buf, sizeof issue_buf, ImGuiInputTextFlags_EnterReturnsTrue);
    if (!message.empty()) ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "%s", message.c_str());
    if (enter || ImGui::Button("Create")) {
      message = review_new_issue(s, issue_buf);
      if (message.empty()) ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape)))
      ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
}

}  // namespace needle::view
