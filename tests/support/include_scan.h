// Include-line scanning for the purity tests (core/ and the viewer model stay free of GL, GLFW and
// ImGui). Plain string scanning, not <regex>: GCC 12 reports false maybe-uninitialized warnings
// inside std::regex under ASan, and the sanitizer build uses -Werror too.
#pragma once

#include <array>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>

namespace needle::test {

// The header named by an #include line ("" when the line is not one), e.g. "GL/gl.h".
inline std::string included_header(std::string_view line) {
  auto skip_space = [&](std::size_t i) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    return i;
  };
  std::size_t i = skip_space(0);
  if (i >= line.size() || line[i] != '#') return {};
  i = skip_space(i + 1);
  if (line.substr(i, 7) != "include") return {};
  i = skip_space(i + 7);
  if (i >= line.size() || (line[i] != '<' && line[i] != '"')) return {};
  const char close = line[i] == '<' ? '>' : '"';
  const std::size_t end = line.find(close, i + 1);
  return std::string(line.substr(i + 1, end == std::string_view::npos ? end : end - i - 1));
}

// GL, GLFW, ImGui or a GL loader.
inline bool is_gui_header(const std::string& h) {
  static constexpr std::array<std::string_view, 6> kPrefixes = {"GL/",   "GLFW/", "imgui",
                                                                "epoxy", "glad",  "backends/"};
  for (std::string_view p : kPrefixes)
    if (h.rfind(p, 0) == 0) return true;
  return false;
}

// One #include line of a source file.
struct IncludeLine {
  std::string file;     // relative to the scanned root, e.g. "core/src/lidar/pcd_io.cpp"
  int line = 0;         // 1-based
  std::string text;     // the whole line
  std::string header;   // what it includes, e.g. "pcl/io/pcd_io.h"
  bool quoted = false;  // "..." (a project header) rather than <...>
  std::string where() const { return file + ":" + std::to_string(line) + ": " + text; }
};

// Calls f(IncludeLine) for every #include line of every regular file under root/dir for each of
// `dirs` (recursively); returns the number of files read.
template <typename F>
int for_each_include(const std::filesystem::path& root, std::initializer_list<const char*> dirs,
                     F&& f) {
  int files = 0;
  for (const char* dir : dirs) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(root / dir)) {
      if (!e.is_regular_file()) continue;
      ++files;
      std::ifstream in(e.path());
      IncludeLine inc;
      inc.file = std::filesystem::relative(e.path(), root).string();
      for (std::string line; std::getline(in, line);) {
        ++inc.line;
        inc.header = included_header(line);
        if (inc.header.empty()) continue;
        inc.text = line;
        inc.quoted = line.find('"') != std::string::npos;
        f(static_cast<const IncludeLine&>(inc));
      }
    }
  }
  return files;
}

}  // namespace needle::test
