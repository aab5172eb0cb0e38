#include "gl/window.h"

#include <GLFW/glfw3.h>

#include <cstdio>
#include <string>

#include "backends/imgui_impl_glfw.h"
#include "backends/imgui_impl_opengl3.h"
#include "gl/frame_ops.h"
#include "gl/gl_api.h"
#include "gl/handles.h"
#include "imgui.h"

namespace needle::gl {

namespace {
std::string g_glfw_error;
void glfw_error(int code, const char* text) {
  g_glfw_error = "GLFW error " + std::to_string(code) + ": " + (text ? text : "");
}
}  // namespace

Window::Window(const WindowOptions& opt) {
  glfwSetErrorCallback(glfw_error);
  if (!glfwInit())
    throw WindowError("cannot open a window (is there a display? try xvfb-run): " + g_glfw_error);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  glfwWindowHint(GLFW_OPENGL_DEBUG_CONTEXT, opt.debug_context ? GLFW_TRUE : GLFW_FALSE);
  glfwWindowHint(GLFW_DOUBLEBUFFER, GLFW_TRUE);
  window_ = glfwCreateWindow(opt.width, opt.height, opt.title.c_str(), nullptr, nullptr);
  if (!window_) {
    const std::string err = g_glfw_error;
    glfwTerminate();
    throw WindowError("cannot create an OpenGL 3.3 core window: " + err);
  }
  glfwMakeContextCurrent(window_);
  mark_gl_thread();
  glfwSwapInterval(opt.vsync ? 1 : 0);
  glfwSetWindowUserPointer(window_, this);
  glfwSetDropCallback(window_, &Window::drop_callback);
  if (opt.debug_context) debug_output_ = enable_debug_output(&glfwGetProcAddress);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::StyleColorsDark();
  imgui_glfw_ = ImGui_ImplGlfw_InitForOpenGL(window_, true);
  imgui_gl_ = ImGui_ImplOpenGL3_Init("#version 330 core");
  if (!imgui_glfw_ || !imgui_gl_) throw WindowError("cannot initialise the Dear ImGui backends");
}

Window::~Window() {
  if (imgui_gl_) ImGui_ImplOpenGL3_Shutdown();
  if (imgui_glfw_) ImGui_ImplGlfw_Shutdown();
  if (ImGui::GetCurrentContext()) ImGui::DestroyContext();
  if (window_) glfwDestroyWindow(window_);
  glfwTerminate();
}

bool Window::should_close() const {
  return glfwWindowShouldClose(window_) != 0;
}
void Window::request_close() {
  glfwSetWindowShouldClose(window_, GLFW_TRUE);
}
void Window::poll_events() {
  glfwPollEvents();
}
void Window::wait_events(double timeout_s) {
  glfwWaitEventsTimeout(timeout_s);
}
void Window::wake() {
  glfwPostEmptyEvent();
}

void Window::begin_imgui_frame() {
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
}

void Window::render_imgui() {
  ImGui::Render();
  clear_default_framebuffer(fb_width(), fb_height(), 0.08f, 0.08f, 0.09f);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void Window::swap() {
  glfwSwapBuffers(window_);
}
void Window::set_vsync(bool on) {
  glfwSwapInterval(on ? 1 : 0);
}

int Window::fb_width() const {
  int w = 0, h = 0;
  glfwGetFramebufferSize(window_, &w, &h);
  return w;
}
int Window::fb_height() const {
  int w = 0, h = 0;
  glfwGetFramebufferSize(window_, &w, &h);
  return h;
}

void Window::set_title(const std::string& title) {
  glfwSetWindowTitle(window_, title.c_str());
}

std::vector<std::string> Window::take_dropped() {
  return std::exchange(dropped_, {});
}

void Window::drop_callback(GLFWwindow* w, int count, const char** paths) {
  auto* self = static_cast<Window*>(glfwGetWindowUserPointer(w));
  if (!self) return;
  for (int i = 0; i < count; ++i) self->dropped_.emplace_back(paths[i]);
}

}  // namespace needle::gl
