// The viewer's panels, one file each (panel_*.cpp). Panels read and edit AppState through
// ImGui and actions.h; they never call GL: textures arrive as ImGui texture ids.
#pragma once

#include "gl/image_points_renderer.h"
#include "gui/model/app_state.h"
#include "gui/model/layout.h"

struct ImDrawList;

namespace needle::view {

class CropTextures;

struct UiContext {
  explicit UiContext(AppState& s) : state(s) {}
  AppState& state;
  // Camera image texture of the current frame (null when there is none yet).
  void* image_texture = nullptr;
  // Renderer of the lidar points over the camera image (its data match the current frame).
  gl::ImagePointRenderer* image_points = nullptr;
  // Last rendered 3D view (FBO colour texture) and its size.
  void* view3d_texture = nullptr;
  int view3d_tex_w = 0, view3d_tex_h = 0;
  // Outputs of this UI frame.
  int view3d_want_w = 0, view3d_want_h = 0;  // FBO size the 3D panel needs
  Mat4 view3d_mvp;                           // velodyne -> clip used for this frame
  LayoutReport layout;
  CropTextures* crops = nullptr;  // image crops of the issues gallery (null: none drawn)
};

void draw_frame_list(UiContext& ui, const Rect& r);
void draw_camera_panel(UiContext& ui, const Rect& r);
void draw_view3d_panel(UiContext& ui, const Rect& r);
void draw_inspector(UiContext& ui, const Rect& r);
void draw_settings(UiContext& ui, const Rect& r);
void draw_status_bar(UiContext& ui, const Rect& r);
void draw_help_window(AppState& s);
void draw_goto_popup(AppState& s);
// Review (panel_issues.cpp, panel_review.cpp): the issues panel with its gallery, the tag and
// new-issue popups, and the review parts of the list, the inspector and the status bar.
void draw_issues_panel(UiContext& ui);
void draw_review_popups(AppState& s);
// Find similar (panel_similar.cpp): the Similar window with its gallery of results.
void draw_similar_window(UiContext& ui);
// Training vs production (panel_shift.cpp): the Shift window (--reference).
void draw_shift_window(UiContext& ui);
// Embedding map (panel_map.cpp): the Map window, its scatter and the selection's gallery.
void draw_map_window(UiContext& ui);
void draw_map_filter_chip(AppState& s);  // frame list: the map selection's filter, with an x
void draw_review_filters(AppState& s);  // frame list: tag, issue, verdict, ... filters
// Frame list: reviewed, verdict and tag chips of a frame (same_line: after other items).
void draw_review_marks(const AppState& s, std::size_t frame, bool same_line);
void draw_review_section(AppState& s);  // inspector: reviewed, tags, verdicts
void draw_finding_verdict(const AppState& s, const Finding& f);  // inspector: a finding's verdict
// Compare mode (panel_compare.cpp): the Compare window, the two sets' legend (its top-right
// corner at right_x, top_y) and the inspector's per-label OLD/NEW table.
void draw_compare_window(UiContext& ui);
void draw_compare_legend(ImDrawList* dl, float right_x, float top_y, const AppState& s);
void draw_compare_section(AppState& s);
// Patterns (panel_patterns.cpp): slices as bars or a heat map, PR curves; the clicked slice's
// objects outlined on the camera image (screen pixels of the object's 2D box).
void draw_patterns_window(UiContext& ui);
void draw_slice_highlight(ImDrawList* dl, float x0, float y0, float x1, float y1);
// Returns a folder to open when the user confirmed one (empty otherwise).
std::string draw_open_dialog(AppState& s);

// Shared widget helpers (panel_common.cpp).
// A borderless child window covering r (screen pixels). Always pair with end_panel().
void begin_panel(const char* id, const Rect& r, int extra_flags = 0);
void end_panel();
// The loaded frame for the current frame index, asked again after any navigation this UI frame,
// so a prefetched frame is drawn in the very frame its key was pressed.
const LoadedFrame* refresh_current(AppState& s);
void panel_header(const char* title, const char* detail = nullptr);
// A small coloured tag ("FP") drawn inline; advances the cursor like a widget.
void finding_tag(const std::string& kind);
// Red wrapped text for an invalid modality, drawn in place of its content.
void problem_text(const char* what, const std::string& problems);

}  // namespace needle::view
