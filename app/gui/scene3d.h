// The 3D view's GPU mirror: point cloud, box wireframes and ground grid rendered into an FBO.
// CPU data (LoadedFrame, AppState) is the truth; sync() uploads only what changed.
// Level of detail: a render whose camera differs from the last one draws every step-th point
// (an even sample of the scan), as many as DetailBudget says fit the frame-time budget; the
// renders that follow with the camera at rest add the other points over it (all at once for a
// KITTI sweep, in runs of kRefinePoints for a 10M-point cloud), so the picture of a resting
// camera is the full-detail one.
#pragma once

#include <memory>

#include "gl/framebuffer.h"
#include "gl/line_renderer.h"
#include "gl/point_renderer.h"
#include "gui/model/app_state.h"
#include "gui/model/detail_budget.h"
#include "gui/scene3d_lidar.h"

namespace needle::view {

// Box wireframes of the visible objects in the velodyne frame, as thick line segments.
// Labels solid, predictions dashed, the selection on a yellow halo; plus heading markers.
// `sel` is the selection to draw (the current one, or none for a frame not yet on screen).
void build_box_lines(const AppState& s, const Selection& sel, const LoadedFrame& f,
                     gl::LineBatch& out);
// Ground grid (10 m squares) and range rings (every 10 m) at the ground height under the sensor.
void build_grid_lines(gl::LineBatch& out);
// Centre of the selected object in the velodyne frame; false when nothing 3D is selected.
bool selection_centre_velo(const AppState& s, Vec3f* out);

class Scene3D {
 public:
  Scene3D() = default;  // empty; init() once the context exists
  void init();          // throws gl::ShaderError
  // Uploads the current frame's points when the frame changed and the highlight mask when the
  // selection changed. Box lines are rebuilt every call (a few hundred segments).
  void sync(const AppState& s) { sync(s, s.current, s.selection); }
  // The same for frame `f` with selection `sel` (pre-rendering a frame before it is shown).
  void sync(const AppState& s, const std::shared_ptr<const LoadedFrame>& f, const Selection& sel);
  // Renders into the FBO at w x h pixels with the given velodyne -> clip matrix. Skipped when
  // nothing it shows changed since the last render and that render drew every point (the FBO
  // still holds that picture): a still 3D view costs nothing, which matters on software GL.
  // Called once per UI frame for the view on screen: a camera that moved since the last call
  // gets a decimated picture, one that stayed put the full one.
  void render(const AppState& s, const Mat4& mvp, int w, int h) {
    render(s, s.selection, mvp, w, h);
  }
  void render(const AppState& s, const Selection& sel, const Mat4& mvp, int w, int h);
  long renders() const { return renders_; }  // how many times the FBO was actually redrawn
  // Points drawn by the last render, and whether that was all of them (the full-detail picture).
  std::size_t last_points_drawn() const { return last_drawn_; }
  bool last_render_full() const { return drawn_full_; }
  std::size_t point_count() const { return points_.count(); }
  // Level of detail on (default) or off (every point in every picture: the bench's reference).
  static void set_motion_decimation(bool on);
  void* texture() const { return target_.imgui_id(); }
  int width() const { return target_.width(); }
  int height() const { return target_.height(); }
  // The frame whose points are on the GPU (null when none).
  const LoadedFrame* uploaded_frame() const { return uploaded_.get(); }

 private:
  gl::RenderTarget target_;
  gl::PointRenderer points_;
  gl::LineRenderer boxes_;
  gl::LineRenderer grid_;
  LidarLayers lidar_;  // unlabelled clusters and ground estimate (scene3d_lidar.h)
  gl::LineBatch box_batch_, drawn_boxes_;
  struct Key {
    Mat4 mvp;
    int w = 0, h = 0;
    int color_mode = 0;
    float point_size = 0, dim = 0;
    bool grid = false;
    bool operator==(const Key& o) const {
      return mvp.m == o.mvp.m && w == o.w && h == o.h && color_mode == o.color_mode &&
             point_size == o.point_size && dim == o.dim && grid == o.grid;
    }
  };
  Key drawn_key_;
  bool dirty_ = true;  // points, highlight or boxes changed since the last render
  long renders_ = 0;
  long calls_ = 0;              // render() calls (UI frames for the view on screen)
  long last_moving_call_ = -2;  // the call of the last decimated render
  double last_moving_s_ = 0;    // its start, steady clock seconds
  std::size_t last_drawn_ = 0;
  bool drawn_full_ = true;                       // the FBO holds every point of the uploaded frame
  std::size_t refine_step_ = 1;                  // the step of the picture in the FBO
  std::size_t refine_next_ = 0;                  // ... completed with every point before this one
  bool new_frame_ = false;                       // a frame was uploaded and not drawn yet
  std::vector<std::uint8_t> mask_;               // highlight mask a point, reused
  std::shared_ptr<const LoadedFrame> uploaded_;  // keeps the address unique while compared
  Selection uploaded_selection_;
  bool uploaded_highlight_ = false;
};

}  // namespace needle::view
