// similar/descriptors.cpp — the parts of the built-in object and frame vectors (needle/similar.h)
// and how they are normalised, weighted and joined.
//
// Index
//   [SECTION] Image parts (colour histogram, grey patch)
//   [SECTION] Point parts (shape, reflectance)
//   [SECTION] Joining the parts
#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_set>

#include "needle/box3d.h"
#include "needle/lidar_shape.h"
#include "needle/similar.h"

namespace needle {

namespace {

// Cells per box side of the grid the object's points are resampled on before ESF: one point (the
// cell centre) per occupied cell, so that a near object (dense points) and a far one (sparse)
// present the same sampling. Chosen by hand: 12 cells over a 4 m car are 0.33 m, coarse enough
// that the HDL-64E's ~0.4 degree row spacing (0.28 m at 40 m) still fills most cells of a car's
// visible faces out to about 40 m, fine enough to keep its outline (bonnet, cabin, boot).
constexpr int kShapeGridCells = 12;
// ESF's 64-bin histograms are summed in groups of this many bins (64 / 8 = kShapeDims / 10): the
// coarser bins are steadier on the few hundred points of a KITTI object.
constexpr std::size_t kEsfRebin = 8;

void unit_length(std::vector<float>& v) {
  double n2 = 0;
  for (float x : v) n2 += double(x) * x;
  if (n2 <= 0) return;
  const double inv = 1.0 / std::sqrt(n2);
  for (float& x : v) x = static_cast<float>(x * inv);
}

struct PixelRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // [x0, x1) x [y0, y1)
  bool empty() const { return x1 <= x0 || y1 <= y0; }
};
PixelRect clip(const Image& img, const Box2D& r) {
  PixelRect p;
  p.x0 = std::clamp(static_cast<int>(std::floor(r.x1)), 0, img.width);
  p.y0 = std::clamp(static_cast<int>(std::floor(r.y1)), 0, img.height);
  p.x1 = std::clamp(static_cast<int>(std::ceil(r.x2)), 0, img.width);
  p.y1 = std::clamp(static_cast<int>(std::ceil(r.y2)), 0, img.height);
  return p;
}

}  // namespace

// ============================================================================================
// [SECTION] Image parts
// ============================================================================================
std::vector<float> colour_histogram(const Image& img, const Box2D& region_px) {
  if (img.empty()) return {};
  const PixelRect r = clip(img, region_px);
  if (r.empty()) return {};
  std::vector<float> h(kColourDims, 0.0f);
  for (int y = r.y0; y < r.y1; ++y) {
    const std::uint8_t* p =
        img.rgb.data() + (std::size_t(y) * std::size_t(img.width) + std::size_t(r.x0)) * 3;
    for (int x = r.x0; x < r.x1; ++x, p += 3)
      for (std::size_t c = 0; c < 3; ++c) h[c * kColourBins + p[c] * kColourBins / 256] += 1.0f;
  }
  // Each channel a distribution (L1), then the part unit length.
  const float n = static_cast<float>((r.x1 - r.x0) * (r.y1 - r.y0));
  for (float& v : h) v /= n;
  unit_length(h);
  return h;
}

std::vector<float> grey_patch(const Image& img, const Box2D& region_px, std::size_t w,
                              std::size_t h) {
  if (img.empty() || w == 0 || h == 0) return {};
  const PixelRect r = clip(img, region_px);
  if (r.empty()) return {};
  // Area average: each output cell averages the pixels whose centres fall in it (at least one).
  std::vector<double> sum(w * h, 0.0), cnt(w * h, 0.0);
  const double sx = double(r.x1 - r.x0) / double(w), sy = double(r.y1 - r.y0) / double(h);
  for (int y = r.y0; y < r.y1; ++y) {
    const std::size_t cy = std::min(h - 1, static_cast<std::size_t>((y - r.y0) / sy));
    const std::uint8_t* p =
        img.rgb.data() + (std::size_t(y) * std::size_t(img.width) + std::size_t(r.x0)) * 3;
    for (int x = r.x0; x < r.x1; ++x, p += 3) {
      const std::size_t cx = std::min(w - 1, static_cast<std::size_t>((x - r.x0) / sx));
      // ITU-R BT.601 luma weights.
      sum[cy * w + cx] += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      cnt[cy * w + cx] += 1.0;
    }
  }
  // A crop smaller than the patch leaves cells empty: they take the nearest filled cell in their
  // row or column order (the previous cell, else the crop's mean).
  double total = 0, n_total = 0;
  for (std::size_t i = 0; i < sum.size(); ++i) total += sum[i], n_total += cnt[i];
  const double mean_all = n_total > 0 ? total / n_total : 0;
  std::vector<float> out(w * h);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<float>(cnt[i] > 0 ? sum[i] / cnt[i] : (i > 0 ? out[i - 1] : mean_all));
  // Zero mean, unit length: brightness and contrast of the crop do not count, its layout does.
  double m = 0;
  for (float v : out) m += v;
  m /= double(out.size());
  for (float& v : out) v = static_cast<float>(v - m);
  double n2 = 0;
  for (float v : out) n2 += double(v) * v;
  // A flat crop (max deviation under 1/1000 of a grey level) has no layout: all zeros.
  if (n2 < 1e-6 * double(out.size())) std::fill(out.begin(), out.end(), 0.0f);
  unit_length(out);
  return out;
}

