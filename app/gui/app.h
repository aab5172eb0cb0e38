// The viewer application: window + frame loop. The loop reads like the architecture:
//   poll events -> background results (demo, ranking, dropped folders) -> script/bench step ->
//   new ImGui frame -> shortcuts -> panels edit AppState -> upload what changed ->
//   render the 3D scene into its FBO -> render ImGui (camera image + ImDrawList overlays) ->
//   screenshot / GL check -> swap.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gl/image_points_renderer.h"
#include "gl/image_texture.h"
#include "gl/window.h"
#include "gui/model/app_state.h"
#include "gui/model/config.h"
#include "gui/model/demo_job.h"
#include "gui/model/layout.h"
#include "gui/scene3d.h"
#include "gui/model/script.h"

namespace needle::view {

struct ViewOptions {
  std::string dataset;                   // empty: the demo dataset (generated on first use)
  std::string reference;                 // --reference TRAIN: shift mode (shift_view.h)
  std::vector<PredictionSetSpec> preds;  // empty: every DATASET/pred/<name>/
  std::string frame;                     // --frame ID: open this frame first
  bool open_first_label_error = false;   // --open first-label-error: once ranked, open it
  PipelineOptions rank;                  // --method --evidence --compare --min-score --no-cache
  ReviewOptions review;                  // --store; the QA session's dwell time and resume
  std::string screenshot;                // --screenshot FILE: render, write PNG, exit
  int width = 1600, height = 900;        // --size WxH
  std::string script_file;               // --script FILE
  std::vector<ScriptAction> script;      // parsed script (plus the screenshot/quit it implies)
  bool check_gl = false;                 // GL errors are fatal (exit 3)
  std::string print_layout;              // --print-layout FILE ("-" = stdout), with each screenshot
  bool bench = false;                    // --bench: measure FPS and navigation latency
  std::string bench_next_frame;          // frame the bench navigates to (default: next by id)
  bool persist = true;                   // read/write the layout config (off in automated runs)
  bool vsync = true;
};

class BenchRunner;
class CropTextures;

class App final : public CommandHost {
 public:
  explicit App(const ViewOptions& opt);  // opens the window (throws gl::WindowError)
  ~App() override;
  // Runs until the window closes or the script/bench ends. Returns the process exit code.
  int run();

  // CommandHost
  AppState& state() override { return state_; }
  bool frame_ready() const override;
  void request_screenshot(const std::string& path) override;
  bool screenshot_pending() const override { return !pending_shot_.empty(); }
  void press_key(int key, int mods) override;
  void type_text(const std::string& text) override;
  void drop_path(const std::string& path) override { window_.push_dropped(path); }
  void quit() override { quit_ = true; }
  void reset_layout() override { layout_ = LayoutSizes{}; }

  // For the bench: the frame whose data were fully drawn in the last rendered frame, or null.
  const LoadedFrame* drawn_frame() const { return drawn_.get(); }
  const Scene3D& scene3d() const { return view_->scene; }  // the 3D view on screen

 private:
  void start_dataset();
  void poll_background();
  void handle_shortcuts();
  void update_title();
  void draw_ui(struct UiContext& ui);
  void draw_menu_bar();
  void draw_splitters(const PanelRects& r, float top, float status_h);
  void upload_changed();
  bool after_render(const struct UiContext& ui);  // screenshot + GL check; false = stop
  void write_layout(const LayoutReport& r);
  void release_scripted_keys();
  void adopt_prerendered_scene();
  void prerender_next_frames(long renders_before);

  ViewOptions opt_;
  // Declaration order matters: the window (GL context) outlives every GL object below it.
  gl::Window window_;
  std::vector<int> keys_to_release_;  // pressed by a script in the previous UI frame
  // Everything of one frame on the GPU: the 3D view (rendered into its FBO), the camera image
  // texture and the lidar points projected onto the image.
  struct FrameView {
    Scene3D scene;
    gl::ImageTexture image_texture;
    gl::ImagePointRenderer image_points;
    std::shared_ptr<const LoadedFrame> camera_frame;  // whose image and image points are uploaded
    void init();
    void sync_camera(const std::shared_ptr<const LoadedFrame>& f);
  };
  // The frame on screen, and the frames most likely opened next, uploaded and rendered ahead
  // while the screen is still (on software GL a 3D redraw costs about a frame): opening one of
  // them swaps it in instead of uploading and drawing (see prerender_next_frames).
  std::unique_ptr<FrameView> view_;
  std::array<std::unique_ptr<FrameView>, 3> ahead_;
  Mat4 view3d_mvp_;  // the 3D view's last matrix and size, for rendering ahead
  int view3d_w_ = 0, view3d_h_ = 0;
  const LoadedFrame* adopted_ = nullptr;      // the last frame whose views were swapped in
  std::shared_ptr<const LoadedFrame> drawn_;  // frame fully drawn in the last render

  AppState state_;
  LayoutSizes layout_;
  std::unique_ptr<DemoJob> demo_job_;
  std::unique_ptr<ScriptRunner> script_;
  std::unique_ptr<BenchRunner> bench_;
  std::unique_ptr<CropTextures> crops_;  // the issues gallery's image crops (GL textures)
  bool ranking_seen_done_ = false;
  std::string titled_root_;    // dataset folder the window title names
  ViewerConfig saved_config_;  // what is on disk, to save only changes

  std::string pending_shot_;
  int shot_settle_ = 0;
  long frame_counter_ = 0;
  int exit_code_ = 0;
  bool quit_ = false;
  double last_frame_time_ = 0;
};

int run_viewer(const ViewOptions& opt);

}  // namespace needle::view
