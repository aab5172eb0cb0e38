// needle/calib.h — KITTI calibration and the velodyne <-> rectified camera <-> image transforms.
#pragma once

#include <array>
#include <optional>

#include "needle/types.h"

namespace needle {

using Mat34 = std::array<double, 12>;  // row-major 3x4
using Mat33 = std::array<double, 9>;   // row-major 3x3

struct Calib {
  std::array<Mat34, 4> P{};  // P0..P3: rectified camera i projection
  Mat33 R0_rect{};
  Mat34 Tr_velo_to_cam{};
  Mat34 Tr_imu_to_velo{};

  // p_velo -> p_rect = R0_rect * Tr_velo_to_cam * [p;1]
  Vec3 velo_to_rect(const Vec3& p_velo) const;
  // inverse of velo_to_rect
  Vec3 rect_to_velo(const Vec3& p_rect) const;
  // p_rect -> image_2 pixel through P2. Returns nullopt when z <= min_depth (behind/at the camera).
  std::optional<std::array<double, 2>> rect_to_image(const Vec3& p_rect,
                                                     double min_depth = 0.1) const;
  // Combined 3x4 matrix P2 * R0_rect * Tr_velo_to_cam (velodyne -> homogeneous image_2 pixel).
  Mat34 velo_to_image() const;
  // Combined 3x4 rigid transform velodyne -> rectified camera.
  Mat34 velo_to_rect_matrix() const;
};

}  // namespace needle
