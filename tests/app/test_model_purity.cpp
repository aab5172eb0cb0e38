// The viewer model (app/gui/model/) must build and run without a display: no GL, GLFW or ImGui
// include anywhere in it, and no project header from outside the model except core's.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/include_scan.h"

using needle::test::included_header;
using needle::test::is_gui_header;

TEST_CASE("the viewer model has no GL, GLFW or ImGui includes", "[purity]") {
  const std::filesystem::path model =
      std::filesystem::path(NEEDLE_SOURCE_DIR) / "app" / "gui" / "model";
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(model)) {
    if (!e.is_regular_file()) continue;
    ++files;
    std::ifstream in(e.path());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      const std::string h = included_header(line);
      INFO(e.path().string() << ":" << n << ": " << line);
      CHECK_FALSE(is_gui_header(h));
      // Project headers: the model's own and core's only (gl/, gui/panels.h ... pull GL in).
      if (line.find('"') != std::string::npos && !h.empty())
        CHECK((h.rfind("gui/model/", 0) == 0 || h.rfind("needle/", 0) == 0));
    }
  }
  CHECK(files > 10);
}
