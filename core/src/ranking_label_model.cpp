// ranking_label_model.cpp — the labels as their own witness: per-class size densities (with a
// labelling-error alternative), alpha vs rotation_y, and the 2D box against the projected 3D box
// (through each frame's P2, or a pinhole camera fitted to the labels when calibration is absent).
// See ranking_needle.h.
//
// Index
//   [SECTION] Size densities
//   [SECTION] Self-consistency residuals
//   [SECTION] Fitting
#include <algorithm>
#include <cmath>

#include "needle/box3d.h"
#include "needle/iou.h"
#include "ranking_needle.h"
#include "needle/angles.h"

namespace needle::detail {

namespace {

// KITTI training-set mean sizes (l, w, h), metres: the fallback when the data have too few labels.
bool kitti_mean_size(ObjectClass c, std::array<double, 3>* lwh) {
  switch (c) {
    case ObjectClass::Car:
      *lwh = {3.88, 1.63, 1.53};
      return true;
    case ObjectClass::Van:
      *lwh = {5.08, 1.90, 2.21};
      return true;
    case ObjectClass::Truck:
      *lwh = {10.1, 2.59, 3.25};
      return true;
    case ObjectClass::Pedestrian:
      *lwh = {0.84, 0.66, 1.76};
      return true;
    case ObjectClass::PersonSitting:
      *lwh = {0.80, 0.59, 1.27};
      return true;
    case ObjectClass::Cyclist:
      *lwh = {1.76, 0.60, 1.74};
      return true;
    case ObjectClass::Tram:
      *lwh = {16.0, 2.60, 3.50};
      return true;
    default:
      return false;
  }
}
}  // namespace

// ============================================================================================
// [SECTION] Size densities
// ============================================================================================
int ClassSizePrior::bin(std::size_t d, double log_size) const {
  const int b = static_cast<int>(std::floor((log_size - lo[d]) / kSizeBinWidth));
  return std::clamp(b, 0, kSizeBins - 1);
}

namespace {
// p0 of one dimension's bin, without the object itself when it is one of the class's labels.
double bin_p0(const ClassSizePrior& p, std::size_t d, int b, bool own_label) {
  const double v = static_cast<double>(p.p0[d][static_cast<std::size_t>(b)]);
  return own_label ? std::max(v - p.self_mass, 1e-3 * v) : v;
}
}  // namespace

bool size_prior_llr(const LabelModel& lm, const Object& o, ObjectClass c, bool own_label,
                    double* llr) {
  const ClassSizePrior& p = lm.size[class_index(c)];
  if (!p.ok || !o.has_3d()) return false;
  const double v[3] = {std::log(o.l), std::log(o.w), std::log(o.h)};
  double sum = 0;
  for (std::size_t d = 0; d < 3; ++d) {
    const int b = p.bin(d, v[d]);
    sum += static_cast<double>(p.p1[d][static_cast<std::size_t>(b)]) / bin_p0(p, d, b, own_label);
  }
  *llr = std::log(sum / 3.0);
  return true;
}

bool size_log_density(const LabelModel& lm, const Object& o, ObjectClass c, bool own_label,
                      double* logp) {
  const ClassSizePrior& p = lm.size[class_index(c)];
  if (!p.ok || !o.has_3d()) return false;
  const double v[3] = {std::log(o.l), std::log(o.w), std::log(o.h)};
  double s = 0;
  for (std::size_t d = 0; d < 3; ++d)
    s += std::log(bin_p0(p, d, p.bin(d, v[d]), own_label) / kSizeBinWidth);
  *logp = s;
  return true;
}

namespace {
// Builds the per-dimension densities of one class (see ClassSizePrior).
void build_size_density(ClassSizePrior& p, const std::array<std::vector<double>, 3>& d) {
  constexpr double kPriorWeight = 20;  // pseudo-labels following the Gaussian summary
  constexpr double kFloorWeight = 1;   // pseudo-label spread over the whole range
  const double n = static_cast<double>(d[0].size());
  double w_centre = 0;
  for (int o = -5; o <= 5; ++o) w_centre += std::exp(-0.5 * (o / 1.5) * (o / 1.5));
  p.self_mass = (1.0 / w_centre) / (n + kPriorWeight + kFloorWeight);
  for (std::size_t k = 0; k < 3; ++k) {
    p.lo[k] = p.mu[k] - kSizeBinWidth * kSizeBins / 2;
    std::array<double, kSizeBins> cnt{}, sm{}, p0{};
    for (double v : d[k]) cnt[static_cast<std::size_t>(p.bin(k, v))] += 1;
    // Kernel smoothing (Gaussian, 1.5 bins): sizes are continuous.
    for (int b = 0; b < kSizeBins; ++b) {
      double acc = 0, wsum = 0;
      for (int o = -5; o <= 5; ++o) {
        const int bb = b + o;
        const double w = std::exp(-0.5 * (o / 1.5) * (o / 1.5));
        wsum += w;
        if (bb >= 0 && bb < kSizeBins) acc += w * cnt[static_cast<std::size_t>(bb)];
      }
      sm[static_cast<std::size_t>(b)] = acc / wsum;
    }
    const double sg = std::max(p.sigma[k], 0.05);
    double gsum = 0;
    std::array<double, kSizeBins> g{};
    for (int b = 0; b < kSizeBins; ++b) {
      const double x = p.lo[k] + (b + 0.5) * kSizeBinWidth;
      g[static_cast<std::size_t>(b)] = std::exp(-0.5 * ((x - p.mu[k]) / sg) * ((x - p.mu[k]) / sg));
      gsum += g[static_cast<std::size_t>(b)];
    }
    for (std::size_t b = 0; b < kSizeBins; ++b)
      p0[b] = (sm[b] + kPriorWeight * g[b] / gsum + kFloorWeight / kSizeBins) /
              (n + kPriorWeight + kFloorWeight);
    // p1 = p0 convolved with a relative labelling error either way: 80% of errors between 10% and
    // a factor 2 (|log ratio| 0.1..0.7), 20% up to a factor ~7 (0.7..2.0, another class's size).
    const int e_lo = static_cast<int>(std::lround(0.1 / kSizeBinWidth));
    const int e_mid = static_cast<int>(std::lround(0.7 / kSizeBinWidth));
    const int e_hi = static_cast<int>(std::lround(2.0 / kSizeBinWidth));
    const double kw_near = 0.8 / (2.0 * (e_mid - e_lo + 1)), kw_far = 0.2 / (2.0 * (e_hi - e_mid));
    for (int b = 0; b < kSizeBins; ++b) {
      double p1 = 0;
      for (int e = e_lo; e <= e_hi; ++e)
        for (int sgn : {-1, 1}) {
          const int bb = b - sgn * e;
          if (bb < 0 || bb >= kSizeBins) continue;  // beyond the range: floor density, negligible
          p1 += (e <= e_mid ? kw_near : kw_far) * p0[static_cast<std::size_t>(bb)];
        }
      p.p0[k][static_cast<std::size_t>(b)] = static_cast<float>(p0[static_cast<std::size_t>(b)]);
      p.p1[k][static_cast<std::size_t>(b)] = static_cast<float>(p1);
    }
  }
}
}  // namespace

// ============================================================================================
// [SECTION] Self-consistency residuals
// ============================================================================================
bool alpha_residual(const LabelModel& lm, const Object& o, double* residual, double* sigma) {
  if (!lm.alpha_ok || !o.has_3d() || range_of(o) < 0.5 || std::abs(o.alpha) > kPi + 0.01)
    return false;
  *residual = wrap_angle(o.alpha - (o.rotation_y - std::atan2(o.loc_cam.x, o.loc_cam.z)));
  *sigma =
      lm.alpha_sigma + 0.1 / std::max(o.loc_cam.z, 1.0);  // near objects: camera offset matters
  return true;
}

bool projection_residual(const LabelModel& lm, const Object& o, const Calib* calib,
                         double* one_minus_iou) {
  if ((!calib && !lm.pinhole_ok) || !o.has_3d() || o.box2d.area() <= 0 || o.truncated > 0.05 ||
      o.loc_cam.z < 2)
    return false;
  const Box2D& b = o.box2d;
  if (b.x1 <= 2 || b.y1 <= 2 || b.x2 >= lm.img_w - 3 || b.y2 >= lm.img_h - 3)
    return false;  // touches the border
  Box2D pb{1e18, 1e18, -1e18, -1e18};
  for (const Vec3& c : box_corners_rect(o)) {
    if (c.z < 0.5) return false;
    double u = 0, v = 0;
    if (calib) {
      const auto& m = calib->P[2];
      const double w = m[8] * c.x + m[9] * c.y + m[10] * c.z + m[11];
      if (!(w > 0.1)) return false;
      u = (m[0] * c.x + m[1] * c.y + m[2] * c.z + m[3]) / w;
      v = (m[4] * c.x + m[5] * c.y + m[6] * c.z + m[7]) / w;
    } else {
      u = lm.cx + lm.f * c.x / c.z + lm.tx / c.z;
      v = lm.cy + lm.f * c.y / c.z + lm.ty / c.z;
    }
    pb.x1 = std::min(pb.x1, u);
    pb.x2 = std::max(pb.x2, u);
    pb.y1 = std::min(pb.y1, v);
    pb.y2 = std::max(pb.y2, v);
  }
  pb.x1 = std::clamp(pb.x1, 0.0, lm.img_w);
  pb.x2 = std::clamp(pb.x2, 0.0, lm.img_w);
  pb.y1 = std::clamp(pb.y1, 0.0, lm.img_h);
  pb.y2 = std::clamp(pb.y2, 0.0, lm.img_h);
  *one_minus_iou = 1.0 - iou_2d(b, pb);
  return true;
}

// ============================================================================================
// [SECTION] Fitting
// ============================================================================================
namespace {

// ---- Tuned numbers of the label models --------------------------------------------------------
// Hand-set with the method (commit 28b2671), kept as they were.
// Fewest labels of a class for its own size prior (else KITTI's mean size with sd 0.15) and for
// the alpha model.
constexpr std::size_t kMinClassLabels = 20, kMinAlphaLabels = 20;
// Log-size sigma bounds of a class (3%..100%), and the sigma around KITTI's mean size.
constexpr double kMinSizeSigma = 0.03, kMaxSizeSigma = 1.0, kMeanSizeSigma = 0.15;
// alpha is checked only where it is defined (|alpha| <= pi, with 0.01 rad of rounding) and the
// object is not at the camera (range >= 0.5 m: the line-of-sight angle is meaningless there).
constexpr double kAlphaSlack = 0.01, kMinAlphaRangeM = 0.5;
// The labels keep alpha consistent when 70% are within 0.05 rad of rotation_y's prediction.
constexpr double kAlphaCloseRad = 0.05, kAlphaConsistentShare = 0.7;
// alpha sigma floor (rad), and a residual beyond 6 sigma + 0.03 rad is a gross error.
constexpr double kMinAlphaSigma = 0.005, kAlphaOutlierSigmas = 6.0, kAlphaOutlierSlack = 0.03;
// Pinhole fit: labels fully visible (truncation <= 0.05, 3 m ahead at least, 2D box 3 px inside
// the image); at least 20, at most 6000 (five parameters); 6 iterations, the worst 20% dropped
// after the third; a focal length outside 50..20000 px is a failed fit.
constexpr double kPinholeMaxTruncation = 0.05, kPinholeMinDepthM = 3.0;
constexpr std::size_t kMinPinholeLabels = 20, kMaxPinholeLabels = 6000;
constexpr int kPinholeIterations = 6, kPinholeDropIteration = 2;
constexpr double kMinFocalPx = 50, kMaxFocalPx = 20000;
// Depth floor of a projected corner (m) and the ridge on tx, ty of the normal equations.
constexpr double kMinCornerDepthM = 0.1, kPinholeRidge = 1e-3;

void fit_pinhole(const std::vector<const Object*>& fit_labels, LabelModel& lm);

using SizeDims = std::array<std::array<std::vector<double>, 3>, kNumClasses>;

// The sizes a class's size prior is built from (and the image extent the labels reach).
void add_size_dims(const FrameAnnotations& a, SizeDims& dims, double& img_w, double& img_h) {
  if (!a.has_labels) return;
  for (const Object& o : a.labels) {
    if (o.is_dontcare() || !o.has_3d()) continue;
    auto& d = dims[class_index(o.cls)];
    d[0].push_back(std::log(o.l));
    d[1].push_back(std::log(o.w));
    d[2].push_back(std::log(o.h));
    img_w = std::max(img_w, o.box2d.x2 + 1);
    img_h = std::max(img_h, o.box2d.y2 + 1);
  }
}

// Size priors of every class.
void fit_size_priors(SizeDims& dims, LabelModel& lm) {
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    ClassSizePrior& p = lm.size[c];
    auto& d = dims[c];
    p.n = d[0].size();
    std::array<double, 3> lwh{};
    if (p.n >= kMinClassLabels) {
      for (std::size_t k = 0; k < 3; ++k) {
        std::vector<double> tmp = d[k];
        p.mu[k] = median_of(tmp);
        p.sigma[k] = std::clamp(mad_sigma(d[k], p.mu[k]), kMinSizeSigma, kMaxSizeSigma);
      }
      p.ok = true;
    } else if (kitti_mean_size(static_cast<ObjectClass>(c), &lwh)) {
      for (std::size_t k = 0; k < 3; ++k) {
        p.mu[k] = std::log(lwh[k]);
        p.sigma[k] = kMeanSizeSigma;
      }
      p.ok = true;
    }
    if (p.ok) build_size_density(p, d);
  }
}

// alpha vs rotation_y residuals of a frame's labels (where alpha is defined).
void add_alpha_residuals(const FrameAnnotations& a, std::vector<double>& alpha_res) {
  if (!a.has_labels) return;
  for (const Object& o : a.labels)
    if (!o.is_dontcare() && o.has_3d() && std::abs(o.alpha) <= kPi + kAlphaSlack &&
        range_of(o) >= kMinAlphaRangeM)
      alpha_res.push_back(
          wrap_angle(o.alpha - (o.rotation_y - std::atan2(o.loc_cam.x, o.loc_cam.z))));
}

// alpha vs rotation_y: enabled when the labels keep them consistent (KITTI does).
void fit_alpha_model(std::vector<double>& alpha_res, LabelModel& lm) {
  if (alpha_res.size() < kMinAlphaLabels) return;
  std::size_t close = 0;
  for (double r : alpha_res)
    if (std::abs(r) < kAlphaCloseRad) ++close;
  if (static_cast<double>(close) < kAlphaConsistentShare * static_cast<double>(alpha_res.size()))
    return;
  lm.alpha_ok = true;
  lm.alpha_sigma = std::max(mad_sigma(alpha_res, 0.0), kMinAlphaSigma);
  std::size_t out = 0;
  for (double r : alpha_res)
    if (std::abs(r) > kAlphaOutlierSigmas * lm.alpha_sigma + kAlphaOutlierSlack) ++out;
  lm.alpha_eps = smoothed_rate(out, alpha_res.size(), 0.01, 10, 0.002, 0.2);
}

// Labels a pinhole can be fitted to: fully visible, well ahead, 2D box inside the image.
bool pinhole_label(const Object& o, const LabelModel& lm) {
  return !o.is_dontcare() && o.has_3d() && o.box2d.area() > 0 &&
         o.truncated <= kPinholeMaxTruncation && o.loc_cam.z >= kPinholeMinDepthM &&
         o.box2d.x1 > 2 && o.box2d.y1 > 2 && o.box2d.x2 < lm.img_w - 3 && o.box2d.y2 < lm.img_h - 3;
}

// Pinhole camera from the labels themselves: u = f X/Z + cx + tx/Z, v = f Y/Z + cy + ty/Z (the
// form of a rectified KITTI P2). Each well-visible label gives four equations, one per 2D box
// edge, through the projected corner that makes that edge; linear least squares in
// (f, cx, cy, tx, ty), iterated because the extreme corners depend on the camera, and refitted
// without the worst 20% of labels (label errors, other drives' cameras). Frames with calibration
// are checked through their own P2: a pinhole is fitted only when some labelled frame has none,
// to at most kMaxPinholeLabels labels (every stride-th: the camera has five parameters).
std::size_t pinhole_stride(std::size_t candidates) {
  return candidates > kMaxPinholeLabels ? candidates / kMaxPinholeLabels + 1 : 1;
}

// The corners of a box that project to the 2D box's four edges under camera `cam`, and the sum of
// the edges' distances to the label's 2D box (pixels).
struct ExtremeCorners {
  int imin = 0, imax = 0, jmin = 0, jmax = 0;  // u min, u max, v min, v max
  double resid = 0;
};
ExtremeCorners extreme_corners(const Object& o, const std::array<Vec3, 8>& corners,
                               const double* cam) {
  ExtremeCorners e;
  double umin = 1e18, umax = -1e18, vmin = 1e18, vmax = -1e18;
  for (int c = 0; c < 8; ++c) {
    const Vec3& p = corners[static_cast<std::size_t>(c)];
    const double z = std::max(p.z, kMinCornerDepthM);
    const double u = cam[0] * p.x / z + cam[1] + cam[3] / z,
                 v = cam[0] * p.y / z + cam[2] + cam[4] / z;
    if (u < umin) {
      umin = u;
      e.imin = c;
    }
    if (u > umax) {
      umax = u;
      e.imax = c;
    }
    if (v < vmin) {
      vmin = v;
      e.jmin = c;
    }
    if (v > vmax) {
      vmax = v;
      e.jmax = c;
    }
  }
  e.resid = std::abs(umin - o.box2d.x1) + std::abs(umax - o.box2d.x2) +
            std::abs(vmin - o.box2d.y1) + std::abs(vmax - o.box2d.y2);
  return e;
}

// Normal equations of the pinhole's least squares (5 unknowns: f, cx, cy, tx, ty).
struct Normal5 {
  double a[25] = {0}, rhs[5] = {0};
  void add(const double* row, double y) {
    for (int i = 0; i < 5; ++i) {
      rhs[i] += row[i] * y;
      for (int j = 0; j < 5; ++j) a[i * 5 + j] += row[i] * row[j];
    }
  }
  // The label's four edge equations, each through the corner that makes that edge.
  void add_edges(const Object& o, const std::array<Vec3, 8>& corners, const ExtremeCorners& e) {
    auto eq_u = [&](int c, double y) {
      const Vec3& p = corners[static_cast<std::size_t>(c)];
      const double z = std::max(p.z, kMinCornerDepthM);
      const double row[5] = {p.x / z, 1, 0, 1 / z, 0};
      add(row, y);
    };
    auto eq_v = [&](int c, double y) {
      const Vec3& p = corners[static_cast<std::size_t>(c)];
      const double z = std::max(p.z, kMinCornerDepthM);
      const double row[5] = {p.y / z, 0, 1, 0, 1 / z};
      add(row, y);
    };
    eq_u(e.imin, o.box2d.x1);
    eq_u(e.imax, o.box2d.x2);
    eq_v(e.jmin, o.box2d.y1);
    eq_v(e.jmax, o.box2d.y2);
  }
  // Gaussian elimination with partial pivoting (tiny ridge on tx, ty); false when singular.
  bool solve(double* sol) {
    a[18] += kPinholeRidge;
    a[24] += kPinholeRidge;
    double m[5][6];
    for (int i = 0; i < 5; ++i) {
      for (int j = 0; j < 5; ++j) m[i][j] = a[i * 5 + j];
      m[i][5] = rhs[i];
    }
    for (int c = 0; c < 5; ++c) {
      int piv = c;
      for (int r = c + 1; r < 5; ++r)
        if (std::abs(m[r][c]) > std::abs(m[piv][c])) piv = r;
      if (std::abs(m[piv][c]) < 1e-12) return false;
      for (int j = 0; j < 6; ++j) std::swap(m[c][j], m[piv][j]);
      for (int r = 0; r < 5; ++r) {
        if (r == c) continue;
        const double fct = m[r][c] / m[c][c];
        for (int j = c; j < 6; ++j) m[r][j] -= fct * m[c][j];
      }
    }
    for (int i = 0; i < 5; ++i) sol[i] = m[i][5] / m[i][i];
    return true;
  }
};

// The pinhole fit for datasets without calibration files (see pinhole_stride).
void fit_pinhole(const std::vector<const Object*>& fit_labels, LabelModel& lm) {
  double cam[5] = {0.8 * lm.img_w, lm.img_w / 2, lm.img_h / 2, 0, 0};  // f, cx, cy, tx, ty
  std::vector<std::uint8_t> use(fit_labels.size(), 1);
  std::vector<double> resid(fit_labels.size());
  for (int iter = 0; iter < kPinholeIterations; ++iter) {
    Normal5 ne;
    for (std::size_t k = 0; k < fit_labels.size(); ++k) {
      const Object& o = *fit_labels[k];
      const auto corners = box_corners_rect(o);
      const ExtremeCorners e = extreme_corners(o, corners, cam);
      resid[k] = e.resid;
      if (use[k]) ne.add_edges(o, corners, e);
    }
    double sol[5];
    if (!ne.solve(sol)) return;
    std::copy(sol, sol + 5, cam);
    if (iter == kPinholeDropIteration) {  // drop the worst 20% once the camera is roughly right
      std::vector<double> tmp = resid;
      const std::size_t k80 = tmp.size() * 8 / 10;
      std::nth_element(tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(k80), tmp.end());
      for (std::size_t k = 0; k < resid.size(); ++k) use[k] = resid[k] <= tmp[k80] ? 1 : 0;
    }
  }
  if (cam[0] > kMinFocalPx && cam[0] < kMaxFocalPx) {
    lm.f = cam[0];
    lm.cx = cam[1];
    lm.cy = cam[2];
    lm.tx = cam[3];
    lm.ty = cam[4];
    lm.pinhole_ok = true;
  }
}

// Per-class normals of the projection residual (see LabelModel::proj_cls_med). A class's median
// has sampling variance ~ (1.25 sigma)^2 / n; it is combined with the group's median, whose
// classes spread by tau, by inverse variances. One label less than the class holds (the label
// being judged must not explain itself).
constexpr std::size_t kProjClassMin = 20;  // labels for a class to count in the tau estimate
constexpr double kProjTauPrior = 0.15;     // between-class spread when it cannot be learned
void fit_projection_per_class(const std::array<std::vector<double>, kNumClasses>& res,
                              LabelModel& lm) {
  std::array<double, kNumClasses> med{}, sig{};
  std::vector<double> dev;
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    if (res[c].empty()) continue;
    std::vector<double> tmp = res[c], tmp2 = res[c];
    med[c] = median_of(tmp);
    sig[c] = std::clamp(mad_sigma(tmp2, med[c]), 0.01, 0.5);
    if (res[c].size() >= kProjClassMin) {
      const std::size_t g = size_group(static_cast<ObjectClass>(c));
      dev.push_back(med[c] - lm.proj_med[g]);
    }
  }
  double tau = kProjTauPrior;
  if (dev.size() >= 3) {
    double ss = 0;
    for (double d : dev) ss += d * d;
    tau = std::clamp(std::sqrt(ss / static_cast<double>(dev.size())), 0.02, 0.3);
  }
  lm.proj_tau = tau;
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    const std::size_t g = size_group(static_cast<ObjectClass>(c));
    const double n = res[c].empty() ? 0.0 : static_cast<double>(res[c].size() - 1);
    const double s = std::max(sig[c], lm.proj_sigma[g]);
    const double prec_data = n > 0 ? n / (1.5625 * s * s) : 0.0, prec_prior = 1 / (tau * tau);
    const double m = (prec_data * med[c] + prec_prior * lm.proj_med[g]) / (prec_data + prec_prior);
    const double s_own = n >= kProjClassMin ? sig[c] : s;
    lm.proj_cls_med[c] = m;
    lm.proj_cls_sigma[c] = std::sqrt(s_own * s_own + 1 / (prec_data + prec_prior));
    std::size_t out = 0;
    for (double r : res[c])
      if ((r - m) / lm.proj_cls_sigma[c] > 5) ++out;
    lm.proj_cls_eps[c] = smoothed_rate(out, res[c].size(), lm.proj_eps[g], 10, 0.002, 0.2);
  }
}

