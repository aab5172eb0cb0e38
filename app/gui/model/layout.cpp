#include "gui/model/layout.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace needle::view {

LayoutSizes clamp_sizes(LayoutSizes s, float window_w, float window_h) {
  (void)window_h;
  const float max_side = std::max(120.0f, window_w * 0.4f);
  s.list_width = std::clamp(s.list_width, 120.0f, max_side);
  s.side_width = std::clamp(s.side_width, 160.0f, max_side);
  s.camera_fraction = std::clamp(s.camera_fraction, 0.1f, 0.9f);
  s.inspector_fraction = std::clamp(s.inspector_fraction, 0.1f, 0.9f);
  return s;
}

PanelRects compute_layout(float ww, float wh, float top, float status_h, const LayoutSizes& in) {
  const LayoutSizes s = clamp_sizes(in, ww, wh);
  PanelRects r;
  const float body_h = std::max(50.0f, wh - top - status_h);
  const float list_w = std::min(s.list_width, std::max(50.0f, ww * 0.45f));
  const float side_w = std::min(s.side_width, std::max(50.0f, ww * 0.45f));
  const float centre_x = list_w + kSplitter;
  const float centre_w = std::max(50.0f, ww - list_w - side_w - 2 * kSplitter);
  const float side_x = centre_x + centre_w + kSplitter;
  r.frame_list = {0, top, list_w, body_h};
  r.split_list = {list_w, top, kSplitter, body_h};
  const float cam_h = std::floor((body_h - kSplitter) * s.camera_fraction);
  r.camera = {centre_x, top, centre_w, cam_h};
  r.split_centre = {centre_x, top + cam_h, centre_w, kSplitter};
  r.view3d = {centre_x, top + cam_h + kSplitter, centre_w, body_h - cam_h - kSplitter};
  r.split_side = {centre_x + centre_w, top, kSplitter, body_h};
  const float insp_h = std::floor((body_h - kSplitter) * s.inspector_fraction);
  r.inspector = {side_x, top, side_w, insp_h};
  r.split_right = {side_x, top + insp_h, side_w, kSplitter};
  r.settings = {side_x, top + insp_h + kSplitter, side_w, body_h - insp_h - kSplitter};
  r.status = {0, wh - status_h, ww, status_h};
  return r;
}

namespace {
nlohmann::json rect_json(const Rect& r) {
  return {{"x", r.x}, {"y", r.y}, {"w", r.w}, {"h", r.h}};
}
}  // namespace

std::string layout_json(const LayoutReport& r) {
  nlohmann::json j;
  j["window"] = {{"w", r.window_w}, {"h", r.window_h}};
  j["dataset"] = r.dataset;
  j["frame"] = r.frame_id;
  j["list_current_visible"] = r.list_current_visible;
  j["view3d_rendered_ahead"] = r.view3d_rendered_ahead;
  j["frame_loaded"] = r.frame_loaded;
  j["panels"] = {
      {"frame_list", rect_json(r.panels.frame_list)}, {"camera", rect_json(r.panels.camera)},
      {"view3d", rect_json(r.panels.view3d)},         {"inspector", rect_json(r.panels.inspector)},
      {"settings", rect_json(r.panels.settings)},     {"status", rect_json(r.panels.status)}};
  j["camera_canvas"] = rect_json(r.camera_canvas);
  j["view3d_canvas"] = rect_json(r.view3d_canvas);
  j["image"] = {{"shown", r.image_shown},
                {"w", r.image_w},
                {"h", r.image_h},
                {"origin_x", r.image_origin_x},
                {"origin_y", r.image_origin_y},
                {"scale", r.image_scale}};
  j["camera_error"] = r.camera_error;
  j["view3d_error"] = r.view3d_error;
  j["problems"] = r.problems;
  j["view3d"] = {{"bev", r.bev}, {"mvp_column_major", r.view3d_mvp.m}};
  nlohmann::json boxes = nlohmann::json::array();
  for (std::size_t i = 0; i < r.cluster_boxes_image.size() && i < r.cluster_boxes.size(); ++i) {
    const Box2D& b = r.cluster_boxes_image[i];
    const Object& o = r.cluster_boxes[i];
    boxes.push_back({{"x1", b.x1},
                     {"y1", b.y1},
                     {"x2", b.x2},
                     {"y2", b.y2},
                     {"loc_cam", {o.loc_cam.x, o.loc_cam.y, o.loc_cam.z}},
                     {"hwl", {o.h, o.w, o.l}},
                     {"rotation_y", o.rotation_y}});
  }
  j["clusters"] = {{"unlabeled", r.clusters_unlabeled}, {"camera_boxes", boxes}};
  j["selection"] = {{"finding", r.selected_finding},
                    {"finding_kind", r.selected_finding_kind},
                    {"top_finding_kind", r.top_finding_kind}};
  j["rank_method"] = r.rank_method;
  j["review"] = {{"list_rows", r.list_rows}, {"tags", r.review_tags}, {"status", r.review_status}};
  if (!r.compare.empty()) j["compare"] = nlohmann::json::parse(r.compare);
  if (!r.patterns.empty()) j["patterns"] = nlohmann::json::parse(r.patterns);
  if (!r.similar_query.empty())
    j["similar"] = {{"query", r.similar_query}, {"results", r.similar_results}};
  if (!r.shift_order.empty()) j["shift"] = {{"order", r.shift_order}, {"reason", r.shift_reason}};
  if (!r.map.empty()) j["map"] = nlohmann::json::parse(r.map);
  j["ranking_state"] = r.ranking_state;
  j["ranking_text"] = r.ranking_text;
  return j.dump();
}

}  // namespace needle::view
