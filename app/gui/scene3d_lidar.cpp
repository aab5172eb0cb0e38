#include "gui/scene3d_lidar.h"

#include <array>

#include "gui/model/overlay_style.h"
#include "needle/box3d.h"

namespace needle::view {

namespace {

gl::Rgba8 rgba(Rgb c) {
  return {c.r, c.g, c.b, 255};
}

void add_rect_segment(gl::LineBatch& out, const Calib& calib, const Vec3& a_rect,
                      const Vec3& b_rect, gl::Rgba8 col, float w) {
  const Vec3 a = calib.rect_to_velo(a_rect), b = calib.rect_to_velo(b_rect);
  const float p0[3] = {static_cast<float>(a.x), static_cast<float>(a.y), static_cast<float>(a.z)};
  const float p1[3] = {static_cast<float>(b.x), static_cast<float>(b.y), static_cast<float>(b.z)};
  out.add(p0, p1, col, w);
}

}  // namespace

void build_cluster_lines(const LoadedFrame& f, float width_px, gl::LineBatch& out) {
  out.clear();
  if (!f.data.ann.calib) return;
  const Calib& calib = *f.data.ann.calib;
  for (int c : f.unlabeled_clusters) {
    if (c < 0 || c >= static_cast<int>(f.lidar.clusters.size())) continue;
    const std::array<Vec3, 8> k = box_corners_rect(f.lidar.clusters[static_cast<std::size_t>(c)].box);
    for (const auto& e : kBoxEdges)
      add_rect_segment(out, calib, k[static_cast<std::size_t>(e[0])],
                       k[static_cast<std::size_t>(e[1])], rgba(kClusterColor), width_px);
  }
}

std::vector<float> cluster_points_xyzr(const LoadedFrame& f) {
  std::vector<float> out;
  if (!f.has_cloud()) return out;
  const PointCloud& cloud = *f.data.cloud;
  for (int c : f.unlabeled_clusters) {
    if (c < 0 || c >= static_cast<int>(f.lidar.clusters.size())) continue;
    for (std::uint32_t i : f.lidar.clusters[static_cast<std::size_t>(c)].points) {
      if (i >= cloud.size()) continue;
      for (std::size_t k = 0; k < 4; ++k) out.push_back(cloud.xyzr[std::size_t{i} * 4 + k]);
    }
  }
  return out;
}

void build_ground_lines(const LoadedFrame& f, gl::LineBatch& out) {
  out.clear();
  const GroundEstimate& g = f.lidar.ground;
  if (!f.lidar.ok || g.empty() || !f.data.ann.calib) return;
  const Calib& calib = *f.data.ann.calib;
  auto centre = [&](int ix, int iz) {
    const std::size_t k = static_cast<std::size_t>(iz) * static_cast<std::size_t>(g.nx) +
                          static_cast<std::size_t>(ix);
    return Vec3{g.x0 + (ix + 0.5) * g.cell, static_cast<double>(g.y[k]),
                g.z0 + (iz + 0.5) * g.cell};
  };
  auto seen = [&](int ix, int iz) {
    const std::size_t k = static_cast<std::size_t>(iz) * static_cast<std::size_t>(g.nx) +
                          static_cast<std::size_t>(ix);
    return k < g.seen.size() && g.seen[k] != 0;
  };
  constexpr float kWidth = 1.2f;  // pixels: thinner than box edges
  for (int iz = 0; iz < g.nz; ++iz)
    for (int ix = 0; ix < g.nx; ++ix) {
      const bool s0 = seen(ix, iz);
      if (ix + 1 < g.nx && (s0 || seen(ix + 1, iz)))
        add_rect_segment(out, calib, centre(ix, iz), centre(ix + 1, iz),
                         rgba(s0 && seen(ix + 1, iz) ? kGroundSeenColor : kGroundGuessColor),
                         kWidth);
      if (iz + 1 < g.nz && (s0 || seen(ix, iz + 1)))
        add_rect_segment(out, calib, centre(ix, iz), centre(ix, iz + 1),
                         rgba(s0 && seen(ix, iz + 1) ? kGroundSeenColor : kGroundGuessColor),
                         kWidth);
    }
}

void LidarLayers::init() {
  cluster_lines_.init();
  ground_lines_.init();
  cluster_points_.init();
}

bool LidarLayers::sync(const DisplaySettings& d, const std::shared_ptr<const LoadedFrame>& f) {
  const bool changed = f != frame_ || d.show_clusters != clusters_ ||
                       d.show_ground != ground_ || d.box_line_width != width_;
  if (!changed) return false;
  frame_ = f;
  clusters_ = d.show_clusters;
  ground_ = d.show_ground;
  width_ = d.box_line_width;
  gl::LineBatch batch;
  have_clusters_ = f && clusters_ && !f->unlabeled_clusters.empty();
  if (have_clusters_) {
    build_cluster_lines(*f, width_, batch);
    cluster_lines_.upload(batch);
    const std::vector<float> xyzr = cluster_points_xyzr(*f);
    cluster_points_.upload(xyzr.data(), xyzr.size() / 4);
    cluster_points_.upload_highlight(std::vector<std::uint8_t>(xyzr.size() / 4, 255));
  }
  have_ground_ = f && ground_ && f->lidar.ok;
  if (have_ground_) {
    build_ground_lines(*f, batch);
    ground_lines_.upload(batch);
  }
  return true;
}

void LidarLayers::draw(const DisplaySettings& d, const float* mvp, float w, float h) const {
  if (have_ground_) ground_lines_.draw(mvp, w, h, true);
  if (have_clusters_) {
    gl::PointStyle style;
    style.point_size = d.point_size;
    style.highlight_rgb[0] = kClusterColor.r / 255.0f;
    style.highlight_rgb[1] = kClusterColor.g / 255.0f;
    style.highlight_rgb[2] = kClusterColor.b / 255.0f;
    cluster_points_.draw(mvp, style);
    cluster_lines_.draw(mvp, w, h, false);
  }
}

}  // namespace needle::view
