// lidar/lidar_analysis.cpp — analyze_frame_lidar (needle/lidar.h): one scan against one frame's
// labels. The only translation unit that includes PCL's clustering headers.
//
// Index
//   [SECTION] Points: velodyne -> rectified camera, field of view, grid buckets
//   [SECTION] Ground: lowest points per cell, kept where the neighbourhood agrees, filled between
//   [SECTION] Clusters: voxel grid + PCL Euclidean clustering of the non-ground points in view
//   [SECTION] Labels: points in the box, the shell, the box's cluster and its overflow
//   [SECTION] Entry point
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include <pcl/point_cloud.h>
#include <pcl/point_types.h>
#include <pcl/search/kdtree.h>
#include <pcl/segmentation/extract_clusters.h>

#include "needle/box3d.h"
#include "needle/lidar.h"

namespace needle {

double GroundEstimate::y_at(double x, double z) const {
  if (y.empty()) return fallback_y;
  // Cell centres sit at x0 + (i + 0.5) cell.
  const double fx = (x - x0) / cell - 0.5, fz = (z - z0) / cell - 0.5;
  const double cx = std::clamp(fx, 0.0, static_cast<double>(nx - 1));
  const double cz = std::clamp(fz, 0.0, static_cast<double>(nz - 1));
  const int ix = std::min(static_cast<int>(cx), nx - 2 < 0 ? 0 : nx - 2);
  const int iz = std::min(static_cast<int>(cz), nz - 2 < 0 ? 0 : nz - 2);
  if (nx < 2 || nz < 2) return y[static_cast<std::size_t>(iz * nx + ix)];
  const double tx = cx - ix, tz = cz - iz;
  auto at = [&](int i, int k) {
    return static_cast<double>(y[static_cast<std::size_t>(k * nx + i)]);
  };
  return (1 - tz) * ((1 - tx) * at(ix, iz) + tx * at(ix + 1, iz)) +
         tz * ((1 - tx) * at(ix, iz + 1) + tx * at(ix + 1, iz + 1));
}

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Points farther than this from the sensor are implausible for any automotive lidar (issue 8).
constexpr double kImplausibleRange = 200.0;
// Region of the grid behind the camera (boxes truncated at the image edge reach a little behind).
constexpr double kBehind = 5.0;
// Ground cells: a cell's lowest point is ground when it is no more than kGroundTolerance +
// kGroundGrade * distance above the lowest point of any cell of its neighbourhood (metres: noise
// and kerbs, plus a 10% grade, the steepest regular road). A car's body 0.3 m above the road next
// to it is not ground.
constexpr double kGroundTolerance = 0.10;
constexpr double kGroundGrade = 0.10;
constexpr int kGroundRadiusCells =
    3;  // neighbourhood radius (4.5 m at 1.5 m cells: a car's length)
// A cluster counts as a label's when this share of its points, or kLabelClusterPoints points, lie
// in the label's box or shell.
constexpr double kLabelClusterShare = 0.15;
constexpr std::uint32_t kLabelClusterPoints = 20;
// Ground cells up to this far outside a box's footprint tell the ground under it, metres.
constexpr double kGroundRing = 2.5;
// Cluster points up to this far above a box's top still count as in/out by their footprint.
constexpr double kTopSlack = 0.3;
// A cluster's image box inside a DontCare region by this share of its area is "in DontCare".
constexpr double kDontCareShare = 0.5;

struct P3 {
  float x, y, z;
};

struct Work {
  std::vector<P3> p;               // rect-frame points kept (finite, within max_range)
  std::vector<std::uint32_t> src;  // their index in the scan
  std::vector<std::uint8_t> fov;   // inside the image
  std::vector<float> height;       // above the local ground
  std::vector<int> cell;           // grid cell, -1 outside the grid
  std::vector<std::uint32_t> cell_start, cell_points;  // points bucketed by cell (CSR)
  std::vector<int> cluster;                            // per kept point, -1 = none
  std::vector<std::vector<std::uint32_t>> members;     // kept points of each cluster
  std::vector<float> cell_top;  // highest point of each cell above the ground
};

// ============================================================================================
// [SECTION] Points
// ============================================================================================
void transform_points(const PointCloud& cloud, const Calib& calib, const LidarParams& prm,
                      double img_w, double img_h, const std::string& file, FrameLidar& out,
                      Work& w) {
  const Mat34 m = calib.velo_to_rect_matrix();
  const Mat34& P = calib.P[2];
  const std::size_t n = cloud.size();
  w.p.reserve(n);
  w.src.reserve(n);
  w.fov.reserve(n);
  long first_bad = -1, first_far = -1;
  const float* q = cloud.xyzr.data();
  for (std::size_t i = 0; i < n; ++i, q += 4) {
    const double x = q[0], y = q[1], z = q[2];
    if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(z)) {
      if (first_bad < 0) first_bad = static_cast<long>(i);
      ++out.n_nonfinite;
      continue;
    }
    if (x * x + y * y + z * z > kImplausibleRange * kImplausibleRange) {
      if (first_far < 0) first_far = static_cast<long>(i);
      ++out.n_far;
      continue;
    }
    const double xr = m[0] * x + m[1] * y + m[2] * z + m[3];
    const double yr = m[4] * x + m[5] * y + m[6] * z + m[7];
    const double zr = m[8] * x + m[9] * y + m[10] * z + m[11];
    if (std::abs(xr) > prm.max_range || zr > prm.max_range || zr < -kBehind) continue;
    bool in_view = false;
    if (zr > 0.5) {
      const double d = P[8] * xr + P[9] * yr + P[10] * zr + P[11];
      const double u = (P[0] * xr + P[1] * yr + P[2] * zr + P[3]) / d;
      const double v = (P[4] * xr + P[5] * yr + P[6] * zr + P[7]) / d;
      in_view = u >= 0 && u < img_w && v >= 0 && v < img_h;
    }
    w.p.push_back({static_cast<float>(xr), static_cast<float>(yr), static_cast<float>(zr)});
    w.src.push_back(static_cast<std::uint32_t>(i));
    w.fov.push_back(in_view ? 1 : 0);
    if (in_view) ++out.n_fov;
  }
  out.n_points = static_cast<std::uint32_t>(n);
  auto problem = [&](const std::string& msg) {
    Problem pr;
    pr.modality = "velodyne";
    pr.file = file;
    pr.message = msg;
    out.problems.push_back(std::move(pr));
  };
  char b[200];
  if (first_bad >= 0) {
    std::snprintf(b, sizeof b, "%u points are not finite (first: point %ld)", out.n_nonfinite,
                  first_bad);
    problem(b);
  }
  if (first_far >= 0) {
    std::snprintf(b, sizeof b, "%u points lie beyond %.0f m (first: point %ld)", out.n_far,
                  kImplausibleRange, first_far);
    problem(b);
  }
  if (n > 0 && out.n_fov == 0) problem("no point lies in the camera's field of view");
}

