// The patterns panel's drawing (the logic is GL-free in gui/model/patterns_view.h):
//   [controls]  prediction set, attribute(s), class and measure
//   [bars]      one attribute: a bar per slice with its interval, the whole set as a line; a
//               click filters the frame list to the slice and highlights its objects
//   [heat map]  two attributes: a cell per pair of bins, coloured by the measure
//   [curve]     precision/recall of the whole set for the class: hovering a point shows its
//               score threshold, a click lists its false positives' frames (right click: misses)
//   [highlight] the clicked slice's objects outlined on the camera image
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "gui/model/actions.h"
#include "gui/model/patterns_view.h"
#include "gui/panels.h"
#include "imgui.h"

namespace needle::view {

namespace {

// Colours: a slice below the whole set (worse), at or above it, a small slice, the selection.
constexpr ImU32 kBarWorse = IM_COL32(230, 90, 70, 255);
constexpr ImU32 kBarBetter = IM_COL32(80, 150, 230, 255);
constexpr ImU32 kBarSmall = IM_COL32(130, 130, 130, 200);
constexpr ImU32 kInterval = IM_COL32(240, 240, 240, 255);
constexpr ImU32 kWholeLine = IM_COL32(255, 210, 80, 255);
constexpr ImU32 kSelected = IM_COL32(255, 240, 0, 255);
constexpr ImU32 kAxis = IM_COL32(160, 160, 160, 255);
constexpr ImU32 kCurve = IM_COL32(120, 220, 140, 255);
// Hover radius of a curve point, pixels.
constexpr float kPointHover = 7.0f;

bool combo_strings(const char* label, std::string& value, const std::vector<std::string>& items,
                   const char* none = nullptr) {
  bool changed = false;
  const char* cur = value.empty() && none ? none : value.c_str();
  if (ImGui::BeginCombo(label, cur)) {
    if (none && ImGui::Selectable(none, value.empty())) {
      value.clear();
      changed = true;
    }
    for (const std::string& it : items)
      if (ImGui::Selectable(it.c_str(), it == value)) {
        value = it;
        changed = true;
      }
    ImGui::EndCombo();
  }
  return changed;
}

bool is_percent(PatternMeasure m) { return m == PatternMeasure::Ap || m == PatternMeasure::Recall; }

void row_tooltip(const SliceRow& r, PatternMeasure m, int difficulty) {
  double lo = 0, hi = 0;
  const double v = pattern_value(r, m, difficulty, &lo, &hi);
  ImGui::BeginTooltip();
  ImGui::Text("%s = %s, %s", r.attribute.c_str(), r.slice.c_str(), eval_class_name(r.cls));
  ImGui::Text("%s %.2f  [%.2f, %.2f]", pattern_measure_name(m), v, lo, hi);
  ImGui::Text("AP %.2f (gap %+.2f), recall %.3f, FP/frame %.3f", pattern_value(r, PatternMeasure::Ap, difficulty),
              r.gap, r.recall, r.fp_per_frame);
  ImGui::Text("objects %zu, counted %d, frames %zu%s", r.objects, r.counted, r.frames,
              r.small ? " (small: not ranked)" : "");
  for (const auto& [k, n] : r.findings) ImGui::BulletText("%s: %ld", k.c_str(), n);
  ImGui::TextDisabled("click: show the slice's frames");
  ImGui::EndTooltip();
}

// [SECTION] bars

void draw_bars(AppState& s, const std::vector<const SliceRow*>& rows, ImVec2 size) {
  const PatternsView& v = s.patterns;
  const PatternMeasure m = v.measure;
  const SliceRow* whole = patterns_overall(s);
  double top = is_percent(m) ? 100.0 : 0.0;
  if (!is_percent(m)) {
    for (const SliceRow* r : rows)
      if (r) {
        double lo = 0, hi = 0;
        pattern_value(*r, m, s.patterns.difficulty, &lo, &hi);
        top = std::max(top, hi);
      }
    if (whole) top = std::max(top, pattern_value(*whole, m, s.patterns.difficulty));
    top = top > 0 ? top * 1.1 : 1.0;
  }
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##bars", size);
  const bool hovered = ImGui::IsItemHovered();
  const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float label_h = ImGui::GetTextLineHeight() + 4.0f;
  const float x0 = p0.x + 40.0f, x1 = p0.x + size.x - 4.0f;
  const float y0 = p0.y + 6.0f, y1 = p0.y + size.y - label_h;
  auto y_of = [&](double val) {
    return y1 - static_cast<float>(std::clamp(val / top, 0.0, 1.0)) * (y1 - y0);
  };
  dl->AddLine(ImVec2(x0, y1), ImVec2(x1, y1), kAxis);
  dl->AddLine(ImVec2(x0, y0), ImVec2(x0, y1), kAxis);
  for (int t = 0; t <= 4; ++t) {
    const double val = top * t / 4.0;
    char txt[32];
    std::snprintf(txt, sizeof txt, is_percent(m) || top >= 10 ? "%.0f" : "%.2f", val);
    dl->AddText(ImVec2(p0.x + 2.0f, y_of(val) - ImGui::GetTextLineHeight() * 0.5f), kAxis, txt);
  }
  if (rows.empty()) return;
  const float slot = (x1 - x0) / static_cast<float>(rows.size());
  const float bar_w = std::max(4.0f, slot * 0.7f);
  int hover_row = -1;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const float cx = x0 + slot * (static_cast<float>(i) + 0.5f);
    const SliceRow* r = rows[i];
    if (r) {
      double lo = 0, hi = 0;
      const double val = pattern_value(*r, m, s.patterns.difficulty, &lo, &hi);
      const bool worse = whole && val < pattern_value(*whole, m, s.patterns.difficulty);
      const ImU32 col = r->small ? kBarSmall : (worse == (m != PatternMeasure::FpPerFrame &&
                                                          m != PatternMeasure::Findings)
                                                    ? kBarWorse
                                                    : kBarBetter);
      const ImVec2 a(cx - bar_w * 0.5f, y_of(val)), b(cx + bar_w * 0.5f, y1);
      dl->AddRectFilled(a, b, col);
      if (hi > lo) {
        dl->AddLine(ImVec2(cx, y_of(lo)), ImVec2(cx, y_of(hi)), kInterval, 1.5f);
        dl->AddLine(ImVec2(cx - 4, y_of(lo)), ImVec2(cx + 4, y_of(lo)), kInterval, 1.5f);
        dl->AddLine(ImVec2(cx - 4, y_of(hi)), ImVec2(cx + 4, y_of(hi)), kInterval, 1.5f);
      }
      if (v.selected_row == static_cast<int>(i))
        dl->AddRect(ImVec2(a.x - 2, std::min(a.y, y_of(hi)) - 2), ImVec2(b.x + 2, b.y + 1),
                    kSelected, 0.0f, 0, 2.5f);
      char txt[32];
      std::snprintf(txt, sizeof txt, is_percent(m) || val >= 10 ? "%.1f" : "%.2f", val);
      const ImVec2 ts = ImGui::CalcTextSize(txt);
      dl->AddText(ImVec2(cx - ts.x * 0.5f, std::max(y0, y_of(std::max(val, hi)) - ts.y - 4.0f)),
                  IM_COL32(255, 255, 255, 255), txt);
      const ImVec2 mouse = ImGui::GetIO().MousePos;
      if (hovered && mouse.x >= cx - slot * 0.5f && mouse.x < cx + slot * 0.5f)
        hover_row = static_cast<int>(i);
    }
    // The bin's label under the slot, clipped to it.
    const std::string& label = r ? r->slice : std::string("-");
    const ImVec2 ts = ImGui::CalcTextSize(label.c_str());
    const ImVec4 clip(cx - slot * 0.5f, y1, cx + slot * 0.5f, y1 + label_h);
    dl->AddText(nullptr, 0.0f, ImVec2(cx - std::min(ts.x, slot) * 0.5f, y1 + 2.0f), kAxis,
                label.c_str(), nullptr, 0.0f, &clip);
  }
  if (whole) {
    const float wy = y_of(pattern_value(*whole, m, s.patterns.difficulty));
    for (float x = x0; x < x1; x += 10.0f)
      dl->AddLine(ImVec2(x, wy), ImVec2(std::min(x + 6.0f, x1), wy), kWholeLine, 1.5f);
  }
  if (hover_row >= 0) {
    row_tooltip(*rows[static_cast<std::size_t>(hover_row)], m, s.patterns.difficulty);
    if (clicked) patterns_select_row(s, static_cast<std::size_t>(hover_row));
  }
}

// [SECTION] heat map

ImU32 heat_colour(double t) {  // t in [0, 1]: red (0) -> yellow -> green (1)
  t = std::clamp(t, 0.0, 1.0);
  const int r = static_cast<int>(255 * std::min(1.0, 2.0 * (1.0 - t)));
  const int g = static_cast<int>(255 * std::min(1.0, 2.0 * t));
  return IM_COL32(r, g, 60, 255);
}

void draw_heat_map(AppState& s, const std::vector<const SliceRow*>& rows, ImVec2 size) {
  const PatternsView& v = s.patterns;
  const SlicesResult& res = v.run->result;
  std::size_t n0 = 0, n1 = 0;
  for (const AttributeSpec& a : res.attributes) {
    if (a.name == v.attribute) n0 = a.bins();
    if (a.name == v.attribute2) n1 = a.bins();
  }
  if (n0 == 0 || n1 == 0 || rows.size() != n0 * n1) return;
  const AttributeSpec* s0 = nullptr;
  const AttributeSpec* s1 = nullptr;
  for (const AttributeSpec& a : res.attributes) {
    if (a.name == v.attribute) s0 = &a;
    if (a.name == v.attribute2) s1 = &a;
  }
  double top = is_percent(v.measure) ? 100.0 : 0.0;
  if (!is_percent(v.measure))
    for (const SliceRow* r : rows)
      if (r) top = std::max(top, pattern_value(*r, v.measure, v.difficulty));
  if (top <= 0) top = 1;
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##heat", size);
  const bool hovered = ImGui::IsItemHovered();
  const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float left = 90.0f, head = ImGui::GetTextLineHeight() + 6.0f;
  const float cw = (size.x - left) / static_cast<float>(n1);
  const float ch = (size.y - head) / static_cast<float>(n0);
  for (std::size_t b1 = 0; b1 < n1; ++b1) {
    const ImVec4 clip(p0.x + left + cw * static_cast<float>(b1), p0.y,
                      p0.x + left + cw * static_cast<float>(b1 + 1), p0.y + head);
    dl->AddText(nullptr, 0.0f, ImVec2(clip.x + 2.0f, p0.y + 2.0f), kAxis, s1->labels[b1].c_str(),
                nullptr, 0.0f, &clip);
  }
  int hover = -1;
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (std::size_t b0 = 0; b0 < n0; ++b0) {
    const float y = p0.y + head + ch * static_cast<float>(b0);
    const ImVec4 clip(p0.x, y, p0.x + left - 2.0f, y + ch);
    dl->AddText(nullptr, 0.0f, ImVec2(p0.x + 2.0f, y + ch * 0.5f - 7.0f), kAxis,
                s0->labels[b0].c_str(), nullptr, 0.0f, &clip);
    for (std::size_t b1 = 0; b1 < n1; ++b1) {
      const std::size_t i = b0 * n1 + b1;
      const ImVec2 a(p0.x + left + cw * static_cast<float>(b1) + 1.0f, y + 1.0f),
          b(a.x + cw - 2.0f, a.y + ch - 2.0f);
      const SliceRow* r = rows[i];
      if (!r) {
        dl->AddRectFilled(a, b, IM_COL32(50, 50, 50, 255));
        continue;
      }
      const double val = pattern_value(*r, v.measure, v.difficulty);
      double t = val / top;
      if (v.measure == PatternMeasure::FpPerFrame || v.measure == PatternMeasure::Findings)
        t = 1.0 - t;  // more is worse
      ImU32 col = heat_colour(t);
      if (r->small) col = (col & 0x00FFFFFFu) | 0x70000000u;  // faded: not ranked
      dl->AddRectFilled(a, b, col);
      char txt[32];
      std::snprintf(txt, sizeof txt, is_percent(v.measure) || val >= 10 ? "%.0f" : "%.2f", val);
      const ImVec2 ts = ImGui::CalcTextSize(txt);
      dl->AddText(ImVec2((a.x + b.x - ts.x) * 0.5f, (a.y + b.y - ts.y) * 0.5f),
                  IM_COL32(0, 0, 0, 255), txt);
      if (v.selected_row == static_cast<int>(i)) dl->AddRect(a, b, kSelected, 0.0f, 0, 3.0f);
      if (hovered && mouse.x >= a.x && mouse.x < b.x && mouse.y >= a.y && mouse.y < b.y)
        hover = static_cast<int>(i);
    }
  }
  if (hover >= 0) {
    row_tooltip(*rows[static_cast<std::size_t>(hover)], v.measure, v.difficulty);
    if (clicked) patterns_select_row(s, static_cast<std::size_t>(hover));
  }
}

// [SECTION] curve

void draw_curve(AppState& s, ImVec2 size) {
  const PrCurve* c = patterns_curve(s);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##pr", size, ImGuiButtonFlags_MouseButtonLeft |
                                           ImGuiButtonFlags_MouseButtonRight);
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float x0 = p0.x + 30.0f, x1 = p0.x + size.x - 6.0f, y0 = p0.y + 6.0f,
              y1 = p0.y + size.y - ImGui::GetTextLineHeight() - 4.0f;
  dl->AddRect(ImVec2(x0, y0), ImVec2(x1, y1), kAxis);
  dl->AddText(ImVec2(x0, y1 + 2.0f), kAxis, "recall");
  dl->AddText(ImVec2(p0.x, y0), kAxis, "prec");
  if (!c || c->threshold.empty()) {
    dl->AddText(ImVec2(x0 + 8.0f, (y0 + y1) * 0.5f), kAxis, "no detections of the class");
    return;
  }
  auto at = [&](std::size_t k) {
    return ImVec2(x0 + static_cast<float>(c->recall[k]) * (x1 - x0),
                  y1 - static_cast<float>(c->precision[k]) * (y1 - y0));
  };
  for (std::size_t k = 1; k < c->threshold.size(); ++k) dl->AddLine(at(k - 1), at(k), kCurve, 2.0f);
  int hover = -1;
  float best = kPointHover * kPointHover;
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  for (std::size_t k = 0; k < c->threshold.size(); ++k) {
    const ImVec2 p = at(k);
    const bool sel = s.patterns.pr_point == static_cast<int>(k);
    dl->AddCircleFilled(p, sel ? 5.0f : 3.0f, sel ? kSelected : kCurve);
    const float dx = p.x - mouse.x, dy = p.y - mouse.y;
    if (hovered && dx * dx + dy * dy < best) {
      best = dx * dx + dy * dy;
      hover = static_cast<int>(k);
    }
  }
  if (hover >= 0) {
    const std::size_t k = static_cast<std::size_t>(hover);
    ImGui::BeginTooltip();
    ImGui::Text("score >= %.4g", c->threshold[k]);
    ImGui::Text("precision %.3f, recall %.3f", c->precision[k], c->recall[k]);
    ImGui::TextDisabled("click: frames with false positives; right click: frames with misses");
    ImGui::EndTooltip();
    if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) patterns_select_point(s, k, true);
    if (ImGui::IsMouseClicked(ImGuiMouseButton_Right)) patterns_select_point(s, k, false);
  }
}