using GroupResiduals = std::array<std::vector<double>, kGroups>;
using ClassResiduals = std::array<std::vector<double>, kNumClasses>;

// Residuals 1 - IoU(2D box, projected 3D box) of a frame's labels, through the frame's P2 when it
// has a calibration, else through the fitted pinhole.
void add_projection_residuals(const FrameAnnotations& a, const LabelModel& lm,
                              GroupResiduals& res, ClassResiduals& res_cls) {
  if (!a.has_labels) return;
  const Calib* calib = a.calib ? &*a.calib : nullptr;
  for (const Object& o : a.labels) {
    double r = 0;
    if (!o.is_dontcare() && projection_residual(lm, o, calib, &r)) {
      res[size_group(o.cls)].push_back(r);
      res_cls[class_index(o.cls)].push_back(r);
    }
  }
}

// The residuals' robust spread per size group, then per class.
void fit_projection(GroupResiduals& res, const ClassResiduals& res_cls, LabelModel& lm) {
  std::size_t good = 0, total = 0;
  for (std::size_t g = 0; g < kGroups; ++g) {
    total += res[g].size();
    for (double r : res[g])
      if (r < 0.3) ++good;
  }
  // Labels whose 2D boxes do not follow their 3D boxes (other conventions): no such check.
  if (total < 20 || static_cast<double>(good) < 0.6 * static_cast<double>(total)) return;
  lm.proj_ok = true;
  for (std::size_t g = 0; g < kGroups; ++g) {
    if (res[g].size() < 20) {
      lm.proj_med[g] = 0.1;
      lm.proj_sigma[g] = 0.1;
      lm.proj_eps[g] = 0.05;
      continue;
    }
    std::vector<double> tmp = res[g];
    lm.proj_med[g] = median_of(tmp);
    lm.proj_sigma[g] = std::clamp(mad_sigma(res[g], lm.proj_med[g]), 0.01, 0.5);
    std::size_t out = 0;
    for (double r : res[g])
      if ((r - lm.proj_med[g]) / lm.proj_sigma[g] > 5) ++out;
    lm.proj_eps[g] = smoothed_rate(out, res[g].size(), 0.01, 10, 0.002, 0.2);
  }
  fit_projection_per_class(res_cls, lm);
}

}  // namespace

