// Key codes and modifier bits for the GL-free viewer model. The values are GLFW's (Dear
// ImGui 1.86's IsKeyPressed takes GLFW key codes), so the model can name keys without including
// GLFW; app/gui/keys_glfw_check.cpp checks every value against <GLFW/glfw3.h> at compile time.
#pragma once

#include <string>

namespace needle::view::keys {

// Printable keys: GLFW uses the ASCII code of the unshifted US-layout character.
inline constexpr int kSpace = 32;
inline constexpr int kSlash = 47;
inline constexpr int k0 = 48;  // k0 + n for digit n
inline constexpr int kA = 65;  // kA + n for the n-th letter
// Function and navigation keys.
inline constexpr int kEscape = 256;
inline constexpr int kEnter = 257;
inline constexpr int kTab = 258;
inline constexpr int kBackspace = 259;
inline constexpr int kRight = 262;
inline constexpr int kLeft = 263;
inline constexpr int kDown = 264;
inline constexpr int kUp = 265;
inline constexpr int kHome = 268;
inline constexpr int kEnd = 269;
inline constexpr int kF1 = 290;  // kF1 + n - 1 for Fn, n = 1..12

// Modifier bits (GLFW_MOD_*).
inline constexpr int kModShift = 0x1;
inline constexpr int kModControl = 0x2;

constexpr int letter(char upper) {
  return kA + (upper - 'A');
}

// Parses a key name as scripts and the help write it: "N", "n", "7", "Right", "Escape", "F1",
// optionally prefixed "Ctrl+" and/or "Shift+" (any order). False for an unknown name.
bool parse_key_name(const std::string& name, int* key, int* mods);
// The name parse_key_name reads back: "Ctrl+O", "Right", "Shift+Slash"; "" for an unknown key.
std::string key_name(int key, int mods);

}  // namespace needle::view::keys
