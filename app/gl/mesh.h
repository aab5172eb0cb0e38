// One vertex array with its vertex buffers: the one place that describes vertex attributes to GL,
// uploads vertex data and issues the draw call for the point and line renderers.
//
// Contracts:
//  * Plain CPU data is the truth; a Mesh is its GPU mirror. Empty (no GL objects) until init(),
//    which needs the GL context; move-only through its handles; destroyed on the GL thread.
//  * Each attribute reads from one of the mesh's buffers with its own stride and offset, in bytes.
//  * upload() replaces a buffer's contents with exactly `bytes`; stream() reuses the buffer's
//    storage and grows it geometrically, for data rewritten often at varying sizes.
//  * map_write() hands out the buffer's storage for the caller to fill in place (no staging copy
//    on the CPU), reallocating only when it is too small; unmap() before drawing.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <vector>

#include "gl/handles.h"

namespace needle::gl {

enum class AttribType { Float, UnsignedByte };

struct Attribute {
  unsigned location;       // the shader's attribute location
  int components;          // 1..4
  AttribType type;         // as stored in the buffer
  bool normalized;         // integer types: map to [0, 1] in the shader
  std::size_t stride;      // bytes from one vertex to the next
  std::size_t offset;      // bytes from the start of a vertex
  std::size_t buffer = 0;  // which of the mesh's buffers holds it
};

enum class BufferUsage { Static, Dynamic };
enum class Primitive { Points, Triangles };

class Mesh {
 public:
  Mesh() = default;  // empty; init() needs the GL context
  // Creates the vertex array and `buffer_count` buffers and points every attribute at its buffer.
  void init(std::size_t buffer_count, std::initializer_list<Attribute> attributes);
  void upload(std::size_t buffer, const void* data, std::size_t bytes, BufferUsage usage);
  // Overwrites the first `bytes` of a buffer (which must hold at least that many).
  void update(std::size_t buffer, const void* data, std::size_t bytes);
  void stream(std::size_t buffer, const void* data, std::size_t bytes);
  // Write-only pointer to the first `bytes` of the buffer (previous contents discarded), or null
  // when GL cannot map it. Pair with unmap(buffer); unmap() returns false if the data was lost.
  void* map_write(std::size_t buffer, std::size_t bytes, BufferUsage usage);
  bool unmap(std::size_t buffer);
  // Draws vertices [0, count) with the program in use. step > 1 draws every step-th vertex
  // from `first` instead (first, first + step, ...; `count` of them) by widening every
  // attribute's stride and moving its offset.
  void draw(Primitive primitive, std::size_t count, std::size_t step = 1,
            std::size_t first = 0) const;

 private:
  VertexArray vao_;
  std::vector<Buffer> buffers_;
  void point_attributes(std::size_t step, std::size_t first) const;
  std::vector<std::size_t> capacity_;  // bytes allocated per buffer
  std::vector<Attribute> attributes_;
  mutable std::size_t bound_step_ = 1;   // the vertex step the attribute pointers are set for
  mutable std::size_t bound_first_ = 0;  // ... and the first vertex
};

}  // namespace needle::gl
