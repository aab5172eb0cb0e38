#include "gui/bench.h"

#include <GLFW/glfw3.h>

#include <time.h>

#include <algorithm>
#include <cstdio>

#include "backends/imgui_impl_glfw.h"
#include "gl/frame_ops.h"
#include "gui/model/actions.h"
#include "gui/app.h"
#include "gui/scene3d.h"

namespace needle::view {

namespace {
constexpr int kRepeats = 12;
constexpr double kFpsSeconds = 4.0;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1,
                    static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}
}  // namespace

BenchRunner::BenchRunner(std::string other_frame_id) : other_id_(std::move(other_frame_id)) {}

void BenchRunner::press(GLFWwindow* window, int key, double now_s) {
  // Through the ImGui GLFW backend, exactly as a real key press arrives.
  ImGui_ImplGlfw_KeyCallback(window, key, glfwGetKeyScancode(key), GLFW_PRESS, 0);
  released_key_ = key;
  key_time_ = now_s;
}

bool BenchRunner::step(App& app, GLFWwindow* window, double now_s) {
  AppState& s = app.state();
  if (released_key_ >= 0) {  // pressed in the previous frame: release it
    ImGui_ImplGlfw_KeyCallback(window, released_key_, glfwGetKeyScancode(released_key_),
                               GLFW_RELEASE, 0);
    released_key_ = -1;
  }
  if (!s.session) return true;
  if (!configured_) {
    DisplaySettings& d = s.display;  // every layer on
    d.lidar_on_image = true;
    d.camera_boxes = CameraBoxStyle::Both;
    d.score_text = d.show_grid = d.heading_marker = d.show_labels = true;
    home_ = s.frame;
    other_ = std::min(home_ + 1, s.session->frame_count() - 1);
    if (!other_id_.empty()) {
      for (std::size_t i = 0; i < s.session->frame_count(); ++i)
        if (s.session->index->frames[i].id == other_id_) other_ = i;
    }
    configured_ = true;
    phase_start_ = now_s;
  }
  if (key_time_ >= 0) return true;  // waiting for the new frame to be drawn
  switch (phase_) {
    case Phase::Warmup:
      if (s.session->final_rank() && app.frame_ready() && ++settle_ > 30) {
        phase_ = Phase::Fps;
        phase_start_ = now_s;
        settle_ = 0;
        const LoadedFrame& f = *s.current;
        char buf[256];
        std::snprintf(buf, sizeof buf, "frame %s (%zu points, %zu on the image), other frame %s\n",
                      f.id.c_str(), f.has_cloud() ? f.data.cloud->size() : 0,
                      f.image_points.size() / 3, s.session->index->frames[other_].id.c_str());
        info_ = buf;
        app_points_ = f.has_cloud() ? f.data.cloud->size() : 0;
      }
      return true;
    case Phase::Fps:
      if (now_s - phase_start_ >= kFpsSeconds) {
        phase_ = Phase::Orbit;
        phase_start_ = now_s;
      }
      return true;
    case Phase::Orbit:
    case Phase::OrbitFull:
      // The camera turns a little every frame, as while dragging: the 3D view is redrawn each time
      // (with the level of detail, then without it).
      s.camera3d.yaw += 0.01f;
      if (now_s - phase_start_ >= kFpsSeconds) {
        Scene3D::set_motion_decimation(phase_ != Phase::Orbit);
        phase_ = phase_ == Phase::Orbit ? Phase::OrbitFull : Phase::Rest;
        phase_start_ = now_s;
        rest_step_ = 0;
      }
      return true;
    case Phase::Rest:
      // Move, rest until the picture is full detail again (the still-frame cost), idle.
      if (rest_step_ == 0) s.camera3d.yaw += 0.01f;
      if (now_s - phase_start_ >= kFpsSeconds && rest_step_ == 0 && !rest_times_.empty()) {
        phase_ = Phase::Prefetched;
        s.camera3d.reset();
      }
      return true;
    case Phase::Prefetched: {
      if (prefetched_.size() >= static_cast<std::size_t>(kRepeats)) {
        phase_ = Phase::Cold;
        settle_ = 0;
        return true;
      }
      target_ = s.frame == home_ ? other_ : home_;
      // Wait until the target is in the cache and the loader is idle, then a few quiet frames.
      if (!s.session->loader->cached(target_) || s.session->loader->busy()) {
        settle_ = 0;
        return true;
      }
      if (++settle_ < 5) return true;
      settle_ = 0;
      press(window, target_ > s.frame ? GLFW_KEY_RIGHT : GLFW_KEY_LEFT, now_s);
      if (target_ > s.frame + 1 || target_ + 1 < s.frame)
        go_to_frame(s, target_);  // not a neighbour by id
      return true;
    }
    case Phase::Cold: {
      if (cold_.size() >= static_cast<std::size_t>(kRepeats)) {
        phase_ = Phase::Done;
        return false;
      }
      target_ = s.frame == home_ ? other_ : home_;
      if (s.session->loader->busy() || cold_full_key_ >= 0) {
        settle_ = 0;
        return true;
      }
      if (++settle_ < 5) return true;
      settle_ = 0;
      s.session->loader->clear();  // drop every cached frame: the next one is read from disk
      press(window, target_ > s.frame ? GLFW_KEY_RIGHT : GLFW_KEY_LEFT, now_s);
      if (target_ > s.frame + 1 || target_ + 1 < s.frame) go_to_frame(s, target_);
      return true;
    }
    case Phase::Done:
      return false;
  }
  return true;
}

