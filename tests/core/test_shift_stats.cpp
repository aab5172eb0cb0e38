// PSI, Kolmogorov-Smirnov and chi-square (needle/shift_stats.h) against hand-computed values
// (worked in the comments; p-values from the closed forms and series evaluated by hand/Python).
#include <cmath>

#include <catch2/catch.hpp>

#include "needle/shift_stats.h"

using namespace needle;

TEST_CASE("shift stats: PSI", "[shift][stats]") {
  // (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5) = 0.25 ln 2 + 0.25 ln 1.5
  CHECK(psi({0.5, 0.5}, {0.25, 0.75}) == Approx(0.2746530722));
  CHECK(psi({0.3, 0.7}, {0.3, 0.7}) == Approx(0.0).margin(1e-12));
  // An empty bin is floored at 1e-4: (1e-4 - 0.5) ln(1e-4 / 0.5) + (1 - 0.5) ln(1 / 0.5).
  CHECK(psi({0.5, 0.5}, {0.0, 1.0}) ==
        Approx((1e-4 - 0.5) * std::log(1e-4 / 0.5) + 0.5 * std::log(2.0)));
}

TEST_CASE("shift stats: decile bins and numeric PSI", "[shift][stats]") {
  // TRAIN 1..10: deciles at 1 + 0.9 k (k = 1..9): 1.9, 2.8, ..., 9.1; one TRAIN value a bin.
  std::vector<double> train;
  for (int i = 1; i <= 10; ++i) train.push_back(i);
  const auto e = decile_edges(train);
  REQUIRE(e.size() == 9);
  CHECK(e[0] == Approx(1.9));
  CHECK(e[8] == Approx(9.1));
  CHECK(psi_numeric(train, train) == Approx(0.0).margin(1e-12));
  // PROD all 100: everything in the top bin. 9 bins (1e-4 - 0.1) ln(1e-4 / 0.1), one
  // (1 - 0.1) ln(1 / 0.1).
  const std::vector<double> prod(10, 100.0);
  CHECK(psi_numeric(train, prod) ==
        Approx(9 * (1e-4 - 0.1) * std::log(1e-4 / 0.1) + 0.9 * std::log(10.0)));
}

TEST_CASE("shift stats: Kolmogorov-Smirnov", "[shift][stats]") {
  // Disjoint samples {1,2,3} and {4,5,6}: D = 1; ne = 1.5, lambda = (sqrt 1.5 + 0.12 +
  // 0.11 / sqrt 1.5) = 1.43447; Q = 2 (e^(-2 l^2) - e^(-8 l^2) + ...) = 0.0326217.
  TestResult r = ks_two_sample({1, 2, 3}, {4, 5, 6});
  CHECK(r.statistic == Approx(1.0));
  CHECK(r.p == Approx(0.0326217).epsilon(1e-4));
  // {1..5} vs {3..8}: after x = 2 the CDFs are 2/5 and 0 -> 0.4; after 5: 1 and 3/6 -> 0.5.
  // ne = 30 / 11, p = Q((sqrt ne + 0.12 + 0.11 / sqrt ne) 0.5) = 0.367001.
  r = ks_two_sample({1, 2, 3, 4, 5}, {3, 4, 5, 6, 7, 8});
  CHECK(r.statistic == Approx(0.5));
  CHECK(r.p == Approx(0.367001).epsilon(1e-4));
  r = ks_two_sample({1, 2, 3}, {1, 2, 3});
  CHECK(r.statistic == Approx(0.0).margin(1e-12));
  CHECK(r.p == Approx(1.0));
}

TEST_CASE("shift stats: chi-square", "[shift][stats]") {
  // Closed forms: df 2: Q = e^(-x/2); df 4: Q = e^(-x/2) (1 + x/2); df 1: erfc(sqrt(x/2)).
  CHECK(chi_square_upper(3.0, 2) == Approx(std::exp(-1.5)));
  CHECK(chi_square_upper(2.0, 4) == Approx(std::exp(-1.0) * 2.0));     // series branch
  CHECK(chi_square_upper(20.0, 4) == Approx(std::exp(-10.0) * 11.0));  // continued fraction
  CHECK(chi_square_upper(6.0 + 2.0 / 3.0, 1) == Approx(std::erfc(std::sqrt(10.0 / 3.0))));
  // 2 x 2 table {10, 20} / {20, 10}: every expected count 15, X^2 = 4 * 25 / 15 = 6.667, df 1,
  // p = erfc(sqrt(3.333)) = 0.0098233.
  TestResult r = chi_square_2xk({10, 20}, {20, 10});
  CHECK(r.statistic == Approx(20.0 / 3.0));
  CHECK(r.df == 1);
  CHECK(r.p == Approx(0.0098233).epsilon(1e-4));
  // 2 x 3 table {10, 20, 30} / {30, 20, 10}: expected 20 each, X^2 = (100 + 0 + 100) * 2 / 20 =
  // 20, df 2, p = e^-10. A category empty in both is left out.
  r = chi_square_2xk({10, 20, 30, 0}, {30, 20, 10, 0});
  CHECK(r.statistic == Approx(20.0));
  CHECK(r.df == 2);
  CHECK(r.p == Approx(std::exp(-10.0)));
}

TEST_CASE("shift stats: attributes ranked worst first", "[shift][stats]") {
  AttributeSample a{"range", "object", false, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {}};
  AttributeSample b{"class", "object", true, {}, {"Car", "Car", "Pedestrian", "Car"}};
  AttributeSample a2 = a;  // unchanged
  AttributeSample b2{"class", "object", true, {}, {"Pedestrian", "Pedestrian", "Cyclist", "Car"}};
  AttributeSample only{"weather", "metadata", true, {}, {"sun"}};
  const auto out = compare_attributes({a, b, only}, {a2, b2});
  REQUIRE(out.size() == 2);
  CHECK(out[0].attribute == "class");
  CHECK(out[0].test == "chi2");
  CHECK(out[1].attribute == "range");
  CHECK(out[1].psi == Approx(0.0).margin(1e-12));
  CHECK(out[1].test == "ks");
}
