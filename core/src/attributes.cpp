// attributes.cpp — built-in object and frame attributes, image statistics and user metadata.
//
// Index
//   [SECTION] Bins and labels
//   [SECTION] Default bins of the built-in attributes
//   [SECTION] Image statistics
//   [SECTION] Built-in attributes
//   [SECTION] Metadata CSV
//   [SECTION] Metadata attributes
#include "needle/attributes.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <system_error>

#include "needle/error.h"

namespace needle {

// ============================================================================================
// [SECTION] Bins and labels
// ============================================================================================
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;

std::string format_edge(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

}  // namespace

int numeric_bin(const std::vector<double>& edges, double v) {
  if (std::isnan(v) || edges.size() < 2 || v < edges.front() || !(v < edges.back())) return -1;
  // First edge greater than v; the bin is the one before it.
  const auto it = std::upper_bound(edges.begin(), edges.end(), v);
  return static_cast<int>(it - edges.begin()) - 1;
}

std::vector<std::string> numeric_bin_labels(const std::vector<double>& edges,
                                            const std::string& unit) {
  std::vector<std::string> out;
  const std::string suffix = unit.empty() ? "" : " " + unit;
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    if (std::isinf(edges[i + 1]))
      out.push_back(format_edge(edges[i]) + "+" + suffix);
    else
      out.push_back(format_edge(edges[i]) + "-" + format_edge(edges[i + 1]) + suffix);
  }
  return out;
}

// ============================================================================================
// [SECTION] Default bins of the built-in attributes
// ============================================================================================
namespace {

// Range: 10 m bins out to 50 m (the devkit's labels rarely go past ~70 m; 50+ is one tail bin).
const std::vector<double> kRangeEdges = {0, 10, 20, 30, 40, 50, kInf};
// Truncation: the devkit's difficulty limits 0.15 / 0.30 / 0.50 (evaluate_object.cpp MAX_TRUNC).
const std::vector<double> kTruncationEdges = {0, 0.15, 0.3, 0.5, kInf};
// 2D box height: the devkit's minimum heights 25 / 40 px (MIN_HEIGHT), then doublings.
const std::vector<double> kHeightEdges = {0, 25, 40, 80, 160, kInf};
// 3D volume h*w*l: KITTI's mean Pedestrian ~0.5 m^3, Cyclist ~1.8, Car ~9.5 (1.5 x 1.6 x 3.9),
// Van ~20, Truck/Tram above 30.
const std::vector<double> kSizeEdges = {0, 1, 5, 15, 30, kInf};
// Non-ground lidar points inside a box: none, a handful (far or heavily occluded), then ranges
// the lidar witness's expected-points model separates (core/src/lidar/lidar_witness.cpp).
const std::vector<double> kPointsEdges = {0, 1, 10, 50, 200, kInf};
// Labels in a frame (KITTI training: median ~4, mean ~6.5 non-DontCare).
const std::vector<double> kObjectsEdges = {0, 1, 5, 10, 20, kInf};
// Mean luma 0..255 (KITTI daytime images are mostly 70-130).
const std::vector<double> kBrightnessEdges = {0, 50, 80, 110, 140, kInf};
// Luma standard deviation.
const std::vector<double> kContrastEdges = {0, 30, 45, 60, 75, kInf};
// Points in a scan (a KITTI HDL-64E scan holds ~120k points).
const std::vector<double> kScanPointsEdges = {0, 1, 60000, 100000, 130000, kInf};
// Heading quadrant half-width around the rear/front/side directions, radians (45 degrees).
constexpr double kHeadingHalfWidth = kPi / 4;

const std::vector<std::string> kOcclusionLabels = {"0", "1", "2", "3"};
const std::vector<std::string> kHeadingLabels = {"rear", "front", "side (right)", "side (left)"};

AttributeSpec numeric_spec(const std::string& name, AttributeScope scope, const std::string& unit,
                           const std::vector<double>& edges) {
  AttributeSpec s;
  s.name = name;
  s.scope = scope;
  s.kind = AttributeKind::Numeric;
  s.unit = unit;
  s.edges = edges;
  s.labels = numeric_bin_labels(edges, unit);
  s.source = "built-in";
  return s;
}

AttributeSpec categorical_spec(const std::string& name, AttributeScope scope,
                               const std::vector<std::string>& labels) {
  AttributeSpec s;
  s.name = name;
  s.scope = scope;
  s.kind = AttributeKind::Categorical;
  s.labels = labels;
  s.source = "built-in";
  return s;
}

double wrap_angle(double a) {
  while (a > kPi) a -= 2 * kPi;
  while (a <= -kPi) a += 2 * kPi;
  return a;
}

// Observation angle (KITTI alpha) recomputed from the 3D box: predictions often write -10.
double observation_angle(const Object& o) {
  return wrap_angle(o.rotation_y - std::atan2(o.loc_cam.x, o.loc_cam.z));
}

int heading_bin(double alpha) {
  if (std::fabs(wrap_angle(alpha + kPi / 2)) <= kHeadingHalfWidth) return 0;  // rear
  if (std::fabs(wrap_angle(alpha - kPi / 2)) <= kHeadingHalfWidth) return 1;  // front
  if (std::fabs(alpha) < kHeadingHalfWidth) return 2;                         // side (right)
  return 3;                                                                   // side (left)
}

}  // namespace

