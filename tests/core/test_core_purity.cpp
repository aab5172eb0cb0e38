// core/ must stay usable without a display: no GL, GLFW or ImGui include anywhere in it.
#include <string>

#include <catch2/catch.hpp>

#include "support/include_scan.h"

using needle::test::for_each_include;
using needle::test::included_header;
using needle::test::IncludeLine;
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
  const int files = for_each_include(NEEDLE_SOURCE_DIR, {"core"}, [](const IncludeLine& inc) {
    INFO(inc.where());
    CHECK_FALSE(is_gui_header(inc.header));
  });
  CHECK(files > 5);
}

// PCL's headers are slow to compile and its ABI is fussy (see GUIDE.md): only the lidar sources
// include it, never a header of core's public interface, the app or another core source.
TEST_CASE("PCL is included only under core/src/lidar/", "[purity]") {
  int users = 0;
  const int files =
      for_each_include(NEEDLE_SOURCE_DIR, {"core", "app"}, [&](const IncludeLine& inc) {
        if (inc.header.rfind("pcl/", 0) != 0) return;
        INFO(inc.where());
        CHECK(inc.file.rfind("core/src/lidar/", 0) == 0);
        ++users;
      });
  CHECK(files > 5);
  CHECK(users >= 1);
}
