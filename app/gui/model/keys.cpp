#include "gui/model/keys.h"

#include <array>
#include <string_view>

namespace needle::view::keys {

namespace {

struct NamedKey {
  std::string_view name;
  int key;
};
constexpr std::array<NamedKey, 12> kNamedKeys = {{
    {"Right", kRight},
    {"Left", kLeft},
    {"Up", kUp},
    {"Down", kDown},
    {"Home", kHome},
    {"End", kEnd},
    {"Enter", kEnter},
    {"Escape", kEscape},
    {"Space", kSpace},
    {"Tab", kTab},
    {"Backspace", kBackspace},
    {"Slash", kSlash},
}};
constexpr int kFunctionKeys = 12;  // F1..F12

int key_of_base_name(std::string_view rest) {
  if (rest.size() == 1) {
    const char c = rest[0];
    if (c >= 'A' && c <= 'Z') return kA + (c - 'A');
    if (c >= 'a' && c <= 'z') return kA + (c - 'a');
    if (c >= '0' && c <= '9') return k0 + (c - '0');
  }
  if (rest.size() >= 2 && rest.size() <= 3 && rest[0] == 'F') {
    int f = 0;
    for (char c : rest.substr(1)) {
      if (c < '0' || c > '9') return -1;
      f = f * 10 + (c - '0');
    }
    if (f >= 1 && f <= kFunctionKeys) return kF1 + f - 1;
  }
  for (const NamedKey& nk : kNamedKeys)
    if (rest == nk.name) return nk.key;
  return -1;
}

}  // namespace

bool parse_key_name(const std::string& name, int* key, int* mods) {
  std::string_view rest = name;
  int m = 0;
  for (bool again = true; again;) {
    again = false;
    if (rest.size() > 5 && rest.substr(0, 5) == "Ctrl+") {
      m |= kModControl;
      rest.remove_prefix(5);
      again = true;
    } else if (rest.size() > 6 && rest.substr(0, 6) == "Shift+") {
      m |= kModShift;
      rest.remove_prefix(6);
      again = true;
    }
  }
  const int k = key_of_base_name(rest);
  if (k < 0) return false;
  *key = k;
  *mods = m;
  return true;
}

std::string key_name(int key, int mods) {
  std::string base;
  if (key >= kA && key < kA + 26) base = std::string(1, static_cast<char>('A' + (key - kA)));
  if (key >= k0 && key < k0 + 10) base = std::string(1, static_cast<char>('0' + (key - k0)));
  if (key >= kF1 && key < kF1 + kFunctionKeys)
    base.append("F").append(std::to_string(key - kF1 + 1));
  for (const NamedKey& nk : kNamedKeys)
    if (key == nk.key) base = nk.name;
  if (base.empty()) return base;
  // Appended piece by piece: GCC 12 reports a false -Wrestrict on chained string operator+.
  std::string name;
  if (mods & kModControl) name.append("Ctrl+");
  if (mods & kModShift) name.append("Shift+");
  name.append(base);
  return name;
}

}  // namespace needle::view::keys
