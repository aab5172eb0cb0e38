// core/ must stay usable without a display: no GL, GLFW or ImGui include anywhere in it.
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <catch2/catch.hpp>

TEST_CASE("core has no GL, GLFW or ImGui includes", "[purity]") {
  const std::filesystem::path core = std::filesystem::path(NEEDLE_SOURCE_DIR) / "core";
  const std::regex bad(R"(#\s*include\s*[<"](GL/|GLFW/|imgui|epoxy|glad|backends/))");
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
      CHECK_FALSE(std::regex_search(line, bad));
    }
  }
  CHECK(files > 5);
}
