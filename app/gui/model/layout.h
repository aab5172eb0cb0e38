// The fixed panel layout (ImGui 1.86 has no docking) and the machine-readable layout report that
// `--print-layout` writes so tests can map image pixels to screenshot pixels exactly.
//
//   +-----------------------------------------------------------+
//   | menu bar                                                  |
//   +------------+-------------------------------+--------------+
//   | frame list | camera (image_2 + overlays)   | inspector    |
//   |            +-------------------------------+              |
//   |            | 3D view (FBO)                 +--------------+
//   |            |                               | settings     |
//   +------------+-------------------------------+--------------+
//   | status bar                                                |
//   +-----------------------------------------------------------+
#pragma once

#include <string>
#include <vector>

#include "gui/model/camera_math.h"
#include "gui/model/config.h"
#include "needle/types.h"

namespace needle::view {

struct Rect {
  float x = 0, y = 0, w = 0, h = 0;  // screen pixels, top-left origin
  bool contains(float px, float py) const { return px >= x && py >= y && px < x + w && py < y + h; }
};

inline constexpr float kSplitter = 5.0f;  // gap between panels that is dragged to resize them

struct PanelRects {
  Rect frame_list, camera, view3d, inspector, settings, status;
  // Splitter hit areas: list|centre, centre|side, camera/3D, inspector/settings.
  Rect split_list, split_side, split_centre, split_right;
};

// top: height of the menu bar; status_h: height of the status bar. Sizes are clamped so that
// every panel keeps a usable minimum, whatever the window size.
PanelRects compute_layout(float window_w, float window_h, float top, float status_h,
                          const LayoutSizes& sizes);
// Keeps persisted sizes sane (a config edited by hand or from a much larger screen).
LayoutSizes clamp_sizes(LayoutSizes s, float window_w, float window_h);

struct LayoutReport {
  int window_w = 0, window_h = 0;
  std::string dataset;  // root folder of the open dataset
  std::string frame_id;
  bool frame_loaded = false;
  bool list_current_visible = false;   // the current frame's row is fully visible in the list
  bool view3d_rendered_ahead = false;  // the 3D view of this frame was rendered before it opened
  PanelRects panels;
  Rect camera_canvas, view3d_canvas;  // drawing areas inside the camera and 3D panels
  bool image_shown = false;
  int image_w = 0, image_h = 0;
  float image_origin_x = 0, image_origin_y = 0, image_scale = 1;  // screen = origin + uv * scale
  std::string camera_error, view3d_error;  // error text shown in place of the image / point cloud
  std::vector<std::string> problems;       // every problem the inspector lists for the frame
  bool bev = false;
  Mat4 view3d_mvp;  // velodyne -> clip for the 3D canvas (screen mapping: camera_math.h)
  // Unlabelled clusters drawn on the camera image: their 3D boxes (camera frame, KITTI label
  // convention) and projected 2D boxes (image pixels), same order.
  std::vector<Object> cluster_boxes;
  std::vector<Box2D> cluster_boxes_image;
  int clusters_unlabeled = 0;  // unlabelled clusters of the frame (drawn or not)
  // The ranking and the selection: which finding is selected (-1: none) and its kind, the kind
  // of the frame's top finding ("" when the frame has none or is unranked), the ranking method.
  int selected_finding = -1;
  std::string selected_finding_kind, top_finding_kind, rank_method;
  // The review: rows the frame list shows (after every filter), the current frame's tags ("TAG
  // REF" each) and the status bar's review text ("reviewed 1 of 16 suspicious").
  std::size_t list_rows = 0;
  std::vector<std::string> review_tags;
  std::string review_status;
  std::string compare;  // compare mode as a JSON object (compare_layout_json), "" when off
  std::string patterns;  // the patterns panel as JSON (patterns_layout_json), "" when closed
  // Find similar, when answered: the query's ref and the results' refs in the window's order.
  std::string similar_query;
  std::vector<std::string> similar_results;
  std::vector<std::string> shift_order;  // --reference: PROD frame ids, most novel first (top 10)
  std::string shift_reason;              // the current frame's novelty reason
  std::string map;  // the embedding map window as a JSON object (map_layout_json), "" when closed
  // "none", "interim" or "final", and the status text of an interim ranking (ranking_swap.h).
  std::string ranking_state, ranking_text;
};

std::string layout_json(const LayoutReport& r);

}  // namespace needle::view
