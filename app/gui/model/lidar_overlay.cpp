#include "gui/model/lidar_overlay.h"

#include <algorithm>
#include <cstddef>

namespace needle::view {

std::vector<int> unlabeled_clusters(const FrameLidar& lidar,
                                    const std::vector<std::vector<std::uint32_t>>& label_points) {
  std::vector<int> out;
  if (!lidar.ok) return out;
  // Mark every scan point inside some label box once; a cluster touching any of them overlaps a
  // label. Clusters loaded from the cache have no point indices: then the owner test alone.
  std::vector<std::uint8_t> in_label;
  for (const auto& idx : label_points)
    for (std::uint32_t i : idx) {
      if (i >= in_label.size()) in_label.resize(static_cast<std::size_t>(i) + 1, 0);
      in_label[i] = 1;
    }
  for (std::size_t c = 0; c < lidar.clusters.size(); ++c) {
    const LidarCluster& cl = lidar.clusters[c];
    if (cl.label >= 0 || cl.in_dontcare) continue;
    const double length = std::max(cl.box.l, cl.box.w), width = std::min(cl.box.l, cl.box.w);
    const bool thin_strip = width < kMinObjectWidth && length > kMaxThinLength;
    if (length > kMaxObjectLength || length < kMinObjectLength || thin_strip ||
        cl.box.h < kMinObjectHeight || cl.box.h > kMaxObjectHeight ||
        cl.bottom_gap > kMaxStandingGap || cl.n_above > kMaxPointsAbove)
      continue;
    bool touches = false;
    for (std::uint32_t i : cl.points)
      if (i < in_label.size() && in_label[i]) {
        touches = true;
        break;
      }
    if (!touches) out.push_back(static_cast<int>(c));
  }
  return out;
}

std::vector<LidarLabelRow> lidar_label_rows(const std::vector<Object>& labels,
                                            const FrameLidar& lidar, const LidarModel* model) {
  std::vector<LidarLabelRow> rows(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    LidarLabelRow& r = rows[i];
    r.label = static_cast<int>(i);
    if (!lidar.ok || i >= lidar.labels.size() || !lidar.labels[i].valid) continue;
    const LabelLidarStats& st = lidar.labels[i];
    r.valid = true;
    r.n_in = st.n_in;
    r.n_shell = st.n_shell;
    r.ground_offset = st.ground_offset;
    r.ground_seen = st.ground_seen;
    r.cluster = st.cluster;
    r.cluster_share = st.cluster_share;
    r.n_out = st.n_out;
    for (std::size_t k = 0; k < st.overflow.size(); ++k)
      if (st.overflow[k] > r.max_overflow) {
        r.max_overflow = st.overflow[k];
        r.max_overflow_face = static_cast<int>(k);
      }
    if (model) {
      const ExpectedPoints e = model->expected_points(labels[i]);
      r.has_expected = true;
      r.expected_lo = e.lo;
      r.expected_hi = e.hi;
      r.below_expected = static_cast<double>(r.n_in) < e.lo;
    }
  }
  return rows;
}

const char* overflow_face_name(int face) {
  static constexpr const char* kNames[] = {"front", "back", "left", "right", "top"};
  return face >= 0 && face < 5 ? kNames[face] : "-";
}

}  // namespace needle::view
