// A frame as the viewer needs it: the core FrameData plus what is derived from it once, on the
// loader thread, so that the UI thread only draws and uploads. Plain CPU data, immutable once
// published (shared as shared_ptr<const LoadedFrame>).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "needle/dataset.h"
#include "needle/lidar.h"

namespace needle::view {

struct LoadedFrame {
  std::size_t index = 0;  // into DatasetIndex::frames
  std::string id;
  FrameData data;
  // Velodyne points that project into image_2: u, v (pixels), depth (metres) triples.
  std::vector<float> image_points;
  // Indices of velodyne points inside each 3D box: labels, then per prediction set.
  std::vector<std::vector<std::uint32_t>> label_points;
  std::vector<std::vector<std::vector<std::uint32_t>>> pred_points;
  // The lidar witness for this frame (needle/lidar.h: ground, clusters with point indices,
  // per-label statistics), run on the loader thread; lidar.ok false without scan or calib.
  FrameLidar lidar;
  std::vector<int> unlabeled_clusters;  // indices into lidar.clusters (lidar_overlay.h)
  double load_ms = 0;  // read + decode + derive, wall time on the loader thread

  // Fatal problems of one modality ("image", "velodyne", "calib", "label", "pred:<set>"),
  // joined one per line; "" when the modality is fine.
  std::string problems_of(const std::string& modality) const;
  bool has_image() const { return data.image && !data.image->empty(); }
  bool has_cloud() const { return data.cloud && data.cloud->size() > 0; }
};

// Loads and derives one frame. Never throws on bad data (problems are recorded in the frame).
LoadedFrame load_viewer_frame(const DatasetIndex& ds, std::size_t index);

// The derived part alone (for tests and the loader): image points, points inside boxes and the
// lidar analysis.
void derive_frame_data(LoadedFrame& f);
// The lidar analysis and the unlabelled clusters alone (needs label_points already derived).
void derive_frame_lidar(LoadedFrame& f);

}  // namespace needle::view