void BenchRunner::frame_end(App& app, double now_s, double frame_s) {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  const double cpu = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  if (phase_ == Phase::Fps && last_cpu_ > 0) cpu_times_.push_back(cpu - last_cpu_);
  if (phase_ == Phase::Orbit && last_cpu_ > 0) orbit_cpu_.push_back(cpu - last_cpu_);
  if (phase_ == Phase::Orbit) {
    orbit_times_.push_back(frame_s);
    orbit_points_.push_back(static_cast<double>(app.scene3d().last_points_drawn()));
  }
  if (phase_ == Phase::OrbitFull) orbit_full_times_.push_back(frame_s);
  if (phase_ == Phase::Rest) {
    // Step 0 moved the camera this frame; step 1 waits for the full-detail picture, then one idle
    // frame (step 2).
    if (rest_step_ == 0) {
      rest_start_ = now_s;
      rest_frames_ = 0;
      rest_3d_sum_ = 0;
      rest_step_ = 1;
    } else if (rest_step_ == 1) {
      ++rest_frames_;
      rest_3d_sum_ += last_scene_s_;
      if (app.scene3d().last_render_full()) {
        rest_times_.push_back(now_s - rest_start_);
        rest_3d_.push_back(rest_3d_sum_);
        rest_frame_counts_.push_back(static_cast<double>(rest_frames_));
        rest_step_ = 2;
      }
    } else {
      rest_step_ = 0;
    }
  }
  last_cpu_ = cpu;
  if (phase_ == Phase::Fps) frame_times_.push_back(frame_s);
  if (cold_full_key_ >= 0 && app.scene3d().last_render_full()) {
    cold_full_.push_back(now_s - cold_full_key_);
    cold_full_key_ = -1;
  }
  if (key_time_ < 0) return;
  const LoadedFrame* f = app.drawn_frame();
  if (!f || f->index != target_) return;
  const double latency = now_s - key_time_;
  const double key_time_at_press = key_time_;
  key_time_ = -1;
  if (phase_ == Phase::Prefetched)
    prefetched_.push_back(latency);
  else if (phase_ == Phase::Cold) {
    cold_.push_back(latency);
    if (app.scene3d().last_render_full())
      cold_full_.push_back(latency);
    else
      cold_full_key_ = key_time_at_press;
    cold_load_ms_.push_back(f->load_ms);
  }
}

void BenchRunner::frame_parts(double ui, double scene, double imgui, double swap) {
  if (phase_ == Phase::Orbit) orbit_3d_.push_back(scene);
  if (phase_ == Phase::OrbitFull) orbit_full_3d_.push_back(scene);
  last_scene_s_ = scene;
  if (phase_ != Phase::Fps) return;
  part_ui_.push_back(ui);
  part_3d_.push_back(scene);
  part_imgui_.push_back(imgui);
  part_swap_.push_back(swap);
}

