// Level of detail of the 3D view's point cloud (GL-free, unit tested in tests/app/test_detail_budget).
//
// While the camera moves the view draws only a prefix of the cloud's points, sized so a frame fits a
// time budget; once the camera rests for a frame it draws every point. Two pieces make that work:
//  * uniform_order(): the order the points are uploaded in, so that every prefix is a spatially
//    uniform sample of the whole scan (no holes, no band of the sweep missing);
//  * DetailBudget: how many points the next moving frame may draw, from the measured frame period.
#pragma once

#include <cstddef>
#include <cstdint>

namespace needle::view {

// A permutation of [0, n): upload slot k holds point stride * k mod n. The stride is the integer
// nearest n / golden ratio that is coprime with n, so the first m slots visit the point indices in
// a low-discrepancy sequence (three-gap theorem): any prefix samples the index range evenly. A
// velodyne scan is stored ring by ring in azimuth order, so an even sample of indices is an even
// sample of the scan (and of every copy of it in an aggregated cloud).
class UniformOrder {
 public:
  UniformOrder() = default;
  explicit UniformOrder(std::size_t n);
  std::size_t size() const { return n_; }
  std::size_t stride() const { return stride_; }
  // The point index stored in upload slot k (k < size()).
  std::size_t point_at(std::size_t slot) const { return mul_mod(slot, stride_); }
  // The upload slot that holds point i (i < size()): the inverse permutation.
  std::size_t slot_of(std::size_t point) const { return mul_mod(point, inverse_); }

 private:
  std::size_t mul_mod(std::size_t a, std::size_t b) const;
  std::size_t n_ = 0, stride_ = 1, inverse_ = 1;
};

// Points to draw while the camera moves. A multiplicative controller on the measured frame period:
// after a moving frame that took `period_s`, the next one draws count * (budget / period), the
// step limited to [kMinStep, kMaxStep] so one slow frame (another process, a page fault) does not
// empty the view; never fewer than min_points, never more than the cloud.
class DetailBudget {
 public:
  // Frame period aimed at while moving: 1/60 s, the still-view target of issue 9.
  static constexpr double kDefaultBudgetS = 1.0 / 60.0;
  // Fewest points drawn while moving: about 1/4 of one KITTI HDL-64 sweep (~120k points), enough
  // to keep cars and the road readable while turning.
  static constexpr std::size_t kDefaultMinPoints = 30000;
  // Points drawn in the first moving frame before anything is measured: about 1/3 of a sweep,
  // which draws in ~5 ms on llvmpipe (bench/RESULTS.md, issue 9 section 5).
  static constexpr std::size_t kDefaultStartPoints = 40000;
  static constexpr double kMinStep = 0.5;   // at most halve the count from one frame to the next
  static constexpr double kMaxStep = 1.25;  // grow by at most a quarter a frame (no oscillation)

  explicit DetailBudget(double budget_s = kDefaultBudgetS,
                        std::size_t min_points = kDefaultMinPoints,
                        std::size_t start_points = kDefaultStartPoints)
      : budget_s_(budget_s), min_points_(min_points), count_(static_cast<double>(start_points)) {}

  // Points the next moving frame draws out of `total`.
  std::size_t moving_points(std::size_t total) const;
  // A moving frame that drew `drawn` points of `total` took `period_s` seconds (start of that
  // frame to the start of the next). Periods <= 0 or not finite are ignored.
  void observe(std::size_t drawn, std::size_t total, double period_s);
  double budget_s() const { return budget_s_; }

 private:
  double budget_s_;
  std::size_t min_points_;
  double count_;  // the controller's state: points wanted, not yet clamped to a cloud
};

}  // namespace needle::view