const std::vector<std::string>& builtin_attribute_names() {
  static const std::vector<std::string> names = {
      "class",   "range",   "occlusion",  "truncation", "height",      "size",      "heading",
      "points",  "findings", "objects",   "brightness", "contrast",    "scan_points",
      "mean_range"};
  return names;
}

// ============================================================================================
// [SECTION] Image statistics
// ============================================================================================
ImageStats image_stats(const Image& image, int stride) {
  ImageStats st;
  if (image.empty() || image.width <= 0 || image.height <= 0) return st;
  // ~16k samples: the mean and deviation of the luma are stable to well under 1 grey level.
  constexpr double kTargetSamples = 16384;
  if (stride <= 0) {
    const double pixels = static_cast<double>(image.width) * image.height;
    stride = std::max(1, static_cast<int>(std::sqrt(pixels / kTargetSamples)));
  }
  double sum = 0, sum2 = 0;
  long n = 0;
  const std::size_t row_bytes = static_cast<std::size_t>(image.width) * 3;
  for (int y = 0; y < image.height; y += stride) {
    const std::uint8_t* row = image.rgb.data() + static_cast<std::size_t>(y) * row_bytes;
    for (int x = 0; x < image.width; x += stride) {
      const std::uint8_t* p = row + static_cast<std::size_t>(x) * 3;
      const double luma = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      sum += luma;
      sum2 += luma * luma;
      ++n;
    }
  }
  st.brightness = sum / static_cast<double>(n);
  st.contrast = std::sqrt(std::max(0.0, sum2 / static_cast<double>(n) - st.brightness * st.brightness));
  return st;
}

// ============================================================================================
// [SECTION] Built-in attributes
// ============================================================================================
namespace {

// The per-object value of one attribute, NaN when unknown; categorical attributes return the
// bin index as a double.
using ObjectValueFn = double (*)(const Object&);

double value_range(const Object& o) { return o.has_3d() ? o.distance() : kNaN; }
double value_truncation(const Object& o) { return o.truncated >= 0 ? o.truncated : kNaN; }
double value_height(const Object& o) {
  const double h = o.box2d.height();
  return h > 0 ? h : kNaN;
}
double value_size(const Object& o) { return o.has_3d() ? o.h * o.w * o.l : kNaN; }
double value_heading_deg(const Object& o) {
  return o.has_3d() ? observation_angle(o) * 180.0 / kPi : kNaN;
}

struct Builder {
  const AttributeInputs& in;
  std::size_t n_frames;

  const std::vector<Object>* preds_of(std::size_t f) const {
    const FrameAnnotations& a = (*in.frames)[f];
    if (in.pred_set < 0 || static_cast<std::size_t>(in.pred_set) >= a.preds.size()) return nullptr;
    return &a.preds[static_cast<std::size_t>(in.pred_set)].objects;
  }

