// needle/angles.h: the shared wrap to (-pi, pi] and pi itself.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <limits>

#include "needle/angles.h"

using needle::kPi;
using needle::wrap_pi;

TEST_CASE("wrap_pi returns NaN promptly on non-finite input", "[angles]") {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(std::isnan(wrap_pi(kInf)));
  CHECK(std::isnan(wrap_pi(-kInf)));
  CHECK(std::isnan(wrap_pi(std::numeric_limits<double>::quiet_NaN())));
  const auto dt = std::chrono::steady_clock::now() - t0;
  CHECK(dt < std::chrono::seconds(1));  // the old while-loops never returned on +-inf
}

TEST_CASE("wrap_pi hand-checked values", "[angles]") {
  // The range is (-pi, pi]: +pi stays +pi, -pi maps to +pi.
  CHECK(wrap_pi(kPi) == kPi);
  CHECK(wrap_pi(-kPi) == Approx(kPi).margin(1e-12));
  // 3pi is pi plus one turn; -7pi is pi minus four turns: both land on +pi.
  CHECK(wrap_pi(3 * kPi) == Approx(kPi).margin(1e-12));
  CHECK(wrap_pi(-7 * kPi) == Approx(kPi).margin(1e-12));
  // In-range values come back bit-for-bit.
  CHECK(wrap_pi(0.0) == 0.0);
  CHECK(wrap_pi(1.25) == 1.25);
  CHECK(wrap_pi(-3.0) == -3.0);
  // 1.5pi is -0.5pi after one turn back; -1.5pi is +0.5pi.
  CHECK(wrap_pi(1.5 * kPi) == Approx(-0.5 * kPi).margin(1e-12));
  CHECK(wrap_pi(-1.5 * kPi) == Approx(0.5 * kPi).margin(1e-12));
  // Far out (past the loop limit, fmod path): 1000pi + 0.5 is 0.5 after 500 turns.
  CHECK(wrap_pi(1000 * kPi + 0.5) == Approx(0.5).margin(1e-9));
  CHECK(wrap_pi(-1001 * kPi) == Approx(kPi).margin(1e-9));
  CHECK(kPi == Approx(3.14159265358979323846));
}
