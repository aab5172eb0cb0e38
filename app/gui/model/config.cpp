#include "gui/model/config.h"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

namespace needle::view {

namespace {
std::filesystem::path xdg(const char* var, const char* fallback) {
  const char* v = std::getenv(var);
  if (v && *v) return std::filesystem::path(v) / "needle";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / fallback / "needle";
}
std::filesystem::path config_file() {
  return config_dir() / "viewer.json";
}
}  // namespace

std::filesystem::path config_dir() {
  return xdg("XDG_CONFIG_HOME", ".config");
}
std::filesystem::path cache_dir() {
  return xdg("XDG_CACHE_HOME", ".cache");
}

ViewerConfig load_config() {
  ViewerConfig c;
  std::ifstream in(config_file());
  if (!in) return c;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    const auto& l = j.at("layout");
    c.layout.list_width = l.value("list_width", c.layout.list_width);
    c.layout.side_width = l.value("side_width", c.layout.side_width);
    c.layout.camera_fraction = l.value("camera_fraction", c.layout.camera_fraction);
    c.layout.inspector_fraction = l.value("inspector_fraction", c.layout.inspector_fraction);
    if (j.contains("recent"))
      for (const auto& r : j["recent"]) c.recent.push_back(r.get<std::string>());
  } catch (const std::exception&) {
    return ViewerConfig{};
  }
  return c;
}

bool save_config(const ViewerConfig& c) {
  nlohmann::json j;
  j["layout"] = {{"list_width", c.layout.list_width},
                 {"side_width", c.layout.side_width},
                 {"camera_fraction", c.layout.camera_fraction},
                 {"inspector_fraction", c.layout.inspector_fraction}};
  j["recent"] = c.recent;
  std::error_code ec;
  std::filesystem::create_directories(config_dir(), ec);
  const auto tmp = config_file().string() + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) return false;
    out << j.dump(2) << '\n';
    if (!out) return false;
  }
  std::filesystem::rename(tmp, config_file(), ec);
  return !ec;
}

}  // namespace needle::view
