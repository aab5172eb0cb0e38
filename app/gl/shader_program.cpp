#include "gl/shader_program.h"

#include <cstdio>
#include <sstream>
#include <string>

#include "embedded_shaders.h"
#include "gl/gl_api.h"

namespace needle::gl {

namespace {

std::string numbered(const char* src) {
  std::ostringstream out;
  std::istringstream in(src);
  std::string line;
  int n = 1;
  while (std::getline(in, line)) {
    char num[16];
    std::snprintf(num, sizeof num, "%4d | ", n++);
    out << num << line << '\n';
  }
  return out.str();
}

Shader compile(const char* file, GLenum type) {
  const char* src = needle::shaders::find(file);
  if (!src) throw ShaderError(std::string("shader file '") + file + "' is not embedded (shaders/)");
  Shader s = Shader::create(type);
  glShaderSource(s.id(), 1, &src, nullptr);
  glCompileShader(s.id());
  GLint ok = 0;
  glGetShaderiv(s.id(), GL_COMPILE_STATUS, &ok);
  if (!ok) {
    GLint len = 0;
    glGetShaderiv(s.id(), GL_INFO_LOG_LENGTH, &len);
    std::string log(static_cast<std::size_t>(len > 1 ? len : 1), '\0');
    glGetShaderInfoLog(s.id(), len, nullptr, log.data());
    throw ShaderError(std::string("shaders/") + file + ": compile error:\n" + log + "\n" +
                      numbered(src));
  }
  return s;
}

}  // namespace

ShaderProgram ShaderProgram::build(const char* vert_file, const char* frag_file,
                                   std::initializer_list<AttribBinding> attributes) {
  Shader vs = compile(vert_file, GL_VERTEX_SHADER);
  Shader fs = compile(frag_file, GL_FRAGMENT_SHADER);
  ShaderProgram p;
  p.program_ = Program::create();
  const GLuint id = p.program_.id();
  glAttachShader(id, vs.id());
  glAttachShader(id, fs.id());
  for (const AttribBinding& a : attributes) glBindAttribLocation(id, a.location, a.name);
  glLinkProgram(id);
  GLint ok = 0;
  glGetProgramiv(id, GL_LINK_STATUS, &ok);
  glDetachShader(id, vs.id());
  glDetachShader(id, fs.id());
  if (!ok) {
    GLint len = 0;
    glGetProgramiv(id, GL_INFO_LOG_LENGTH, &len);
    std::string log(static_cast<std::size_t>(len > 1 ? len : 1), '\0');
    glGetProgramInfoLog(id, len, nullptr, log.data());
    throw ShaderError(std::string("shaders/") + vert_file + " + shaders/" + frag_file +
                      ": link error:\n" + log);
  }
  return p;
}

void ShaderProgram::use() const {
  glUseProgram(program_.id());
}

int ShaderProgram::uniform(const char* name) const {
  return glGetUniformLocation(program_.id(), name);
}

void ShaderProgram::set(int loc, float v) {
  glUniform1f(loc, v);
}
void ShaderProgram::set(int loc, int v) {
  glUniform1i(loc, v);
}
void ShaderProgram::set2(int loc, float x, float y) {
  glUniform2f(loc, x, y);
}
void ShaderProgram::set4(int loc, const float* v) {
  glUniform4fv(loc, 1, v);
}
void ShaderProgram::set_mat4(int loc, const float* m) {
  glUniformMatrix4fv(loc, 1, GL_FALSE, m);
}

}  // namespace needle::gl
