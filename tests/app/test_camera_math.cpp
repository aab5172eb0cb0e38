// Viewer maths without a window: orbit / bird's-eye camera, image viewport mapping.
#include <catch2/catch.hpp>

#include "gui/model/camera_math.h"

using namespace needle::view;

namespace {
constexpr float kW = 800.0f, kH = 400.0f;

std::array<float, 2> screen(const OrbitCamera& c, Vec3f p) {
  const auto s = c.world_to_screen(p, kW, kH);
  REQUIRE(s.has_value());
  return *s;
}
}  // namespace

TEST_CASE("orbit camera looks at its target from behind and above", "[view][camera]") {
  OrbitCamera cam;
  const auto t = screen(cam, cam.target);
  CHECK(t[0] == Approx(kW / 2).margin(1e-3));
  CHECK(t[1] == Approx(kH / 2).margin(1e-3));
  // The eye is behind (-x) and above (+z) the target at the configured distance.
  const Vec3f e = cam.eye();
  CHECK(e.x < cam.target.x);
  CHECK(e.z > cam.target.z);
  CHECK(length(e - cam.target) == Approx(cam.distance).epsilon(1e-5));
  // Further ahead on the ground is higher on screen; to the vehicle's left (+y) is left on screen.
  const auto ahead = screen(cam, cam.target + Vec3f{10, 0, 0});
  CHECK(ahead[1] < t[1]);
  CHECK(ahead[0] == Approx(kW / 2).margin(1e-2));
  const auto left = screen(cam, cam.target + Vec3f{0, 3, 0});
  CHECK(left[0] < t[0]);
  // A point behind the eye does not project.
  CHECK_FALSE(cam.world_to_screen(e - Vec3f{5, 0, 0}, kW, kH).has_value());
}

TEST_CASE("orbit camera pan moves the scene with the cursor", "[view][camera]") {
  OrbitCamera cam;
  const Vec3f p = cam.target;  // a point at the target depth moves exactly with the cursor
  const auto before = screen(cam, p);
  cam.pan(40.0f, -25.0f, kH);
  const auto after = screen(cam, p);
  CHECK(after[0] - before[0] == Approx(40.0f).margin(0.05));
  CHECK(after[1] - before[1] == Approx(-25.0f).margin(0.05));
}

TEST_CASE("orbit camera orbit, zoom and centring", "[view][camera]") {
  OrbitCamera cam;
  const float d0 = cam.distance;
  cam.zoom(2.0f);
  CHECK(cam.distance < d0);
  cam.zoom(-100.0f);
  CHECK(cam.distance == Approx(250.0f));  // clamped
  cam.orbit(0.0f, 1e6f, kH);
  CHECK(cam.pitch == Approx(1.55f));  // clamped below straight down
  cam.reset();
  cam.centre_on({20, -4, -0.8f});
  const auto c = screen(cam, {20, -4, -0.8f});
  CHECK(c[0] == Approx(kW / 2).margin(1e-3));
  CHECK(c[1] == Approx(kH / 2).margin(1e-3));
}

TEST_CASE("bird's-eye view: forward is up, left is left, metric scale", "[view][camera]") {
  OrbitCamera cam;
  cam.bev = true;
  cam.bev_center = {20, 0, 0};
  cam.bev_half_height = 25;
  const auto c = screen(cam, {20, 0, -1.7f});
  CHECK(c[0] == Approx(kW / 2).margin(1e-3));
  CHECK(c[1] == Approx(kH / 2).margin(1e-3));
  // bev_half_height metres ahead of the centre is the top edge, whatever the height of the point.
  const auto top = screen(cam, {45, 0, 3.0f});
  CHECK(top[1] == Approx(0.0f).margin(1e-2));
  const auto left = screen(cam, {20, 5, 0});
  CHECK(left[0] == Approx(kW / 2 - 5 * (kH / 2) / 25).margin(1e-2));
  // Dragging right by 30 px moves the scene right by 30 px.
  cam.pan(30.0f, 10.0f, kH);
  const auto moved = screen(cam, {20, 0, 0});
  CHECK(moved[0] == Approx(kW / 2 + 30).margin(1e-2));
  CHECK(moved[1] == Approx(kH / 2 + 10).margin(1e-2));
  cam.zoom(1.0f);
  CHECK(cam.bev_half_height < 25.0f);
}

TEST_CASE("image viewport fits the image at its aspect and maps both ways", "[view][image]") {
  ImageViewport vp;
  vp.panel_x = 100, vp.panel_y = 50, vp.panel_w = 900, vp.panel_h = 400;
  vp.image_w = 1242, vp.image_h = 375;
  // Width-limited: 900/1242 < 400/375.
  CHECK(vp.fit_scale() == Approx(900.0f / 1242.0f));
  const auto o = vp.image_to_screen(0, 0);
  CHECK(o[0] == Approx(100.0f));
  CHECK(o[1] == Approx(50.0f + (400.0f - 375.0f * 900.0f / 1242.0f) / 2.0f));
  const auto br = vp.image_to_screen(1242, 375);
  CHECK(br[0] == Approx(1000.0f));
  CHECK((br[1] - o[1]) / (br[0] - o[0]) == Approx(375.0f / 1242.0f));  // aspect kept
  const auto back = vp.screen_to_image(o[0] + 123.4f, o[1] + 56.7f);
  const auto again = vp.image_to_screen(back[0], back[1]);
  CHECK(again[0] == Approx(o[0] + 123.4f));
  CHECK(again[1] == Approx(o[1] + 56.7f));
}

TEST_CASE("image viewport zooms around the cursor and pans within the image", "[view][image]") {
  ImageViewport vp;
  vp.panel_x = 0, vp.panel_y = 0, vp.panel_w = 1000, vp.panel_h = 500;
  vp.image_w = 1000, vp.image_h = 300;
  const float sx = 700, sy = 240;
  const auto under = vp.screen_to_image(sx, sy);
  vp.zoom_at(sx, sy, 2.0f);
  CHECK(vp.zoom == Approx(2.0f));
  const auto still = vp.screen_to_image(sx, sy);
  CHECK(still[0] == Approx(under[0]).margin(1e-3));
  CHECK(still[1] == Approx(under[1]).margin(1e-3));
  // Pan by 50 px: the image point under a fixed screen point shifts by 50 / scale pixels.
  const auto p0 = vp.screen_to_image(500, 250);
  vp.pan_by(50, 0);
  const auto p1 = vp.screen_to_image(500, 250);
  CHECK(p0[0] - p1[0] == Approx(50.0f / vp.scale()).margin(1e-3));
  // The view centre never leaves the image; zooming back out recentres.
  vp.pan_by(1e6f, -1e6f);
  CHECK(vp.center_u == Approx(0.0f));
  CHECK(vp.center_v == Approx(1.0f));
  vp.zoom_at(sx, sy, 0.01f);
  CHECK(vp.zoom == Approx(1.0f));
  CHECK(vp.center_u == Approx(0.5f));
}
