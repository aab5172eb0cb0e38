// The lidar witness layers of the 3D view, drawn as separate steps after the scene's own points
// and boxes: unlabelled clusters (cyan box wireframes with their points redrawn in cyan) and,
// as a toggle, the local ground estimate (a mesh of lines through the ground cell centres).
// CPU batches are built from the LoadedFrame (lidar_overlay.h) and uploaded only when the frame
// or a toggle changes.
#pragma once

#include <memory>
#include <vector>

#include "gl/line_renderer.h"
#include "gl/point_renderer.h"
#include "gui/model/app_state.h"

namespace needle::view {

// Box wireframes of the frame's unlabelled clusters (velodyne frame).
void build_cluster_lines(const LoadedFrame& f, float width_px, gl::LineBatch& out);
// xyzr of the points of the unlabelled clusters (velodyne frame, 4 floats a point).
std::vector<float> cluster_points_xyzr(const LoadedFrame& f);
// Lines between neighbouring ground cell centres (velodyne frame); a segment with an end in an
// observed cell is drawn, bright when both ends are observed.
void build_ground_lines(const LoadedFrame& f, gl::LineBatch& out);

class LidarLayers {
 public:
  void init();  // needs the GL context (throws gl::ShaderError)
  // Rebuilds what changed; true when the picture changes.
  bool sync(const DisplaySettings& d, const std::shared_ptr<const LoadedFrame>& f);
  void draw(const DisplaySettings& d, const float* mvp, float w, float h) const;

 private:
  gl::LineRenderer cluster_lines_, ground_lines_;
  gl::PointRenderer cluster_points_;
  std::shared_ptr<const LoadedFrame> frame_;
  bool clusters_ = false, ground_ = false;
  float width_ = 0;
  bool have_clusters_ = false, have_ground_ = false;
};

}  // namespace needle::view
