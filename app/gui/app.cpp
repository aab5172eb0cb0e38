// Index: [construction] [frame loop] [background results] [shortcuts] [UI layout + splitters]
//        [uploads] [screenshot + GL checks] [run_viewer]
#include "gui/app.h"

#include <GLFW/glfw3.h>

#include <malloc.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string_view>
#include <utility>

#include "gl/frame_ops.h"
#include "gui/model/actions.h"
#include "gui/model/commands.h"
#include "gui/model/compare_view.h"
#include "gui/model/keys.h"
#include "gui/model/ranking_swap.h"
#include "gui/model/review_actions.h"
#include "gui/crop_textures.h"
#include "gui/bench.h"
#include "gui/panels.h"
#include "backends/imgui_impl_glfw.h"
#include "imgui.h"
#include "needle/kitti_io.h"

namespace needle::view {

namespace {
// Process CPU time (all threads, llvmpipe's included): bench breakdowns that survive a busy
// machine.
double cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

gl::WindowOptions window_options(const ViewOptions& o) {
  gl::WindowOptions w;
  w.width = o.width;
  w.height = o.height;
  w.vsync = o.vsync;
  w.debug_context = o.check_gl;
  w.title = "needle";
  return w;
}
}  // namespace

// [SECTION] construction

App::App(const ViewOptions& opt) : opt_(opt), window_(window_options(opt)) {
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  state_.on_frame_loaded = [] {
    gl::Window::wake();
  };  // the layout is ours (config.h), never imgui.ini in the working folder
  view_ = std::make_unique<FrameView>();
  view_->init();
  for (auto& a : ahead_) {
    a = std::make_unique<FrameView>();
    a->init();
  }
  if (opt_.check_gl) {
    const std::string err = gl::take_gl_errors();
    if (!err.empty()) throw gl::WindowError("GL error during initialisation: " + err);
  }
  if (opt_.persist) {
    const ViewerConfig c = load_config();
    layout_ = c.layout;
    state_.recent = c.recent;
    saved_config_ = c;
  }
  if (!opt_.script.empty()) script_ = std::make_unique<ScriptRunner>(opt_.script, opt_.script_file);
  if (opt_.bench) bench_ = std::make_unique<BenchRunner>(opt_.bench_next_frame);
  crops_ = std::make_unique<CropTextures>();
}

App::~App() = default;

bool App::frame_ready() const {
  return state_.current && state_.current->index == state_.frame && drawn_ == state_.current;
}

void App::request_screenshot(const std::string& path) {
  pending_shot_ = path;
  shot_settle_ = 2;  // let ImGui settle (scrolling, popups) for two frames after the frame is ready
}

void App::start_dataset() {
  state_.rank_options = opt_.rank;
  state_.shift.reference = opt_.reference;
  state_.review_options = opt_.review;
  // A bare `needle view --store PATH` means the demo dataset's store.
  if (opt_.dataset.empty()) state_.review_options.store_for = demo_dataset_dir();
  if (!opt_.dataset.empty()) {
    std::string err;
    if (!open_dataset(state_, opt_.dataset, opt_.preds, &err)) {
      if (!opt_.persist) {  // automated run: a dataset that does not open is fatal
        std::fprintf(stderr, "needle view: %s\n", err.c_str());
        exit_code_ = 1;
        quit_ = true;
      }
      return;
    }
  } else if (demo_dataset_ready()) {
    open_dataset(state_, demo_dataset_dir(), {});
  } else {
    std::fprintf(stderr, "needle: generating the demo dataset into %s (first run only)\n",
                 demo_dataset_dir().string().c_str());
    demo_job_ = std::make_unique<DemoJob>();
    return;
  }
  if (state_.session && !opt_.frame.empty() && !go_to_frame_id(state_, opt_.frame)) {
    std::fprintf(stderr, "needle view: no frame with id '%s' in %s\n", opt_.frame.c_str(),
                 state_.session->root.string().c_str());
    if (!opt_.bench) {  // the bench falls back to the first frame
      exit_code_ = 2;
      quit_ = true;
    }
  }
}

// [SECTION] frame loop

int App::run() {
  start_dataset();
  last_frame_time_ = now_s();
  while (!quit_ && !window_.should_close()) {
    // While the frame on screen loads there is nothing new to draw: sleep until input, the
    // loader's wake-up or a short timeout instead of spinning (which would slow the load).
    if (state_.session && !refresh_current(state_))
      window_.wait_events(0.05);
    else
      window_.poll_events();
    poll_background();
    update_title();
    release_scripted_keys();
    if (script_) {
      const ScriptRunner::Status st = script_->step(*this);
      if (st == ScriptRunner::Status::Failed) {
        std::fprintf(stderr, "needle view: script error: %s\n", script_->error().c_str());
        exit_code_ = 2;
        break;
      }
      if (st == ScriptRunner::Status::Finished && pending_shot_.empty()) break;
    }
    if (bench_ && !bench_->step(*this, window_.handle(), now_s())) break;
    refresh_current(state_);
    upload_changed();

    const double t_start = cpu_s();
    window_.begin_imgui_frame();
    handle_shortcuts();
    refresh_current(state_);
    adopt_prerendered_scene();  // before the panels take the 3D view's texture
    UiContext ui{state_};
    ui.crops = crops_.get();
    draw_ui(ui);
    refresh_current(state_);
    upload_changed();
    const double t_ui = cpu_s();
    const long renders_before = view_->scene.renders();
    view_->scene.render(state_, ui.view3d_mvp, ui.view3d_want_w, ui.view3d_want_h);
    view3d_mvp_ = ui.view3d_mvp;
    view3d_w_ = ui.view3d_want_w;
    view3d_h_ = ui.view3d_want_h;
    if (bench_) gl::finish();
    const double t_3d = cpu_s();
    drawn_ = (state_.current && view_->scene.uploaded_frame() == state_.current.get() &&
              view_->camera_frame == state_.current)
                 ? state_.current
                 : nullptr;
    window_.render_imgui();
    if (bench_) gl::finish();
    const double t_imgui = cpu_s();
    if (!after_render(ui)) break;
    window_.swap();
    // Prefetches start once the frame on screen has been drawn (and swapped), never during it.
    if (state_.session) state_.session->loader->set_prefetch_paused(!drawn_);
    if (bench_) {
      gl::finish();
      bench_->frame_parts(t_ui - t_start, t_3d - t_ui, t_imgui - t_3d, cpu_s() - t_imgui);
    }

    const double t = now_s();
    const double dt = t - last_frame_time_;
    last_frame_time_ = t;
    if (dt > 0) state_.fps = state_.fps <= 0 ? 1.0 / dt : state_.fps * 0.95 + 0.05 / dt;
    if (bench_) bench_->frame_end(*this, t, dt);
    ++frame_counter_;
    // Persist panel sizes and recent datasets once a change is finished (no drag in progress).
    if (opt_.persist && !ImGui::IsAnyMouseDown() &&
        (!(layout_ == saved_config_.layout) || state_.recent != saved_config_.recent)) {
      saved_config_ = ViewerConfig{layout_, state_.recent};
      save_config(saved_config_);
    }
    prerender_next_frames(renders_before);
  }
  if (bench_) {
    std::fputs(bench_->report().c_str(), stdout);
    std::fflush(stdout);
  }
  return exit_code_;
}

// [SECTION] 3D views rendered ahead

void App::adopt_prerendered_scene() {
  const LoadedFrame* f = state_.current.get();
  if (!f || view_->scene.uploaded_frame() == f) return;
  for (auto& a : ahead_)
    if (a->scene.uploaded_frame() == f && a->camera_frame.get() == f) {
      std::swap(view_, a);  // the old views stay ahead: going back is free too
      adopted_ = f;
      return;
    }
}

void App::prerender_next_frames(long renders_before) {
  // Only while the 3D view on screen stands still and shows the current frame: rendering ahead
  // must never slow down orbiting or a frame that is still loading. At most one 3D redraw per UI
  // frame; a view whose frame and settings did not change costs nothing.
  if (!state_.session || !drawn_ || drawn_ != state_.current ||
      view_->scene.renders() != renders_before || view3d_w_ <= 0 || view3d_h_ <= 0)
    return;
  const std::vector<std::size_t> wanted = likely_next_frames(state_);
  std::vector<std::shared_ptr<const LoadedFrame>> frames;  // the most likely ones, if loaded
  for (std::size_t k = 0; k < wanted.size() && k < ahead_.size(); ++k)
    if (auto f = state_.session->loader->peek(wanted[k])) frames.push_back(std::move(f));
  auto holds_wanted = [&](const FrameView& a) {
    for (const auto& f : frames)
      if (a.scene.uploaded_frame() == f.get()) return true;
    return false;
  };
  const Selection none;  // a frame opens with nothing selected
  for (const auto& f : frames) {
    FrameView* target = nullptr;
    for (auto& a : ahead_)
      if (a->scene.uploaded_frame() == f.get()) target = a.get();
    for (std::size_t k = 0; !target && k < ahead_.size(); ++k)
      if (!holds_wanted(*ahead_[k])) target = ahead_[k].get();
    if (!target) continue;
    const long before = target->scene.renders();
    target->sync_camera(f);
    target->scene.sync(state_, f, none);
    target->scene.render(state_, none, view3d_mvp_, view3d_w_, view3d_h_);
    if (target->scene.renders() != before) return;
  }
}

// [SECTION] scripted input (through the ImGui GLFW backend, as real input arrives)

void App::press_key(int key, int mods) {
  GLFWwindow* w = window_.handle();
  auto send = [&](int k, int action) {
    ImGui_ImplGlfw_KeyCallback(w, k, glfwGetKeyScancode(k), action, mods);
  };
  if (mods & GLFW_MOD_CONTROL) {
    send(GLFW_KEY_LEFT_CONTROL, GLFW_PRESS);
    keys_to_release_.push_back(GLFW_KEY_LEFT_CONTROL);
  }
  if (mods & GLFW_MOD_SHIFT) {
    send(GLFW_KEY_LEFT_SHIFT, GLFW_PRESS);
    keys_to_release_.push_back(GLFW_KEY_LEFT_SHIFT);
  }
  send(key, GLFW_PRESS);
  keys_to_release_.push_back(key);
}

void App::type_text(const std::string& text) {
  for (unsigned char c : text) ImGui_ImplGlfw_CharCallback(window_.handle(), c);
}

void App::release_scripted_keys() {
  for (int k : std::exchange(keys_to_release_, {}))
    ImGui_ImplGlfw_KeyCallback(window_.handle(), k, glfwGetKeyScancode(k), GLFW_RELEASE, 0);
}

// [SECTION] background results

void App::poll_background() {
  for (const std::string& path : window_.take_dropped()) {
    if (std::filesystem::is_directory(path)) {
      open_dataset(state_, path, {});
    } else {
      state_.status_message = "drop a dataset folder, not a file: " + path;
    }
  }
  if (demo_job_ && demo_job_->done()) {
    if (!demo_job_->error().empty()) {
      state_.status_message = demo_job_->error();
      std::fprintf(stderr, "needle view: %s\n", demo_job_->error().c_str());
      if (!opt_.persist) {
        exit_code_ = 1;
        quit_ = true;
      }
    } else {
      demo_job_.reset();
      opt_.dataset.clear();
      open_dataset(state_, demo_dataset_dir(), {});
      if (state_.session && !opt_.frame.empty()) go_to_frame_id(state_, opt_.frame);
    }
    demo_job_.reset();
  }
  refresh_ranking(state_);  // the newest interim or final ranking, the user's place kept
  const bool ranked = state_.session && state_.session->final_rank();
  if (ranked && !ranking_seen_done_) {
    // Show the slider ranges and prefetch in rank order as soon as the ranking arrives.
    update_prefetch(state_);
    state_.scroll_list_to_current = true;
    if (opt_.open_first_label_error) {  // --open first-label-error: once, on the first ranking
      opt_.open_first_label_error = false;
      go_to_first_label_error(state_);
    } else if (state_.review_options.resume && opt_.frame.empty()) {
      review_resume(state_);  // reopening a dataset continues its QA session (once)
    }
  }
  ranking_seen_done_ = ranked;
  review_tick(state_, now_s(), frame_ready());
  similar_tick(state_);
  patterns_tick(state_);
  shift_tick(state_);
  map_tick(state_);
}

void App::update_title() {
  const std::string root = state_.session ? state_.session->root.string() : "";
  if (root == titled_root_ || root.empty()) return;
  titled_root_ = root;
  window_.set_title(state_.session->root == demo_dataset_dir() ? "needle - demo dataset"
                                                               : "needle - " + root);
}

// [SECTION] shortcuts

void App::handle_shortcuts() {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput || ImGui::IsPopupOpen(nullptr, ImGuiPopupFlags_AnyPopupId)) return;
  const int mods = (io.KeyCtrl ? keys::kModControl : 0) | (io.KeyShift ? keys::kModShift : 0);
  for (const Command& c : commands()) {
    if (!command_applies(c, state_)) continue;  // e.g. navigation before a dataset is open
    for (const Chord& k : c.chords)
      if (k.mods == mods && ImGui::IsKeyPressed(k.key, k.repeat)) {
        run_command(c, *this);
        break;
      }
  }
}

