// Level of detail of the 3D view (app/gui/model/detail_budget.h) without a window: the decimation
// step draws no more points than wanted, and the moving-frame point budget converges to the count
// that fits the frame-time budget.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "gui/model/detail_budget.h"

using namespace needle::view;

TEST_CASE("detail: decimation step, worked by hand", "[detail]") {
  // 122555 points (KITTI 000008), 30000 wanted: 122555 / 30000 = 4.09 -> every 5th point, 24511.
  CHECK(decimation_step(122555, 30000) == 5);
  CHECK(decimated_count(122555, 5) == 24511);
  CHECK(decimation_step(122555, 122555) == 1);  // all fit: every point
  CHECK(decimation_step(122555, 1000000) == 1);
  CHECK(decimation_step(10, 3) == 4);  // 10 / 3 = 3.3 -> every 4th: points 0, 4, 8
  CHECK(decimated_count(10, 4) == 3);
  CHECK(decimation_step(10, 0) == 10);                             // at least one point
  CHECK(decimation_step(10'000'000, 10) == kMaxDecimationStep);    // capped
  CHECK(decimated_count(10'000'000, kMaxDecimationStep) == 2442);  // 10M / 4096 = 2441.4
  CHECK(decimated_count(0, 1) == 0);
}

TEST_CASE("detail: every step-th point never exceeds what is wanted", "[detail]") {
  for (std::size_t total : {1u, 7u, 1000u, 122555u, 9804400u})
    for (std::size_t wanted : {1u, 2u, 999u, 30000u, 86667u}) {
      const std::size_t step = decimation_step(total, wanted);
      if (step < kMaxDecimationStep) CHECK(decimated_count(total, step) <= wanted);
      // The next smaller step would draw more than wanted (the step is the smallest that fits).
      if (step > 1) CHECK(decimated_count(total, step - 1) > wanted);
    }
}

TEST_CASE("detail: the moving budget steps by the period ratio within its limits", "[detail]") {
  const std::size_t total = 122555;
  DetailBudget b(1.0 / 60.0, 30000, 40000);
  CHECK(b.moving_points(total) == 40000);
  CHECK(b.moving_points(5000) == 5000);  // a small cloud is drawn whole
  b.observe(40000, total, 1.0 / 30.0);   // twice the budget: halve -> 20000, floor 30000
  CHECK(b.moving_points(total) == 30000);
  b.observe(30000, total, 1.0 / 120.0);  // half the budget: x2, limited to x1.25 -> 37500
  CHECK(b.moving_points(total) == 37500);
  b.observe(37500, total, 1.0 / 48.0);  // 1.25x the budget: x0.8 -> 30000
  CHECK(b.moving_points(total) == 30000);
  for (int i = 0; i < 20; ++i) b.observe(b.moving_points(total), total, 1.0 / 1000.0);
  CHECK(b.moving_points(total) == total);  // fast frames: the whole cloud, never more
  // Meaningless periods leave the state alone.
  b.observe(30000, total, 0.0);
  b.observe(30000, total, std::numeric_limits<double>::quiet_NaN());
  b.observe(30000, total, std::numeric_limits<double>::infinity());
  CHECK(b.moving_points(total) == total);
}

TEST_CASE("detail: the moving budget converges to the count that fits the budget", "[detail]") {
  // A frame costs 8 ms plus 0.1 us a point. At 1/60 s: (16.667 - 8) ms / 0.1 us = 86667 points.
  const std::size_t total = 10'000'000;
  const double fixed_s = 8e-3, per_point_s = 1e-7;
  const double expect = (1.0 / 60.0 - fixed_s) / per_point_s;
  DetailBudget b(1.0 / 60.0, 30000, 40000);
  std::size_t n = 0;
  for (int i = 0; i < 60; ++i) {
    n = decimated_count(total, decimation_step(total, b.moving_points(total)));
    b.observe(n, total, fixed_s + per_point_s * static_cast<double>(n));
  }
  // From below, within the granularity of whole steps (115 -> 86957 points, 116 -> 86207).
  CHECK(static_cast<double>(n) <= expect);
  CHECK(static_cast<double>(n) >= 0.95 * expect);
}
