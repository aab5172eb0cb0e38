// needle/matching.h — associating one prediction set's boxes with a frame's labels.
//
// Matching follows the KITTI devkit where it has a rule, and adds two passes it does not have:
//   1. class-aware pass (devkit): predictions in descending score order each take the free label
//      of the same or a neighbour class with the highest overlap >= the label class's minimum
//      overlap (devkit: Car 0.7, Pedestrian/Cyclist 0.5; defaults here for the other classes:
//      Van/Truck/Tram 0.7, the rest 0.5; all configurable).
//   2. class-agnostic pass: leftovers of any class with overlap >= agnostic_min_overlap (or one
//      footprint mostly inside the other) are paired, so that a box of another class in the same
//      place is one class disagreement rather than a miss plus a false positive.
//   3. DontCare: a leftover prediction whose 2D box lies mostly inside a DontCare region
//      (overlap_2d_over_a(pred, dontcare) >= dontcare_min_overlap, the devkit rule) is absorbed.
//   4. displaced pairing: leftover labels and predictions of compatible classes whose BEV centres
//      lie within a gate that grows with object size and range are paired closest first: one
//      displaced box, not a missing label plus a spurious one.
//   5. duplicates: leftover predictions overlapping any label (>= duplicate_min_overlap, or half
//      of the smaller footprint) are second hypotheses of a detector (NMS leftovers, alternative
//      classes), not missing labels.
// Neighbour classes (Van/Car, Person_sitting/Pedestrian) are compatible: never an error.
//
// Overlap space: Auto uses BEV IoU when both boxes have a 3D box, else image 2D IoU.
// Pure functions; no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "needle/types.h"

namespace needle {

inline constexpr std::size_t kNumClasses = static_cast<std::size_t>(ObjectClass::Unknown) + 1;
inline std::size_t class_index(ObjectClass c) {
  return static_cast<std::size_t>(c);
}

// Van/Car and Person_sitting/Pedestrian (symmetric). Not reflexive.
bool neighbour_classes(ObjectClass a, ObjectClass b);
// Same class or neighbours.
inline bool compatible_classes(ObjectClass a, ObjectClass b) {
  return a == b || neighbour_classes(a, b);
}

enum class MatchSpace : std::uint8_t { Auto, Image2D, BEV, ThreeD };

struct MatchConfig {
  MatchSpace space = MatchSpace::Auto;
  // Minimum overlap of the class-aware pass, indexed by the label's class_index().
  std::array<double, kNumClasses> min_overlap = default_min_overlap();
  double agnostic_min_overlap = 0.5;
  double agnostic_min_containment = 0.7;    // BEV intersection over the smaller footprint ...
  double containment_min_area_ratio = 0.3;  // ... of two footprints of comparable size
  double dontcare_min_overlap = 0.5;
  double duplicate_min_overlap = 0.25;
  double duplicate_min_containment = 0.5;  // BEV intersection over the smaller footprint
  bool displaced_pairing = true;
  // Displaced-pair gate on the BEV centre distance, metres:
  //   gate = size_factor * max(l_label, l_pred) + base + per_metre * range(label)
  double displaced_size_factor = 0.75, displaced_base = 0.5, displaced_per_metre = 0.05;
  double displaced_min_iou_2d = 0.1;  // gate for boxes without a 3D box

  static std::array<double, kNumClasses> default_min_overlap();
  double min_overlap_for(ObjectClass c) const { return min_overlap[class_index(c)]; }
  void set_min_overlap(ObjectClass c, double v) { min_overlap[class_index(c)] = v; }
  double displaced_gate(const Object& label, const Object& pred) const;
};

// Overlaps of one label/prediction pair; -1 where a measure does not apply (no 3D box, no 2D box).
struct PairGeometry {
  float iou_2d = -1, iou_bev = -1, iou_3d = -1;
  float centre_distance = -1;  // BEV, metres
  float containment = 0;       // BEV intersection over the smaller footprint (0 without 3D)
};

enum class PairKind : std::uint8_t {
  Matched,        // pass 1: compatible classes, overlap >= the class minimum
  Loose,          // pass 2 or 4 with compatible classes: same object, poor overlap / displaced
  ClassMismatch,  // pass 2 with incompatible classes
};

struct MatchPair {
  int label = -1, pred = -1;
  PairKind kind = PairKind::Matched;
  bool displaced = false;  // came from pass 4
  PairGeometry geo;
};

enum class PredFate : std::uint8_t { Unmatched, Paired, InDontCare, Duplicate };

struct FrameMatch {
  std::size_t n_labels = 0, n_preds = 0;
  std::vector<MatchPair> pairs;
  std::vector<int> label_pair;  // per label: index into pairs, -1 = none (DontCare labels: -1)
  std::vector<int> pred_pair;   // per prediction: index into pairs, -1 = none
  std::vector<PredFate> pred_fate;
  // Per label: the highest-scoring prediction overlapping it by the duplicate rule (any fate,
  // paired to it or not), -1 = none. "Something was seen there."
  std::vector<int> label_overlap;
  std::vector<PairGeometry> geo;  // n_labels x n_preds, row-major (label-major)

  const PairGeometry& at(std::size_t label, std::size_t pred) const {
    return geo[label * n_preds + pred];
  }
  const MatchPair* pair_of_label(std::size_t label) const {
    const int k = label_pair[label];
    return k < 0 ? nullptr : &pairs[static_cast<std::size_t>(k)];
  }
  const MatchPair* pair_of_pred(std::size_t pred) const {
    const int k = pred_pair[pred];
    return k < 0 ? nullptr : &pairs[static_cast<std::size_t>(k)];
  }
};

// Overlaps of a pair. 2D needs positive-area boxes on both; BEV/3D need has_3d() on both.
PairGeometry pair_geometry(const Object& label, const Object& pred);
// The overlap used for matching in `space` (0 when that measure does not apply).
double match_overlap(const PairGeometry& g, MatchSpace space);

// order_scores: one per prediction (higher = matched first; ties by index). May be empty: then
// the predictions' own score fields are used (missing score = 0).
FrameMatch match_frame(const std::vector<Object>& labels, const std::vector<Object>& preds,
                       const std::vector<double>& order_scores, const MatchConfig& cfg = {});

}  // namespace needle