void bucket_points(const LidarParams& prm, Work& w, GroundEstimate& g) {
  g.cell = prm.ground_cell;
  g.x0 = -prm.max_range;
  g.z0 = -kBehind;
  g.nx = static_cast<int>(std::ceil(2 * prm.max_range / g.cell));
  g.nz = static_cast<int>(std::ceil((prm.max_range + kBehind) / g.cell));
  const std::size_t nc = static_cast<std::size_t>(g.nx) * static_cast<std::size_t>(g.nz);
  w.cell.resize(w.p.size());
  w.cell_start.assign(nc + 1, 0);
  for (std::size_t i = 0; i < w.p.size(); ++i) {
    const int ix = static_cast<int>((w.p[i].x - g.x0) / g.cell);
    const int iz = static_cast<int>((w.p[i].z - g.z0) / g.cell);
    w.cell[i] = (ix >= 0 && ix < g.nx && iz >= 0 && iz < g.nz) ? iz * g.nx + ix : -1;
    if (w.cell[i] >= 0) ++w.cell_start[static_cast<std::size_t>(w.cell[i]) + 1];
  }
  for (std::size_t c = 0; c < nc; ++c) w.cell_start[c + 1] += w.cell_start[c];
  w.cell_points.resize(w.cell_start[nc]);
  std::vector<std::uint32_t> fill(w.cell_start.begin(), w.cell_start.end() - 1);
  for (std::size_t i = 0; i < w.p.size(); ++i)
    if (w.cell[i] >= 0)
      w.cell_points[fill[static_cast<std::size_t>(w.cell[i])]++] = static_cast<std::uint32_t>(i);
}