// [SECTION] controls

void draw_controls(AppState& s) {
  PatternsView& v = s.patterns;
  const auto& sets = s.session->set_names;
  ImGui::PushItemWidth(110.0f);
  const char* set_name = v.pred_set >= 0 && static_cast<std::size_t>(v.pred_set) < sets.size()
                             ? sets[static_cast<std::size_t>(v.pred_set)].c_str()
                             : "-";
  if (ImGui::BeginCombo("set", set_name)) {
    for (std::size_t i = 0; i < sets.size(); ++i)
      if (ImGui::Selectable(sets[i].c_str(), v.pred_set == static_cast<int>(i)) &&
          v.pred_set != static_cast<int>(i)) {
        v.pred_set = static_cast<int>(i);
        v.job.reset();
        v.run.reset();
        patterns_clear_filter(s);
        patterns_refresh(s);
      }
    ImGui::EndCombo();
  }
  std::vector<std::string> names;
  if (v.run && v.run->status == PipelineStatus::Ok)
    for (const AttributeSpec& a : v.run->result.attributes) names.push_back(a.name);
  ImGui::SameLine();
  std::string a1 = v.attribute, a2 = v.attribute2;
  const bool c1 = combo_strings("by", a1, names);
  ImGui::SameLine();
  const bool c2 = combo_strings("x", a2, names, "(bars)");
  if ((c1 || c2) && a1 != a2) patterns_set_by(s, a2.empty() ? a1 : a1 + "," + a2);
  ImGui::SameLine();
  std::string cls = eval_class_name(static_cast<EvalClass>(v.cls));
  if (combo_strings("class", cls, {"Car", "Pedestrian", "Cyclist"})) patterns_set_class(s, cls);
  ImGui::SameLine();
  std::string measure = pattern_measure_name(v.measure);
  if (combo_strings("measure", measure, {"ap", "recall", "fp", "objects", "findings"}))
    patterns_set_measure(s, measure);
  ImGui::SameLine();
  std::string diff = difficulty_key(static_cast<Difficulty>(v.difficulty));
  if (combo_strings("difficulty", diff, {"easy", "moderate", "hard"}))
    patterns_set_difficulty(s, diff);
  ImGui::PopItemWidth();
}

}  // namespace