// [SECTION] UI layout + splitters

void App::draw_menu_bar() {
  if (!ImGui::BeginMainMenuBar()) return;
  for (const char* menu : menu_names()) {
    bool any_applies = false;
    for (const Command& c : commands())
      if (c.menu && std::string_view(c.menu) == menu && command_applies(c, state_))
        any_applies = true;
    if (!ImGui::BeginMenu(menu, any_applies)) continue;
    for (const Command& c : commands()) {
      if (!c.menu || std::string_view(c.menu) != menu) continue;
      if (c.menu_separator_before) ImGui::Separator();
      const bool enabled = command_applies(c, state_);
      if (c.menu_choices) {  // a submenu of values for the command's one parameter
        const std::vector<std::string> choices = c.menu_choices(state_);
        if (ImGui::BeginMenu(c.menu_label, enabled && !choices.empty())) {
          for (const std::string& choice : choices)
            if (ImGui::MenuItem(choice.c_str())) run_command(c, *this, {choice});
          ImGui::EndMenu();
        }
        continue;
      }
      const std::string shortcut = c.chords.empty() ? "" : chord_name(c.chords.front());
      const bool checked = c.checked && c.checked(state_);
      if (ImGui::MenuItem(c.menu_label, shortcut.empty() ? nullptr : shortcut.c_str(), checked,
                          enabled))
        run_command(c, *this);
    }
    ImGui::EndMenu();
  }
  if (demo_job_) {
    const auto [d, t] = demo_job_->progress();
    char buf[96];
    std::snprintf(buf, sizeof buf, "generating demo dataset %zu/%zu", d, t);
    ImGui::SetNextItemWidth(260.0f);
    ImGui::ProgressBar(t ? static_cast<float>(d) / static_cast<float>(t) : 0.0f,
                       ImVec2(260.0f, 0.0f), buf);
  }
  ImGui::EndMainMenuBar();
}