// ============================================================================================
// [SECTION] Fitting in passes (LabelModelFit, ranking_needle.h)
// ============================================================================================
void LabelModelFit::add_pass1(const std::vector<FrameAnnotations>& frames) {
  for (const FrameAnnotations& a : frames) {
    add_size_dims(a, dims_, img_w_, img_h_);
    add_alpha_residuals(a, alpha_res_);
    if (a.has_labels) {
      ++labelled_;
      if (a.calib) ++with_calib_;
    }
  }
}

void LabelModelFit::finish_pass1(LabelModel& lm) {
  lm.img_w = img_w_;
  lm.img_h = img_h_;
  fit_size_priors(dims_, lm);
  fit_alpha_model(alpha_res_, lm);
  dims_ = {};
  std::vector<double>().swap(alpha_res_);
  need_pinhole_ = with_calib_ != labelled_;
}

void LabelModelFit::add_pass2(const std::vector<FrameAnnotations>& frames, const LabelModel& lm) {
  for (const FrameAnnotations& a : frames) {
    if (!need_pinhole_) {
      add_projection_residuals(a, lm, res_, res_cls_);
    } else if (a.has_labels) {
      for (const Object& o : a.labels)
        if (pinhole_label(o, lm)) ++candidates_;
    }
  }
  residuals_done_ = !need_pinhole_;
}

