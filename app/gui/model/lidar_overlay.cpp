#include "gui/model/lidar_overlay.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>

namespace needle::view {

const char* shape_rejection(const LidarCluster& cl) {
  const double length = std::max(cl.box.l, cl.box.w), width = std::min(cl.box.l, cl.box.w);
  if (length > kMaxObjectLength) return "too long";
  if (length < kMinObjectLength) return "too small";
  if (width < kMinObjectWidth && length > kMaxThinLength) return "thin strip";
  if (width < kMinObjectDepth) return "flat";
  if (cl.box.h < kMinObjectHeight) return "too low";
  if (cl.box.h > kMaxObjectHeight) return "too tall";
  if (cl.box.h > kMaxPersonHeight && length < kMinTallVehicleSide) return "tall and narrow";
  if (cl.bottom_gap > kMaxStandingGap) return "not standing";
  if (cl.n_above > kMaxPointsAbove) return "points above";
  return nullptr;
}

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
    if (cl.label >= 0 || cl.in_dontcare || !object_shaped(cl)) continue;
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

namespace {

void set_expected(LidarLabelRow& r, const ExpectedPoints& e) {
  r.has_expected = true;
  r.expected_lo = e.lo;
  r.expected_hi = e.hi;
  r.expected_empirical = e.empirical;
  r.expected_range_lo = e.range_lo;
  r.expected_range_hi = e.range_hi;
  r.below_expected = static_cast<double>(r.n_in) < e.lo;
}

std::vector<LidarLabelRow> rows_without_expectations(const std::vector<Object>& labels,
                                                     const FrameLidar& lidar) {
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
  }
  return rows;
}

}  // namespace

std::vector<LidarLabelRow> lidar_label_rows(const std::vector<Object>& labels,
                                            const FrameLidar& lidar, const LidarModel* model) {
  std::vector<LidarLabelRow> rows = rows_without_expectations(labels, lidar);
  if (model)
    for (LidarLabelRow& r : rows)
      if (r.valid)
        set_expected(r, model->expected_points(labels[static_cast<std::size_t>(r.label)]));
  return rows;
}

std::vector<LidarLabelRow> lidar_label_rows(
    const std::vector<Object>& labels, const FrameLidar& lidar,
    const std::vector<std::optional<ExpectedPoints>>* expected) {
  std::vector<LidarLabelRow> rows = rows_without_expectations(labels, lidar);
  if (expected)
    for (LidarLabelRow& r : rows) {
      const auto i = static_cast<std::size_t>(r.label);
      if (r.valid && i < expected->size() && (*expected)[i]) set_expected(r, *(*expected)[i]);
    }
  return rows;
}

const std::vector<std::optional<ExpectedPoints>>* label_expected_of(
    const std::vector<std::vector<std::optional<ExpectedPoints>>>& table, std::size_t frame) {
  return frame < table.size() && !table[frame].empty() ? &table[frame] : nullptr;
}

std::string points_inside_text(const Object& label, const LidarLabelRow& r) {
  char buf[200];
  if (!r.has_expected) {
    std::snprintf(buf, sizeof buf, "points inside %u", r.n_in);
    return buf;
  }
  const int occl = std::max(label.occluded, 0);
  if (r.expected_empirical)
    std::snprintf(buf, sizeof buf,
                  "points inside %u (%ss %d-%d m, occl %d: %.0f-%.0f in this dataset)", r.n_in,
                  label.type.c_str(), r.expected_range_lo, r.expected_range_hi, occl, r.expected_lo,
                  r.expected_hi);
  else
    std::snprintf(buf, sizeof buf,
                  "points inside %u (%ss like it at %.1f m, occl %d: %.0f-%.0f in this dataset)",
                  r.n_in, label.type.c_str(), label.distance(), occl, r.expected_lo, r.expected_hi);
  return buf;
}

const char* overflow_face_name(int face) {
  static constexpr const char* kNames[] = {"front", "back", "left", "right", "top"};
  return face >= 0 && face < 5 ? kNames[face] : "-";
}

}  // namespace needle::view