// ============================================================================================
// [SECTION] Ground
// ============================================================================================
// Per cell the lowest point (the second lowest when the cell has enough points, against stray
// returns below the road) is a ground candidate. A candidate is ground when no point of its
// neighbourhood lies more than kGroundTolerance below it (a car's roof or side has the road next
// to it); cells without ground are filled from the observed cells around them, so the estimate
// follows slopes and bumps instead of one global plane.
void estimate_ground(Work& w, GroundEstimate& g) {
  const std::size_t nc = static_cast<std::size_t>(g.nx) * static_cast<std::size_t>(g.nz);
  constexpr float kNone = -1e9f;
  std::vector<float> low(nc, kNone);  // camera y of the low point (larger y = lower)
  for (std::size_t c = 0; c < nc; ++c) {
    const std::uint32_t b = w.cell_start[c], e = w.cell_start[c + 1];
    if (b == e) continue;
    float y1 = kNone, y2 = kNone;
    for (std::uint32_t k = b; k < e; ++k) {
      const float y = w.p[w.cell_points[k]].y;
      if (y > y1) {
        y2 = y1;
        y1 = y;
      } else if (y > y2) {
        y2 = y;
      }
    }
    low[c] = (e - b >= 8 && y2 > kNone) ? y2 : y1;
  }
  g.y.assign(nc, 0.0f);
  g.seen.assign(nc, 0);
  std::vector<float> seen_y;
  const int R = kGroundRadiusCells;
  for (int iz = 0; iz < g.nz; ++iz)
    for (int ix = 0; ix < g.nx; ++ix) {
      const std::size_t c = static_cast<std::size_t>(iz * g.nx + ix);
      if (low[c] == kNone) continue;
      bool ground = true;
      for (int dz = -R; dz <= R && ground; ++dz)
        for (int dx = -R; dx <= R; ++dx) {
          const int jx = ix + dx, jz = iz + dz;
          if (jx < 0 || jz < 0 || jx >= g.nx || jz >= g.nz) continue;
          const float other = low[static_cast<std::size_t>(jz * g.nx + jx)];
          if (other == kNone) continue;
          const double allowed =
              kGroundTolerance +
              kGroundGrade * g.cell * std::sqrt(static_cast<double>(dx * dx + dz * dz));
          if (other - low[c] > allowed) {
            ground = false;
            break;
          }
        }
      if (ground) {
        g.seen[c] = 1;
        g.y[c] = low[c];
        seen_y.push_back(low[c]);
      }
    }
  if (!seen_y.empty()) {
    std::nth_element(seen_y.begin(), seen_y.begin() + static_cast<long>(seen_y.size() / 2),
                     seen_y.end());
    g.fallback_y = seen_y[seen_y.size() / 2];
  }
  // Fill: average of the observed cells in growing rings (up to 8 cells), else the fallback.
  std::vector<std::uint8_t> done(g.seen);
  std::vector<float> next(g.y);
  for (int ring = 1; ring <= 8; ++ring) {
    bool any_left = false;
    for (int iz = 0; iz < g.nz; ++iz)
      for (int ix = 0; ix < g.nx; ++ix) {
        const std::size_t c = static_cast<std::size_t>(iz * g.nx + ix);
        if (done[c]) continue;
        double sum = 0;
        int n = 0;
        for (int dz = -1; dz <= 1; ++dz)
          for (int dx = -1; dx <= 1; ++dx) {
            const int jx = ix + dx, jz = iz + dz;
            if (jx < 0 || jz < 0 || jx >= g.nx || jz >= g.nz) continue;
            const std::size_t d = static_cast<std::size_t>(jz * g.nx + jx);
            if (done[d] == 1 || (done[d] >= 2 && done[d] < ring + 1)) {
              sum += g.y[d];
              ++n;
            }
          }
        if (n > 0) {
          next[c] = static_cast<float>(sum / n);
          done[c] = static_cast<std::uint8_t>(ring + 1);
        } else {
          any_left = true;
        }
      }
    for (std::size_t c = 0; c < nc; ++c)
      if (done[c] == ring + 1) g.y[c] = next[c];
    if (!any_left) break;
  }
  for (std::size_t c = 0; c < nc; ++c)
    if (!done[c]) g.y[c] = static_cast<float>(g.fallback_y);
  w.height.resize(w.p.size());
  w.cell_top.assign(nc, -1e9f);
  for (std::size_t i = 0; i < w.p.size(); ++i) {
    w.height[i] = w.cell[i] >= 0 ? static_cast<float>(g.y_at(w.p[i].x, w.p[i].z)) - w.p[i].y
                                 : static_cast<float>(g.fallback_y) - w.p[i].y;
    if (w.cell[i] >= 0) {
      float& top = w.cell_top[static_cast<std::size_t>(w.cell[i])];
      top = std::max(top, w.height[i]);
    }
  }
}

