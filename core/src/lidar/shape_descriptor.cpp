// lidar/shape_descriptor.cpp — esf_descriptor (needle/lidar_shape.h) through PCL's ESFEstimation.
#include "needle/lidar_shape.h"

#include <pcl/features/esf.h>
#include <pcl/point_cloud.h>
#include <pcl/point_types.h>

#include <algorithm>
#include <array>
#include <tuple>

namespace needle {

std::vector<float> esf_descriptor(const std::vector<Vec3>& points) {
  // Distinct points only: ESF draws triples until their indices differ, not their coordinates.
  std::vector<std::array<float, 3>> unique;
  unique.reserve(points.size());
  for (const Vec3& p : points)
    unique.push_back({static_cast<float>(p.x), static_cast<float>(p.y), static_cast<float>(p.z)});
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  if (unique.size() < kEsfMinPoints) return {};

  auto cloud = pcl::make_shared<pcl::PointCloud<pcl::PointXYZ>>();
  cloud->reserve(unique.size());
  for (const auto& p : unique) cloud->push_back(pcl::PointXYZ(p[0], p[1], p[2]));
  pcl::ESFEstimation<pcl::PointXYZ, pcl::ESFSignature640> esf;
  esf.setInputCloud(cloud);
  pcl::PointCloud<pcl::ESFSignature640> out;
  esf.compute(out);
  if (out.empty()) return {};
  return std::vector<float>(out[0].histogram, out[0].histogram + kEsfDims);
}

}  // namespace needle
