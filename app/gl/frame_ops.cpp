#include "gl/frame_ops.h"

#include <cstdio>
#include <cstring>
#include <mutex>

#include "gl/gl_api.h"

namespace needle::gl {

namespace {
std::mutex g_debug_mutex;
std::string g_debug_errors;  // errors reported by the debug callback since the last take

const char* error_name(GLenum e) {
  switch (e) {
    case GL_INVALID_ENUM:
      return "GL_INVALID_ENUM";
    case GL_INVALID_VALUE:
      return "GL_INVALID_VALUE";
    case GL_INVALID_OPERATION:
      return "GL_INVALID_OPERATION";
    case GL_INVALID_FRAMEBUFFER_OPERATION:
      return "GL_INVALID_FRAMEBUFFER_OPERATION";
    case GL_OUT_OF_MEMORY:
      return "GL_OUT_OF_MEMORY";
    default:
      return "GL error";
  }
}

void APIENTRY debug_callback(GLenum, GLenum type, GLuint, GLenum severity, GLsizei,
                             const GLchar* message, const void*) {
  if (severity == GL_DEBUG_SEVERITY_NOTIFICATION) return;
  std::fprintf(stderr, "needle: GL debug: %s\n", message);
  if (type == GL_DEBUG_TYPE_ERROR) {
    std::lock_guard<std::mutex> lock(g_debug_mutex);
    g_debug_errors += std::string(message) + "; ";
  }
}
}  // namespace

void clear_default_framebuffer(int width, int height, float r, float g, float b) {
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glViewport(0, 0, width, height);
  glClearColor(r, g, b, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
}

std::vector<std::uint8_t> read_back_buffer_rgb(int width, int height) {
  const auto w = static_cast<std::size_t>(width), h = static_cast<std::size_t>(height);
  std::vector<std::uint8_t> raw(w * h * 3), out(w * h * 3);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
  glReadBuffer(GL_BACK);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, raw.data());
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  for (std::size_t y = 0; y < h; ++y)  // GL's origin is bottom-left; PNG rows go top first
    std::memcpy(out.data() + y * w * 3, raw.data() + (h - 1 - y) * w * 3, w * 3);
  return out;
}

std::string take_gl_errors() {
  std::string s;
  for (int i = 0; i < 16; ++i) {
    const GLenum e = glGetError();
    if (e == GL_NO_ERROR) break;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s (0x%x) ", error_name(e), e);
    s += buf;
  }
  std::lock_guard<std::mutex> lock(g_debug_mutex);
  s += g_debug_errors;
  g_debug_errors.clear();
  return s;
}

std::string driver_info() {
  const auto* r = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  const auto* v = reinterpret_cast<const char*>(glGetString(GL_VERSION));
  return std::string(r ? r : "?") + " | " + (v ? v : "?");
}

bool enable_debug_output(GlProc (*get_proc)(const char*)) {
  GLint major = 0, minor = 0;
  glGetIntegerv(GL_MAJOR_VERSION, &major);
  glGetIntegerv(GL_MINOR_VERSION, &minor);
  if (major * 10 + minor < 43) return false;
  // Looked up at run time: the symbol is only valid on a 4.3+ context.
  auto fn = reinterpret_cast<PFNGLDEBUGMESSAGECALLBACKPROC>(get_proc("glDebugMessageCallback"));
  if (!fn) return false;
  glEnable(GL_DEBUG_OUTPUT);
  glEnable(GL_DEBUG_OUTPUT_SYNCHRONOUS);
  fn(debug_callback, nullptr);
  return true;
}

void finish() {
  glFinish();
}

}  // namespace needle::gl
