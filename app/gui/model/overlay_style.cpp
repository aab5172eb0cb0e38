#include "gui/model/overlay_style.h"

#include <algorithm>
#include <string>

#include "needle/findings.h"
#include "needle/lidar_witness.h"

namespace needle::view {

Rgb label_color(ObjectClass c) {
  switch (c) {
    case ObjectClass::Car:
      return {40, 255, 40};
    case ObjectClass::Van:
      return {40, 235, 190};
    case ObjectClass::Truck:
      return {150, 255, 60};
    case ObjectClass::Pedestrian:
      return {60, 190, 255};
    case ObjectClass::PersonSitting:
      return {100, 150, 255};
    case ObjectClass::Cyclist:
      return {170, 130, 255};
    case ObjectClass::Tram:
      return {200, 255, 170};
    case ObjectClass::Misc:
      return {180, 210, 180};
    case ObjectClass::DontCare:
      return {150, 150, 150};
    case ObjectClass::Unknown:
      return {220, 240, 220};
  }
  return {255, 255, 255};
}

Rgb prediction_color(ObjectClass c) {
  switch (c) {
    case ObjectClass::Car:
      return {255, 50, 200};
    case ObjectClass::Van:
      return {255, 90, 120};
    case ObjectClass::Truck:
      return {255, 140, 220};
    case ObjectClass::Pedestrian:
      return {255, 140, 0};
    case ObjectClass::PersonSitting:
      return {255, 185, 60};
    case ObjectClass::Cyclist:
      return {255, 60, 60};
    case ObjectClass::Tram:
      return {230, 120, 255};
    case ObjectClass::Misc:
      return {240, 190, 220};
    case ObjectClass::DontCare:
      return {150, 120, 140};
    case ObjectClass::Unknown:
      return {255, 220, 240};
  }
  return {255, 255, 255};
}

Rgb ramp_color(float t) {
  static constexpr std::array<Rgb, 5> kRamp = {Rgb{40, 60, 200}, Rgb{0, 170, 255}, Rgb{0, 220, 140},
                                               Rgb{180, 230, 80}, Rgb{250, 150, 60}};
  const float s = std::clamp(t, 0.0f, 1.0f) * 4.0f;
  const int i = std::min(static_cast<int>(s), 3);
  const float f = s - static_cast<float>(i);
  const Rgb a = kRamp[static_cast<std::size_t>(i)], b = kRamp[static_cast<std::size_t>(i + 1)];
  auto mix = [f](std::uint8_t x, std::uint8_t y) {
    return static_cast<std::uint8_t>(static_cast<float>(x) +
                                     (static_cast<float>(y) - static_cast<float>(x)) * f);
  };
  return {mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)};
}

Rgb finding_kind_color(const std::string& k) {
  if (k == kind::kUnmatchedPrediction) return {230, 80, 80};
  if (k == kind::kUnmatchedLabel) return {230, 160, 40};
  if (k == kind::kClassMismatch) return {190, 90, 230};
  if (k == kind::kPoorOverlap) return {70, 150, 230};
  if (k == kind::kHeadingFlip) return {60, 190, 170};
  if (k == kind::kInvalidData) return {200, 40, 40};
  if (k == kind::kEmptyBox) return {240, 110, 150};
  if (k == kind::kBoxFit) return {90, 200, 90};
  if (k == kind::kImplausibleSize) return {210, 200, 60};
  if (k == kind::kOffGround) return {170, 120, 70};
  if (k == kind::kUnlabeledCluster) return {kClusterColor.r, kClusterColor.g, kClusterColor.b};
  return {140, 140, 150};
}

const std::vector<FindingKindHelp>& finding_kind_help() {
  static const std::vector<FindingKindHelp> kHelp = {
      {kind::kUnmatchedPrediction, "a confident prediction no label matches"},
      {kind::kUnmatchedLabel, "a label no prediction matches"},
      {kind::kClassMismatch, "label and prediction agree on the box, not the class"},
      {kind::kPoorOverlap, "matched, but the boxes overlap poorly"},
      {kind::kHeadingFlip, "matched box turned about 180 degrees"},
      {kind::kInvalidData, "a file of the frame could not be read"},
      {kind::kRegressionMiss, "found by the old model, missed by the new"},
      {kind::kNewFalsePositive, "a false positive the old model did not make"},
      {kind::kModelClassFlip, "the two models disagree on the class"},
      {kind::kModelDisagreement, "the two models disagree on the object"},
      {kind::kEmptyBox, "lidar: far fewer points in the box than such labels have"},
      {kind::kBoxFit, "lidar: the object's points lie partly outside the box (shift/heading)"},
      {kind::kImplausibleSize, "lidar: points overflow opposite faces: the box is too small"},
      {kind::kOffGround, "lidar: the box floats above or sinks below the local ground"},
      {kind::kUnlabeledCluster, "lidar: an object-like cluster no label covers (cyan boxes)"},
  };
  return kHelp;
}

const char* finding_kind_tag(const std::string& k) {
  if (k == kind::kUnmatchedPrediction) return "FP";
  if (k == kind::kUnmatchedLabel) return "FN";
  if (k == kind::kClassMismatch) return "CLS";
  if (k == kind::kPoorOverlap) return "IOU";
  if (k == kind::kHeadingFlip) return "HDG";
  if (k == kind::kInvalidData) return "BAD";
  if (k == kind::kRegressionMiss) return "REG";
  if (k == kind::kNewFalsePositive) return "NFP";
  if (k == kind::kModelClassFlip) return "MCF";
  if (k == kind::kModelDisagreement) return "DIS";
  if (k == kind::kEmptyBox) return "EMP";
  if (k == kind::kBoxFit) return "FIT";
  if (k == kind::kImplausibleSize) return "SIZ";
  if (k == kind::kOffGround) return "GND";
  if (k == kind::kUnlabeledCluster) return "CLU";
  return "?";
}

}  // namespace needle::view
