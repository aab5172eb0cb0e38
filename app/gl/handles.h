// RAII owners of OpenGL object names.
//
// Contracts:
//  * Move-only. A default-constructed handle is empty (name 0) and needs no GL context, so
//    renderers can be members of objects built before the window exists.
//  * Destruction deletes the GL object and must happen on the GL thread while the context is
//    current; debug builds check the thread. Declare the window (context) before any renderer so
//    members are destroyed while the context still exists.
#pragma once

#include <utility>

namespace needle::gl {

enum class HandleKind { Buffer, VertexArray, Texture, Framebuffer, Renderbuffer, Program, Shader };

// Remembers the calling thread as the GL thread (called once the context is current).
void mark_gl_thread();
// True on the thread recorded by mark_gl_thread() (or when none was recorded).
bool on_gl_thread();

namespace detail {
unsigned create_name(HandleKind kind, unsigned shader_type);
void delete_name(HandleKind kind, unsigned name);
}  // namespace detail

template <HandleKind Kind>
class Handle {
 public:
  Handle() = default;
  // Creates a new GL object (context required). shader_type is only used for shaders.
  static Handle create(unsigned shader_type = 0) {
    Handle h;
    h.name_ = detail::create_name(Kind, shader_type);
    return h;
  }
  ~Handle() { reset(); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : name_(std::exchange(o.name_, 0u)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      name_ = std::exchange(o.name_, 0u);
    }
    return *this;
  }
  void reset() {
    if (name_ != 0) detail::delete_name(Kind, std::exchange(name_, 0u));
  }
  unsigned id() const { return name_; }
  explicit operator bool() const { return name_ != 0; }

 private:
  unsigned name_ = 0;
};

using Buffer = Handle<HandleKind::Buffer>;
using VertexArray = Handle<HandleKind::VertexArray>;
using Texture = Handle<HandleKind::Texture>;
using Framebuffer = Handle<HandleKind::Framebuffer>;
using Renderbuffer = Handle<HandleKind::Renderbuffer>;
using Program = Handle<HandleKind::Program>;
using Shader = Handle<HandleKind::Shader>;

}  // namespace needle::gl