  AttributeValues object_attr(AttributeSpec spec, bool for_preds) const {
    AttributeValues v;
    v.spec = std::move(spec);
    v.label_bin.resize(n_frames);
    v.label_value.resize(n_frames);
    if (for_preds) {
      v.pred_bin.resize(n_frames);
      v.pred_value.resize(n_frames);
    }
    for (std::size_t f = 0; f < n_frames; ++f) {
      const FrameAnnotations& a = (*in.frames)[f];
      v.label_bin[f].assign(a.labels.size(), -1);
      v.label_value[f].assign(a.labels.size(), kNaN);
      if (for_preds) {
        const std::vector<Object>* p = preds_of(f);
        const std::size_t n = p ? p->size() : 0;
        v.pred_bin[f].assign(n, -1);
        v.pred_value[f].assign(n, kNaN);
      }
    }
    return v;
  }

  // A numeric attribute from a per-object function, for labels and (optionally) detections.
  AttributeValues numeric_object(AttributeSpec spec, ObjectValueFn fn, bool for_preds) const {
    AttributeValues v = object_attr(std::move(spec), for_preds);
    for (std::size_t f = 0; f < n_frames; ++f) {
      const FrameAnnotations& a = (*in.frames)[f];
      for (std::size_t i = 0; i < a.labels.size(); ++i) {
        if (a.labels[i].is_dontcare()) continue;
        const double x = fn(a.labels[i]);
        v.label_value[f][i] = x;
        v.label_bin[f][i] = numeric_bin(v.spec.edges, x);
      }
      if (!for_preds) continue;
      if (const std::vector<Object>* p = preds_of(f))
        for (std::size_t j = 0; j < p->size(); ++j) {
          const double x = fn((*p)[j]);
          v.pred_value[f][j] = x;
          v.pred_bin[f][j] = numeric_bin(v.spec.edges, x);
        }
    }
    return v;
  }

  AttributeValues class_attr() const {
    // Categories: every class present among labels and detections, in the enum's order.
    std::set<int> present;
    for (std::size_t f = 0; f < n_frames; ++f) {
      for (const Object& o : (*in.frames)[f].labels)
        if (!o.is_dontcare()) present.insert(static_cast<int>(o.cls));
      if (const std::vector<Object>* p = preds_of(f))
        for (const Object& o : *p)
          if (!o.is_dontcare()) present.insert(static_cast<int>(o.cls));
    }
    std::vector<std::string> labels;
    std::map<int, int> bin_of;
    for (int c : present) {
      bin_of[c] = static_cast<int>(labels.size());
      labels.push_back(class_name(static_cast<ObjectClass>(c)));
    }
    AttributeValues v = object_attr(categorical_spec("class", AttributeScope::Object, labels), true);
    for (std::size_t f = 0; f < n_frames; ++f) {
      const FrameAnnotations& a = (*in.frames)[f];
      for (std::size_t i = 0; i < a.labels.size(); ++i)
        if (!a.labels[i].is_dontcare()) v.label_bin[f][i] = bin_of[static_cast<int>(a.labels[i].cls)];
      if (const std::vector<Object>* p = preds_of(f))
        for (std::size_t j = 0; j < p->size(); ++j)
          if (!(*p)[j].is_dontcare()) v.pred_bin[f][j] = bin_of[static_cast<int>((*p)[j].cls)];
    }
    return v;
  }

  AttributeValues occlusion_attr() const {
    AttributeValues v = object_attr(
        categorical_spec("occlusion", AttributeScope::Object, kOcclusionLabels), false);
    for (std::size_t f = 0; f < n_frames; ++f) {
      const FrameAnnotations& a = (*in.frames)[f];
      for (std::size_t i = 0; i < a.labels.size(); ++i) {
        const Object& o = a.labels[i];
        if (o.is_dontcare() || o.occluded < 0 || o.occluded > 3) continue;
        v.label_bin[f][i] = o.occluded;
        v.label_value[f][i] = o.occluded;
      }
    }
    return v;
  }

