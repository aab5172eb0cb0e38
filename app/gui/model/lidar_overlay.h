// What the viewer shows of the lidar witness (needle/lidar.h) for the frame on screen: which
// clusters are unlabelled (drawn as boxes of their own colour in the 3D and camera views) and
// the inspector's per-label lidar rows. GL-free; computed on the loader thread or in tests.
//
// Expected point counts need the dataset-wide LidarModel (needle/lidar_witness.h), which only the
// ranking builds (it needs every frame's scan): the pipeline hands its expectations per label to
// the viewer (PipelineResult::label_expected -> RankingData::label_expected), and the rows take
// them from there; without them (no lidar in the ranking, or not ranked yet) has_expected = false
// and the inspector shows the counts alone.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "needle/lidar.h"
#include "needle/lidar_witness.h"

namespace needle::view {

// Object-sized unlabelled clusters: not owned by a label (LidarCluster::label < 0), not mostly in
// a DontCare region, none of their points inside any label box (`label_points`: indices of the
// scan points inside each label box, as LoadedFrame::label_points), and shaped like an object:
// footprint no longer than kMaxObjectLength and no shorter than kMinObjectLength, not a thin strip
// (shorter side < kMinObjectWidth with the longer > kMaxThinLength), not flat (shorter side
// >= kMinObjectDepth), kMinObjectHeight to kMaxObjectHeight tall (beyond kMaxPersonHeight only
// on a vehicle's footprint, longer side >= kMinTallVehicleSide), standing within
// kMaxStandingGap of the ground, with at most kMaxPointsAbove points above its top (a facade
// goes on above the clustered height, a trunk has its crown; an object has sky). Walls, facades,
// trees and signs are not drawn. Ascending indices.
// KITTI's Truck labels are 10.1 +- 2.4 m long (the class statistics the demo draws from,
// core/src/demo/scene.cpp): 16 m is ~2.5 sigma above, so long trucks are kept (12 m dropped the
// demo's 12.5 m truck, whose cluster measures 12.9 m).
inline constexpr double kMaxObjectLength = 16.0;  // m
inline constexpr double kMinObjectLength = 0.4;   // m: thinner slivers are poles, facade strips
inline constexpr double kMinObjectHeight = 0.4;   // m: below this a cluster is kerb or clutter
inline constexpr double kMaxStandingGap = 1.0;    // m: lowest point above ground (raised: signs)
inline constexpr std::uint32_t kMaxPointsAbove = 10;  // LidarCluster::n_above: a few stray returns
// A long footprint this thin is a wall, fence or facade strip seen edge-on, not a road object
// (KITTI's narrowest labelled objects, pedestrians and cyclists, are ~0.5-0.6 m wide, and they
// are short: a 0.3 m-wide strip over 2.5 m long is a fence, hedge or facade).
inline constexpr double kMinObjectWidth = 0.3;   // m: shorter footprint side
inline constexpr double kMaxThinLength = 2.5;    // m: longer side beyond which thin means wall
inline constexpr double kMaxObjectHeight = 4.5;  // m: KITTI's tallest Truck labels ~4 m
// A single vertical surface (wall, fence panel, hedge face, sign board) scans as a cluster with
// almost no depth across its principal direction, while a road object seen from one side still
// has some (a car's rear: bumper, lights and sloped rear window, >= ~0.3 m; a person's body
// >= ~0.2 m). The analysis clamps box sides at 0.1 m: this is "flat within the lidar's noise".
// On the real KITTI sample it removes 42 of 218 drawn clusters (frames 000000-000009).
inline constexpr double kMinObjectDepth = 0.15;  // m: shorter footprint side
// Taller than any person or cyclist needs a vehicle's footprint: KITTI's Pedestrian and Cyclist
// labels are at most ~2.0 m tall, and what is taller on the road (vans, trucks, trams) is at
// least ~1.6 m wide even seen end-on; trees, poles and sign posts are tall on a small footprint.
// On the KITTI sample it removes a further 33 (tree trunks with crowns, poles, pillars).
inline constexpr double kMaxPersonHeight = 2.1;     // m: box height
inline constexpr double kMinTallVehicleSide = 1.5;  // m: longer footprint side when taller
// The shape tests alone (size, flatness, height, standing, nothing above): null when the cluster
// passes them all, else the first it fails ("too long", "flat", ...).
const char* shape_rejection(const LidarCluster& c);
inline bool object_shaped(const LidarCluster& c) {
  return shape_rejection(c) == nullptr;
}
std::vector<int> unlabeled_clusters(const FrameLidar& lidar,
                                    const std::vector<std::vector<std::uint32_t>>& label_points);

// One inspector row: what the scan says about label `label`.
struct LidarLabelRow {
  int label = -1;
  bool valid = false;                       // false: DontCare, 2D-only label or no scan analysis
  std::uint32_t n_in = 0;                   // non-ground points inside the box
  std::uint32_t n_shell = 0;                // non-ground points in the shell around it
  bool has_expected = false;                // expected range known (ranking or LidarModel)
  double expected_lo = 0, expected_hi = 0;  // 10% - 90% expected count, points
  bool expected_empirical = false;          // from labels of the same cell and 5 m range bin
  int expected_range_lo = 0, expected_range_hi = 0;  // that bin, metres (empirical only)
  bool below_expected = false;                       // n_in < expected_lo
  double ground_offset = 0;    // box bottom above the local ground, metres (+ = floats)
  bool ground_seen = false;    // the ground under it was observed (not interpolated)
  int cluster = -1;            // the cluster holding most of its points, or -1
  double cluster_share = 0;    // share of that cluster's near points inside the box
  std::uint32_t n_out = 0;     // that cluster's points outside the box within near_out
  double max_overflow = 0;     // largest overflow beyond a face (LabelLidarStats::overflow), m
  int max_overflow_face = -1;  // its face: 0 front, 1 back, 2 left, 3 right, 4 top; -1 none
};

// Rows for every label of the frame (same order as `labels`).
std::vector<LidarLabelRow> lidar_label_rows(const std::vector<Object>& labels,
                                            const FrameLidar& lidar,
                                            const LidarModel* model = nullptr);
// The same with the ranking's expectations for this frame's labels (`expected`[label], may be
// null or shorter than the labels).
std::vector<LidarLabelRow> lidar_label_rows(
    const std::vector<Object>& labels, const FrameLidar& lidar,
    const std::vector<std::optional<ExpectedPoints>>* expected);
// The ranking's expectations for frame `frame` (null when it has none).
const std::vector<std::optional<ExpectedPoints>>* label_expected_of(
    const std::vector<std::vector<std::optional<ExpectedPoints>>>& table, std::size_t frame);

// The inspector's line for a label: "points inside 312 (Cars 10-15 m, occl 0: 180-900 in this
// dataset)"; without an empirical bin "points inside 4 (Cars like it at 47.2 m, occl 1: 2-30 in
// this dataset)"; without expectations "points inside 312".
std::string points_inside_text(const Object& label, const LidarLabelRow& row);

// Name of an overflow face index ("front", "back", "left", "right", "top"; "-" otherwise).
const char* overflow_face_name(int face);

}  // namespace needle::view