LabelModelFit::Extra LabelModelFit::extra_pass() const {
  if (residuals_done_) return Extra::None;
  if (!pinhole_done_ && candidates_ >= kMinPinholeLabels) return Extra::Pinhole;
  return Extra::Projection;
}

void LabelModelFit::add_extra(const std::vector<FrameAnnotations>& frames, const LabelModel& lm) {
  const Extra pass = extra_pass();
  const std::size_t stride = pinhole_stride(candidates_);
  for (const FrameAnnotations& a : frames) {
    if (pass == Extra::Projection) {
      add_projection_residuals(a, lm, res_, res_cls_);
    } else if (pass == Extra::Pinhole && a.has_labels) {
      for (const Object& o : a.labels)
        if (pinhole_label(o, lm) && candidate_k_++ % stride == 0) pinhole_labels_.push_back(o);
    }
  }
}

void LabelModelFit::finish_extra(LabelModel& lm) {
  if (extra_pass() == Extra::Pinhole) {
    std::vector<const Object*> fit_labels;
    fit_labels.reserve(pinhole_labels_.size());
    for (const Object& o : pinhole_labels_) fit_labels.push_back(&o);
    fit_pinhole(fit_labels, lm);
    pinhole_done_ = true;
    std::vector<Object>().swap(pinhole_labels_);
  } else {
    residuals_done_ = true;
  }
}

void LabelModelFit::finish(LabelModel& lm) {
  fit_projection(res_, res_cls_, lm);
  res_ = {};
  res_cls_ = {};
}

}  // namespace needle::detail