  AttributeValues heading_attr() const {
    AttributeValues v =
        object_attr(categorical_spec("heading", AttributeScope::Object, kHeadingLabels), true);
    auto fill = [](const Object& o, int& bin, double& value) {
      if (o.is_dontcare() || !o.has_3d()) return;
      value = value_heading_deg(o);
      bin = heading_bin(observation_angle(o));
    };
    for (std::size_t f = 0; f < n_frames; ++f) {
      const FrameAnnotations& a = (*in.frames)[f];
      for (std::size_t i = 0; i < a.labels.size(); ++i)
        fill(a.labels[i], v.label_bin[f][i], v.label_value[f][i]);
      if (const std::vector<Object>* p = preds_of(f))
        for (std::size_t j = 0; j < p->size(); ++j)
          fill((*p)[j], v.pred_bin[f][j], v.pred_value[f][j]);
    }
    return v;
  }

  AttributeValues points_attr() const {
    AttributeValues v =
        object_attr(numeric_spec("points", AttributeScope::Object, "pts", kPointsEdges), false);
    const std::vector<FrameLidar>& lidar = *in.lidar;
    for (std::size_t f = 0; f < n_frames && f < lidar.size(); ++f) {
      if (!lidar[f].ok) continue;
      const FrameAnnotations& a = (*in.frames)[f];
      for (std::size_t i = 0; i < a.labels.size() && i < lidar[f].labels.size(); ++i) {
        const LabelLidarStats& s = lidar[f].labels[i];
        if (!s.valid || a.labels[i].is_dontcare()) continue;
        v.label_value[f][i] = s.n_in;
        v.label_bin[f][i] = numeric_bin(v.spec.edges, s.n_in);
      }
    }
    return v;
  }

  AttributeValues findings_attr() const {
    // Categories: "none" first, then every kind the ranking reports, in name order.
    std::set<std::string> kinds;
    for (const FrameRank& fr : in.ranking->frames)
      for (const Finding& fd : fr.findings) kinds.insert(fd.kind);
    std::vector<std::string> labels = {"none"};
    labels.insert(labels.end(), kinds.begin(), kinds.end());
    std::map<std::string, int> bin_of;
    for (std::size_t i = 0; i < labels.size(); ++i) bin_of[labels[i]] = static_cast<int>(i);

    const bool for_preds = in.pred_set >= 0;
    AttributeValues v =
        object_attr(categorical_spec("findings", AttributeScope::Object, labels), for_preds);
    for (std::size_t f = 0; f < n_frames; ++f) {
      const FrameAnnotations& a = (*in.frames)[f];
      for (std::size_t i = 0; i < a.labels.size(); ++i)
        if (!a.labels[i].is_dontcare()) v.label_bin[f][i] = 0;
      if (for_preds) std::fill(v.pred_bin[f].begin(), v.pred_bin[f].end(), 0);
    }
    // Findings are sorted by score within a frame: the first one naming an object decides.
    for (const FrameRank& fr : in.ranking->frames) {
      const std::size_t f = fr.frame_index;
      if (f >= n_frames) continue;
      std::vector<std::uint8_t> label_done(v.label_bin[f].size(), 0);
      std::vector<std::uint8_t> pred_done(for_preds ? v.pred_bin[f].size() : 0, 0);
      for (const Finding& fd : fr.findings) {
        const int bin = bin_of[fd.kind];
        if (fd.label >= 0 && static_cast<std::size_t>(fd.label) < label_done.size()) {
          const std::size_t i = static_cast<std::size_t>(fd.label);
          if (!label_done[i] && v.label_bin[f][i] >= 0) {
            v.label_bin[f][i] = bin;
            label_done[i] = 1;
          }
        }
        if (for_preds && fd.prediction >= 0 && fd.prediction_set == in.pred_set_name &&
            static_cast<std::size_t>(fd.prediction) < pred_done.size()) {
          const std::size_t j = static_cast<std::size_t>(fd.prediction);
          if (!pred_done[j]) {
            v.pred_bin[f][j] = bin;
            pred_done[j] = 1;
          }
        }
      }
    }
    return v;
  }

