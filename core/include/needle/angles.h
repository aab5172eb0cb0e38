#pragma once
// Shared angle maths for core: one pi and one wrap to (-pi, pi].
#include <cmath>
#include <limits>
#include <numbers>

namespace needle {

// pi to double precision (std::numbers::pi; the literal 3.14159265358979323846 used before
// rounds to the same double).
inline constexpr double kPi = std::numbers::pi;

// Wraps an angle [rad] into (-pi, pi]. Values already inside come back unchanged, so a wrap
// never perturbs an in-range angle. Non-finite input (NaN, +-inf) returns NaN at once: the
// old copies looped forever on +-inf because inf - 2*pi == inf.
inline double wrap_pi(double a) {
  if (!std::isfinite(a)) return std::numeric_limits<double>::quiet_NaN();
  // Repeated subtraction is exact to the bit for the small overshoots seen in practice (a flip
  // by pi, a sum of two angles); far-out values fall back to fmod, which costs one rounding.
  constexpr double kLoopLimit = 64 * kPi;  // at most ~32 loop turns; any bound works
  if (std::abs(a) > kLoopLimit) {
    a = std::fmod(a + kPi, 2 * kPi);  // in (-2pi, 2pi)
    if (a <= 0) a += 2 * kPi;         // in (0, 2pi]
    return a - kPi;
  }
  while (a > kPi) a -= 2 * kPi;
  while (a <= -kPi) a += 2 * kPi;
  return a;
}

// Degrees from radians, for messages.
inline constexpr double rad_to_deg(double rad) {
  return rad * 180 / kPi;
}

}  // namespace needle
