// Camera panel: image_2 as a texture at its aspect ratio, wheel zoom and drag pan, with label and
// prediction boxes (2D boxes and near-clipped projected 3D wireframes) and optional lidar points
// drawn through ImDrawList. An invalid image shows its error text in place.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "gl/imgui_draw_state.h"
#include "gui/model/compare_view.h"
#include "gui/model/overlay_style.h"
#include "gui/panels.h"
#include "imgui.h"
#include "needle/box3d.h"

namespace needle::view {

namespace {

// Liang-Barsky clip of a screen segment to a rectangle; false when nothing is left.
bool clip_segment(ImVec2& a, ImVec2& b, const ImVec2& lo, const ImVec2& hi) {
  float t0 = 0.0f, t1 = 1.0f;
  const float dx = b.x - a.x, dy = b.y - a.y;
  const float p[4] = {-dx, dx, -dy, dy};
  const float q[4] = {a.x - lo.x, hi.x - a.x, a.y - lo.y, hi.y - a.y};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0.0f) {
      if (q[i] < 0.0f) return false;
      continue;
    }
    const float t = q[i] / p[i];
    if (p[i] < 0.0f)
      t0 = std::max(t0, t);
    else
      t1 = std::min(t1, t);
    if (t0 > t1) return false;
  }
  const ImVec2 a0 = a;
  a = ImVec2(a0.x + t0 * dx, a0.y + t0 * dy);
  b = ImVec2(a0.x + t1 * dx, a0.y + t1 * dy);
  return true;
}

struct Painter {
  ImDrawList* dl;
  ImVec2 lo, hi;  // canvas clip rectangle

  void line(ImVec2 a, ImVec2 b, ImU32 col, float width, bool dashed) const {
    if (!clip_segment(a, b, lo, hi)) return;
    if (!dashed) {
      dl->AddLine(a, b, col, width);
      return;
    }
    constexpr float kOn = 7.0f, kOff = 5.0f;
    const float dx = b.x - a.x, dy = b.y - a.y;
    const float len = std::sqrt(dx * dx + dy * dy);
    if (len < 1e-3f) return;
    const float ux = dx / len, uy = dy / len;
    for (float t = 0.0f; t < len; t += kOn + kOff) {
      const float e = std::min(t + kOn, len);
      dl->AddLine(ImVec2(a.x + ux * t, a.y + uy * t), ImVec2(a.x + ux * e, a.y + uy * e), col,
                  width);
    }
  }
  void rect(ImVec2 a, ImVec2 b, ImU32 col, float width, bool dashed) const {
    line(a, ImVec2(b.x, a.y), col, width, dashed);
    line(ImVec2(b.x, a.y), b, col, width, dashed);
    line(b, ImVec2(a.x, b.y), col, width, dashed);
    line(ImVec2(a.x, b.y), a, col, width, dashed);
  }
};

ImVec2 to_screen(const ImageViewport& vp, double u, double v) {
  const auto p = vp.image_to_screen(static_cast<float>(u), static_cast<float>(v));
  return ImVec2(p[0], p[1]);
}

