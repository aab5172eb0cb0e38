// The application window: GLFW window + OpenGL 3.3 core context + Dear ImGui context and backends.
//
// Contracts: construct it before any renderer (renderers must be destroyed while the context
// exists); everything here runs on the thread that constructed it (the GL thread).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct GLFWwindow;

namespace needle::gl {

struct WindowOptions {
  int width = 1600, height = 900;  // client area, screen coordinates
  std::string title = "needle";
  bool vsync = true;
  bool debug_context = false;  // request a debug context (for --check-gl)
};

class WindowError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Window {
 public:
  explicit Window(const WindowOptions& opt);  // throws WindowError (no display, no GL 3.3 ...)
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  GLFWwindow* handle() const { return window_; }
  bool should_close() const;
  void request_close();
  void poll_events();
  // Sleeps until an input event, wake() from any thread, or the timeout (seconds).
  void wait_events(double timeout_s);
  static void wake();  // thread-safe
  void begin_imgui_frame();
  // ImGui::Render + draw into the default framebuffer (cleared first).
  void render_imgui();
  void swap();
  void set_vsync(bool on);
  // Framebuffer size in pixels.
  int fb_width() const;
  int fb_height() const;
  void set_title(const std::string& title);
  // Folders/files dropped onto the window since the last call.
  std::vector<std::string> take_dropped();
  // Queues a path as if it had been dropped on the window (scripted tests).
  void push_dropped(const std::string& path) { dropped_.push_back(path); }
  bool debug_output() const { return debug_output_; }

 private:
  GLFWwindow* window_ = nullptr;
  bool imgui_glfw_ = false, imgui_gl_ = false;
  bool debug_output_ = false;
  std::vector<std::string> dropped_;
  static void drop_callback(GLFWwindow* w, int count, const char** paths);
};

}  // namespace needle::gl
