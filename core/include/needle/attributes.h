// needle/attributes.h — what a dataset can be sliced by: built-in attributes of objects and
// frames, and the user's own per-frame metadata (a CSV file).
//
// An attribute has a name, a scope (each object, or each frame), a kind (numeric or
// categorical) and bins, each with a label ("30-40 m"). Numeric bins are half-open intervals
// [low, high) given by ascending edges (the last may be +infinity: "50+ m"); a categorical
// attribute has one bin per category. A value outside every bin, or not known (a detection has
// no occlusion, a frame has no scan), has bin -1 and belongs to no slice.
//
// Built-in object attributes (labels, and the detections of one prediction set where the
// detection itself carries the value):
//   class       categorical: the KITTI type (labels and detections)
//   range       numeric, m: x-z distance of the box from the camera (labels and detections)
//   occlusion   categorical: the label's occluded flag 0..3 (labels only)
//   truncation  numeric: the label's truncated value, bins at the devkit's limits (labels only)
//   height      numeric, px: 2D box height (labels and detections)
//   size        numeric, m^3: 3D box volume h*w*l (labels and detections)
//   heading     categorical: heading relative to the sensor's ray, from the observation angle
//               alpha = rotation_y - atan2(x, z): rear (|alpha + 90 deg| <= 45), front
//               (|alpha - 90 deg| <= 45), side (right) (|alpha| < 45), side (left) (the rest)
//               (labels and detections)
//   points      numeric: non-ground lidar points inside the box (labels; only when the lidar
//               pass results are given)
//   findings    categorical: the kind of the object's highest-scoring finding, "none" without
//               one (labels, and detections of the set; only when a ranking is given)
// Built-in frame attributes:
//   objects     numeric: non-DontCare labels in the frame (frames with a label file)
//   brightness  numeric, 0..255: mean luma of the image (only when image statistics are given)
//   contrast    numeric: standard deviation of the luma (only when image statistics are given)
//   scan_points numeric: points in the scan (lidar pass when given, else a .bin's size / 16)
//   mean_range  numeric, m: mean range of the frame's labels with a 3D box
// DontCare labels have no object attribute value (bin -1): they stay DontCare in every slice.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "needle/dataset.h"
#include "needle/findings.h"
#include "needle/lidar.h"
#include "needle/ranking.h"

namespace needle {

enum class AttributeScope { Object, Frame };
enum class AttributeKind { Numeric, Categorical };

struct AttributeSpec {
  std::string name;  // "range"
  AttributeScope scope = AttributeScope::Object;
  AttributeKind kind = AttributeKind::Numeric;
  std::string unit;                 // "m", "px", "m^3", "" (for labels and axes)
  std::vector<double> edges;        // numeric: ascending bin edges, bins = edges.size() - 1
  std::vector<std::string> labels;  // one per bin ("30-40 m"; a category's own text)
  std::string source;               // "built-in" or the metadata file
  std::size_t bins() const { return labels.size(); }
};

// The bin of a numeric value: i with edges[i] <= v < edges[i + 1], or -1 (NaN, out of range).
int numeric_bin(const std::vector<double>& edges, double v);
// Labels of numeric bins: "a-b unit", the last "a+ unit" when its upper edge is infinite.
// Edges print with up to 2 decimals, trailing zeros dropped ("0.15-0.3").
std::vector<std::string> numeric_bin_labels(const std::vector<double>& edges,
                                            const std::string& unit);

// The values of one attribute over a dataset. Object scope: label_bin[frame][label] (and
// label_value) parallel to FrameAnnotations::labels; pred_bin[frame][detection] parallel to the
// chosen prediction set's objects, or empty when detections do not carry this attribute (they
// then belong to every slice of it). Frame scope: frame_bin[frame]. Values are NaN for
// categorical attributes and where unknown.
struct AttributeValues {
  AttributeSpec spec;
  std::vector<std::vector<int>> label_bin, pred_bin;
  std::vector<std::vector<double>> label_value, pred_value;
  std::vector<int> frame_bin;
  std::vector<double> frame_value;
  bool preds_have_values() const { return !pred_bin.empty(); }
};

// Cheap statistics of an image (computed when it is loaded).
struct ImageStats {
  double brightness = 0;  // mean luma (Rec. 601: 0.299 R + 0.587 G + 0.114 B), 0..255
  double contrast = 0;    // standard deviation of the luma
};
// Samples every `stride`-th pixel of every `stride`-th row; stride 0 picks one for ~16k samples.
ImageStats image_stats(const Image& image, int stride = 0);

// What the built-in attributes are computed from. Only `frames` is required.
struct AttributeInputs {
  const std::vector<FrameAnnotations>* frames = nullptr;  // one per dataset frame
  int pred_set = -1;  // index into FrameAnnotations::preds whose detections get values; -1: none
  std::string pred_set_name;                       // its name (to attach findings to detections)
  const DatasetIndex* index = nullptr;             // scan sizes when no lidar pass is given
  const std::vector<FrameLidar>* lidar = nullptr;  // parallel to frames: points inside, scans
  const RankResult* ranking = nullptr;             // findings of the objects
  const std::vector<std::optional<ImageStats>>* images = nullptr;  // parallel to frames
};

// Names of the built-in attributes, objects then frames, in the order listed above.
const std::vector<std::string>& builtin_attribute_names();
// The built-in attributes the inputs allow (points needs `lidar`, findings `ranking`,
// brightness/contrast `images`; the others are always there), in builtin_attribute_names order.
std::vector<AttributeValues> compute_builtin_attributes(const AttributeInputs& in);

// --- user metadata ----------------------------------------------------------------------------

// A CSV file keyed by frame id: a header row naming the columns, the first column being the
// frame id, then one row per frame. Fields may be quoted ("a, b" with "" for a quote); blank
// lines are skipped; cells are trimmed of spaces. A column is numeric when every non-empty cell
// parses as a finite number, else categorical. Empty cells are unknown values.
struct MetadataTable {
  std::filesystem::path file;
  std::vector<std::string> columns;  // header names after the id column
  std::vector<std::string> ids;      // one per row
  std::vector<std::vector<std::string>> cells;  // [row][column], columns.size() each
  std::vector<int> lines;                       // 1-based file line of each row
};

// Throws ParseError (file, line, field "column N 'name'") on: an unreadable or empty file, an
// empty or duplicate column name, a row with more or fewer cells than the header, an empty or
// duplicate frame id, an unterminated quote.
MetadataTable read_metadata_csv(const std::filesystem::path& file);

// Numeric columns with at most this many distinct values are categorical (a sequence number, a
// sensor id): slicing by each value says more than bins would.
inline constexpr std::size_t kMetadataMaxCategories = 8;
// Bins of a numeric metadata column with more distinct values: equal-count (quantile) bins.
inline constexpr int kMetadataNumericBins = 5;

// One frame attribute per metadata column, named after the column. `frame_ids` are the
// dataset's frames; rows whose id is not among them are reported in `unknown_ids` (not an
// error: the file may describe a larger set). Categories sort numerically when all are numbers,
// else in byte order. A column named like a built-in attribute is an error (ParseError, line 1).
std::vector<AttributeValues> metadata_attributes(const MetadataTable& table,
                                                 const std::vector<std::string>& frame_ids,
                                                 std::vector<std::string>* unknown_ids = nullptr);

}  // namespace needle