// ============================================================================================
// [SECTION] Clusters
// ============================================================================================
struct Pca2 {
  double ry = 0, ext_l = 0, ext_w = 0, cx = 0, cz = 0;
};
// Principal axes of x-z points; extents between the 2% and 98% quantiles along each axis
// (a stray point does not stretch the box); centre = middle of those spans.
Pca2 pca_xz(const std::vector<P3>& pts) {
  Pca2 r;
  if (pts.empty()) return r;
  double mx = 0, mz = 0;
  for (const P3& p : pts) mx += p.x, mz += p.z;
  mx /= static_cast<double>(pts.size());
  mz /= static_cast<double>(pts.size());
  double sxx = 0, szz = 0, sxz = 0;
  for (const P3& p : pts) {
    const double dx = p.x - mx, dz = p.z - mz;
    sxx += dx * dx, szz += dz * dz, sxz += dx * dz;
  }
  const double th = 0.5 * std::atan2(2 * sxz, sxx - szz);  // major axis angle in x-z
  const double ex = std::cos(th), ez = std::sin(th);
  std::vector<double> a(pts.size()), b(pts.size());
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const double dx = pts[i].x - mx, dz = pts[i].z - mz;
    a[i] = dx * ex + dz * ez;
    b[i] = -dx * ez + dz * ex;
  }
  auto span = [](std::vector<double>& v, double* lo, double* hi) {
    const std::size_t n = v.size();
    const std::size_t i0 = n * 2 / 100, i1 = n - 1 - n * 2 / 100;
    std::nth_element(v.begin(), v.begin() + static_cast<long>(i0), v.end());
    *lo = v[i0];
    std::nth_element(v.begin(), v.begin() + static_cast<long>(i1), v.end());
    *hi = v[i1];
  };
  double a0, a1, b0, b1;
  span(a, &a0, &a1);
  span(b, &b0, &b1);
  r.ext_l = a1 - a0;
  r.ext_w = b1 - b0;
  const double ca = (a0 + a1) / 2, cb = (b0 + b1) / 2;
  r.cx = mx + ca * ex - cb * ez;
  r.cz = mz + ca * ez + cb * ex;
  r.ry = std::atan2(-ez, ex);  // box3d: the length axis is (cos ry, -sin ry) in x-z
  return r;
}

