#include "gui/model/detail_budget.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace needle::view {

std::size_t decimation_step(std::size_t total, std::size_t wanted) {
  wanted = std::max<std::size_t>(wanted, 1);
  const std::size_t step = (total + wanted - 1) / wanted;  // ceil: ceil(total / step) <= wanted
  return std::clamp<std::size_t>(step, 1, kMaxDecimationStep);
}

std::size_t DetailBudget::moving_points(std::size_t total) const {
  const auto want = static_cast<std::size_t>(std::max(count_, 0.0));
  return std::min(total, std::max(want, min_points_));
}

void DetailBudget::observe(std::size_t drawn, std::size_t total, double period_s) {
  if (!(period_s > 0) || !std::isfinite(period_s) || drawn == 0) return;
  const double step = std::clamp(budget_s_ / period_s, kMinStep, kMaxStep);
  // Never let the state run above the cloud (it would take many frames to come back down) nor
  // below the floor.
  count_ = std::clamp(static_cast<double>(drawn) * step, static_cast<double>(min_points_),
                      static_cast<double>(std::max(total, min_points_)));
}

}  // namespace needle::view
