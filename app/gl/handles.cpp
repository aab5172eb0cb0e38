#include "gl/handles.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>

#include "gl/gl_api.h"

namespace needle::gl {

namespace {
std::atomic<std::size_t> g_gl_thread{0};
std::size_t this_thread_hash() {
  return std::hash<std::thread::id>{}(std::this_thread::get_id()) | 1u;
}
}  // namespace

void mark_gl_thread() {
  g_gl_thread.store(this_thread_hash());
}

bool on_gl_thread() {
  const std::size_t t = g_gl_thread.load();
  return t == 0 || t == this_thread_hash();
}

namespace detail {

unsigned create_name(HandleKind kind, unsigned shader_type) {
  GLuint n = 0;
  switch (kind) {
    case HandleKind::Buffer:
      glGenBuffers(1, &n);
      break;
    case HandleKind::VertexArray:
      glGenVertexArrays(1, &n);
      break;
    case HandleKind::Texture:
      glGenTextures(1, &n);
      break;
    case HandleKind::Framebuffer:
      glGenFramebuffers(1, &n);
      break;
    case HandleKind::Renderbuffer:
      glGenRenderbuffers(1, &n);
      break;
    case HandleKind::Program:
      n = glCreateProgram();
      break;
    case HandleKind::Shader:
      n = glCreateShader(static_cast<GLenum>(shader_type));
      break;
  }
  return n;
}

void delete_name(HandleKind kind, unsigned name) {
  if (!on_gl_thread()) {
    // A GL object freed off the GL thread is a programming error that corrupts the context.
    std::fprintf(stderr, "needle: GL object destroyed off the GL thread\n");
    std::abort();
  }
  const GLuint n = name;
  switch (kind) {
    case HandleKind::Buffer:
      glDeleteBuffers(1, &n);
      break;
    case HandleKind::VertexArray:
      glDeleteVertexArrays(1, &n);
      break;
    case HandleKind::Texture:
      glDeleteTextures(1, &n);
      break;
    case HandleKind::Framebuffer:
      glDeleteFramebuffers(1, &n);
      break;
    case HandleKind::Renderbuffer:
      glDeleteRenderbuffers(1, &n);
      break;
    case HandleKind::Program:
      glDeleteProgram(n);
      break;
    case HandleKind::Shader:
      glDeleteShader(n);
      break;
  }
}

}  // namespace detail
}  // namespace needle::gl
