// Level of detail of the 3D view (app/gui/model/detail_budget.h) without a window: the upload
// order is a permutation whose prefixes sample a scan evenly, and the moving-frame point budget
// converges to the count that fits the frame-time budget.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "gui/model/detail_budget.h"

using namespace needle::view;

TEST_CASE("detail: uniform order of 10 points, worked by hand", "[detail]") {
  // 10 / golden ratio = 6.18 -> 6, which shares 2 with 10; the next coprime stride is 7.
  const UniformOrder o(10);
  CHECK(o.stride() == 7);
  const std::vector<std::size_t> expect = {0, 7, 4, 1, 8, 5, 2, 9, 6, 3};  // 7k mod 10
  for (std::size_t k = 0; k < 10; ++k) {
    CHECK(o.point_at(k) == expect[k]);
    CHECK(o.slot_of(expect[k]) == k);
  }
}

TEST_CASE("detail: uniform order is a permutation with its inverse", "[detail]") {
  for (std::size_t n : {0u, 1u, 2u, 3u, 97u, 1000u, 122555u}) {
    const UniformOrder o(n);
    std::vector<int> seen(n, 0);
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = o.point_at(k);
      REQUIRE(i < n);
      ++seen[i];
      REQUIRE(o.slot_of(i) == k);
    }
    for (int c : seen) REQUIRE(c == 1);
  }
}

TEST_CASE("detail: every prefix samples the index range evenly", "[detail]") {
  // A KITTI sweep's size (frame 000008). Split the index range into 10 equal bins: a prefix of m
  // slots should put m/10 in each. A random sample would be off by ~sqrt(m/10) (10 for m = 1000,
  // 55 for 30000); the golden-ratio stride stays within 2 at every size.
  const std::size_t n = 122555;
  const UniformOrder o(n);
  for (std::size_t m : {100u, 1000u, 5000u, 30000u, 100000u}) {
    std::vector<double> bins(10, 0.0);
    for (std::size_t k = 0; k < m; ++k) bins[o.point_at(k) * 10 / n] += 1.0;
    for (double b : bins) CHECK(std::abs(b - static_cast<double>(m) / 10.0) <= 2.0);
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
  for (int i = 0; i < 60; ++i) {
    const std::size_t n = b.moving_points(total);
    b.observe(n, total, fixed_s + per_point_s * static_cast<double>(n));
  }
  CHECK(static_cast<double>(b.moving_points(total)) == Approx(expect).epsilon(0.05));
}
