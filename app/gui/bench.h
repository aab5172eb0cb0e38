// `needle view DATASET --bench`: measures, in the real app and frame loop, the FPS with all
// layers on and the latency from a next-frame key press to the first fully drawn new frame,
// with the target frame prefetched and cold (cache dropped). Prints medians.
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
  enum class Phase { Warmup, Fps, Orbit, Prefetched, Cold, Done };
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
  double key_time_ = -1;  // >= 0 while waiting for the target to be drawn
  std::size_t target_ = 0;
  int released_key_ = -1;
  std::string info_;
  std::vector<double> cpu_times_, orbit_cpu_;
  std::vector<double> orbit_3d_;
  double last_cpu_ = 0;
  std::vector<double> part_ui_, part_3d_, part_imgui_, part_swap_;
};

}  // namespace needle::view
