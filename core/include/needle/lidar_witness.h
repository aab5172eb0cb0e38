// needle/lidar_witness.h — the lidar as a witness of the needle method: what is normal is learned
// from the dataset's own labels and scans (LidarModel), then each label's lidar statistics become
// terms of evidence (LabelWitness) and each unlabelled object-like cluster a missing-label
// candidate (ObjectWitness).
//
// Finding kinds it can decide (reported when its term is the strongest for the winning
// hypothesis):
//   empty_box           (hypothesis spurious) far fewer points in the box than such labels have
//                       at that range, occlusion and truncation in this dataset
//   box_fit             (shift / heading) the object's points lie partly outside the box: the box
//                       is shifted, or turned against the points' principal direction
//   implausible_size    (size) the points overflow the box on opposite faces: the box is too small
//   off_ground          (shift) the box bottom floats above or sinks below the local ground
//   unlabeled_cluster   an object-like cluster of points that overlaps no label and no DontCare
//
// Learned (robust statistics over all labels, pulled towards pooled values when a cell has few):
//   point density   y = log(n + 0.5) + 2 log(range) - log((l + w) h) - log(1 - truncation), per
//                   class and occlusion: median and MAD; n ~ area / range^2 is the physics of a
//                   scanning lidar, so a 32- or 128-beam sensor only changes the learned level
//   empty rate      how often a label of the cell has (almost) no points although many are
//                   expected (occluded objects): the floor of the "real object" likelihood
//   fit, ground     the share of an object's points outside its box, the principal-direction
//                   error and the bottom's height above the ground: median and MAD per group
//   clusters        feature densities of clusters that belong to labels (per group) against
//                   those that belong to none (walls, poles, vegetation, unlabeled objects)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "needle/dataset.h"
#include "needle/lidar.h"
#include "needle/ranking.h"

namespace needle {

namespace kind {
inline constexpr const char* kEmptyBox = "empty_box";
inline constexpr const char* kBoxFit = "box_fit";
inline constexpr const char* kImplausibleSize = "implausible_size";
inline constexpr const char* kOffGround = "off_ground";
inline constexpr const char* kUnlabeledCluster = "unlabeled_cluster";
}  // namespace kind

// Robust location and scale of one statistic.
struct RobustStat {
  double median = 0, sigma = 1;
  std::size_t n = 0;
};

// The expected number of points in a label's box (for reasons and the viewer's inspector).
struct ExpectedPoints {
  double lo = 0, hi = 0;  // 10% - 90% range, points
  double median = 0;
  bool empirical = false;  // lo/hi are quantiles of labels of the same cell and 5 m range bin
  int range_lo = 0, range_hi = 0;  // that range bin, metres (empirical only)
};

class LidarModel {
 public:
  // frames[i] and lidar[i] describe the same frame; lidar[i].ok false = no scan evidence.
  LidarModel(const std::vector<FrameAnnotations>& frames, std::vector<FrameLidar> lidar);

  const std::vector<FrameLidar>& results() const { return lidar_; }
  // Expected count for a label of this class/occlusion/truncation/size at its range.
  ExpectedPoints expected_points(const Object& label) const;
  // LabelWitness terms for label i of frame f.
  void label_terms(std::size_t f, std::size_t i, std::vector<WitnessTerm>& out) const;
  // ObjectWitness candidates (unlabelled object-like clusters) of frame f.
  void cluster_candidates(std::size_t f, std::vector<ObjectCandidate>& out) const;
  // log-likelihood ratio "object" vs "background" of a cluster's shape and density; *group
  // receives 0 (vehicle-like) or 1 (person-like).
  double cluster_llr(const LidarCluster& c, int* group = nullptr) const;

  struct Fitted;  // the learned numbers (lidar_witness.cpp)

 private:
  const std::vector<FrameAnnotations>* frames_;
  std::vector<FrameLidar> lidar_;
  std::shared_ptr<const Fitted> fit_;
};

// Witness functions for RankOptions (they share the model).
LabelWitness lidar_label_witness(std::shared_ptr<const LidarModel> m);
ObjectWitness lidar_object_witness(std::shared_ptr<const LidarModel> m);

}  // namespace needle
