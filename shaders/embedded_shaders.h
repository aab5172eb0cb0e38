// Shader sources embedded at build time (see embed_shaders.cmake).
#pragma once
namespace needle::shaders {
// Source of shaders/<name> (e.g. "points.vert"), or nullptr when there is no such file.
const char* find(const char* name);
}  // namespace needle::shaders
