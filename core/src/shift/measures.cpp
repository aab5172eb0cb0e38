// shift/measures.cpp — the frame features of needle/shift.h and their cache.
//
// Index
//   [SECTION] Features from pixels, points and objects
//   [SECTION] Cache
//   [SECTION] build_frame_features
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "../cache_file.h"
#include "../ranking_internal.h"
#include "needle/kitti_io.h"
#include "needle/scan_io.h"
#include "needle/shift.h"

namespace needle {

namespace fs = std::filesystem;

namespace {
struct FeatureInfo {
  const char* name;
  const char* part;
};
constexpr FeatureInfo kFeatureInfo[kFrameFeatures] = {
    {"brightness", "image"},     {"contrast", "image"},       {"chroma_red", "image"},
    {"chroma_blue", "image"},    {"image_width", "camera"},   {"image_height", "camera"},
    {"focal_px", "camera"},      {"log_points", "scan"},      {"intensity_mean", "scan"},
    {"intensity_std", "scan"},   {"scan_range_mean", "scan"}, {"scan_range_p90", "scan"},
    {"ground_roughness", "noise"}, {"log_objects", "objects"},  {"object_range_mean", "objects"},
    {"log_vehicles", "mix"},     {"log_people", "mix"},     {"size_log", "size"}, {"people_per_vehicle_log", "mix"},
};

// Mean h * w * l of each class in KITTI's training labels (the demo's class table,
// core/src/demo/scene.cpp, holds the same means): Car 1.53 x 1.63 x 3.88 ...
double class_mean_volume(ObjectClass c) {
  switch (c) {
    case ObjectClass::Car:
      return 1.53 * 1.63 * 3.88;
    case ObjectClass::Van:
      return 2.21 * 1.90 * 5.08;
    case ObjectClass::Truck:
      return 3.25 * 2.59 * 10.1;
    case ObjectClass::Pedestrian:
      return 1.76 * 0.66 * 0.84;
    case ObjectClass::PersonSitting:
      return 1.27 * 0.54 * 0.80;
    case ObjectClass::Cyclist:
      return 1.74 * 0.60 * 1.76;
    case ObjectClass::Tram:
      return 3.53 * 2.54 * 16.1;
    default:
      return 0;  // no reference: left out of the size feature
  }
}
}  // namespace

const char* frame_feature_name(std::size_t f) {
  return f < kFrameFeatures ? kFeatureInfo[f].name : "?";
}
const char* frame_feature_part(std::size_t f) {
  return f < kFrameFeatures ? kFeatureInfo[f].part : "?";
}

// =============================================================================================
// [SECTION] Features from pixels, points and objects
// =============================================================================================
void image_features(const Image* image, FrameFeatures& out) {
  for (std::size_t f : {kFeatBrightness, kFeatContrast, kFeatChromaRed, kFeatChromaBlue,
                        kFeatImageWidth, kFeatImageHeight})
    out[f] = kNaN;
  if (!image || image->empty()) return;
  // Every second pixel of every second row: a quarter of a KITTI image is ~116k samples, plenty
  // for means and a standard deviation.
  double s = 0, s2 = 0, cr = 0, cb = 0;
  std::size_t n = 0, nc = 0;
  const auto w = static_cast<std::size_t>(image->width);
  for (std::size_t y = 0; y < static_cast<std::size_t>(image->height); y += 2)
    for (std::size_t x = 0; x < w; x += 2) {
      const std::uint8_t* p = image->rgb.data() + (y * w + x) * 3;
      const double g = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];  // ITU-R BT.601 luma
      s += g;
      s2 += g * g;
      ++n;
      const double sum = double(p[0]) + p[1] + p[2];
      if (sum > 0) {
        cr += p[0] / sum;
        cb += p[2] / sum;
        ++nc;
      }
    }
  if (n == 0) return;
  const double mean = s / double(n);
  out[kFeatBrightness] = mean;
  out[kFeatContrast] = std::sqrt(std::max(0.0, s2 / double(n) - mean * mean));
  out[kFeatChromaRed] = nc ? cr / double(nc) : kNaN;
  out[kFeatChromaBlue] = nc ? cb / double(nc) : kNaN;
  out[kFeatImageWidth] = image->width;
  out[kFeatImageHeight] = image->height;
}

