#include "gui/model/loaded_frame.h"

#include <chrono>
#include <cmath>
#include <exception>
#include <future>
#include <optional>

#include "needle/box3d.h"
#include "needle/calib.h"
#include "needle/error.h"
#include "gui/model/lidar_overlay.h"
#include "needle/kitti_io.h"
#include "needle/lidar.h"

namespace needle::view {

std::string LoadedFrame::problems_of(const std::string& modality) const {
  std::string s;
  for (const Problem& p : data.ann.problems) {
    if (!p.fatal || p.modality != modality) continue;
    if (!s.empty()) s += '\n';
    s += p.to_string();
  }
  return s;
}

namespace {

// Points inside each box. Points are moved to the rectified camera frame once; a bounding-sphere
// test rejects most points before the exact (core) box test.
std::vector<std::vector<std::uint32_t>> points_inside(const std::vector<Vec3>& pts_rect,
                                                      const std::vector<Object>& objects) {
  std::vector<std::vector<std::uint32_t>> out(objects.size());
  for (std::size_t k = 0; k < objects.size(); ++k) {
    const Object& o = objects[k];
    if (!o.has_3d()) continue;
    const double cx = o.loc_cam.x, cy = o.loc_cam.y - o.h * 0.5, cz = o.loc_cam.z;
    const double r2 = 0.25 * (o.l * o.l + o.w * o.w + o.h * o.h) + 1e-6;
    for (std::size_t i = 0; i < pts_rect.size(); ++i) {
      const Vec3& p = pts_rect[i];
      const double dx = p.x - cx, dy = p.y - cy, dz = p.z - cz;
      if (dx * dx + dy * dy + dz * dz > r2) continue;
      if (point_in_box(p, o)) out[k].push_back(static_cast<std::uint32_t>(i));
    }
  }
  return out;
}

// Velodyne points that land inside image_2 (needs calib, cloud and image).
void project_points_to_image(LoadedFrame& f) {
  f.image_points.clear();
  if (!f.data.ann.calib || !f.has_cloud() || !f.has_image()) return;
  const Mat34 m = f.data.ann.calib->velo_to_image();
  const PointCloud& cloud = *f.data.cloud;
  const double iw = f.data.image->width, ih = f.data.image->height;
  f.image_points.reserve(cloud.size() / 4 * 3);
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    const double x = cloud.xyzr[i * 4], y = cloud.xyzr[i * 4 + 1], z = cloud.xyzr[i * 4 + 2];
    const double w = m[8] * x + m[9] * y + m[10] * z + m[11];
    if (w < 0.5) continue;  // behind or at the camera
    const double u = (m[0] * x + m[1] * y + m[2] * z + m[3]) / w;
    const double v = (m[4] * x + m[5] * y + m[6] * z + m[7]) / w;
    if (u < 0 || v < 0 || u >= iw || v >= ih) continue;
    f.image_points.push_back(static_cast<float>(u));
    f.image_points.push_back(static_cast<float>(v));
    f.image_points.push_back(static_cast<float>(w));
  }
}

// Indices of the points inside every label and prediction box (needs calib and cloud).
void find_points_in_boxes(LoadedFrame& f) {
  const FrameAnnotations& ann = f.data.ann;
  f.label_points.assign(ann.labels.size(), {});
  f.pred_points.assign(ann.preds.size(), {});
  for (std::size_t s = 0; s < ann.preds.size(); ++s)
    f.pred_points[s].assign(ann.preds[s].objects.size(), {});
  if (!ann.calib || !f.has_cloud()) return;
  const PointCloud& cloud = *f.data.cloud;
  const Mat34 r = ann.calib->velo_to_rect_matrix();
  std::vector<Vec3> pts_rect(cloud.size());
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    const double x = cloud.xyzr[i * 4], y = cloud.xyzr[i * 4 + 1], z = cloud.xyzr[i * 4 + 2];
    pts_rect[i] = {r[0] * x + r[1] * y + r[2] * z + r[3], r[4] * x + r[5] * y + r[6] * z + r[7],
                   r[8] * x + r[9] * y + r[10] * z + r[11]};
  }
  f.label_points = points_inside(pts_rect, ann.labels);
  for (std::size_t s = 0; s < ann.preds.size(); ++s)
    f.pred_points[s] = points_inside(pts_rect, ann.preds[s].objects);
}

struct ImageResult {
  std::optional<Image> image;
  std::optional<Problem> problem;
};

ImageResult decode_frame_image(const std::filesystem::path& path) {
  ImageResult r;
  if (path.empty()) return r;
  try {
    r.image = load_image(path);
  } catch (const ParseError& e) {
    r.problem = e.problem();
  } catch (const std::exception& e) {
    r.problem = Problem{"image", path.string(), 0, "", e.what(), true};
  }
  if (r.problem) {
    r.problem->modality = "image";
    r.problem->fatal = true;
    if (r.problem->file.empty()) r.problem->file = path.string();
  }
  return r;
}

}  // namespace

void derive_frame_lidar(LoadedFrame& f) {
  f.lidar = FrameLidar{};
  f.unlabeled_clusters.clear();
  if (!f.data.ann.calib || !f.has_cloud()) return;
  const std::string scan = f.id.empty() ? std::string("velodyne") : "velodyne/" + f.id + ".bin";
  f.lidar = analyze_frame_lidar(*f.data.cloud, *f.data.ann.calib, f.data.ann.labels, LidarParams{},
                                0, 0, scan);
  f.unlabeled_clusters = unlabeled_clusters(f.lidar, f.label_points);
}

void derive_frame_data(LoadedFrame& f) {
  find_points_in_boxes(f);
  project_points_to_image(f);
  derive_frame_lidar(f);
}

LoadedFrame load_viewer_frame(const DatasetIndex& ds, std::size_t index) {
  const auto t0 = std::chrono::steady_clock::now();
  LoadedFrame f;
  f.index = index;
  f.id = index < ds.frames.size() ? ds.frames[index].id : std::string();
  // The PNG decode (the slowest part) runs beside the point cloud, so a cold frame costs about
  // max(image, cloud + boxes) rather than their sum.
  const std::filesystem::path image_path =
      index < ds.frames.size() ? ds.frames[index].image : std::filesystem::path();
  auto image_task =
      std::async(std::launch::async, [image_path] { return decode_frame_image(image_path); });
  try {
    LoadOptions opt;
    opt.image = false;
    f.data = load_frame(ds, index, opt);
  } catch (const std::exception& e) {
    // load_frame promises not to throw on bad data; anything else still must not kill the viewer.
    f.data.ann.id = f.id;
    f.data.ann.problems.push_back(Problem{"frame", f.id, 0, "", e.what(), true});
  }
  try {
    find_points_in_boxes(f);
  } catch (const std::exception& e) {
    f.data.ann.problems.push_back(
        Problem{"velodyne", f.id, 0, "", std::string("points in boxes: ") + e.what(), true});
  }
  try {
    derive_frame_lidar(f);  // ~15-25 ms on a 120k-point scan, beside the image decode
  } catch (const std::exception& e) {
    f.data.ann.problems.push_back(
        Problem{"velodyne", f.id, 0, "", std::string("lidar analysis: ") + e.what(), false});
  }
  ImageResult img = image_task.get();
  f.data.image = std::move(img.image);
  if (img.problem) f.data.ann.problems.push_back(std::move(*img.problem));
  project_points_to_image(f);
  f.load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return f;
}

}  // namespace needle::view
