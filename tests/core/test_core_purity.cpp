// core/ must stay usable without a display: no GL, GLFW or ImGui include anywhere in it.
// (Plain string scanning, not <regex>: GCC 12 reports false maybe-uninitialized warnings inside
// std::regex under ASan, and the sanitizer build uses -Werror too.)
#include <array>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

namespace {

// The header named by an #include line ("" when the line is not one), e.g. "GL/gl.h".
std::string included_header(std::string_view line) {
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

bool is_gui_header(const std::string& h) {
  static constexpr std::array<std::string_view, 6> kPrefixes = {"GL/",   "GLFW/", "imgui",
                                                                "epoxy", "glad",  "backends/"};
  for (std::string_view p : kPrefixes)
    if (h.rfind(p, 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("the include scanner recognises GUI headers", "[purity]") {
  CHECK(is_gui_header(included_header("#include <GL/gl.h>")));
  CHECK(is_gui_header(included_header("  #  include \"imgui.h\"")));
  CHECK(is_gui_header(included_header("#include <GLFW/glfw3.h> // window")));
  CHECK_FALSE(is_gui_header(included_header("#include <vector>")));
  CHECK_FALSE(is_gui_header(included_header("// #include <GL/gl.h> is not allowed here")));
  CHECK(included_header("int x = 1;").empty());
}

TEST_CASE("core has no GL, GLFW or ImGui includes", "[purity]") {
  const std::filesystem::path core = std::filesystem::path(NEEDLE_SOURCE_DIR) / "core";
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(core)) {
    if (!e.is_regular_file()) continue;
    ++files;
    std::ifstream in(e.path());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      INFO(e.path().string() << ":" << n << ": " << line);
      CHECK_FALSE(is_gui_header(included_header(line)));
    }
  }
  CHECK(files > 5);
}
