// Level of detail of the 3D view's point cloud (GL-free, unit tested in
// tests/app/test_detail_budget).
//
// While the camera moves the view draws only every step-th point of the cloud, as many as fit a
// frame-time budget; once the camera rests for a frame it draws every point. Two pieces:
//  * decimation_step(): which points a decimated picture draws (every step-th, an even sample);
//  * DetailBudget: how many points the next moving frame may draw, from the measured frame period.
#pragma once

#include <cstddef>
#include <cstdint>

namespace needle::view {

// Which points a decimated picture draws: every step-th point of the cloud in its stored order,
// the smallest step whose ceil(total / step) points fit `wanted` (at least 1), at most
// kMaxDecimationStep. A velodyne scan is stored ring by ring in azimuth order, so every step-th
// point is an even sample of the scan, and of every sweep of an aggregated cloud. A strided draw
// keeps the stored order: a random shuffle (any prefix a uniform sample) made the full-detail draw
// 1.5-2x slower on llvmpipe, which rasterises points in submission order (bench/RESULTS.md,
// issue 9 section 5).
constexpr std::size_t kMaxDecimationStep = 4096;  // 10M points -> >= 2.4k still drawn
std::size_t decimation_step(std::size_t total, std::size_t wanted);
// Points a draw with that step covers: ceil(total / step).
inline std::size_t decimated_count(std::size_t total, std::size_t step) {
  return step == 0 ? total : (total + step - 1) / step;
}

// Points to draw while the camera moves. A multiplicative controller on the measured frame period:
// after a moving frame that drew `drawn` points in `period_s`, the next one may draw
// drawn * (budget / period), the factor limited to [kMinStep, kMaxStep] so one slow frame (another
// process, a page fault) does not empty the view. Scaling by the drawn count treats the whole frame
// as point cost, so it approaches the fitting count from below without overshooting. Never fewer
// than min_points wanted, never more than the cloud.
class DetailBudget {
 public:
  // Frame period aimed at while moving: 1/60 s, the still-view target of issue 9.
  static constexpr double kDefaultBudgetS = 1.0 / 60.0;
  // Fewest points drawn while moving: about 1/4 of one KITTI HDL-64 sweep (~120k points), enough
  // to keep cars and the road readable while turning.
  static constexpr std::size_t kDefaultMinPoints = 30000;
  // Points wanted in the first moving frame, before any period is measured: about 1/3 of a KITTI
  // sweep; the controller corrects it within a few frames (the state is kept between drags).
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
