// core/ must stay usable without a display: no GL, GLFW or ImGui include anywhere in it.
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "support/include_scan.h"

using needle::test::included_header;
using needle::test::is_gui_header;

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
