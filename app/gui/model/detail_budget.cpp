#include "gui/model/detail_budget.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

namespace needle::view {

namespace {
// 1 / golden ratio: the stride fraction with the most even prefixes (three-gap theorem).
constexpr double kInvGolden = 0.6180339887498949;

// Inverse of a modulo n (gcd(a, n) == 1), by the extended Euclidean algorithm.
std::size_t inverse_mod(std::size_t a, std::size_t n) {
  if (n <= 1) return 0;
  long long t = 0, new_t = 1;
  long long r = static_cast<long long>(n), new_r = static_cast<long long>(a % n);
  while (new_r != 0) {
    const long long q = r / new_r;
    const long long t2 = t - q * new_t;
    t = new_t;
    new_t = t2;
    const long long r2 = r - q * new_r;
    r = new_r;
    new_r = r2;
  }
  if (t < 0) t += static_cast<long long>(n);
  return static_cast<std::size_t>(t);
}
}  // namespace

UniformOrder::UniformOrder(std::size_t n) : n_(n) {
  if (n <= 2) return;  // stride 1: the identity
  std::size_t s = static_cast<std::size_t>(std::llround(static_cast<double>(n) * kInvGolden));
  s = std::clamp<std::size_t>(s, 1, n - 1);
  while (std::gcd(s, n) != 1) ++s;  // terminates: n - 1 is coprime with n
  stride_ = s;
  inverse_ = inverse_mod(s, n);
}

std::size_t UniformOrder::mul_mod(std::size_t a, std::size_t b) const {
  if (n_ <= 1) return 0;
  // a, b < n <= 2^31 (a GL draw count is a GLsizei): the product fits 64 bits.
  return static_cast<std::size_t>(static_cast<std::uint64_t>(a) * b % n_);
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