std::string BenchRunner::report() const {
  std::string r = "needle view --bench\n";
  r += "  GL: " + gl::driver_info() + "\n  " + info_;
  char buf[512];
  const double ft = median(frame_times_);
  std::snprintf(buf, sizeof buf,
                "  fps, all layers on: median %.1f fps (frame time median %.2f ms, p90 %.2f ms, "
                "%zu frames)\n",
                ft > 0 ? 1.0 / ft : 0.0, ft * 1e3, percentile(frame_times_, 0.9) * 1e3,
                frame_times_.size());
  r += buf;
  std::snprintf(buf, sizeof buf,
                "  frame parts (median process CPU ms): UI build + uploads %.2f, 3D render %.2f, "
                "ImGui render %.2f, swap %.2f\n",
                median(part_ui_) * 1e3, median(part_3d_) * 1e3, median(part_imgui_) * 1e3,
                median(part_swap_) * 1e3);
  r += buf;
  std::snprintf(buf, sizeof buf,
                "  process CPU time per frame (all threads, incl. llvmpipe): median %.2f ms\n",
                median(cpu_times_) * 1e3);
  r += buf;
  const double ot = median(orbit_times_);
  std::snprintf(buf, sizeof buf,
                "  fps while orbiting (3D view redrawn every frame): median %.1f fps (frame time "
                "median %.2f ms, "
                "3D render %.2f ms CPU, frame %.2f ms CPU)\n",
                ot > 0 ? 1.0 / ot : 0.0, ot * 1e3, median(orbit_3d_) * 1e3,
                median(orbit_cpu_) * 1e3);
  r += buf;
  const double oft = median(orbit_full_times_);
  std::snprintf(buf, sizeof buf,
                "  orbiting: median %.0f points drawn a frame of %zu; without the level of detail "
                "(every point every frame) %.1f fps (frame time %.2f ms, 3D render %.2f ms CPU)\n",
                median(orbit_points_), app_points_, oft > 0 ? 1.0 / oft : 0.0, oft * 1e3,
                median(orbit_full_3d_) * 1e3);
  r += buf;
  const double rt = median(rest_times_);
  std::snprintf(buf, sizeof buf,
                "  camera at rest after a move: full detail %.2f ms after the last move (median; "
                "%.0f frames, 3D render %.2f ms CPU in all; n=%zu)\n",
                rt * 1e3, median(rest_frame_counts_), median(rest_3d_) * 1e3, rest_times_.size());
  r += buf;
  std::snprintf(buf, sizeof buf,
                "  next-frame latency, prefetched: median %.2f ms (n=%zu; frame time still %.2f "
                "ms, orbiting %.2f ms)\n",
                median(prefetched_) * 1e3, prefetched_.size(), ft * 1e3, ot * 1e3);
  r += buf;
  std::snprintf(buf, sizeof buf,
                "  next-frame latency, cold: median %.2f ms to the first picture, %.2f ms to full "
                "detail (n=%zu; load on the worker %.2f ms)\n",
                median(cold_) * 1e3, median(cold_full_) * 1e3, cold_.size(), median(cold_load_ms_));
  r += buf;
  std::snprintf(buf, sizeof buf,
                "BENCH fps=%.2f orbit_fps=%.2f prefetched_ms=%.2f cold_ms=%.2f frame_ms=%.2f "
                "orbit_full_fps=%.2f orbit_points=%.0f still_ms=%.2f cold_full_ms=%.2f "
                "points=%zu\n",
                ft > 0 ? 1.0 / ft : 0.0, ot > 0 ? 1.0 / ot : 0.0, median(prefetched_) * 1e3,
                median(cold_) * 1e3, ft * 1e3, oft > 0 ? 1.0 / oft : 0.0, median(orbit_points_),
                rt * 1e3, median(cold_full_) * 1e3, app_points_);
  r += buf;
  return r;
}

}  // namespace needle::view
