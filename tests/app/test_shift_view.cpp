// The Shift window's histograms (gui/model/shift_view.h), GL-free, against hand-counted shares.
#include <catch2/catch.hpp>

#include "gui/model/shift_view.h"

using namespace needle;
using namespace needle::view;

TEST_CASE("shift view: histograms of both datasets", "[shift]") {
  ShiftReport r;
  r.train_samples.push_back({"class", "object", true, {}, {"Car", "Car", "Car", "Pedestrian"}});
  r.prod_samples.push_back({"class", "object", true, {}, {"Pedestrian", "Cyclist"}});
  // Categories most common in TRAIN first: Car 3/4, Pedestrian 1/4, Cyclist 0 (PROD only).
  ShiftHistogram h = shift_histogram(r, "class");
  REQUIRE(h.categorical);
  REQUIRE(h.labels == std::vector<std::string>{"Car", "Pedestrian", "Cyclist"});
  CHECK(h.train == std::vector<double>{0.75, 0.25, 0.0});
  CHECK(h.prod == std::vector<double>{0.0, 0.5, 0.5});

  // Numeric: 0..100 in both: the same shares on both sides, 16 equal bins between the 1% and
  // 99% quantiles of the 202 values together.
  std::vector<double> a, b;
  for (int i = 0; i <= 100; ++i) a.push_back(i), b.push_back(i);
  r.train_samples.push_back({"range", "object", false, a, {}});
  r.prod_samples.push_back({"range", "object", false, b, {}});
  h = shift_histogram(r, "range");
  REQUIRE(h.labels.size() == static_cast<std::size_t>(kShiftHistogramBins));
  double st = 0, sp = 0;
  for (std::size_t i = 0; i < h.train.size(); ++i) st += h.train[i], sp += h.prod[i];
  CHECK(st == Approx(1.0));
  CHECK(sp == Approx(1.0));
  CHECK(h.train == h.prod);
  // Sorted 202 values: index floor(0.01 * 201) = 2 -> 1, floor(0.99 * 201) = 198 -> 99.
  CHECK(h.labels.front() == "1");
  // An attribute missing on one side draws nothing.
  CHECK(shift_histogram(r, "weather").labels.empty());
}