void App::draw_splitters(const PanelRects& r, float top, float status_h) {
  const ImGuiIO& io = ImGui::GetIO();
  const float ww = io.DisplaySize.x, wh = io.DisplaySize.y;
  const float body_h = wh - top - status_h - kSplitter;
  struct Split {
    const char* id;
    Rect rect;
    bool vertical;  // dragged left/right
  };
  const Split splits[] = {{"##split_list", r.split_list, true},
                          {"##split_side", r.split_side, true},
                          {"##split_centre", r.split_centre, false},
                          {"##split_right", r.split_right, false}};
  for (const Split& s : splits) {
    ImGui::SetCursorScreenPos(ImVec2(s.rect.x, s.rect.y));
    ImGui::InvisibleButton(s.id, ImVec2(std::max(s.rect.w, 1.0f), std::max(s.rect.h, 1.0f)));
    const bool hot = ImGui::IsItemHovered() || ImGui::IsItemActive();
    if (hot)
      ImGui::SetMouseCursor(s.vertical ? ImGuiMouseCursor_ResizeEW : ImGuiMouseCursor_ResizeNS);
    ImGui::GetWindowDrawList()->AddRectFilled(
        ImVec2(s.rect.x, s.rect.y), ImVec2(s.rect.x + s.rect.w, s.rect.y + s.rect.h),
        hot ? IM_COL32(90, 110, 150, 255) : IM_COL32(22, 24, 28, 255));
    if (!ImGui::IsItemActive() || (io.MouseDelta.x == 0.0f && io.MouseDelta.y == 0.0f)) continue;
    const std::string id = s.id;
    if (id == "##split_list")
      layout_.list_width += io.MouseDelta.x;
    else if (id == "##split_side")
      layout_.side_width -= io.MouseDelta.x;
    else if (id == "##split_centre")
      layout_.camera_fraction += io.MouseDelta.y / std::max(body_h, 1.0f);
    else
      layout_.inspector_fraction += io.MouseDelta.y / std::max(body_h, 1.0f);
    layout_ = clamp_sizes(layout_, ww, wh);
  }
}

