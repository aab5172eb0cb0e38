// Per-user viewer settings that persist between runs: panel sizes and recent datasets. They live
// in $XDG_CONFIG_HOME/needle (default ~/.config/needle), never in a dataset. The demo dataset is
// cached in $XDG_CACHE_HOME/needle (default ~/.cache/needle).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace needle::view {

// Panel sizes of the fixed layout (no docking in ImGui 1.86): pixel widths of the side columns,
// fractions of the heights they split.
struct LayoutSizes {
  float list_width = 290.0f;         // frame list (left column), pixels
  float side_width = 380.0f;         // inspector + settings (right column), pixels
  float camera_fraction = 0.44f;     // camera panel's share of the centre column height
  float inspector_fraction = 0.56f;  // inspector's share of the right column height
  bool operator==(const LayoutSizes&) const = default;
};

struct ViewerConfig {
  LayoutSizes layout;
  std::vector<std::string> recent;  // dataset folders, most recent first
};

std::filesystem::path config_dir();
std::filesystem::path cache_dir();
// Missing or unreadable file -> defaults (a broken config must never stop the viewer).
ViewerConfig load_config();
// Returns false (and leaves the old file) when it cannot be written.
bool save_config(const ViewerConfig& c);

}  // namespace needle::view
