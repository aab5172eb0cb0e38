// The model's key codes (gui/model/keys.h) are GLFW's: checked here, where GLFW may be included.
#include <GLFW/glfw3.h>

#include "gui/model/keys.h"

namespace needle::view::keys {

static_assert(kSpace == GLFW_KEY_SPACE && kSlash == GLFW_KEY_SLASH);
static_assert(k0 == GLFW_KEY_0 && k0 + 9 == GLFW_KEY_9);
static_assert(kA == GLFW_KEY_A && kA + 25 == GLFW_KEY_Z && letter('Q') == GLFW_KEY_Q);
static_assert(kEscape == GLFW_KEY_ESCAPE && kEnter == GLFW_KEY_ENTER && kTab == GLFW_KEY_TAB &&
              kBackspace == GLFW_KEY_BACKSPACE);
static_assert(kRight == GLFW_KEY_RIGHT && kLeft == GLFW_KEY_LEFT && kDown == GLFW_KEY_DOWN &&
              kUp == GLFW_KEY_UP && kHome == GLFW_KEY_HOME && kEnd == GLFW_KEY_END);
static_assert(kF1 == GLFW_KEY_F1 && kF1 + 11 == GLFW_KEY_F12);
static_assert(kModShift == GLFW_MOD_SHIFT && kModControl == GLFW_MOD_CONTROL);

}  // namespace needle::view::keys
