// Colours of the viewer's overlays, shared by the camera panel (ImDrawList) and the 3D view.
//
// Labels use a cool palette (greens/blues), predictions a warm one (magentas/oranges), each
// coloured by class; labels are solid, predictions dashed. The selection highlight is pure
// yellow, which neither palette nor the point colour ramp comes close to (tests rely on it).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "needle/types.h"

namespace needle::view {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};

Rgb label_color(ObjectClass c);
Rgb prediction_color(ObjectClass c);
inline constexpr Rgb kHighlight{255, 255, 0};
inline constexpr Rgb kGridColor{70, 74, 82};
inline constexpr Rgb kRingColor{95, 100, 110};
// Unlabelled lidar clusters (boxes and their points): pure cyan, away from both box palettes
// (nearest: label Van 40,235,190 and Pedestrian 60,190,255), the highlight yellow and the ramp.
inline constexpr Rgb kClusterColor{0, 255, 255};
// The lidar ground estimate: observed cells brighter than interpolated ones.
inline constexpr Rgb kGroundSeenColor{200, 140, 60};
inline constexpr Rgb kGroundGuessColor{110, 80, 45};

// The point colour ramp (same stops as shaders/points.vert), t in [0,1].
Rgb ramp_color(float t);

// Small tag colour for a finding kind (frame list, inspector).
Rgb finding_kind_color(const std::string& kind);
// Short tag text for a finding kind ("FP", "FN", "CLS" ...).
const char* finding_kind_tag(const std::string& kind);

// Every finding kind the viewer tags, with a one-line meaning (the help window's legend).
struct FindingKindHelp {
  const char* kind;
  const char* text;
};
const std::vector<FindingKindHelp>& finding_kind_help();

inline std::uint32_t to_imu32(Rgb c, std::uint8_t alpha = 255) {  // ImGui's IM_COL32 layout
  return static_cast<std::uint32_t>(c.r) | (static_cast<std::uint32_t>(c.g) << 8) |
         (static_cast<std::uint32_t>(c.b) << 16) | (static_cast<std::uint32_t>(alpha) << 24);
}

}  // namespace needle::view