// score_slot: where the score text goes (0 above the box's left end, 1 its right end, ...), so the
// scores of several prediction sets on one object do not overlap.
void draw_object(const Painter& pt, const ImageViewport& vp, const Object& o, const Calib* calib,
                 int iw, int ih, Rgb color, bool dashed, bool selected, const DisplaySettings& d,
                 const std::optional<double>& score, int score_slot = 0, float width_scale = 1.0f) {
  const float w = d.camera_line_width * width_scale;
  const ImU32 col = to_imu32(color), halo = to_imu32(kHighlight);
  const bool wire = o.has_3d() && calib && d.camera_boxes != CameraBoxStyle::Box2D;
  const bool box2d = !o.has_3d() || !calib || d.camera_boxes != CameraBoxStyle::Wireframe3D;
  if (wire) {
    const std::vector<Segment2D> segs = project_box_edges(o, *calib);
    if (selected)
      for (const Segment2D& s : segs)
        pt.line(to_screen(vp, s.u0, s.v0), to_screen(vp, s.u1, s.v1), halo, w + 3.0f, false);
    for (const Segment2D& s : segs)
      pt.line(to_screen(vp, s.u0, s.v0), to_screen(vp, s.u1, s.v1), col, w, dashed);
  }
  if (box2d && o.box2d.area() > 0) {
    const ImVec2 a = to_screen(vp, o.box2d.x1, o.box2d.y1),
                 b = to_screen(vp, o.box2d.x2, o.box2d.y2);
    if (selected) pt.rect(a, b, halo, w + 3.0f, false);
    pt.rect(a, b, col, o.is_dontcare() ? 1.0f : w, dashed);
  }
  if (score && d.score_text) {
    std::optional<Box2D> anchor;
    if (wire) anchor = projected_box_2d(o, *calib, iw, ih);
    if (!anchor && o.box2d.area() > 0) anchor = o.box2d;
    if (anchor) {
      char text[32];
      std::snprintf(text, sizeof text, *score < 10.0 ? "%.2f" : "%.0f", *score);
      const ImVec2 ts = ImGui::CalcTextSize(text);
      ImVec2 p = to_screen(vp, score_slot % 2 ? anchor->x2 : anchor->x1, anchor->y1);
      if (score_slot % 2) p.x -= ts.x + 2.0f;
      p.y -= (ts.y + 1.0f) * static_cast<float>(1 + score_slot / 2);
      p.x = std::clamp(p.x, pt.lo.x, pt.hi.x - ts.x - 2.0f);
      p.y = std::clamp(p.y, pt.lo.y, pt.hi.y - ts.y);
      pt.dl->AddRectFilled(p, ImVec2(p.x + ts.x + 2.0f, p.y + ts.y), IM_COL32(0, 0, 0, 170));
      pt.dl->AddText(ImVec2(p.x + 1.0f, p.y), col, text);
    }
  }
}

}  // namespace

