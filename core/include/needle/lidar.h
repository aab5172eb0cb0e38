// needle/lidar.h — what one lidar scan says about one frame's labels: the local ground, the
// object-like clusters of points above it, and per label the points inside its box, the fit of the
// box to its object's points and the height of its bottom above the ground.
//
// Pure function of (scan, calibration, labels, parameters); PCL is used inside (core/src/lidar/)
// and never appears in this header. Everything here is in the rectified camera frame of KITTI
// (x right, y down, z forward, metres): "height" means -y relative to the local ground.
//
// Contracts:
//  * Points that are not finite are skipped (and counted in FrameLidar::problems).
//  * Per-label statistics count only points ABOVE the local ground by more than
//    LidarParams::ground_band (a box standing on the road would otherwise contain road points).
//  * Clusters are built from the non-ground points inside the camera's field of view; each keeps
//    the indices of its points into the input scan (for the viewer).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "needle/calib.h"
#include "needle/types.h"

namespace needle {

// Parameters of the analysis. Changing any default must bump kLidarParamsVersion (the cache keys
// its results on it).
struct LidarParams {
  double ground_cell = 1.5;         // ground grid cell, metres (x-z plane of the camera)
  double ground_band = 0.25;        // points within this height of the ground are ground, metres
  double max_range = 80;            // points farther than this (x-z) are ignored by the analysis
  double voxel = 0.2;               // voxel size of the cloud that is clustered, metres
  double cluster_tolerance = 0.45;  // Euclidean clustering distance between voxels, metres
  int min_cluster_voxels = 4;       // smaller clusters are dropped
  double max_object_height = 4.5;   // points higher above ground are not clustered (canopies)
  double shell = 0.5;               // thickness of the shell around a box (length/width), metres
  double near_out = 2.0;            // cluster points this far outside a box count as its overflow
};
// Version of the analysis and its parameters (bump on any change of results).
constexpr int kLidarParamsVersion = 9;

// The local ground: a grid of cells in the camera x-z plane holding the ground's camera-y.
struct GroundEstimate {
  double x0 = 0, z0 = 0, cell = 1.5;  // origin of cell (0,0) and the cell size, metres
  int nx = 0, nz = 0;
  std::vector<float> y;            // camera y of the ground per cell (row-major in z), metres
  std::vector<std::uint8_t> seen;  // 1: ground points observed in the cell, 0: interpolated
  double fallback_y = 1.65;        // where there is no cell (KITTI camera ~1.65 m above road)
  bool empty() const { return y.empty(); }
  // Ground camera-y under (x, z): bilinear between cell centres, fallback outside the grid.
  double y_at(double x, double z) const;
};

// A cluster of non-ground points, boxed like a KITTI object.
struct LidarCluster {
  Object box;                         // cls Unknown, type "cluster"; loc on the local ground
  std::uint32_t n_points = 0;         // original scan points
  double bottom_gap = 0;              // lowest point above the ground, metres
  double top = 0;                     // highest point above the ground, metres
  int label = -1;                     // label whose box holds most of its points, or -1
  bool in_dontcare = false;           // its image box lies mostly inside a DontCare region
  std::uint32_t n_above = 0;          // points above its top near its footprint (within 2 m
                                      // for a thin cluster, 0.5 m otherwise)
                                      // (a tree's crown over its trunk, a roof, a sign)
  std::vector<std::uint32_t> points;  // indices into the input scan (empty when loaded from cache)
};

// What the scan says about one label (DontCare and 2D-only labels get valid = false).
struct LabelLidarStats {
  bool valid = false;
  double range = 0;                // x-z distance from the camera, metres
  std::uint32_t n_in = 0;          // non-ground points inside the box
  std::uint32_t n_in_all = 0;      // all points inside the box (ground included)
  std::uint32_t n_shell = 0;       // non-ground points in a shell LidarParams::shell wide
  int cluster = -1;                // the cluster holding most of n_in, or -1
  double cluster_share = 0;        // share of that cluster's near points inside the box
  std::uint32_t n_out = 0;         // that cluster's points outside but within near_out
  std::uint32_t n_in_cluster = 0;  // that cluster's points inside the box's footprint
  // Where the overflow lies, in the box's own axes (metres beyond each face, 90% quantile):
  // [0] front (+l), [1] back (-l), [2] left (+w), [3] right (-w), [4] top.
  std::array<double, 5> overflow{};
  // Extent of the inside + overflow points along their principal axes (x-z), and the heading of
  // the first axis as a rotation_y (modulo pi), and the height span.
  double extent_l = 0, extent_w = 0, extent_h = 0, principal_ry = 0;
  double elongation = 1;     // extent_l / extent_w of those points
  double ground_y = 0;       // local ground under the box (camera y): median of the
                             // observed ground cells around its footprint
  bool ground_seen = false;  // two or more such cells (else interpolated)
  double ground_offset = 0;  // box bottom height above the ground, metres (+ = floats)
};

// Timings of the steps, milliseconds (for the bench).
struct LidarTimings {
  double transform = 0, ground = 0, cluster = 0, labels = 0, total = 0;
};

struct FrameLidar {
  bool ok = false;                      // the analysis ran (a scan and calibration were there)
  std::vector<LabelLidarStats> labels;  // one per label, same order as the frame's labels
  std::vector<LidarCluster> clusters;
  GroundEstimate ground;
  std::uint32_t n_points = 0, n_fov = 0, n_nonfinite = 0, n_far = 0;
  std::vector<Problem> problems;  // bad points found while reading (modality "velodyne")
  LidarTimings timings;
};

// Analyses one scan. `image_w`/`image_h` bound the field of view (0: 2 * the principal point of
// P2). `scan_file` names the scan in problems. Never throws on bad data.
FrameLidar analyze_frame_lidar(const PointCloud& cloud_velo, const Calib& calib,
                               const std::vector<Object>& labels, const LidarParams& params = {},
                               int image_w = 0, int image_h = 0, const std::string& scan_file = {});

}  // namespace needle
