#include "gui/scene3d.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numbers>
#include <vector>

#include "gl/image_points_renderer.h"
#include "gui/model/compare_view.h"
#include "gui/model/overlay_style.h"
#include "needle/box3d.h"

namespace needle::view {

namespace {

constexpr float kGroundZ = -1.73f;  // KITTI velodyne mounting height above the road, metres
constexpr float kDashPx = 12.0f;

gl::Rgba8 rgba(Rgb c, std::uint8_t a = 255) {
  return {c.r, c.g, c.b, a};
}

// The 8 corners of a box in the velodyne frame (corner order of box_corners_rect).
std::array<Vec3f, 8> corners_velo(const Object& o, const Calib& calib) {
  const std::array<Vec3, 8> c_rect = box_corners_rect(o);
  std::array<Vec3f, 8> out{};
  for (std::size_t i = 0; i < 8; ++i) {
    const Vec3 v = calib.rect_to_velo(c_rect[i]);
    out[i] = {static_cast<float>(v.x), static_cast<float>(v.y), static_cast<float>(v.z)};
  }
  return out;
}

void add_box(gl::LineBatch& out, const std::array<Vec3f, 8>& c, Rgb color, float width, float dash,
             bool selected, bool heading) {
  auto seg = [&](Vec3f a, Vec3f b, gl::Rgba8 col, float w, float d) {
    const float p0[3] = {a.x, a.y, a.z}, p1[3] = {b.x, b.y, b.z};
    out.add(p0, p1, col, w, d);
  };
  const Vec3f top_centre = (c[4] + c[5] + c[6] + c[7]) * 0.25f;
  const Vec3f front_top = (c[4] + c[5]) * 0.5f;
  if (selected) {
    for (const auto& e : kBoxEdges)
      seg(c[static_cast<std::size_t>(e[0])], c[static_cast<std::size_t>(e[1])], rgba(kHighlight),
          width + 4.0f, 0.0f);
    if (heading) seg(top_centre, front_top, rgba(kHighlight), width + 4.0f, 0.0f);
  }
  for (const auto& e : kBoxEdges)
    seg(c[static_cast<std::size_t>(e[0])], c[static_cast<std::size_t>(e[1])], rgba(color), width,
        dash);
  if (heading) seg(top_centre, front_top, rgba(color), width, 0.0f);
}

const Object* selected_object(const AppState& s, const LoadedFrame& f) {
  const auto& ann = f.data.ann;
  if (s.selection.label >= 0 && s.selection.label < static_cast<int>(ann.labels.size()))
    return &ann.labels[static_cast<std::size_t>(s.selection.label)];
  if (s.selection.pred_set >= 0 && s.selection.pred_set < static_cast<int>(ann.preds.size())) {
    const auto& objs = ann.preds[static_cast<std::size_t>(s.selection.pred_set)].objects;
    if (s.selection.pred >= 0 && s.selection.pred < static_cast<int>(objs.size()))
      return &objs[static_cast<std::size_t>(s.selection.pred)];
  }
  return nullptr;
}

// One budget for the process: the frame period it learns is the machine's, whichever of the
// app's scenes (the view on screen, the ones rendered ahead and swapped in) draws. GL thread only.
DetailBudget& motion_budget() {
  static DetailBudget budget;
  return budget;
}
bool g_motion_decimation = true;  // Scene3D::set_motion_decimation (GL thread only)
// Most points one resting frame draws while completing a picture: ~0.1 s on llvmpipe (~200 ns a
// point, bench/RESULTS.md issue 9 section 5), 4x a KITTI sweep, which is therefore always drawn
// whole in one frame; a 10M-point cloud fills in over ~20 frames and the UI stays responsive.
constexpr std::size_t kRefinePoints = 500000;

}  // namespace

void build_box_lines(const AppState& s, const Selection& selection, const LoadedFrame& f,
                     gl::LineBatch& out) {
  out.clear();
  const auto& ann = f.data.ann;
  if (!ann.calib) return;
  const Calib& calib = *ann.calib;
  const DisplaySettings& d = s.display;
  const float w = d.box_line_width;
  // Predictions first, labels on top: where they coincide the label stays readable.
  for (std::size_t set = 0; set < ann.preds.size(); ++set) {
    const auto& objs = ann.preds[set].objects;
    for (std::size_t i = 0; i < objs.size(); ++i) {
      const Object& o = objs[i];
      if (!o.has_3d() || !d.prediction_visible(set, o)) continue;
      const bool sel =
          selection.pred_set == static_cast<int>(set) && selection.pred == static_cast<int>(i);
      const std::optional<SetStyle> cs = compare_style(s, set);  // compare mode: OLD / NEW
      add_box(out, corners_velo(o, calib), cs ? cs->color : prediction_color(o.cls),
              cs ? w * cs->width_scale : w, cs && !cs->dashed ? 0.0f : kDashPx, sel,
              d.heading_marker);
    }
  }
  if (d.show_labels) {
    for (std::size_t i = 0; i < ann.labels.size(); ++i) {
      const Object& o = ann.labels[i];
      if (!o.has_3d() || !d.class_visible(o.cls)) continue;
      const bool sel = selection.label == static_cast<int>(i);
      add_box(out, corners_velo(o, calib), label_color(o.cls), w, 0.0f, sel, d.heading_marker);
    }
  }
}

void build_grid_lines(gl::LineBatch& out) {
  out.clear();
  const gl::Rgba8 grid = rgba(kGridColor), ring = rgba(kRingColor);
  for (int x = -40; x <= 80; x += 10) {
    const float p0[3] = {static_cast<float>(x), -40.0f, kGroundZ},
                p1[3] = {static_cast<float>(x), 40.0f, kGroundZ};
    out.add(p0, p1, grid, 1.0f);
  }
  for (int y = -40; y <= 40; y += 10) {
    const float p0[3] = {-40.0f, static_cast<float>(y), kGroundZ},
                p1[3] = {80.0f, static_cast<float>(y), kGroundZ};
    out.add(p0, p1, grid, 1.0f);
  }
  constexpr int kSegments = 96;
  for (int r = 10; r <= 80; r += 10) {
    for (int k = 0; k < kSegments; ++k) {
      const double a0 = 2.0 * std::numbers::pi * k / kSegments,
                   a1 = 2.0 * std::numbers::pi * (k + 1) / kSegments;
      const float p0[3] = {static_cast<float>(r * std::cos(a0)),
                           static_cast<float>(r * std::sin(a0)), kGroundZ};
      const float p1[3] = {static_cast<float>(r * std::cos(a1)),
                           static_cast<float>(r * std::sin(a1)), kGroundZ};
      out.add(p0, p1, ring, r % 50 == 0 ? 2.0f : 1.2f);
    }
  }
  // Ego vehicle heading: a short arrow along +x from the sensor.
  const float a[3] = {0.0f, 0.0f, kGroundZ}, b[3] = {4.0f, 0.0f, kGroundZ};
  const float l[3] = {3.0f, 0.8f, kGroundZ}, r[3] = {3.0f, -0.8f, kGroundZ};
  out.add(a, b, {200, 200, 210, 255}, 2.0f);
  out.add(b, l, {200, 200, 210, 255}, 2.0f);
  out.add(b, r, {200, 200, 210, 255}, 2.0f);
}

bool selection_centre_velo(const AppState& s, Vec3f* out) {
  if (!s.current || !s.current->data.ann.calib) return false;
  const Object* o = selected_object(s, *s.current);
  if (!o || !o->has_3d()) return false;
  const Vec3 c = s.current->data.ann.calib->rect_to_velo(
      {o->loc_cam.x, o->loc_cam.y - o->h * 0.5, o->loc_cam.z});
  *out = {static_cast<float>(c.x), static_cast<float>(c.y), static_cast<float>(c.z)};
  return true;
}

void Scene3D::set_motion_decimation(bool on) {
  g_motion_decimation = on;
}

void Scene3D::init() {
  points_.init();
  boxes_.init();
  grid_.init();
  lidar_.init();
  gl::LineBatch grid;
  build_grid_lines(grid);
  grid_.upload(grid);
}

void Scene3D::sync(const AppState& s, const std::shared_ptr<const LoadedFrame>& f,
                   const Selection& sel) {
  bool frame_changed = false;
  if (f != uploaded_) {
    if (f && f->has_cloud())
      points_.upload(f->data.cloud->xyzr.data(), f->data.cloud->size());
    else
      points_.upload(nullptr, 0);
    uploaded_ = f;
    frame_changed = true;
    new_frame_ = true;
  }
  if (f && (frame_changed || sel != uploaded_selection_ ||
            s.display.highlight_points != uploaded_highlight_)) {
    std::vector<std::uint8_t>& mask = mask_;
    mask.assign(points_.count(), 0);
    if (s.display.highlight_points) {
      auto mark = [&](const std::vector<std::uint32_t>& idx) {
        for (std::uint32_t i : idx)  // normalised attribute: 255 -> 1.0
          if (i < mask.size()) mask[i] = 255;
      };
      const int l = sel.label, ps = sel.pred_set, p = sel.pred;
      if (l >= 0 && l < static_cast<int>(f->label_points.size()))
        mark(f->label_points[static_cast<std::size_t>(l)]);
      if (ps >= 0 && ps < static_cast<int>(f->pred_points.size()) && p >= 0 &&
          p < static_cast<int>(f->pred_points[static_cast<std::size_t>(ps)].size()))
        mark(f->pred_points[static_cast<std::size_t>(ps)][static_cast<std::size_t>(p)]);
    }
    points_.upload_highlight(mask);
    uploaded_selection_ = sel;
    uploaded_highlight_ = s.display.highlight_points;
    dirty_ = true;
  }
  if (frame_changed) dirty_ = true;
  if (lidar_.sync(s.display, f)) dirty_ = true;
  if (f)
    build_box_lines(s, sel, *f, box_batch_);
  else
    box_batch_.clear();
  const auto& a = box_batch_.vertices();
  const auto& b = drawn_boxes_.vertices();
  if (a.size() != b.size() ||
      (!a.empty() && std::memcmp(a.data(), b.data(), a.size() * sizeof(gl::LineVertex)) != 0)) {
    boxes_.upload(box_batch_);
    std::swap(box_batch_, drawn_boxes_);
    dirty_ = true;
  }
}

void Scene3D::render(const AppState& s, const Selection& sel, const Mat4& mvp, int w, int h) {
  gl::PointStyle style;
  style.color_mode = static_cast<int>(s.display.point_color);
  style.point_size = s.display.point_size;
  style.dim = sel.empty() || !s.display.highlight_points ? 0.0f : 0.35f;
  Key key;
  key.mvp = mvp;
  key.w = w;
  key.h = h;
  key.color_mode = style.color_mode;
  key.point_size = style.point_size;
  key.dim = style.dim;
  key.grid = s.display.show_grid;
  const long call = ++calls_;
  const bool same_view = key == drawn_key_ && w == target_.width() && h == target_.height();
  gl::ImagePointRenderer::set_motion_step(1);  // unless this picture is a decimated one
  if (!dirty_ && same_view && drawn_full_) return;
  if (!target_.ensure_size(w, h)) return;
  const auto fw = static_cast<float>(w), fh = static_cast<float>(h);
  const std::size_t total = points_.count();
  ++renders_;
  if (!dirty_ && same_view && total > kRefinePoints) {
    // At rest on a decimated picture of a big cloud: draw the cloud over it in runs of
    // kRefinePoints consecutive points a frame (scan order: cache friendly; the points already
    // drawn fail the depth test against themselves), then the boxes again on top. Once the last
    // run is in, the FBO holds what one full draw would have drawn, but for points at exactly
    // the same depth in one pixel (the first drawn wins, and the decimated points came first). A
    // cloud that fits one frame is redrawn whole below instead: exactly the direct picture.
    target_.resume();
    const std::size_t run = std::min(kRefinePoints, total - refine_next_);
    points_.draw(mvp.data(), style, 1, refine_next_, run);
    refine_next_ += run;
    lidar_.draw(s.display, mvp.data(), fw, fh);  // the cluster highlights stay over the points
    boxes_.draw(mvp.data(), fw, fh, false);
    gl::RenderTarget::end();
    drawn_full_ = refine_next_ >= total;
    last_drawn_ = run;
    // The camera view's lidar overlay (1.4M points for 10M) stays decimated until the 3D view is
    // complete, so the frames that complete it stay short.
    gl::ImagePointRenderer::set_motion_step(drawn_full_ ? 1 : refine_step_);
    return;
  }
  // Moving: the camera (or the view's size) changed since the last picture. A picture whose
  // camera did not change (a new frame, a setting) starts with at most kRefinePoints points and
  // is completed by the calls that follow (at once for a KITTI sweep).
  const bool moving =
      key.mvp.m != drawn_key_.mvp.m || key.w != drawn_key_.w || key.h != drawn_key_.h;
  const double now =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  DetailBudget& budget = motion_budget();
  // Learn from consecutive moving frames (not while the bench has the level of detail off).
  if (moving && g_motion_decimation && last_moving_call_ == call - 1)
    budget.observe(last_drawn_, total, now - last_moving_s_);
  // A new frame's first picture is a decimated one too (the cold path: the frame on screen as
  // soon as possible); the next call completes it.
  const std::size_t step = !g_motion_decimation ? 1
                           : moving || new_frame_
                               ? decimation_step(total, budget.moving_points(total))
                               : decimation_step(total, kRefinePoints);
  new_frame_ = false;
  const std::size_t n = decimated_count(total, step);
  gl::ImagePointRenderer::set_motion_step(step);
  if (moving) {
    last_moving_call_ = g_motion_decimation ? call : -2;  // the reference phase teaches nothing
    last_moving_s_ = now;
  }
  drawn_key_ = key;
  dirty_ = false;
  drawn_full_ = step == 1;
  refine_step_ = step;
  refine_next_ = step == 1 ? total : 0;
  last_drawn_ = n;
  target_.begin(0.06f, 0.065f, 0.08f);
  if (s.display.show_grid) grid_.draw(mvp.data(), fw, fh, true);
  points_.draw(mvp.data(), style, step);
  lidar_.draw(s.display, mvp.data(), fw, fh);
  boxes_.draw(mvp.data(), fw, fh, false);  // over the points: no z-fighting with box faces
  gl::RenderTarget::end();
}

}  // namespace needle::view