void scan_features(const PointCloud* cloud, FrameFeatures& out) {
  for (std::size_t f : {kFeatLogPoints, kFeatIntensityMean, kFeatIntensityStd, kFeatRangeMean,
                        kFeatRangeP90, kFeatRoughness})
    out[f] = kNaN;
  if (!cloud || cloud->size() == 0) return;
  const std::size_t n = cloud->size();
  std::vector<double> range(n);
  double si = 0, si2 = 0, sr = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float* p = cloud->xyzr.data() + 4 * i;
    range[i] = std::sqrt(double(p[0]) * p[0] + double(p[1]) * p[1] + double(p[2]) * p[2]);
    si += p[3];
    si2 += double(p[3]) * p[3];
    sr += range[i];
  }
  const double dn = double(n);
  out[kFeatLogPoints] = std::log(dn);
  out[kFeatIntensityMean] = si / dn;
  out[kFeatIntensityStd] = std::sqrt(std::max(0.0, si2 / dn - (si / dn) * (si / dn)));
  out[kFeatRangeMean] = sr / dn;
  std::vector<double> ground_z;
  for (std::size_t i = 0; i < n; ++i) {
    const float* p = cloud->xyzr.data() + 4 * i;
    const double d = std::hypot(double(p[0]), double(p[1]));
    if (d >= kGroundMinRangeM && d <= kGroundMaxRangeM && p[2] < kGroundMaxZ)
      ground_z.push_back(p[2]);
  }
  auto p90 = range.begin() + static_cast<std::ptrdiff_t>(std::min(n - 1, n * 9 / 10));
  std::nth_element(range.begin(), p90, range.end());
  out[kFeatRangeP90] = *p90;
  if (ground_z.size() >= kMinGroundPoints) {
    auto median = [](std::vector<double>& v) {
      auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
      std::nth_element(v.begin(), mid, v.end());
      return *mid;
    };
    const double m = median(ground_z);
    for (double& z : ground_z) z = std::abs(z - m);
    out[kFeatRoughness] = median(ground_z);
  }
}

void object_features(const std::vector<Object>& objects, FrameFeatures& out) {
  std::size_t n = 0, vehicles = 0, people = 0, sized = 0;
  double range = 0, size_log = 0;
  for (const Object& o : objects) {
    if (o.is_dontcare()) continue;
    ++n;
    range += o.distance();
    if (o.cls == ObjectClass::Car || o.cls == ObjectClass::Van || o.cls == ObjectClass::Truck)
      ++vehicles;
    if (o.cls == ObjectClass::Pedestrian || o.cls == ObjectClass::PersonSitting ||
        o.cls == ObjectClass::Cyclist)
      ++people;
    const double ref = class_mean_volume(o.cls);
    if (ref > 0 && o.has_3d()) {
      size_log += std::log(o.h * o.w * o.l / ref);
      ++sized;
    }
  }
  out[kFeatLogObjects] = std::log1p(double(n));
  out[kFeatObjectRange] = n ? range / double(n) : kNaN;
  out[kFeatLogVehicles] = std::log1p(double(vehicles));
  out[kFeatLogPeople] = std::log1p(double(people));
  out[kFeatPeoplePerVehicle] = std::log((1.0 + double(people)) / (1.0 + double(vehicles)));
  out[kFeatSizeLog] = sized ? size_log / double(sized) : kNaN;
}

ShiftSource choose_source(const DatasetIndex& ds, const std::string& pred_name) {
  ShiftSource s;
  if (ds.label_files > 0 || ds.pred_sets.empty()) return s;
  s.labels = false;
  for (std::size_t i = 0; i < ds.pred_sets.size(); ++i)
    if (ds.pred_sets[i].name == pred_name) s.pred_set = i;
  return s;
}

std::vector<Object> source_objects(const FrameAnnotations& ann, const ShiftSource& src) {
  std::vector<Object> out;
  if (src.labels) {
    for (const Object& o : ann.labels)
      if (!o.is_dontcare()) out.push_back(o);
  } else if (src.pred_set < ann.preds.size()) {
    for (const Object& o : ann.preds[src.pred_set].objects)
      if (!o.is_dontcare() && (!o.score || *o.score >= kShiftMinScore)) out.push_back(o);
  }
  return out;
}