void App::draw_ui(UiContext& ui) {
  ui.image_texture = view_->image_texture.empty() ? nullptr : view_->image_texture.imgui_id();
  ui.image_points = &view_->image_points;
  const Scene3D& scene = view_->scene;
  ui.view3d_texture = scene.width() > 0 ? scene.texture() : nullptr;
  ui.view3d_tex_w = scene.width();
  ui.view3d_tex_h = scene.height();

  draw_menu_bar();
  const ImGuiIO& io = ImGui::GetIO();
  const float top = ImGui::GetFrameHeight();  // main menu bar height
  const float status_h = ImGui::GetTextLineHeight() + 10.0f;
  const PanelRects rects =
      compute_layout(io.DisplaySize.x, io.DisplaySize.y, top, status_h, layout_);
  ui.layout.window_w = static_cast<int>(io.DisplaySize.x);
  ui.layout.window_h = static_cast<int>(io.DisplaySize.y);
  ui.layout.panels = rects;

  ImGui::SetNextWindowPos(ImVec2(0, top));
  ImGui::SetNextWindowSize(ImVec2(io.DisplaySize.x, io.DisplaySize.y - top));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0.0f);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0.0f);
  const ImGuiWindowFlags host_flags =
      ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
      ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings |
      ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoNavFocus |
      ImGuiWindowFlags_NoBackground;  // the clear colour is the background
  ImGui::Begin("##host", nullptr, host_flags);
  ImGui::PopStyleVar(3);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(6, 4));
  draw_frame_list(ui, rects.frame_list);
  draw_camera_panel(ui, rects.camera);
  draw_view3d_panel(ui, rects.view3d);
  draw_inspector(ui, rects.inspector);
  draw_settings(ui, rects.settings);
  ImGui::PopStyleVar();
  draw_status_bar(ui, rects.status);
  draw_splitters(rects, top, status_h);
  ImGui::End();

  draw_help_window(state_);
  draw_compare_window(ui);
  draw_goto_popup(state_);
  draw_issues_panel(ui);
  draw_similar_window(ui);
  draw_patterns_window(ui);
  draw_shift_window(ui);
  draw_map_window(ui);
  draw_review_popups(state_);
  const std::string chosen = draw_open_dialog(state_);
  if (!chosen.empty()) run_command(*find_command("dataset.open"), *this, {chosen});

  ui.layout.frame_id = state_.session ? state_.session->index->frames[state_.frame].id : "";
  ui.layout.dataset = state_.session ? state_.session->root.string() : "";
  ui.layout.view3d_rendered_ahead = state_.current && adopted_ == state_.current.get();
  ui.layout.frame_loaded = state_.current != nullptr;
  const std::vector<Finding>& findings = current_findings(state_);
  ui.layout.selected_finding = state_.selection.finding;
  ui.layout.selected_finding_kind =
      state_.selection.finding >= 0 &&
              static_cast<std::size_t>(state_.selection.finding) < findings.size()
          ? findings[static_cast<std::size_t>(state_.selection.finding)].kind
          : "";
  ui.layout.top_finding_kind = findings.empty() ? "" : findings.front().kind;
  const RankingData* rank = state_.session ? state_.session->rank() : nullptr;
  ui.layout.rank_method = rank ? rank->method_name : "";
  ui.layout.review_tags = review_frame_tags(state_);
  ui.layout.review_status = review_status_text(state_);
  if (similar_ready(state_)) {
    ui.layout.similar_query = state_.similar.query->to_string();
    for (const SimilarResult& row : state_.similar.rows)
      ui.layout.similar_results.push_back(row.ref.to_string());
  }
  if (shift_ready(state_) && state_.shift.report) {
    for (std::size_t i = 0; i < state_.shift.order.size() && i < 10; ++i)
      ui.layout.shift_order.push_back(state_.session->index->frames[state_.shift.order[i]].id);
    for (const FrameNovelty& f : state_.shift.report->novelty.frames)
      if (f.frame == state_.frame) ui.layout.shift_reason = f.reason;
  }
  if (!opt_.print_layout.empty()) ui.layout.compare = compare_layout_json(state_);  // tests only
  if (!opt_.print_layout.empty()) ui.layout.patterns = patterns_layout_json(state_);
  if (!opt_.print_layout.empty()) ui.layout.map = map_layout_json(state_);  // tests only
  ui.layout.ranking_state = ranking_state_name(rank);
  ui.layout.ranking_text =
      state_.session ? ranking_state_text(rank, state_.session->ranking->progress()) : "";
}

