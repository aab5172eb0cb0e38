// Whole-frame GL operations: clearing the window, reading it back, error checks, driver info.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace needle::gl {

void clear_default_framebuffer(int width, int height, float r, float g, float b);
// Reads the back buffer (call after rendering, before swapping): RGB rows top first.
std::vector<std::uint8_t> read_back_buffer_rgb(int width, int height);
// Drains glGetError; returns "" when clean, else "GL_INVALID_OPERATION (0x502) ...".
std::string take_gl_errors();
// "renderer | version" of the current context.
std::string driver_info();
// Installs a KHR_debug callback that prints driver messages (when the context supports it);
// errors reported through it are also returned by take_gl_errors(). Returns false if unsupported.
using GlProc = void (*)();
bool enable_debug_output(GlProc (*get_proc)(const char*));
// Blocks until the GPU finished the submitted work (bench timing only).
void finish();

}  // namespace needle::gl