// Points above a cluster: within `radius` of (x, z) and higher than `height` above the ground
// (all kept points, also those above max_object_height).
// A thin cluster (a trunk, a post) looks for what is above it up to kAboveMarginThin beyond its
// half-length (a crown spans 2-4 m), others only kAboveMargin (a car beside a tree is a car).
constexpr double kThinHalf = 0.5;
constexpr double kAboveMarginThin = 2.0;
constexpr double kAboveMargin = 0.5;
constexpr double kAboveGap = 0.3;  // metres above the cluster's top
std::uint32_t count_above(const Work& w, const GroundEstimate& g, double x, double z, double radius,
                          double height) {
  std::uint32_t n = 0;
  const int ix0 = std::max(0, static_cast<int>((x - radius - g.x0) / g.cell));
  const int ix1 = std::min(g.nx - 1, static_cast<int>((x + radius - g.x0) / g.cell));
  const int iz0 = std::max(0, static_cast<int>((z - radius - g.z0) / g.cell));
  const int iz1 = std::min(g.nz - 1, static_cast<int>((z + radius - g.z0) / g.cell));
  for (int iz = iz0; iz <= iz1; ++iz)
    for (int ix = ix0; ix <= ix1; ++ix) {
      const std::size_t cell = static_cast<std::size_t>(iz * g.nx + ix);
      if (w.cell_top[cell] <= height) continue;
      for (std::uint32_t k = w.cell_start[cell]; k < w.cell_start[cell + 1]; ++k) {
        const std::uint32_t i = w.cell_points[k];
        if (w.height[i] <= height) continue;
        const double dx = w.p[i].x - x, dz = w.p[i].z - z;
        if (dx * dx + dz * dz <= radius * radius) ++n;
      }
    }
  return n;
}

void cluster_points(const LidarParams& prm, const GroundEstimate& g, Work& w, FrameLidar& out,
                    bool keep_points) {
  // Voxel grid of the non-ground points in view: sort by voxel key, one centroid per voxel.
  std::vector<std::uint32_t> cand;
  for (std::size_t i = 0; i < w.p.size(); ++i)
    if (w.fov[i] && w.height[i] > prm.ground_band && w.height[i] < prm.max_object_height)
      cand.push_back(static_cast<std::uint32_t>(i));
  w.cluster.assign(w.p.size(), -1);
  if (cand.size() < static_cast<std::size_t>(prm.min_cluster_voxels)) return;
  const double inv = 1.0 / prm.voxel;
  auto key = [&](const P3& p) {
    const auto kx =
        static_cast<std::uint64_t>(static_cast<std::int64_t>(std::floor(p.x * inv)) + 1000000);
    const auto ky =
        static_cast<std::uint64_t>(static_cast<std::int64_t>(std::floor(p.y * inv)) + 1000000);
    const auto kz =
        static_cast<std::uint64_t>(static_cast<std::int64_t>(std::floor(p.z * inv)) + 1000000);
    return (kx << 42) | (ky << 21) | kz;
  };
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed(cand.size());
  for (std::size_t k = 0; k < cand.size(); ++k) keyed[k] = {key(w.p[cand[k]]), cand[k]};
  std::sort(keyed.begin(), keyed.end());
  pcl::PointCloud<pcl::PointXYZ>::Ptr vox(new pcl::PointCloud<pcl::PointXYZ>);
  std::vector<std::uint32_t> vox_start;  // into keyed
  for (std::size_t k = 0; k < keyed.size();) {
    std::size_t e = k;
    double sx = 0, sy = 0, sz = 0;
    while (e < keyed.size() && keyed[e].first == keyed[k].first) {
      const P3& p = w.p[keyed[e].second];
      sx += p.x, sy += p.y, sz += p.z;
      ++e;
    }
    const double n = static_cast<double>(e - k);
    vox->push_back(pcl::PointXYZ(static_cast<float>(sx / n), static_cast<float>(sy / n),
                                 static_cast<float>(sz / n)));
    vox_start.push_back(static_cast<std::uint32_t>(k));
    k = e;
  }
  vox_start.push_back(static_cast<std::uint32_t>(keyed.size()));

  pcl::search::KdTree<pcl::PointXYZ>::Ptr tree(new pcl::search::KdTree<pcl::PointXYZ>);
  tree->setInputCloud(vox);
  std::vector<pcl::PointIndices> found;
  pcl::EuclideanClusterExtraction<pcl::PointXYZ> ec;
  ec.setClusterTolerance(prm.cluster_tolerance);
  ec.setMinClusterSize(prm.min_cluster_voxels);
  ec.setMaxClusterSize(std::numeric_limits<int>::max());
  ec.setSearchMethod(tree);
  ec.setInputCloud(vox);
  ec.extract(found);

  std::vector<P3> pts;
  for (const pcl::PointIndices& ci : found) {
    const int id = static_cast<int>(out.clusters.size());
    LidarCluster cl;
    pts.clear();
    w.members.emplace_back();
    double top = 0, bottom = 1e9;
    for (int v : ci.indices) {
      const std::size_t vi = static_cast<std::size_t>(v);
      for (std::uint32_t k = vox_start[vi]; k < vox_start[vi + 1]; ++k) {
        const std::uint32_t i = keyed[k].second;
        w.cluster[i] = id;
        w.members.back().push_back(i);
        pts.push_back(w.p[i]);
        top = std::max(top, static_cast<double>(w.height[i]));
        bottom = std::min(bottom, static_cast<double>(w.height[i]));
        if (keep_points) cl.points.push_back(w.src[i]);
      }
    }
    const Pca2 pc = pca_xz(pts);
    cl.n_points = static_cast<std::uint32_t>(pts.size());
    cl.top = top;
    cl.bottom_gap = bottom;
    cl.box.type = "cluster";
    cl.box.cls = ObjectClass::Unknown;
    cl.box.l = std::max(pc.ext_l, 0.1);
    cl.box.w = std::max(pc.ext_w, 0.1);
    cl.box.h = std::max(top, 0.1);
    cl.box.rotation_y = pc.ry;
    cl.box.loc_cam = {pc.cx, g.y_at(pc.cx, pc.cz), pc.cz};
    cl.box.truncated = 0;
    cl.box.occluded = 0;
    cl.box.alpha = -10;
    const double half = std::max(cl.box.l, cl.box.w) / 2;
    cl.n_above =
        count_above(w, g, pc.cx, pc.cz, half + (half < kThinHalf ? kAboveMarginThin : kAboveMargin),
                    top + kAboveGap);
    out.clusters.push_back(std::move(cl));
  }
}