// ============================================================================================
// [SECTION] Point parts
// ============================================================================================
ObjectRawParts object_raw_parts(const Object& o, const PointCloud* cloud_velo, const Calib* calib,
                                const Image* image) {
  ObjectRawParts raw;
  if (image && !image->empty()) {
    raw.colour = colour_histogram(*image, o.box2d);
    raw.patch = grey_patch(*image, o.box2d, kPatchSide, kPatchSide);
  }
  if (!cloud_velo || !calib || !o.has_3d()) return raw;

  // The object's points in its own box frame: along its length, its width, and up from the
  // bottom face (metres). Same rotation as point_in_box (box3d.cpp).
  const double c = std::cos(o.rotation_y), s = std::sin(o.rotation_y);
  const Mat34 m = calib->velo_to_rect_matrix();
  std::vector<Vec3> p_box;
  std::vector<float> refl;
  for (std::uint32_t i : points_in_box(*cloud_velo, *calib, o)) {
    const float* p = cloud_velo->xyzr.data() + std::size_t(i) * 4;
    const double xr = m[0] * p[0] + m[1] * p[1] + m[2] * p[2] + m[3];
    const double yr = m[4] * p[0] + m[5] * p[1] + m[6] * p[2] + m[7];
    const double zr = m[8] * p[0] + m[9] * p[1] + m[10] * p[2] + m[11];
    const double up = o.loc_cam.y - yr;
    if (up < kGroundClearanceM) continue;
    const double dx = xr - o.loc_cam.x, dz = zr - o.loc_cam.z;
    p_box.push_back({c * dx - s * dz, up, s * dx + c * dz});
    refl.push_back(p[3]);
  }
  raw.n_points = static_cast<std::uint32_t>(p_box.size());
  if (p_box.empty()) return raw;

  // Reflectance: mean, std and quantiles (KITTI stores it in [0, 1]).
  std::sort(refl.begin(), refl.end());
  double mean = 0, var = 0;
  for (float v : refl) mean += v;
  mean /= double(refl.size());
  for (float v : refl) var += (v - mean) * (v - mean);
  var /= double(refl.size());
  auto q = [&](double f) { return refl[static_cast<std::size_t>(f * double(refl.size() - 1))]; };
  raw.intensity = {static_cast<float>(mean), static_cast<float>(std::sqrt(var)), q(0.1), q(0.5),
                   q(0.9)};

  // Range normalisation: one point per occupied cell of a grid relative to the box.
  const double cell_l = o.l / kShapeGridCells, cell_h = o.h / kShapeGridCells,
               cell_w = o.w / kShapeGridCells;
  std::unordered_set<long long> seen;
  std::vector<Vec3> resampled;
  for (const Vec3& p : p_box) {
    const long long il = static_cast<long long>(std::floor(p.x / cell_l));
    const long long ih = static_cast<long long>(std::floor(p.y / cell_h));
    const long long iw = static_cast<long long>(std::floor(p.z / cell_w));
    const long long key = ((il + 64) * 256 + (ih + 64)) * 256 + (iw + 64);
    if (!seen.insert(key).second) continue;
    resampled.push_back(
        {(double(il) + 0.5) * cell_l, (double(ih) + 0.5) * cell_h, (double(iw) + 0.5) * cell_w});
  }
  const std::vector<float> esf = esf_descriptor(resampled);
  if (esf.size() != kEsfDims) return raw;
  // 10 histograms of 64 bins -> 10 of 8, each a distribution, then the part unit length.
  raw.shape.assign(kShapeDims, 0.0f);
  for (std::size_t hi = 0; hi < 10; ++hi) {
    double total = 0;
    for (std::size_t b = 0; b < 64; ++b) {
      const float v = std::max(0.0f, esf[hi * 64 + b]);
      raw.shape[hi * 8 + b / kEsfRebin] += v;
      total += v;
    }
    if (total > 0)
      for (std::size_t b = 0; b < 8; ++b)
        raw.shape[hi * 8 + b] = static_cast<float>(raw.shape[hi * 8 + b] / total);
  }
  unit_length(raw.shape);
  return raw;
}

