// 3D view panel: shows the FBO the scene was rendered into and turns mouse input into camera
// moves (left drag orbit, right/middle or shift+left drag pan, wheel zoom). The rendering itself
// happens after the panels (Scene3D), with the matrix computed here.
#include <algorithm>
#include <cstdio>

#include "gl/imgui_draw_state.h"
#include "gui/model/overlay_style.h"
#include "gui/panels.h"
#include "gui/scene3d.h"
#include "imgui.h"

namespace needle::view {

void draw_view3d_panel(UiContext& ui, const Rect& r) {
  AppState& s = ui.state;
  ui.layout.panels.view3d = r;
  begin_panel("##view3d", r, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  const LoadedFrame* f = refresh_current(s);
  OrbitCamera& cam = s.camera3d;
  char detail[128];
  std::snprintf(detail, sizeof detail, "%s  (left drag %s, right drag pan, wheel zoom)",
                cam.bev ? "bird's-eye" : "orbit", cam.bev ? "pan" : "orbit");
  panel_header("3D view", detail);
  // Mode buttons on the header line's right end.
  {
    const ImVec2 save = ImGui::GetCursorScreenPos();
    const float bw = 150.0f;
    ImGui::SetCursorScreenPos(
        ImVec2(r.x + r.w - bw, save.y - ImGui::GetTextLineHeightWithSpacing() - 3.0f));
    if (ImGui::SmallButton(cam.bev ? "Orbit" : "BEV")) cam.bev = !cam.bev;
    ImGui::SameLine();
    if (ImGui::SmallButton("Reset")) {
      const bool bev = cam.bev;
      cam.reset();
      cam.bev = bev;
    }
    ImGui::SetCursorScreenPos(save);
  }
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImVec2 avail = ImGui::GetContentRegionAvail();
  avail.x = std::max(avail.x, 1.0f);
  avail.y = std::max(avail.y, 1.0f);
  ui.layout.view3d_canvas = {p0.x, p0.y, avail.x, avail.y};
  ImGui::InvisibleButton("##view3d_canvas", avail,
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight |
                             ImGuiButtonFlags_MouseButtonMiddle);
  const bool hovered = ImGui::IsItemHovered(), active = ImGui::IsItemActive();
  const ImGuiIO& io = ImGui::GetIO();
  if (hovered && io.MouseWheel != 0.0f) cam.zoom(io.MouseWheel);
  if (active) {
    const float dx = io.MouseDelta.x, dy = io.MouseDelta.y;
    if (ImGui::IsMouseDragging(ImGuiMouseButton_Left) && !io.KeyShift)
      cam.orbit(dx, dy, avail.y);
    else if (ImGui::IsMouseDragging(ImGuiMouseButton_Left) ||
             ImGui::IsMouseDragging(ImGuiMouseButton_Right) ||
             ImGui::IsMouseDragging(ImGuiMouseButton_Middle))
      cam.pan(dx, dy, avail.y);
  }
  if (s.centre_on_selection && f) {
    Vec3f c;
    if (selection_centre_velo(s, &c)) cam.centre_on(c);
    s.centre_on_selection = false;
  }

  ui.view3d_want_w = static_cast<int>(avail.x);
  ui.view3d_want_h = static_cast<int>(avail.y);
  ui.view3d_mvp = cam.view_projection(avail.x / avail.y);
  ui.layout.view3d_mvp = ui.view3d_mvp;
  ui.layout.bev = cam.bev;

  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p1(p0.x + avail.x, p0.y + avail.y);
  // GL textures start at the bottom row: flip v.
  if (ui.view3d_texture && ui.view3d_tex_w > 0) {
    dl->AddCallback(&gl::imgui_blend_off, nullptr);  // opaque: skip blending work
    dl->AddImage(ui.view3d_texture, p0, p1, ImVec2(0, 1), ImVec2(1, 0));
    dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
  }

  // Below the line of point count and colour ramp, which can reach the right edge.
  draw_compare_legend(dl, p1.x - 8.0f, p0.y + ImGui::GetTextLineHeightWithSpacing() + 10.0f, s);
  ImGui::SetCursorScreenPos(ImVec2(p0.x + 8.0f, p0.y + 6.0f));
  if (!s.session) {
    ImGui::TextDisabled("No dataset open");
  } else if (!f) {
    ImGui::TextDisabled("Loading frame...");
  } else if (!f->has_cloud()) {
    const std::string problems = f->problems_of("velodyne");
    ui.layout.view3d_error = problems.empty() ? "no velodyne file for this frame" : problems;
    problem_text("velodyne", ui.layout.view3d_error);
  } else {
    const char* mode = s.display.point_color == PointColorMode::Height      ? "height"
                       : s.display.point_color == PointColorMode::Intensity ? "intensity"
                                                                            : "range";
    ImGui::TextDisabled("%zu points, colour: %s", f->data.cloud->size(), mode);
    if (s.display.point_color != PointColorMode::Intensity) {
      // Legend of the colour ramp (same stops as the point shader).
      ImGui::SameLine();
      const ImVec2 q = ImGui::GetCursorScreenPos();
      const float lw = 120.0f, lh = ImGui::GetTextLineHeight() - 4.0f;
      for (int i = 0; i < 4; ++i) {
        const float a = static_cast<float>(i) / 4.0f, b = static_cast<float>(i + 1) / 4.0f;
        const ImU32 ca = to_imu32(ramp_color(a)), cb = to_imu32(ramp_color(b));
        dl->AddRectFilledMultiColor(ImVec2(q.x + a * lw, q.y + 2.0f),
                                    ImVec2(q.x + b * lw, q.y + 2.0f + lh), ca, cb, cb, ca);
      }
      ImGui::Dummy(ImVec2(lw, lh));
      ImGui::SameLine();
      if (s.display.point_color == PointColorMode::Height)
        ImGui::TextDisabled("z -2.5 .. 1.5 m");
      else
        ImGui::TextDisabled("0 .. 60 m");
    }
  }
  end_panel();
}

}  // namespace needle::view
