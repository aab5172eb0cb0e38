#include "gl/mesh.h"

#include "gl/gl_api.h"

namespace needle::gl {

namespace {
GLenum gl_type(AttribType t) {
  return t == AttribType::Float ? GL_FLOAT : GL_UNSIGNED_BYTE;
}
}  // namespace

void Mesh::init(std::size_t buffer_count, std::initializer_list<Attribute> attributes) {
  vao_ = VertexArray::create();
  buffers_.clear();
  for (std::size_t i = 0; i < buffer_count; ++i) buffers_.push_back(Buffer::create());
  capacity_.assign(buffer_count, 0);
  attributes_.assign(attributes.begin(), attributes.end());
  glBindVertexArray(vao_.id());
  for (const Attribute& a : attributes_) glEnableVertexAttribArray(a.location);
  point_attributes(1, 0);
  glBindVertexArray(0);
}

void Mesh::point_attributes(std::size_t step, std::size_t first) const {
  // With the vertex array bound: each attribute's stride times `step`, from vertex `first`.
  for (const Attribute& a : attributes_) {
    glBindBuffer(GL_ARRAY_BUFFER, buffers_.at(a.buffer).id());
    glVertexAttribPointer(a.location, a.components, gl_type(a.type),
                          a.normalized ? GL_TRUE : GL_FALSE, static_cast<GLsizei>(a.stride * step),
                          reinterpret_cast<const void*>(a.offset + first * a.stride));
  }
  glBindBuffer(GL_ARRAY_BUFFER, 0);
  bound_step_ = step;
  bound_first_ = first;
}

void Mesh::upload(std::size_t buffer, const void* data, std::size_t bytes, BufferUsage usage) {
  glBindBuffer(GL_ARRAY_BUFFER, buffers_.at(buffer).id());
  glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(bytes), data,
               usage == BufferUsage::Static ? GL_STATIC_DRAW : GL_DYNAMIC_DRAW);
  glBindBuffer(GL_ARRAY_BUFFER, 0);
  capacity_[buffer] = bytes;
}

void Mesh::update(std::size_t buffer, const void* data, std::size_t bytes) {
  if (bytes == 0 || bytes > capacity_.at(buffer)) return;
  glBindBuffer(GL_ARRAY_BUFFER, buffers_[buffer].id());
  glBufferSubData(GL_ARRAY_BUFFER, 0, static_cast<GLsizeiptr>(bytes), data);
  glBindBuffer(GL_ARRAY_BUFFER, 0);
}

void Mesh::stream(std::size_t buffer, const void* data, std::size_t bytes) {
  // Doubling keeps reallocations rare while the amount of data grows (boxes of a busy frame).
  constexpr std::size_t kGrowth = 2;
  glBindBuffer(GL_ARRAY_BUFFER, buffers_.at(buffer).id());
  if (bytes > capacity_[buffer]) {
    capacity_[buffer] = bytes * kGrowth;
    glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(capacity_[buffer]), nullptr,
                 GL_DYNAMIC_DRAW);
  }
  if (bytes > 0) glBufferSubData(GL_ARRAY_BUFFER, 0, static_cast<GLsizeiptr>(bytes), data);
  glBindBuffer(GL_ARRAY_BUFFER, 0);
}

void* Mesh::map_write(std::size_t buffer, std::size_t bytes, BufferUsage usage) {
  if (bytes == 0) return nullptr;
  glBindBuffer(GL_ARRAY_BUFFER, buffers_.at(buffer).id());
  if (bytes > capacity_[buffer]) {
    glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(bytes), nullptr,
                 usage == BufferUsage::Static ? GL_STATIC_DRAW : GL_DYNAMIC_DRAW);
    capacity_[buffer] = bytes;
  }
  void* p = glMapBufferRange(GL_ARRAY_BUFFER, 0, static_cast<GLsizeiptr>(bytes),
                             GL_MAP_WRITE_BIT | GL_MAP_INVALIDATE_BUFFER_BIT);
  glBindBuffer(GL_ARRAY_BUFFER, 0);
  return p;
}

bool Mesh::unmap(std::size_t buffer) {
  glBindBuffer(GL_ARRAY_BUFFER, buffers_.at(buffer).id());
  const bool ok = glUnmapBuffer(GL_ARRAY_BUFFER) == GL_TRUE;
  glBindBuffer(GL_ARRAY_BUFFER, 0);
  return ok;
}

void Mesh::draw(Primitive primitive, std::size_t count, std::size_t step, std::size_t first) const {
  if (count == 0 || !vao_) return;
  glBindVertexArray(vao_.id());
  if (step < 1) step = 1;
  if (step != bound_step_ || first != bound_first_) point_attributes(step, first);
  glDrawArrays(primitive == Primitive::Points ? GL_POINTS : GL_TRIANGLES, 0,
               static_cast<GLsizei>(count));
  glBindVertexArray(0);
}

}  // namespace needle::gl
