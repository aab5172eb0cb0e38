// The viewer's unlabelled-cluster filter (lidar_overlay.h) against the real KITTI sample: no
// cluster that the lidar attributes to a real label (a car, a pedestrian, a truck ... as the scan
// shows it, partly occluded or seen from one side) is rejected as flat or as tall and narrow, the
// tests that keep fences, hedge faces, trees and poles off the screen. (The older tests do reject
// some real objects on this sample: a car merged with a hedge is "too long", objects under trees
// have "points above"; the test prints how many.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "gui/model/lidar_overlay.h"
#include "gui/model/loaded_frame.h"
#include "needle/dataset.h"
#include "support/test_support.h"

using namespace needle;

TEST_CASE(
    "lidar overlay: on real KITTI frames no labelled object's cluster is flat or tall and narrow",
    "[lidar_view][kitti]") {
  const auto dir = test::kitti_dir();
  if (!dir) {
    test::skip_or_fail("KITTI sample not found");
    return;
  }
  const DatasetIndex ds = scan_dataset(*dir, {});
  REQUIRE(!ds.frames.empty());
  std::size_t labelled = 0, drawn = 0, rejected_by_older_tests = 0;
  std::vector<double> gaps;
  for (std::size_t i = 0; i < ds.frames.size(); ++i) {
    const view::LoadedFrame f = view::load_viewer_frame(ds, i);
    if (!f.lidar.ok) continue;
    drawn += f.unlabeled_clusters.size();
    const auto& labels = f.data.ann.labels;
    for (const LidarCluster& c : f.lidar.clusters) {
      // Clusters of real objects the scan sees well (the label's box holds most of its points).
      if (c.label < 0 || c.n_points < 30) continue;
      const Object& o = labels[static_cast<std::size_t>(c.label)];
      if (o.is_dontcare() || o.truncated > 0.3) continue;
      ++labelled;
      gaps.push_back(c.bottom_gap);
      INFO("frame " << ds.frames[i].id << " " << o.type << " at " << o.distance() << " m: cluster "
                    << c.box.l << " x " << c.box.w << " x " << c.box.h << " m, gap " << c.bottom_gap
                    << ", " << c.n_above << " above: "
                    << (view::shape_rejection(c) ? view::shape_rejection(c) : "passes"));
      const char* why = view::shape_rejection(c);
      const std::string reason = why ? why : "";
      CHECK(reason != "flat");
      CHECK(reason != "tall and narrow");
      rejected_by_older_tests += why ? 1 : 0;
    }
  }
  std::sort(gaps.begin(), gaps.end());
  std::printf(
      "KITTI sample: %zu labelled clusters (%zu rejected by the older tests), bottom gap "
      "median %.2f m, max %.2f m; %zu unlabelled clusters drawn\n",
      labelled, rejected_by_older_tests, gaps.empty() ? 0.0 : gaps[gaps.size() / 2],
      gaps.empty() ? 0.0 : gaps.back(), drawn);
  CHECK(labelled >= 10);  // the sample's well-seen labels (16 in its 10 frames)
}