// [SECTION] uploads

void App::FrameView::init() {
  scene.init();
  image_points.init();
}

void App::FrameView::sync_camera(const std::shared_ptr<const LoadedFrame>& f) {
  if (f == camera_frame) return;
  if (f && f->has_image()) {
    const Image& img = *f->data.image;
    image_texture.upload_rgb(img.width, img.height, img.rgb.data());
  }
  image_points.upload(f ? f->image_points.data() : nullptr, f ? f->image_points.size() / 3 : 0);
  camera_frame = f;
}

void App::upload_changed() {
  view_->sync_camera(state_.current);
  view_->scene.sync(state_);
}

// [SECTION] screenshot + GL checks

void App::write_layout(const LayoutReport& r) {
  const std::string json = layout_json(r);
  if (opt_.print_layout == "-") {
    std::printf("NEEDLE-LAYOUT %s\n", json.c_str());
    std::fflush(stdout);
  } else {
    std::ofstream(opt_.print_layout) << json << '\n';
  }
}

bool App::after_render(const UiContext& ui) {
  if (!pending_shot_.empty() && drawn_ && drawn_ == state_.current) {
    if (shot_settle_ > 0) {
      --shot_settle_;
    } else {
      const int w = window_.fb_width(), h = window_.fb_height();
      Image img;
      img.width = w;
      img.height = h;
      img.rgb = gl::read_back_buffer_rgb(w, h);
      try {
        write_png(pending_shot_, img);
        std::fprintf(stderr, "needle view: wrote %s (%dx%d, frame %s)\n", pending_shot_.c_str(), w,
                     h, ui.layout.frame_id.c_str());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "needle view: cannot write screenshot %s: %s\n", pending_shot_.c_str(),
                     e.what());
        exit_code_ = 1;
        return false;
      }
      if (!opt_.print_layout.empty()) write_layout(ui.layout);
      pending_shot_.clear();
    }
  }
  if (opt_.check_gl) {
    const std::string err = gl::take_gl_errors();
    if (!err.empty()) {
      std::fprintf(stderr, "needle view: GL error in frame %ld: %s\n", frame_counter_, err.c_str());
      exit_code_ = 3;
      return false;
    }
  }
  return true;
}

// [SECTION] run_viewer

int run_viewer(const ViewOptions& opt) {
#ifdef __GLIBC__
  // Mesa llvmpipe allocates multi-megabyte vertex buffers for every draw of the point cloud. With
  // glibc's default mmap threshold each one is a fresh mmap and thousands of page faults per frame
  // (measured: 3D render 59 -> 19 ms CPU for 122k points). Keep large blocks on the heap.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
#endif
  try {
    App app(opt);
    return app.run();
  } catch (const gl::WindowError& e) {
    std::fprintf(stderr, "needle view: %s\n", e.what());
    return opt.check_gl ? 3 : 1;
  } catch (const gl::ShaderError& e) {
    std::fprintf(stderr, "needle view: %s\n", e.what());
    return 3;
  }
}

}  // namespace needle::view