  AttributeValues frame_attr(AttributeSpec spec) const {
    AttributeValues v;
    v.spec = std::move(spec);
    v.frame_bin.assign(n_frames, -1);
    v.frame_value.assign(n_frames, kNaN);
    return v;
  }

  void set_frame(AttributeValues& v, std::size_t f, double x) const {
    v.frame_value[f] = x;
    v.frame_bin[f] = numeric_bin(v.spec.edges, x);
  }

  AttributeValues objects_attr() const {
    AttributeValues v = frame_attr(numeric_spec("objects", AttributeScope::Frame, "", kObjectsEdges));
    for (std::size_t f = 0; f < n_frames; ++f) {
      const FrameAnnotations& a = (*in.frames)[f];
      if (!a.has_labels) continue;
      const auto n = std::count_if(a.labels.begin(), a.labels.end(),
                                   [](const Object& o) { return !o.is_dontcare(); });
      set_frame(v, f, static_cast<double>(n));
    }
    return v;
  }

  AttributeValues image_attr(bool brightness) const {
    AttributeValues v = brightness
                            ? frame_attr(numeric_spec("brightness", AttributeScope::Frame, "",
                                                      kBrightnessEdges))
                            : frame_attr(numeric_spec("contrast", AttributeScope::Frame, "",
                                                      kContrastEdges));
    const auto& images = *in.images;
    for (std::size_t f = 0; f < n_frames && f < images.size(); ++f)
      if (images[f]) set_frame(v, f, brightness ? images[f]->brightness : images[f]->contrast);
    return v;
  }

  AttributeValues scan_points_attr() const {
    AttributeValues v =
        frame_attr(numeric_spec("scan_points", AttributeScope::Frame, "", kScanPointsEdges));
    for (std::size_t f = 0; f < n_frames; ++f) {
      if (in.lidar && f < in.lidar->size() && (*in.lidar)[f].ok) {
        set_frame(v, f, (*in.lidar)[f].n_points);
        continue;
      }
      // A .bin holds 16 bytes a point (x, y, z, reflectance as float32): its size says the count.
      constexpr std::uintmax_t kBytesPerPoint = 16;
      if (!in.index || f >= in.index->frames.size()) continue;
      const std::filesystem::path& p = in.index->frames[f].velodyne;
      if (p.empty() || p.extension() != ".bin") continue;
      std::error_code ec;
      const std::uintmax_t bytes = std::filesystem::file_size(p, ec);
      if (ec || bytes % kBytesPerPoint != 0) continue;
      set_frame(v, f, static_cast<double>(bytes / kBytesPerPoint));
    }
    return v;
  }

  AttributeValues mean_range_attr() const {
    AttributeValues v =
        frame_attr(numeric_spec("mean_range", AttributeScope::Frame, "m", kRangeEdges));
    for (std::size_t f = 0; f < n_frames; ++f) {
      double sum = 0;
      int n = 0;
      for (const Object& o : (*in.frames)[f].labels)
        if (!o.is_dontcare() && o.has_3d()) {
          sum += o.distance();
          ++n;
        }
      if (n > 0) set_frame(v, f, sum / n);
    }
    return v;
  }
};

}  // namespace

std::vector<AttributeValues> compute_builtin_attributes(const AttributeInputs& in) {
  std::vector<AttributeValues> out;
  if (!in.frames) return out;
  const Builder b{in, in.frames->size()};
  const AttributeScope obj = AttributeScope::Object;
  out.push_back(b.class_attr());
  out.push_back(b.numeric_object(numeric_spec("range", obj, "m", kRangeEdges), value_range, true));
  out.push_back(b.occlusion_attr());
  out.push_back(b.numeric_object(numeric_spec("truncation", obj, "", kTruncationEdges),
                                 value_truncation, false));
  out.push_back(
      b.numeric_object(numeric_spec("height", obj, "px", kHeightEdges), value_height, true));
  out.push_back(b.numeric_object(numeric_spec("size", obj, "m^3", kSizeEdges), value_size, true));
  out.push_back(b.heading_attr());
  if (in.lidar) out.push_back(b.points_attr());
  if (in.ranking) out.push_back(b.findings_attr());
  out.push_back(b.objects_attr());
  if (in.images) {
    out.push_back(b.image_attr(true));
    out.push_back(b.image_attr(false));
  }
  out.push_back(b.scan_points_attr());
  out.push_back(b.mean_range_attr());
  return out;
}

