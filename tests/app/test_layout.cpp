// Layout maths of the viewer model (app/gui/model/layout.h) without a window: the panel
// rectangles worked out by hand for the default sizes at 1600x900, the clamping of persisted
// sizes, and that panels and splitters tile the window at any size.
#include <catch2/catch.hpp>

#include "gui/model/layout.h"

using namespace needle::view;

namespace {
void check_rect(const Rect& r, float x, float y, float w, float h) {
  CHECK(r.x == Approx(x));
  CHECK(r.y == Approx(y));
  CHECK(r.w == Approx(w));
  CHECK(r.h == Approx(h));
}
}  // namespace

TEST_CASE("layout: default sizes at 1600x900, worked by hand", "[layout]") {
  // Menu bar 20 px, status bar 24 px: body 900 - 20 - 24 = 856 px high. Columns: list 290,
  // splitter 5, centre 1600 - 290 - 380 - 2 * 5 = 920, splitter 5, side 380.
  // Camera: floor((856 - 5) * 0.44) = 374; inspector: floor(851 * 0.56) = 476.
  const PanelRects r = compute_layout(1600, 900, 20, 24, LayoutSizes{});
  check_rect(r.frame_list, 0, 20, 290, 856);
  check_rect(r.split_list, 290, 20, 5, 856);
  check_rect(r.camera, 295, 20, 920, 374);
  check_rect(r.split_centre, 295, 394, 920, 5);
  check_rect(r.view3d, 295, 399, 920, 477);
  check_rect(r.split_side, 1215, 20, 5, 856);
  check_rect(r.inspector, 1220, 20, 380, 476);
  check_rect(r.split_right, 1220, 496, 380, 5);
  check_rect(r.settings, 1220, 501, 380, 375);
  check_rect(r.status, 0, 876, 1600, 24);
}

TEST_CASE("layout: persisted sizes are clamped to usable ranges", "[layout]") {
  LayoutSizes s;
  s.list_width = 10;            // below the 120 px minimum
  s.side_width = 5000;          // above 40 % of a 1000 px window = 400
  s.camera_fraction = 0.01f;    // below 0.1
  s.inspector_fraction = 3.0f;  // above 0.9
  const LayoutSizes c = clamp_sizes(s, 1000, 700);
  CHECK(c.list_width == 120.0f);
  CHECK(c.side_width == 400.0f);
  CHECK(c.camera_fraction == Approx(0.1f));
  CHECK(c.inspector_fraction == Approx(0.9f));
  // Sizes inside the ranges stay as they are.
  CHECK(clamp_sizes(LayoutSizes{}, 1600, 900) == LayoutSizes{});
}

TEST_CASE("layout: panels and splitters tile the window without overlap", "[layout]") {
  for (const auto& [w, h] : {std::pair{1600.f, 900.f}, {1024.f, 768.f}, {3840.f, 2160.f}}) {
    LayoutSizes s;
    s.camera_fraction = 0.3f;
    const PanelRects r = compute_layout(w, h, 22, 26, s);
    INFO(w << "x" << h);
    // Columns: list | splitter | centre | splitter | side end at the right edge.
    CHECK(r.split_list.x == Approx(r.frame_list.x + r.frame_list.w));
    CHECK(r.camera.x == Approx(r.split_list.x + kSplitter));
    CHECK(r.split_side.x == Approx(r.camera.x + r.camera.w));
    CHECK(r.inspector.x == Approx(r.split_side.x + kSplitter));
    CHECK(r.inspector.x + r.inspector.w == Approx(w));
    // Rows: camera / splitter / 3D view; inspector / splitter / settings; both end on the
    // status bar, which ends at the bottom.
    CHECK(r.view3d.y == Approx(r.camera.y + r.camera.h + kSplitter));
    CHECK(r.view3d.y + r.view3d.h == Approx(r.status.y));
    CHECK(r.settings.y == Approx(r.inspector.y + r.inspector.h + kSplitter));
    CHECK(r.settings.y + r.settings.h == Approx(r.status.y));
    CHECK(r.status.y + r.status.h == Approx(h));
    CHECK(r.frame_list.y == Approx(22));
    CHECK_FALSE(r.camera.contains(r.view3d.x + 1, r.view3d.y + 1));
  }
}