// =============================================================================================
// [SECTION] Cache
// =============================================================================================
namespace {
using namespace cache_file;

constexpr char kMagic[8] = {'N', 'S', 'H', 'F', 'C', 'A', 'C', '1'};
// The features the cache holds (from pixels and points); the rest are recomputed every time.
constexpr std::size_t kCachedFeatures[] = {
    kFeatBrightness, kFeatContrast,      kFeatChromaRed,    kFeatChromaBlue,
    kFeatImageWidth, kFeatImageHeight,   kFeatLogPoints,    kFeatIntensityMean,
    kFeatIntensityStd, kFeatRangeMean,   kFeatRangeP90,     kFeatRoughness};
constexpr std::size_t kCachedCount = std::size(kCachedFeatures);

std::string stamp(const fs::path& p) {
  if (p.empty()) return "-";
  std::error_code ec;
  const auto sz = fs::file_size(p, ec);
  if (ec) return "-";
  const auto t = fs::last_write_time(p, ec);
  if (ec) return "-";
  return std::to_string(sz) + ":" +
         std::to_string(
             std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

std::string frame_key(const FrameFiles& ff) {
  std::string k = "v";
  k += std::to_string(kShiftParamsVersion);
  for (const fs::path* p : {&ff.image, &ff.velodyne, &ff.calib}) {
    k += '|';
    k += stamp(*p);
  }
  return k;
}

struct Record {
  std::string key;
  std::vector<float> values;  // kCachedCount
};

std::string serialise(const std::map<std::string, Record>& records) {
  Writer w;
  w.pod(kMagic);
  w.pod(static_cast<std::int32_t>(kShiftParamsVersion));
  w.pod(static_cast<std::uint32_t>(records.size()));
  for (const auto& [id, r] : records) {
    w.str(id);
    w.str(r.key);
    w.vec(r.values);
  }
  return w.take();
}

bool deserialise(const std::string& bytes, std::map<std::string, Record>& out) {
  Reader r(bytes);
  char magic[8];
  std::int32_t version = 0;
  std::uint32_t n = 0;
  if (!r.pod(magic) || std::memcmp(magic, kMagic, 8) != 0) return false;
  if (!r.pod(version) || version != kShiftParamsVersion || !r.pod(n)) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string id;
    Record rec;
    if (!r.str(id) || !r.str(rec.key) || !r.vec(rec.values, kCachedCount) ||
        rec.values.size() != kCachedCount)
      return false;
    out.emplace(std::move(id), std::move(rec));
  }
  if (!r.done()) {
    out.clear();
    return false;
  }
  return true;
}

Record compute_record(const FrameFiles& ff, const FrameAnnotations& ann, std::string key) {
  FrameFeatures x;
  x.fill(kNaN);
  // Unreadable files leave their features NaN: the ranking reports them, not this.
  if (!ff.image.empty()) {
    try {
      const Image img = load_image(ff.image);
      image_features(&img, x);
    } catch (const std::exception&) {
    }
  }
  if (!ff.velodyne.empty()) {
    const ScanRead scan = read_scan(ff.velodyne, ann.calib ? &*ann.calib : nullptr);
    if (scan.usable) scan_features(&scan.cloud, x);
  }
  Record r;
  r.key = std::move(key);
  for (std::size_t f : kCachedFeatures) r.values.push_back(static_cast<float>(x[f]));
  return r;
}

}  // namespace

fs::path default_shift_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return fs::path(x) / "needle" / "shift";
  if (const char* h = std::getenv("HOME"); h && *h)
    return fs::path(h) / ".cache" / "needle" / "shift";
  return fs::path(".needle-cache") / "shift";
}

// =============================================================================================
// [SECTION] build_frame_features
// =============================================================================================
std::vector<FrameFeatures> build_frame_features(const DatasetIndex& ds,
                                                const std::vector<FrameAnnotations>& ann,
                                                const ShiftSource& src,
                                                const ShiftBuildOptions& opt,
                                                ShiftBuildStats* stats) {
  const std::size_t n = std::min(ds.frames.size(), ann.size());
  const fs::path dir = opt.cache_dir.empty() ? default_shift_cache_dir() : opt.cache_dir;
  const fs::path cache = dir / (dataset_key(ds.root) + ".nshf");
  std::map<std::string, Record> cached;
  if (opt.use_cache) {
    std::string bytes;
    if (read_whole(cache, bytes)) deserialise(bytes, cached);
  }
  std::vector<Record> records(n);
  std::vector<FrameFeatures> out(n);
  std::atomic<std::size_t> done{0}, computed{0}, from_cache{0};
  std::mutex progress_mutex;
  detail::parallel_for(
      n, opt.threads,
      [&](std::size_t lo, std::size_t hi) {
        for (std::size_t f = lo; f < hi; ++f) {
          if (opt.cancel && opt.cancel->load()) return;
          std::string key = frame_key(ds.frames[f]);
          const auto it = cached.find(ds.frames[f].id);
          if (it != cached.end() && it->second.key == key) {
            records[f] = it->second;
            ++from_cache;
          } else {
            records[f] = compute_record(ds.frames[f], ann[f], std::move(key));
            ++computed;
          }
          FrameFeatures& x = out[f];
          x.fill(kNaN);
          for (std::size_t k = 0; k < kCachedCount; ++k)
            x[kCachedFeatures[k]] = static_cast<double>(records[f].values[k]);
          x[kFeatFocal] = ann[f].calib ? ann[f].calib->P[2][0] : kNaN;
          object_features(source_objects(ann[f], src), x);
          const std::size_t d = ++done;
          if (opt.progress) {
            std::lock_guard<std::mutex> lock(progress_mutex);
            opt.progress(d, n);
          }
        }
      },
      16);
  bool written = false;
  if (opt.use_cache && computed > 0 && !(opt.cancel && opt.cancel->load())) {
    std::map<std::string, Record> all;
    for (std::size_t f = 0; f < n; ++f) all.emplace(ds.frames[f].id, std::move(records[f]));
    written = write_atomic(cache, serialise(all));
  }
  if (stats) {
    stats->frames = n;
    stats->computed = computed;
    stats->from_cache = from_cache;
    stats->cache_written = written;
  }
  return out;
}

}  // namespace needle