// ============================================================================================
// [SECTION] Metadata CSV
// ============================================================================================
namespace {

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

[[noreturn]] void fail(const std::filesystem::path& file, int line, const std::string& field,
                       const std::string& message) {
  Problem p;
  p.modality = "metadata";
  p.file = file.string();
  p.line = line;
  p.field = field;
  p.message = message;
  throw ParseError(p);
}

std::string column_field(std::size_t index, const std::string& name) {
  return "column " + std::to_string(index + 1) + (name.empty() ? "" : " '" + name + "'");
}

// Splits one CSV line; a quoted field may hold commas and "" for a quote (not newlines).
std::vector<std::string> split_csv(const std::string& line, const std::filesystem::path& file,
                                   int line_no) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur += c;
      }
    } else if (c == '"' && trim(cur).empty()) {
      cur.clear();
      quoted = was_quoted = true;
    } else if (c == ',') {
      out.push_back(was_quoted ? cur : trim(cur));
      cur.clear();
      was_quoted = false;
    } else {
      cur += c;
    }
  }
  if (quoted)
    fail(file, line_no, column_field(out.size(), ""), "unterminated quoted field");
  out.push_back(was_quoted ? cur : trim(cur));
  return out;
}

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') ++b;
  const auto r = std::from_chars(b, e, out);
  return r.ec == std::errc() && r.ptr == e && std::isfinite(out);
}

}  // namespace

MetadataTable read_metadata_csv(const std::filesystem::path& file) {
  std::ifstream is(file, std::ios::binary);
  if (!is) fail(file, 0, "", "cannot open the metadata file");
  MetadataTable t;
  t.file = file;
  std::string line;
  int line_no = 0;
  bool header = false;
  std::map<std::string, int> id_line;
  while (std::getline(is, line)) {
    ++line_no;
    if (line_no == 1 && line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0)
      line.erase(0, 3);  // a UTF-8 byte order mark (spreadsheet exports)
    if (trim(line).empty()) continue;
    std::vector<std::string> cells = split_csv(line, file, line_no);
    if (!header) {
      if (cells.size() < 2)
        fail(file, line_no, "", "the header needs the frame id column and at least one more");
      std::set<std::string> seen;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (cells[c].empty()) fail(file, line_no, column_field(c, ""), "empty column name");
        if (!seen.insert(cells[c]).second)
          fail(file, line_no, column_field(c, cells[c]), "duplicate column name");
      }
      t.columns.assign(cells.begin() + 1, cells.end());
      header = true;
      continue;
    }
    const std::size_t want = t.columns.size() + 1;
    if (cells.size() != want)
      fail(file, line_no, column_field(std::min(cells.size(), want), ""),
           std::to_string(cells.size()) + " cells, the header has " + std::to_string(want));
    if (cells[0].empty()) fail(file, line_no, column_field(0, ""), "empty frame id");
    const auto [it, fresh] = id_line.emplace(cells[0], line_no);
    if (!fresh)
      fail(file, line_no, column_field(0, ""),
           "frame id '" + cells[0] + "' already given on line " + std::to_string(it->second));
    t.ids.push_back(cells[0]);
    t.cells.emplace_back(cells.begin() + 1, cells.end());
    t.lines.push_back(line_no);
  }
  if (!header) fail(file, 0, "", "empty metadata file: expected a header row");
  return t;
}

