// A linked GLSL program built from shader files embedded at build time (shaders/*.vert|frag).
//
// On a compile or link error, build() throws ShaderError whose message names the file and carries
// the numbered source plus the driver log, so a broken shader is found without a debugger.
#pragma once

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>

#include "gl/handles.h"

namespace needle::gl {

class ShaderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AttribBinding {
  unsigned location;
  const char* name;
};

class ShaderProgram {
 public:
  ShaderProgram() = default;  // empty, no context needed
  // vert/frag are file names under shaders/ ("points.vert"); attributes are bound to fixed
  // locations before linking so that vertex layouts are declared next to each program.
  static ShaderProgram build(const char* vert_file, const char* frag_file,
                             std::initializer_list<AttribBinding> attributes);

  void use() const;
  // Uniform location, -1 when the uniform is absent or optimised out (setting it is then a no-op).
  int uniform(const char* name) const;
  bool valid() const { return static_cast<bool>(program_); }

  // Uniform setters on the program in use.
  static void set(int loc, float v);
  static void set(int loc, int v);
  static void set2(int loc, float x, float y);
  static void set4(int loc, const float* v);
  static void set_mat4(int loc, const float* column_major);

 private:
  Program program_;
};

}  // namespace needle::gl