void draw_slice_highlight(ImDrawList* dl, float x0, float y0, float x1, float y1) {
  dl->AddRect(ImVec2(x0 - 3.0f, y0 - 3.0f), ImVec2(x1 + 3.0f, y1 + 3.0f), kSelected, 0.0f, 0, 3.0f);
}

void draw_patterns_window(UiContext& ui) {
  AppState& s = ui.state;
  if (!s.patterns.show || !s.session) return;
  const Rect& st = ui.layout.panels.settings;
  constexpr float kMinW = 980.0f, kMinH = 400.0f;
  const float w = std::max(st.w, kMinW), h = std::max(st.h, kMinH);
  ImGui::SetNextWindowPos(ImVec2(st.x + st.w - w, st.y + st.h - h), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(w, h), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowBgAlpha(1.0f);
  if (!ImGui::Begin("Patterns (Shift+P)", &s.patterns.show, ImGuiWindowFlags_NoCollapse)) {
    ImGui::End();
    return;
  }
  PatternsView& v = s.patterns;
  if (!v.job && !patterns_ready(s)) patterns_refresh(s);
  draw_controls(s);
  if (v.job) {
    const std::string phase = v.job->phase();
    char text[128];
    std::snprintf(text, sizeof text, "computing slices: %s",
                  phase.empty() ? "starting" : phase.c_str());
    ImGui::ProgressBar(static_cast<float>(v.job->progress()), ImVec2(-1.0f, 0.0f), text);
  }
  if (v.run && v.run->status != PipelineStatus::Ok) {
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "%s", v.run->error.c_str());
  } else if (patterns_ready(s)) {
    const SliceRow* whole = patterns_overall(s);
    if (whole)
      ImGui::Text("%s, whole set: AP %.2f [%.2f, %.2f] (%s %s), recall %.3f, FP/frame %.3f",
                  eval_class_name(whole->cls), pattern_value(*whole, PatternMeasure::Ap, v.difficulty),
                  whole->ap_low, whole->ap_high, eval_metric_key(v.run->result.metric),
                  difficulty_key(v.run->result.difficulty), whole->recall, whole->fp_per_frame);
    if (v.filter_active) {
      ImGui::TextColored(ImVec4(1.0f, 0.9f, 0.3f, 1.0f), "%s", v.filter_text.c_str());
      ImGui::SameLine();
      if (ImGui::SmallButton("x##patterns_filter")) patterns_clear_filter(s);
    }
    const std::vector<const SliceRow*> rows = patterns_rows(s);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float curve_w = std::min(320.0f, avail.x * 0.35f);
    const ImVec2 chart(std::max(200.0f, avail.x - curve_w - 12.0f), std::max(160.0f, avail.y));
    if (v.attribute2.empty())
      draw_bars(s, rows, chart);
    else
      draw_heat_map(s, rows, chart);
    ImGui::SameLine();
    draw_curve(s, ImVec2(curve_w, std::max(160.0f, avail.y)));
  }
  ImGui::End();
}

}  // namespace needle::view