// ============================================================================================
// [SECTION] Metadata attributes
// ============================================================================================
std::vector<AttributeValues> metadata_attributes(const MetadataTable& table,
                                                 const std::vector<std::string>& frame_ids,
                                                 std::vector<std::string>* unknown_ids) {
  std::map<std::string, std::size_t> frame_of;
  for (std::size_t f = 0; f < frame_ids.size(); ++f) frame_of.emplace(frame_ids[f], f);
  std::vector<long> row_frame(table.ids.size(), -1);
  for (std::size_t r = 0; r < table.ids.size(); ++r) {
    const auto it = frame_of.find(table.ids[r]);
    if (it != frame_of.end())
      row_frame[r] = static_cast<long>(it->second);
    else if (unknown_ids)
      unknown_ids->push_back(table.ids[r]);
  }
  const std::vector<std::string>& builtin = builtin_attribute_names();

  std::vector<AttributeValues> out;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    const std::string& name = table.columns[c];
    if (std::find(builtin.begin(), builtin.end(), name) != builtin.end())
      fail(table.file, 1, column_field(c + 1, name),
           "this name is a built-in attribute; rename the column");
    bool numeric = true;
    std::set<double> distinct_numbers;
    std::set<std::string> distinct_text;
    for (const std::vector<std::string>& row : table.cells) {
      const std::string& cell = row[c];
      if (cell.empty()) continue;
      distinct_text.insert(cell);
      double x = 0;
      if (numeric && parse_number(cell, x))
        distinct_numbers.insert(x);
      else
        numeric = false;
    }
    AttributeValues v;
    v.spec.name = name;
    v.spec.scope = AttributeScope::Frame;
    v.spec.source = table.file.string();
    v.frame_bin.assign(frame_ids.size(), -1);
    v.frame_value.assign(frame_ids.size(), kNaN);

    if (numeric && distinct_numbers.size() > kMetadataMaxCategories) {
      // Equal-count bins over the rows' values (each distinct value in one bin).
      std::vector<double> values;
      for (const std::vector<std::string>& row : table.cells) {
        double x = 0;
        if (parse_number(row[c], x)) values.push_back(x);
      }
      std::sort(values.begin(), values.end());
      std::vector<double> edges = {values.front()};
      for (int k = 1; k < kMetadataNumericBins; ++k) {
        const double q = values[values.size() * static_cast<std::size_t>(k) /
                                static_cast<std::size_t>(kMetadataNumericBins)];
        if (q > edges.back()) edges.push_back(q);
      }
      edges.push_back(kInf);
      v.spec.kind = AttributeKind::Numeric;
      v.spec.edges = edges;
      v.spec.labels = numeric_bin_labels(edges, "");
      for (std::size_t r = 0; r < table.cells.size(); ++r) {
        double x = 0;
        if (row_frame[r] < 0 || !parse_number(table.cells[r][c], x)) continue;
        const std::size_t f = static_cast<std::size_t>(row_frame[r]);
        v.frame_value[f] = x;
        v.frame_bin[f] = numeric_bin(edges, x);
      }
    } else {
      v.spec.kind = AttributeKind::Categorical;
      std::map<std::string, int> bin_of;
      if (numeric) {
        // Numbers sort numerically; each category is labelled by its first spelling.
        std::map<double, std::string> spelling;
        for (const std::vector<std::string>& row : table.cells) {
          double x = 0;
          if (parse_number(row[c], x)) spelling.emplace(x, row[c]);
        }
        for (const auto& [x, text] : spelling) {
          (void)x;
          v.spec.labels.push_back(text);
        }
        for (const std::vector<std::string>& row : table.cells) {
          double x = 0;
          if (!parse_number(row[c], x)) continue;
          const auto it = std::find(v.spec.labels.begin(), v.spec.labels.end(), spelling[x]);
          bin_of[row[c]] = static_cast<int>(it - v.spec.labels.begin());
        }
      } else {
        v.spec.labels.assign(distinct_text.begin(), distinct_text.end());
        for (std::size_t i = 0; i < v.spec.labels.size(); ++i)
          bin_of[v.spec.labels[i]] = static_cast<int>(i);
      }
      for (std::size_t r = 0; r < table.cells.size(); ++r) {
        if (row_frame[r] < 0 || table.cells[r][c].empty()) continue;
        const std::size_t f = static_cast<std::size_t>(row_frame[r]);
        v.frame_bin[f] = bin_of[table.cells[r][c]];
        double x = 0;
        if (parse_number(table.cells[r][c], x)) v.frame_value[f] = x;
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace needle
