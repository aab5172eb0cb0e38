// needle/findings.h — what the mismatch engine says about an object or a frame.
//
// Kinds are open-ended strings so that later witnesses (lidar checks, similarity, shift) add kinds
// without touching this header. The kinds of the label/prediction engine are listed below.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace needle {

namespace kind {
inline constexpr const char* kUnmatchedPrediction = "unmatched_prediction";
inline constexpr const char* kUnmatchedLabel = "unmatched_label";
inline constexpr const char* kClassMismatch = "class_mismatch";
inline constexpr const char* kPoorOverlap = "poor_overlap";
inline constexpr const char* kHeadingFlip = "heading_flip";
inline constexpr const char* kInvalidData = "invalid_data";
// Compare mode (two prediction sets)
inline constexpr const char* kRegressionMiss = "regression_miss";
inline constexpr const char* kNewFalsePositive = "new_false_positive";
inline constexpr const char* kModelClassFlip = "model_class_flip";
inline constexpr const char* kModelDisagreement = "model_disagreement";
}  // namespace kind

struct Finding {
  std::string kind;
  std::string frame;
  int label = -1;                    // index into the frame's labels, -1 = none
  int prediction = -1;               // index into the set's predictions, -1 = none
  std::string prediction_set;        // empty = none
  std::string cls;                   // label class (or the prediction's when there is no label)
  std::string predicted_class;       // empty = none
  std::optional<double> confidence;  // calibrated prediction confidence in [0,1]
  std::optional<double> iou_2d, iou_bev, iou_3d;
  double score = 0;    // [0,1], how suspicious
  std::string reason;  // one line for a person
};

}  // namespace needle