void draw_camera_panel(UiContext& ui, const Rect& r) {
  AppState& s = ui.state;
  ui.layout.panels.camera = r;
  begin_panel("##camera", r, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  const LoadedFrame* f = refresh_current(s);
  char detail[160] = "";
  if (s.session) {
    const std::string& id = s.session->index->frames[s.frame].id;
    if (f && f->has_image())
      std::snprintf(detail, sizeof detail,
                    "image_2  %s  %dx%d  zoom %.1fx  (wheel zoom, drag pan, double-click reset)",
                    id.c_str(), f->data.image->width, f->data.image->height,
                    static_cast<double>(s.image_view.zoom));
    else
      std::snprintf(detail, sizeof detail, "image_2  %s", id.c_str());
  }
  panel_header("Camera", detail);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImVec2 avail = ImGui::GetContentRegionAvail();
  avail.x = std::max(avail.x, 1.0f);
  avail.y = std::max(avail.y, 1.0f);
  const ImVec2 p1(p0.x + avail.x, p0.y + avail.y);
  ui.layout.camera_canvas = {p0.x, p0.y, avail.x, avail.y};
  ImGui::InvisibleButton("##camera_canvas", avail,
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonMiddle);
  const bool hovered = ImGui::IsItemHovered(), active = ImGui::IsItemActive();

  if (!s.session || !f) {
    ImGui::SetCursorScreenPos(ImVec2(p0.x + 10.0f, p0.y + 10.0f));
    ImGui::TextDisabled(s.session ? "Loading frame..."
                                  : "No dataset open (File > Open dataset, or drop a folder here)");
    end_panel();
    return;
  }
  if (!f->has_image()) {
    ImGui::SetCursorScreenPos(ImVec2(p0.x + 10.0f, p0.y + 10.0f));
    const std::string problems = f->problems_of("image");
    ui.layout.camera_error = problems.empty() ? "no image file for this frame" : problems;
    problem_text("image_2", ui.layout.camera_error);
    end_panel();
    return;
  }

  const Image& img = *f->data.image;
  ImageViewport& vp = s.image_view;
  vp.panel_x = p0.x, vp.panel_y = p0.y, vp.panel_w = avail.x, vp.panel_h = avail.y;
  vp.image_w = static_cast<float>(img.width);
  vp.image_h = static_cast<float>(img.height);
  const ImGuiIO& io = ImGui::GetIO();
  if (hovered && io.MouseWheel != 0.0f)
    vp.zoom_at(io.MousePos.x, io.MousePos.y, std::pow(1.2f, io.MouseWheel));
  if (active && (ImGui::IsMouseDragging(ImGuiMouseButton_Left) ||
                 ImGui::IsMouseDragging(ImGuiMouseButton_Middle)))
    vp.pan_by(io.MouseDelta.x, io.MouseDelta.y);
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) vp.reset();
  vp.clamp_center();

  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->PushClipRect(p0, p1, true);
  const ImVec2 i0 = to_screen(vp, 0, 0), i1 = to_screen(vp, img.width, img.height);
  if (ui.image_texture) {
    dl->AddCallback(&gl::imgui_blend_off, nullptr);  // opaque: skip blending work
    dl->AddImage(ui.image_texture, i0, i1);
    dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
  }
  ui.layout.image_shown = ui.image_texture != nullptr;
  ui.layout.image_w = img.width;
  ui.layout.image_h = img.height;
  ui.layout.image_origin_x = i0.x;
  ui.layout.image_origin_y = i0.y;
  ui.layout.image_scale = vp.scale();

  const DisplaySettings& d = s.display;
  if (d.lidar_on_image && ui.image_points) {
    // Dense layer: GL points through a draw-list callback (keeps order and clipping).
    ui.image_points->set_mapping(i0.x, i0.y, vp.scale(), d.image_point_size, 50.0f);
    dl->AddCallback(&gl::ImagePointRenderer::draw_callback, ui.image_points);
    dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
  }

  const Painter pt{dl, p0, p1};
  const auto& ann = f->data.ann;
  const Calib* calib = ann.calib ? &*ann.calib : nullptr;
  for (std::size_t set = 0; set < ann.preds.size(); ++set) {
    const auto& objs = ann.preds[set].objects;
    for (std::size_t i = 0; i < objs.size(); ++i) {
      const Object& o = objs[i];
      if (!d.prediction_visible(set, o)) continue;
      const bool sel =
          s.selection.pred_set == static_cast<int>(set) && s.selection.pred == static_cast<int>(i);
      const std::optional<SetStyle> cs = compare_style(s, set);  // compare mode: OLD / NEW
      draw_object(pt, vp, o, calib, img.width, img.height, cs ? cs->color : prediction_color(o.cls),
                  cs ? cs->dashed : true, sel, d, o.score, static_cast<int>(set),
                  cs ? cs->width_scale : 1.0f);
    }
  }
  if (d.show_labels) {
    for (std::size_t i = 0; i < ann.labels.size(); ++i) {
      const Object& o = ann.labels[i];
      if (!d.class_visible(o.cls)) continue;
      draw_object(pt, vp, o, calib, img.width, img.height, label_color(o.cls), false,
                  s.selection.label == static_cast<int>(i), d, std::nullopt);
    }
  }
  // Unlabelled lidar clusters: near-clipped projected wireframes in their own colour.
  ui.layout.clusters_unlabeled = static_cast<int>(f->unlabeled_clusters.size());
  if (d.show_clusters && calib) {
    const ImU32 col = to_imu32(kClusterColor);
    for (int c : f->unlabeled_clusters) {
      if (c < 0 || c >= static_cast<int>(f->lidar.clusters.size())) continue;
      const Object& o = f->lidar.clusters[static_cast<std::size_t>(c)].box;
      const auto box = projected_box_2d(o, *calib, img.width, img.height);
      if (!box) continue;
      ui.layout.cluster_boxes.push_back(o);
      ui.layout.cluster_boxes_image.push_back(*box);
      for (const Segment2D& sg : project_box_edges(o, *calib))
        pt.line(to_screen(vp, sg.u0, sg.v0), to_screen(vp, sg.u1, sg.v1), col,
                d.camera_line_width, false);
    }
  }
  for (std::size_t i = 0; i < ann.labels.size(); ++i)  // the patterns panel's clicked slice
    if (patterns_label_highlighted(s, s.frame, i)) {
      const ImVec2 a = to_screen(vp, ann.labels[i].box2d.x1, ann.labels[i].box2d.y1),
                   b = to_screen(vp, ann.labels[i].box2d.x2, ann.labels[i].box2d.y2);
      draw_slice_highlight(dl, a.x, a.y, b.x, b.y);
    }
  draw_compare_legend(dl, p1.x - 8.0f, p0.y + 6.0f, s);
  dl->PopClipRect();

  const std::string calib_problems = f->problems_of("calib");
  if (!calib) {
    ImGui::SetCursorScreenPos(ImVec2(p0.x + 8.0f, p0.y + 6.0f));
    problem_text("calib (3D boxes and lidar not projected)",
                 calib_problems.empty() ? "no calib file" : calib_problems);
  }
  end_panel();
}

}  // namespace needle::view
