// Frame features and novelty (needle/shift.h): the measurements against hand-computed values,
// the standardisation, and the ranking of an unusual frame first with its reason.
#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "needle/shift.h"

using namespace needle;

TEST_CASE("shift features: image, scan and objects by hand", "[shift]") {
  FrameFeatures x;
  x.fill(kNaN);
  // A 2x2 image: sampled pixels are (0,0) only (every second pixel and row). Pure red 200:
  // grey 0.299*200 = 59.8, red share 1, blue share 0.
  Image img;
  img.width = img.height = 2;
  img.rgb = {200, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9};
  image_features(&img, x);
  CHECK(x[kFeatBrightness] == Approx(59.8));
  CHECK(x[kFeatContrast] == Approx(0.0).margin(1e-9));
  CHECK(x[kFeatChromaRed] == Approx(1.0));
  CHECK(x[kFeatChromaBlue] == Approx(0.0));
  CHECK(x[kFeatImageWidth] == 2);

  // Four points on the x axis at ranges 3, 4, 6, 9 with reflectance 0.1, 0.3, 0.1, 0.3: mean
  // range 5.5; no near-ground point, so no roughness;
  // reflectance mean 0.2, sd 0.1; 90% quantile: element floor(4 * 0.9) = 3 of the sorted ranges.
  PointCloud pc;
  pc.xyzr = {3, 0, 0, 0.1f, 4, 0, 0, 0.3f, 6, 0, 0, 0.1f, 9, 0, 0, 0.3f};
  scan_features(&pc, x);
  CHECK(x[kFeatLogPoints] == Approx(std::log(4.0)));
  CHECK(x[kFeatRangeMean] == Approx(5.5));
  CHECK(x[kFeatIntensityMean] == Approx(0.2));
  CHECK(x[kFeatIntensityStd] == Approx(0.1).epsilon(1e-5));
  CHECK(std::isnan(x[kFeatRoughness]));
  CHECK(x[kFeatRangeP90] == Approx(9.0));

  // Ground roughness: five road points 10 m out at z -1.70, -1.72, -1.73, -1.75, -1.80 (median
  // -1.73; deviations 0.03, 0.01, 0, 0.02, 0.07 -> median 0.02), plus points it must ignore: one
  // 3 m out (too near), one 25 m out (too far), one at z 0 (not ground).
  PointCloud road;
  for (float z : {-1.70f, -1.72f, -1.73f, -1.75f, -1.80f})
    road.xyzr.insert(road.xyzr.end(), {10, 0, z, 0.2f});
  road.xyzr.insert(road.xyzr.end(), {3, 0, -1.0f, 0.2f, 25, 0, -3.0f, 0.2f, 10, 0, 0, 0.2f});
  scan_features(&road, x);
  CHECK(x[kFeatRoughness] == Approx(0.02).margin(1e-6));

  // Two objects: a Car of exactly KITTI's mean size at 10 m and a Pedestrian twice the mean
  // height at 20 m: size log = (0 + log 2) / 2; one vehicle, one person.
  Object car, ped;
  car.cls = ObjectClass::Car, car.h = 1.53, car.w = 1.63, car.l = 3.88, car.loc_cam = {0, 1.7, 10};
  ped.cls = ObjectClass::Pedestrian, ped.h = 3.52, ped.w = 0.66, ped.l = 0.84;
  ped.loc_cam = {0, 1.7, 20};
  object_features({car, ped}, x);
  CHECK(x[kFeatLogObjects] == Approx(std::log(3.0)));
  CHECK(x[kFeatObjectRange] == Approx(15.0));
  CHECK(x[kFeatLogVehicles] == Approx(std::log(2.0)));
  CHECK(x[kFeatLogPeople] == Approx(std::log(2.0)));
  CHECK(x[kFeatSizeLog] == Approx(std::log(2.0) / 2));
}

TEST_CASE("shift scale: median and IQR / 1.349", "[shift]") {
  // Object range 10, 20, 30, 40, 50: median 30, quartiles (linear) 20 and 40 -> scale 20 / 1.349.
  // Brightness e^1 .. e^5 enters as its log 1 .. 5: median 3, scale 2 / 1.349.
  std::vector<FrameFeatures> t(5);
  for (std::size_t i = 0; i < 5; ++i) {
    t[i].fill(kNaN);
    t[i][kFeatObjectRange] = 10.0 * double(i + 1);
    t[i][kFeatBrightness] = std::exp(double(i + 1));
    t[i][kFeatImageWidth] = 1242;  // constant: scale floored at 1% of the median
  }
  const FeatureScale sc = fit_scale(t);
  CHECK(sc.median[kFeatObjectRange] == Approx(30));
  CHECK(sc.scale[kFeatObjectRange] == Approx(20 / 1.349));
  CHECK(sc.median[kFeatBrightness] == Approx(3));
  CHECK(sc.scale[kFeatBrightness] == Approx(2 / 1.349));
  CHECK(sc.scale[kFeatImageWidth] == Approx(12.42));
}

TEST_CASE("shift novelty: a dark frame comes first, with its reason", "[shift]") {
  std::mt19937 rng(7);
  std::normal_distribution<double> n01(0, 1);
  auto frame = [&](double brightness) {
    FrameFeatures x;
    for (std::size_t f = 0; f < kFrameFeatures; ++f) x[f] = 10 + n01(rng);
    x[kFeatBrightness] = brightness + 5 * n01(rng);
    return x;
  };
  std::vector<FrameFeatures> train, prod;
  for (int i = 0; i < 200; ++i) train.push_back(frame(110));
  for (int i = 0; i < 20; ++i) prod.push_back(frame(110));
  prod.push_back(frame(35));  // index 20: about 3x darker
  const NoveltyResult r = compute_novelty(train, prod, 2);
  REQUIRE(r.frames.size() == 21);
  CHECK(r.frames[0].frame == 20);
  CHECK(r.frames[0].novelty > 3);
  CHECK(r.frames[0].nearest.size() == kShiftNeighbours);
  CHECK(r.frames[0].reason.find("darker than training") != std::string::npos);
  // The brightness offset (ln 3 = 1.1 against a spread of ~0.05 in log units) dwarfs the
  // ordinary variation of the other frames' parts.
  CHECK(r.frames[1].novelty < r.frames[0].novelty / 2);
}
