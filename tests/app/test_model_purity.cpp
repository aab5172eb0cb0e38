// The viewer model (app/gui/model/) must build and run without a display: no GL, GLFW or ImGui
// include anywhere in it, and no project header from outside the model except core's.
#include <catch2/catch.hpp>

#include <string>

#include "support/include_scan.h"

using needle::test::for_each_include;
using needle::test::IncludeLine;
using needle::test::is_gui_header;

TEST_CASE("the viewer model has no GL, GLFW or ImGui includes", "[purity]") {
  const int files =
      for_each_include(NEEDLE_SOURCE_DIR, {"app/gui/model"}, [](const IncludeLine& inc) {
        INFO(inc.where());
        CHECK_FALSE(is_gui_header(inc.header));
        // Project headers: the model's own and core's only (gl/, gui/panels.h ... pull GL in).
        if (inc.quoted)
          CHECK((inc.header.rfind("gui/model/", 0) == 0 || inc.header.rfind("needle/", 0) == 0));
      });
  CHECK(files > 10);
}
