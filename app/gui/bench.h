// `needle view DATASET --bench`: measures, in the real app and frame loop, the FPS with all
// layers on (3D view still; orbiting with the level of detail on, then with it off), the time of
// a full-detail 3D redraw once the camera rests, and the latency from a next-frame key press to
// the first fully drawn new frame, with the target frame prefetched and cold (cache dropped).
// Prints medians; the last line (BENCH ...) is machine-readable.
#pragma once

#include <string>
#include <vector>

struct GLFWwindow;

namespace needle::view {

class App;

class BenchRunner {
 public:
  explicit BenchRunner(std::string other_frame_id);
  // Before the UI of each frame. May inject a key press. Returns false when finished.
  bool step(App& app, GLFWwindow* window, double now_s);
  // After each swap (the GPU has finished: glFinish).
  void frame_end(App& app, double now_s, double frame_s);
  // Bench-only breakdown of one frame (seconds): UI build + uploads, 3D render, ImGui render, swap.
  void frame_parts(double ui, double scene, double imgui, double swap);
  std::string report() const;

 private:
  enum class Phase { Warmup, Fps, Orbit, OrbitFull, Rest, Prefetched, Cold, Done };
  void press(GLFWwindow* window, int key, double now_s);
  Phase phase_ = Phase::Warmup;
  std::string other_id_;
  std::size_t home_ = 0, other_ = 0;  // frame indices navigated between
  bool configured_ = false;
  int settle_ = 0;
  double phase_start_ = 0;
  std::vector<double> frame_times_;  // seconds, Fps phase (still 3D view)
  std::vector<double> orbit_times_;  // seconds, Orbit phase (3D view re-rendered every frame)
  std::vector<double> prefetched_;   // seconds, key -> drawn
  std::vector<double> cold_;
  std::vector<double> cold_load_ms_;
  std::vector<double> cold_full_;  // seconds, key -> the new frame's full-detail 3D picture
  double cold_full_key_ = -1;      // >= 0 while waiting for it
  double key_time_ = -1;           // >= 0 while waiting for the target to be drawn
  std::size_t target_ = 0;
  int released_key_ = -1;
  std::string info_;
  std::size_t app_points_ = 0;  // points of the bench frame's cloud
  std::vector<double> cpu_times_, orbit_cpu_;
  std::vector<double> orbit_3d_;
  std::vector<double> orbit_points_;                      // points drawn per orbit frame
  std::vector<double> orbit_full_times_, orbit_full_3d_;  // OrbitFull phase (every point)
  // Rest phase: from the frame that moved the camera to the first full-detail picture.
  std::vector<double> rest_times_, rest_3d_, rest_frame_counts_;
  int rest_step_ = 0;  // 0 move, 1 wait for full detail, 2 idle
  double rest_start_ = 0, rest_3d_sum_ = 0;
  int rest_frames_ = 0;
  double last_scene_s_ = 0;  // the last frame's 3D render part (seconds)
  double last_cpu_ = 0;
  std::vector<double> part_ui_, part_3d_, part_imgui_, part_swap_;
};

}  // namespace needle::view