// ============================================================================================
// [SECTION] Labels
// ============================================================================================
struct Local {
  double al, aw;
};
inline Local to_box(const Object& o, double c, double s, const P3& p) {
  const double dx = p.x - o.loc_cam.x, dz = p.z - o.loc_cam.z;
  return {c * dx - s * dz, s * dx + c * dz};
}

double quantile90(std::vector<double>& v) {
  if (v.size() < 3) return 0;
  const std::size_t k = v.size() * 9 / 10;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

void label_stats(const LidarParams& prm, const Calib& calib, const std::vector<Object>& labels,
                 const GroundEstimate& g, const Work& w, int img_w, int img_h, FrameLidar& out) {
  out.labels.assign(labels.size(), LabelLidarStats{});
  // Per cluster: how many of its points lie in each label's box or shell.
  std::vector<std::vector<std::uint32_t>> cl_hits(
      labels.size(), std::vector<std::uint32_t>(out.clusters.size(), 0));
  std::vector<P3> mine;
  std::vector<double> over[5];
  for (std::size_t li = 0; li < labels.size(); ++li) {
    const Object& o = labels[li];
    if (o.is_dontcare() || !o.has_3d()) continue;
    LabelLidarStats& st = out.labels[li];
    st.valid = true;
    st.range = std::sqrt(o.loc_cam.x * o.loc_cam.x + o.loc_cam.z * o.loc_cam.z);
    const double c = std::cos(o.rotation_y), s = std::sin(o.rotation_y);
    const double hl = o.l / 2, hw = o.w / 2, sh = prm.shell;
    const double top_y = o.loc_cam.y - o.h, bottom_y = o.loc_cam.y;
    const double reach = std::hypot(hl, hw) + std::max(sh, prm.near_out);
    const int ix0 = std::max(0, static_cast<int>((o.loc_cam.x - reach - g.x0) / g.cell));
    const int ix1 = std::min(g.nx - 1, static_cast<int>((o.loc_cam.x + reach - g.x0) / g.cell));
    const int iz0 = std::max(0, static_cast<int>((o.loc_cam.z - reach - g.z0) / g.cell));
    const int iz1 = std::min(g.nz - 1, static_cast<int>((o.loc_cam.z + reach - g.z0) / g.cell));
    std::vector<std::uint32_t>& hits = cl_hits[li];
    for (int iz = iz0; iz <= iz1; ++iz)
      for (int ix = ix0; ix <= ix1; ++ix) {
        const std::size_t cell = static_cast<std::size_t>(iz * g.nx + ix);
        for (std::uint32_t k = w.cell_start[cell]; k < w.cell_start[cell + 1]; ++k) {
          const std::uint32_t i = w.cell_points[k];
          const P3& p = w.p[i];
          if (p.y < top_y - 0.3 || p.y > bottom_y) continue;
          const Local q = to_box(o, c, s, p);
          const bool ground = w.height[i] <= prm.ground_band;
          const bool in_lw = std::abs(q.al) <= hl && std::abs(q.aw) <= hw;
          const bool in_box = in_lw && p.y >= top_y;
          if (in_box) ++st.n_in_all;
          if (ground) continue;
          if (in_box) {
            ++st.n_in;
          } else if (std::abs(q.al) <= hl + sh && std::abs(q.aw) <= hw + sh) {
            ++st.n_shell;
          } else {
            continue;
          }
          if (w.cluster[i] >= 0) ++hits[static_cast<std::size_t>(w.cluster[i])];
        }
      }
    // The box's cluster: the one with most points in the box + shell.
    std::uint32_t best = 0;
    for (std::size_t k = 0; k < hits.size(); ++k)
      if (hits[k] > best) {
        best = hits[k];
        st.cluster = static_cast<int>(k);
      }
    // Ground under the box: the median of the observed ground cells around its footprint (the
    // road under a car or truck is hidden, and cells covered by a long truck can look like
    // ground themselves), within kGroundRing of the footprint's edge. Interpolated when there
    // are none (then not "seen").
    {
      std::vector<float> ring;
      const double r_out = std::hypot(hl, hw) + kGroundRing;
      const int gx0 = std::max(0, static_cast<int>((o.loc_cam.x - r_out - g.x0) / g.cell));
      const int gx1 = std::min(g.nx - 1, static_cast<int>((o.loc_cam.x + r_out - g.x0) / g.cell));
      const int gz0 = std::max(0, static_cast<int>((o.loc_cam.z - r_out - g.z0) / g.cell));
      const int gz1 = std::min(g.nz - 1, static_cast<int>((o.loc_cam.z + r_out - g.z0) / g.cell));
      for (int iz = gz0; iz <= gz1; ++iz)
        for (int ix = gx0; ix <= gx1; ++ix) {
          const std::size_t cell = static_cast<std::size_t>(iz * g.nx + ix);
          if (!g.seen[cell]) continue;
          const P3 centre{static_cast<float>(g.x0 + (ix + 0.5) * g.cell), 0.0f,
                          static_cast<float>(g.z0 + (iz + 0.5) * g.cell)};
          const Local q = to_box(o, c, s, centre);
          const double out_l = std::abs(q.al) - hl, out_w = std::abs(q.aw) - hw;
          const double outside = std::max(out_l, out_w);
          if (outside < 0.3 || outside > kGroundRing) continue;
          ring.push_back(g.y[cell]);
        }
      if (!ring.empty()) {
        std::nth_element(ring.begin(), ring.begin() + static_cast<long>(ring.size() / 2),
                         ring.end());
        st.ground_y = ring[ring.size() / 2];
        st.ground_seen = ring.size() >= 2;
      } else {
        st.ground_y = g.y_at(o.loc_cam.x, o.loc_cam.z);
      }
    }
    st.ground_offset = st.ground_y - o.loc_cam.y;
    // The cluster's points in and near the box: overflow beyond each face, principal axes.
    mine.clear();
    for (auto& v : over) v.clear();
    std::uint32_t n_in_c = 0;
    double hmin = 1e9, hmax = -1e9;
    if (st.cluster >= 0) {
      for (const std::uint32_t i : w.members[static_cast<std::size_t>(st.cluster)]) {
        const P3& p = w.p[i];
        const Local q = to_box(o, c, s, p);
        const double ol = std::abs(q.al) - hl, ow = std::abs(q.aw) - hw, ot = top_y - p.y;
        if (ol > prm.near_out || ow > prm.near_out || ot > prm.near_out) continue;
        // Above the box (branches, a sign, a wall behind): recorded as top overflow only; the
        // in/out shares are about the footprint.
        if (ot > kTopSlack) {
          over[4].push_back(ot);
          continue;
        }
        mine.push_back(p);
        hmin = std::min(hmin, static_cast<double>(w.height[i]));
        hmax = std::max(hmax, static_cast<double>(w.height[i]));
        if (ol <= 0 && ow <= 0) {
          ++n_in_c;
          continue;
        }
        ++st.n_out;
        if (ol > 0) over[q.al > 0 ? 0 : 1].push_back(ol);
        if (ow > 0) over[q.aw > 0 ? 2 : 3].push_back(ow);
      }
    }
    st.n_in_cluster = n_in_c;
    for (std::size_t f = 0; f < 5; ++f) st.overflow[f] = quantile90(over[f]);
    st.cluster_share = (n_in_c + st.n_out) > 0
                           ? static_cast<double>(n_in_c) / static_cast<double>(n_in_c + st.n_out)
                           : 0.0;
    if (mine.size() >= 3) {
      const Pca2 pc = pca_xz(mine);
      st.extent_l = pc.ext_l;
      st.extent_w = pc.ext_w;
      st.principal_ry = pc.ry;
      st.elongation = pc.ext_l / std::max(pc.ext_w, 0.05);
      st.extent_h = hmax - std::min(hmin, static_cast<double>(prm.ground_band));
    }
  }
  // Clusters: which label they belong to, whether they sit in a DontCare region.
  for (std::size_t k = 0; k < out.clusters.size(); ++k) {
    LidarCluster& cl = out.clusters[k];
    std::uint32_t best = 0;
    for (std::size_t li = 0; li < labels.size(); ++li) {
      const std::uint32_t h = cl_hits[li].empty() ? 0 : cl_hits[li][k];
      if (h > best) {
        best = h;
        cl.label = static_cast<int>(li);
      }
    }
    if (best == 0 || (static_cast<double>(best) < kLabelClusterShare * cl.n_points &&
                      best < kLabelClusterPoints))
      cl.label = -1;
    if (img_w > 0 && img_h > 0) {
      const auto b = projected_box_2d(cl.box, calib, img_w, img_h);
      if (b && b->area() > 0) {
        for (const Object& d : labels) {
          if (!d.is_dontcare()) continue;
          const double ix =
              std::max(0.0, std::min(b->x2, d.box2d.x2) - std::max(b->x1, d.box2d.x1));
          const double iy =
              std::max(0.0, std::min(b->y2, d.box2d.y2) - std::max(b->y1, d.box2d.y1));
          if (ix * iy >= kDontCareShare * b->area()) cl.in_dontcare = true;
        }
      }
    }
  }
}

}  // namespace

