// GL-free facts about objects shown in the inspector, header-only for tests.
#pragma once

#include "needle/types.h"

namespace needle::view {

enum class Difficulty { Easy, Moderate, Hard, Ignored };

// KITTI object benchmark difficulty (devkit evaluate_object.cpp): the easiest level whose limits
// the label meets. Limits: min 2D box height 40/25/25 px, max occlusion 0/1/2, max truncation
// 0.15/0.30/0.50. Objects meeting none (and predictions with -1 fields) are Ignored.
inline Difficulty kitti_difficulty(const Object& o) {
  const double h = o.box2d.height();
  struct Level {
    double min_height;
    int max_occlusion;
    double max_truncation;
  };
  constexpr Level kLevels[3] = {{40, 0, 0.15}, {25, 1, 0.30}, {25, 2, 0.50}};
  if (o.occluded < 0 || o.truncated < 0) return Difficulty::Ignored;
  for (int i = 0; i < 3; ++i) {
    const Level& l = kLevels[i];
    if (h >= l.min_height && o.occluded <= l.max_occlusion && o.truncated <= l.max_truncation)
      return static_cast<Difficulty>(i);
  }
  return Difficulty::Ignored;
}

inline const char* difficulty_name(Difficulty d) {
  switch (d) {
    case Difficulty::Easy:
      return "easy";
    case Difficulty::Moderate:
      return "moderate";
    case Difficulty::Hard:
      return "hard";
    case Difficulty::Ignored:
      return "-";
  }
  return "-";
}

}  // namespace needle::view