// ============================================================================================
// [SECTION] Joining the parts
// ============================================================================================
namespace {

std::size_t finding_slot(const std::string& kind) {
  for (std::size_t i = 0; i < kFindingDims - 1; ++i)
    if (kind == kSimilarFindingKinds[i]) return i;
  return kFindingDims - 1;
}

// Appends `part` times `weight`, or `n` zeros when the part is absent.
void put(std::vector<float>& v, const std::vector<float>& part, std::size_t n, double weight) {
  for (std::size_t i = 0; i < n; ++i)
    v.push_back(i < part.size() ? static_cast<float>(part[i] * weight) : 0.0f);
}

}  // namespace

std::vector<float> finding_slots(const std::vector<const Finding*>& findings) {
  std::vector<float> s(kFindingDims, 0.0f);
  for (const Finding* f : findings) {
    float& slot = s[finding_slot(f->kind)];
    slot = std::max(slot, static_cast<float>(std::clamp(f->score, 0.0, 1.0)));
  }
  return s;
}

std::vector<float> object_vector(const Object& o, const ObjectRawParts& raw,
                                 const std::vector<float>& findings) {
  std::vector<float> v;
  v.reserve(kShapeDims + 3 + kIntensityDims + kColourDims + kPatchDims + kClassDims + 3 +
            kFindingDims);
  put(v, raw.shape, kShapeDims, kWeightShape);
  std::vector<float> dims;
  if (o.has_3d())
    dims = {static_cast<float>(std::log(o.h) / kDimsLogScale),
            static_cast<float>(std::log(o.w) / kDimsLogScale),
            static_cast<float>(std::log(o.l) / kDimsLogScale)};
  put(v, dims, 3, kWeightDims);
  put(v, raw.intensity, kIntensityDims, kWeightIntensity);
  put(v, raw.colour, kColourDims, kWeightColour);
  put(v, raw.patch, kPatchDims, kWeightPatch);
  std::vector<float> cls(kClassDims, 0.0f);
  cls[std::min<std::size_t>(static_cast<std::size_t>(o.cls), kClassDims - 1)] = 1.0f;
  put(v, cls, kClassDims, kWeightClass);
  std::vector<float> range;
  if (o.has_3d()) range = {static_cast<float>(std::min(1.0, o.distance() / kRangeScaleM))};
  put(v, range, 1, kWeightRange);
  // KITTI occlusion 0..3 and truncation 0..1; -1 (not given, some prediction dialects) -> 0.
  const std::vector<float> occ = {static_cast<float>(std::clamp(o.occluded / 3.0, 0.0, 1.0)),
                                  static_cast<float>(std::clamp(o.truncated, 0.0, 1.0))};
  put(v, occ, 2, kWeightOcclusion);
  put(v, findings, kFindingDims, kWeightFindings);
  unit_length(v);
  return v;
}

std::vector<float> frame_vector(const std::vector<Object>& objects, const FrameRawParts& raw,
                                const std::vector<float>& finding_counts) {
  std::vector<float> v;
  std::vector<float> cls(kClassDims, 0.0f);
  for (const Object& o : objects)
    if (!o.is_dontcare())
      cls[std::min<std::size_t>(static_cast<std::size_t>(o.cls), kClassDims - 1)] += 1.0f;
  // log1p of the counts: one car more matters less in a street of ten than in a street of one.
  for (float& c : cls) c = std::log1p(c);
  put(v, cls, kClassDims, kWeightClass);
  put(v, raw.colour, kColourDims, kWeightColour);
  put(v, raw.patch, kFramePatchW * kFramePatchH, kWeightPatch);
  std::vector<float> f(kFindingDims, 0.0f);
  for (std::size_t i = 0; i < kFindingDims && i < finding_counts.size(); ++i)
    f[i] = std::log1p(finding_counts[i]);
  put(v, f, kFindingDims, kWeightFindings);
  unit_length(v);
  return v;
}

}  // namespace needle