// ============================================================================================
// [SECTION] Entry point
// ============================================================================================
FrameLidar analyze_frame_lidar(const PointCloud& cloud_velo, const Calib& calib,
                               const std::vector<Object>& labels, const LidarParams& prm,
                               int image_w, int image_h, const std::string& scan_file) {
  const auto t0 = Clock::now();
  FrameLidar out;
  out.ok = true;
  // Image size from the principal point when not given (KITTI's cx, cy sit near the centre).
  const int w_img = image_w > 0 ? image_w : static_cast<int>(std::lround(2 * calib.P[2][2]));
  const int h_img = image_h > 0 ? image_h : static_cast<int>(std::lround(2 * calib.P[2][6]));
  Work w;
  transform_points(cloud_velo, calib, prm, w_img, h_img, scan_file, out, w);
  out.timings.transform = ms_since(t0);
  auto t = Clock::now();
  bucket_points(prm, w, out.ground);
  estimate_ground(w, out.ground);
  out.timings.ground = ms_since(t);
  t = Clock::now();
  cluster_points(prm, out.ground, w, out, true);
  out.timings.cluster = ms_since(t);
  t = Clock::now();
  label_stats(prm, calib, labels, out.ground, w, w_img, h_img, out);
  out.timings.labels = ms_since(t);
  out.timings.total = ms_since(t0);
  return out;
}

}  // namespace needle
