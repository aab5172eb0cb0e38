// Geometry: calibration transforms, box corners, projection with near-plane clipping,
// points-in-box, and the IoU family — hand-computed cases plus the real KITTI sample.
#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "needle/box3d.h"
#include "needle/calib.h"
#include "needle/dataset.h"
#include "needle/iou.h"
#include "needle/kitti_io.h"
#include "support/reference_geometry.h"
#include "support/test_support.h"

using namespace needle;

namespace {
Object box3d(double x, double y, double z, double h, double w, double l, double ry) {
  Object o;
  o.type = "Car";
  o.cls = ObjectClass::Car;
  o.h = h;
  o.w = w;
  o.l = l;
  o.loc_cam = {x, y, z};
  o.rotation_y = ry;
  return o;
}

Calib kitti_like_calib() {
  Calib c;
  const Mat34 p2 = {721.5377, 0,         609.5593, 44.85728, 0, 721.5377,
                    172.854,  0.2163791, 0,        0,        1, 0.002745884};
  c.P = {p2, p2, p2, p2};
  c.R0_rect = {0.9999239,    0.00983776,  -0.007445048, -0.009869795, 0.9999421,
               -0.004278459, 0.007402527, 0.004351614,  0.9999631};
  c.Tr_velo_to_cam = {0.007533745, -0.9999714,   -0.000616602, -0.004069766,
                      0.01480249,  0.0007280733, -0.9998902,   -0.07631618,
                      0.9998621,   0.00752379,   0.01480755,   -0.2717806};
  c.Tr_imu_to_velo = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
  return c;
}
}  // namespace

TEST_CASE("2D IoU and overlap over own area", "[geometry][iou]") {
  const Box2D a{0, 0, 10, 10};
  CHECK(iou_2d(a, a) == Approx(1.0));
  CHECK(iou_2d(a, {20, 20, 30, 30}) == 0.0);
  CHECK(iou_2d(a, {10, 0, 20, 10}) == 0.0);              // touching
  CHECK(iou_2d(a, {2, 2, 7, 7}) == Approx(25.0 / 100));  // contained
  CHECK(iou_2d(a, {5, 0, 15, 10}) == Approx(50.0 / 150));
  CHECK(overlap_2d_over_a({2, 2, 7, 7}, a) == Approx(1.0));
  CHECK(overlap_2d_over_a(a, {2, 2, 7, 7}) == Approx(0.25));
}

TEST_CASE("BEV and 3D IoU, hand-computed", "[geometry][iou]") {
  const Object a = box3d(0, 1.5, 10, 1.5, 2, 4, 0);
  SECTION("identical") {
    CHECK(iou_bev(a, a) == Approx(1.0));
    CHECK(iou_3d(a, a) == Approx(1.0));
  }
  SECTION("disjoint and touching") {
    CHECK(iou_bev(a, box3d(10, 1.5, 10, 1.5, 2, 4, 0)) == 0.0);
    // a spans x in [-2, 2]; this one [2, 6]: touching edges have no area.
    CHECK(iou_bev(a, box3d(4, 1.5, 10, 1.5, 2, 4, 0)) == Approx(0.0).margin(1e-12));
  }
  SECTION("rotated 90 degrees: a 4x2 footprint crossing itself") {
    const Object b = box3d(0, 1.5, 10, 1.5, 2, 4, M_PI / 2);
    CHECK(iou_bev(a, b) == Approx(4.0 / 12.0));
    CHECK(iou_3d(a, b) == Approx(4.0 / 12.0));
  }
  SECTION("rotated 180 degrees is the same footprint") {
    CHECK(iou_bev(a, box3d(0, 1.5, 10, 1.5, 2, 4, M_PI)) == Approx(1.0));
  }
  SECTION("contained") {
    const Object small = box3d(0, 1.5, 10, 1.5, 1, 2, 0);
    CHECK(iou_bev(a, small) == Approx(2.0 / 8.0));
  }
  SECTION("45 degrees: square inside rotated square") {
    const Object sq = box3d(0, 1, 0, 1, 2, 2, 0);
    const Object rot = box3d(0, 1, 0, 1, 2, 2, M_PI / 4);
    // Intersection of two 2x2 squares at 45 degrees: regular octagon of area 8(sqrt2-1).
    const double inter = 8 * (std::sqrt(2.0) - 1);
    CHECK(iou_bev(sq, rot) == Approx(inter / (8 - inter)));
  }
  SECTION("3D height overlap along camera y (y down, box spans [y-h, y])") {
    const Object lifted = box3d(0, 0.75, 10, 1.5, 2, 4, 0);  // half the height overlaps
    CHECK(iou_bev(a, lifted) == Approx(1.0));
    CHECK(iou_3d(a, lifted) == Approx(0.75 / (1.5 + 1.5 - 0.75)));
    const Object above = box3d(0, -0.5, 10, 1.5, 2, 4, 0);
    CHECK(iou_3d(a, above) == 0.0);
  }
  SECTION("symmetric") {
    const Object b = box3d(0.7, 1.4, 10.5, 1.6, 1.8, 4.2, 0.3);
    CHECK(iou_bev(a, b) == Approx(iou_bev(b, a)));
    CHECK(iou_3d(a, b) == Approx(iou_3d(b, a)));
    CHECK(iou_3d(a, b) < iou_bev(a, b));
  }
}

TEST_CASE("calibration transforms round-trip and project", "[geometry][calib]") {
  const Calib c = kitti_like_calib();
  const Vec3 p_velo{12.0, -3.0, -1.2};
  const Vec3 p_rect = c.velo_to_rect(p_velo);
  CHECK(p_rect.z == Approx(11.73).margin(0.1));  // velodyne x forward -> camera z
  CHECK(p_rect.x == Approx(3.0).margin(0.1));    // velodyne y left -> camera x right (negated)
  const Vec3 back = c.rect_to_velo(p_rect);
  CHECK(back.x == Approx(p_velo.x).margin(1e-9));
  CHECK(back.y == Approx(p_velo.y).margin(1e-9));
  CHECK(back.z == Approx(p_velo.z).margin(1e-9));
  // The combined velo->image matrix agrees with the two-step path.
  const auto uv = c.rect_to_image(p_rect);
  REQUIRE(uv);
  const Mat34 m = c.velo_to_image();
  const double w = m[8] * p_velo.x + m[9] * p_velo.y + m[10] * p_velo.z + m[11];
  CHECK((m[0] * p_velo.x + m[1] * p_velo.y + m[2] * p_velo.z + m[3]) / w == Approx((*uv)[0]));
  CHECK((m[4] * p_velo.x + m[5] * p_velo.y + m[6] * p_velo.z + m[7]) / w == Approx((*uv)[1]));
  CHECK_FALSE(c.rect_to_image({1, 1, -5}));
  CHECK_FALSE(c.rect_to_image({1, 1, 0.05}));
}

TEST_CASE("velodyne to rectified camera applies Tr_velo_to_cam, then R0_rect",
          "[geometry][calib]") {
  // Hand-worked: Tr_velo_to_cam = [I | (1, 2, 3)], R0_rect = 90 degrees about y:
  // (x, y, z) -> (z, y, -x). p_velo (1, 0, 0) -> camera (2, 2, 3) -> rectified (3, 2, -2).
  // The other order (R0_rect first) would give (1, 2, 2); without R0_rect, (2, 2, 3).
  Calib c = test::simple_calib();
  c.Tr_velo_to_cam = {1, 0, 0, 1, 0, 1, 0, 2, 0, 0, 1, 3};
  c.R0_rect = {0, 0, 1, 0, 1, 0, -1, 0, 0};
  const Vec3 p_rect = c.velo_to_rect({1, 0, 0});
  CHECK(p_rect.x == Approx(3));
  CHECK(p_rect.y == Approx(2));
  CHECK(p_rect.z == Approx(-2));
  const Vec3 back = c.rect_to_velo({3, 2, -2});
  CHECK(back.x == Approx(1));
  CHECK(back.y == Approx(0).margin(1e-12));
  CHECK(back.z == Approx(0).margin(1e-12));
  const Mat34 m = c.velo_to_rect_matrix();
  CHECK(m[0] * 1 + m[3] == Approx(3));    // row x at (1, 0, 0)
  CHECK(m[8] * 1 + m[11] == Approx(-2));  // row z
  // Into the image through P2 (f 720, centre (620, 180)): p_velo (5, 0, 0) -> camera (6, 2, 3)
  // -> rectified (3, 2, -6) is behind; p_velo (-5, 0, 0) -> (-4, 2, 3) -> (3, 2, 4): u = 620 +
  // 720 * 3 / 4 = 1160, v = 180 + 720 * 2 / 4 = 540.
  const Mat34 pi = c.velo_to_image();
  const double w = pi[0 + 8] * -5 + pi[11];
  CHECK((pi[0] * -5 + pi[3]) / w == Approx(1160));
  CHECK((pi[4] * -5 + pi[7]) / w == Approx(540));
}

TEST_CASE("box corners follow the KITTI convention", "[geometry][box]") {
  const Object o = box3d(1, 2, 10, 1.5, 2, 4, 0);
  const auto c = box_corners_rect(o);
  CHECK(c[0].x == Approx(3));  // +l/2 along x at ry = 0
  CHECK(c[0].z == Approx(11));
  CHECK(c[0].y == Approx(2));    // bottom
  CHECK(c[4].y == Approx(0.5));  // top = y - h
  const Object r = box3d(0, 0, 0, 1, 2, 4, M_PI / 2);
  const auto cr = box_corners_rect(r);
  // At ry = +90 deg the length axis points along camera -z.
  CHECK(cr[0].x == Approx(1).margin(1e-12));
  CHECK(cr[0].z == Approx(-2).margin(1e-12));
  CHECK(point_in_box({0, -0.5, 1.9}, r));
  CHECK_FALSE(point_in_box({1.9, -0.5, 0}, r));
  CHECK_FALSE(point_in_box({0, 0.1, 0}, r));  // below the bottom face
  // Heights: the box spans y in [-1, 0] (y down, h = 1): inside just under the top face,
  // outside just above it.
  CHECK(point_in_box({0, -0.95, 0}, r));
  CHECK_FALSE(point_in_box({0, -1.05, 0}, r));
  CHECK_FALSE(point_in_box({0, -1.9, 0}, r));
}

TEST_CASE("projection clips edges at the near plane", "[geometry][projection]") {
  const Calib c = kitti_like_calib();
  SECTION("box in front: 12 edges, 2D box inside the image") {
    const Object o = box3d(0, 1.6, 10, 1.5, 1.6, 3.9, 0.3);
    CHECK(project_box_edges(o, c).size() == 12);
    const auto b = projected_box_2d(o, c, 1242, 375);
    REQUIRE(b);
    CHECK(b->x1 > 400);
    CHECK(b->x2 < 850);
  }
  SECTION("box straddling the camera: only the part in front is drawn, all finite") {
    const Object o = box3d(1.5, 1.6, 0.5, 1.5, 1.6, 3.9, M_PI / 2);  // spans z in [-1.45, 2.45]
    const auto segs = project_box_edges(o, c, 0.1);
    CHECK(!segs.empty());
    CHECK(segs.size() <= 12);
    for (const auto& s : segs) {
      CHECK(std::isfinite(s.u0));
      CHECK(std::isfinite(s.v1));
    }
    // The 4 edges of the rear face (z = -1.45) are wholly behind the camera.
    CHECK(segs.size() == 8);
  }
  SECTION("box wholly behind: nothing") {
    const Object o = box3d(0, 1.6, -10, 1.5, 1.6, 3.9, 0);
    CHECK(project_box_edges(o, c).empty());
    CHECK_FALSE(projected_box_2d(o, c, 1242, 375));
  }
}

TEST_CASE("near-plane clipping: hand-computed clipped endpoints", "[geometry][projection]") {
  // Pinhole f = 720 px, principal point (620, 180), P2 = [f 0 cx 0; 0 f cy 0; 0 0 1 0]:
  // u = 620 + 720 x / z, v = 180 + 720 y / z.
  const Calib c = test::simple_calib();
  auto u_of = [](double x, double z) { return 620 + 720 * x / z; };
  auto v_of = [](double y, double z) { return 180 + 720 * y / z; };
  auto find_edge = [](const std::vector<Segment2D>& segs, int e) -> const Segment2D* {
    for (const auto& s : segs)
      if (s.edge == e) return &s;
    return nullptr;
  };
  SECTION("box straddling the camera, edges along z: x and y kept, z = near") {
    // Bottom centre (1.5, 1.6, 0.5), h 1.5, w 1.6, l 3.9, ry = 90 deg: the length axis points
    // along -z. Corners (x, z): 0 (2.3, -1.45), 1 (0.7, -1.45), 2 (0.7, 2.45), 3 (2.3, 2.45);
    // bottom y = 1.6, top y = 0.1.
    const Object o = box3d(1.5, 1.6, 0.5, 1.5, 1.6, 3.9, M_PI / 2);
    const auto segs = project_box_edges(o, c, 0.1);
    CHECK(segs.size() == 8);
    // Edge 1 (corner 1 -> 2): its first end is behind, clipped to (0.7, 1.6, 0.1).
    const Segment2D* e1 = find_edge(segs, 1);
    REQUIRE(e1);
    CHECK(e1->u0 == Approx(u_of(0.7, 0.1)));  // 5660
    CHECK(e1->v0 == Approx(v_of(1.6, 0.1)));  // 11700
    CHECK(e1->u1 == Approx(u_of(0.7, 2.45)));
    CHECK(e1->v1 == Approx(v_of(1.6, 2.45)));
    // Edge 3 (corner 3 -> 0): its second end is behind, clipped to (2.3, 1.6, 0.1).
    const Segment2D* e3 = find_edge(segs, 3);
    REQUIRE(e3);
    CHECK(e3->u0 == Approx(u_of(2.3, 2.45)));
    CHECK(e3->v0 == Approx(v_of(1.6, 2.45)));
    CHECK(e3->u1 == Approx(u_of(2.3, 0.1)));
    CHECK(e3->v1 == Approx(v_of(1.6, 0.1)));
    // Edge 5 (top, corner 5 -> 6): y = 0.1 at both ends.
    const Segment2D* e5 = find_edge(segs, 5);
    REQUIRE(e5);
    CHECK(e5->u0 == Approx(u_of(0.7, 0.1)));
    CHECK(e5->v0 == Approx(v_of(0.1, 0.1)));  // 900
    CHECK_FALSE(find_edge(segs, 0));          // corners 0 -> 1, both at z = -1.45
  }
  SECTION("box beside the camera at 45 degrees: oblique edges meet the plane mid-way") {
    // Bottom centre (-3, 1.5, 0), h 1.5, w 2, l 4, ry = 45 deg; r = sqrt(1/2). Corners (x, z):
    // 0 (-3 + 3r, -r), 1 (-3 + r, -3r), 2 (-3 - 3r, r), 3 (-3 - r, 3r). Edges 1 -> 2 and
    // 3 -> 0 both run with dx/dz = -1, so where they cross z = 0.1:
    //   edge 1 -> 2: x = (-3 + r) - (0.1 + 3r) = -3.1 - 2r
    //   edge 3 -> 0: x = (-3 - r) - (0.1 - 3r) = -3.1 + 2r
    const double r = std::sqrt(0.5);
    const Object o = box3d(-3, 1.5, 0, 1.5, 2, 4, M_PI / 4);
    const auto segs = project_box_edges(o, c, 0.1);
    // Kept: bottom 1-2, 2-3, 3-0; top 5-6, 6-7, 7-4; verticals 2-6, 3-7.
    CHECK(segs.size() == 8);
    const Segment2D* e1 = find_edge(segs, 1);
    REQUIRE(e1);
    CHECK(e1->u0 == Approx(u_of(-3.1 - 2 * r, 0.1)));  // about -31882
    CHECK(e1->v0 == Approx(v_of(1.5, 0.1)));           // 10980
    CHECK(e1->u1 == Approx(u_of(-3 - 3 * r, r)));
    CHECK(e1->v1 == Approx(v_of(1.5, r)));
    const Segment2D* e3 = find_edge(segs, 3);
    REQUIRE(e3);
    CHECK(e3->u0 == Approx(u_of(-3 - r, 3 * r)));
    CHECK(e3->v0 == Approx(v_of(1.5, 3 * r)));
    CHECK(e3->u1 == Approx(u_of(-3.1 + 2 * r, 0.1)));  // about -11518
    CHECK(e3->v1 == Approx(v_of(1.5, 0.1)));
    const Segment2D* e7 = find_edge(segs, 7);  // top, corner 7 -> 4, y = 0
    REQUIRE(e7);
    CHECK(e7->u1 == Approx(u_of(-3.1 + 2 * r, 0.1)));
    CHECK(e7->v1 == Approx(180.0));
    // An edge wholly in front is projected unchanged: edge 2 (corner 2 -> 3).
    const Segment2D* e2 = find_edge(segs, 2);
    REQUIRE(e2);
    CHECK(e2->u0 == Approx(u_of(-3 - 3 * r, r)));
    CHECK(e2->u1 == Approx(u_of(-3 - r, 3 * r)));
    CHECK(e2->v1 == Approx(v_of(1.5, 3 * r)));
  }
  SECTION("agrees with the test's own clipping and pinhole on a KITTI-like P2") {
    const Calib k = kitti_like_calib();
    const std::array<double, 12> P2 = k.P[2];
    const Object boxes[] = {box3d(1.5, 1.6, 0.5, 1.5, 1.6, 3.9, 1.2),
                            box3d(-2.5, 1.7, 1.0, 1.4, 1.7, 4.2, -0.4),
                            box3d(4.0, 1.5, 12.0, 1.5, 1.6, 3.9, 2.9)};
    for (const Object& o : boxes) {
      const auto mine = test::ref_geom::image_edges(
          {o.h, o.w, o.l, o.loc_cam.x, o.loc_cam.y, o.loc_cam.z, o.rotation_y}, P2, 0.1);
      const auto segs = project_box_edges(o, k, 0.1);
      REQUIRE(segs.size() == mine.size());
      for (std::size_t i = 0; i < segs.size(); ++i) {
        INFO("box at z " << o.loc_cam.z << ", edge " << mine[i].edge);
        CHECK(segs[i].edge == static_cast<int>(mine[i].edge));
        CHECK(segs[i].u0 == Approx(mine[i].u0).epsilon(1e-9));
        CHECK(segs[i].v0 == Approx(mine[i].v0).epsilon(1e-9));
        CHECK(segs[i].u1 == Approx(mine[i].u1).epsilon(1e-9));
        CHECK(segs[i].v1 == Approx(mine[i].v1).epsilon(1e-9));
      }
    }
  }
}

TEST_CASE("IoU at general angles: exact hand-worked cases", "[geometry][iou]") {
  SECTION("two unit squares, one turned 45 degrees: a regular octagon, IoU = 1/sqrt(2)") {
    // Octagon area 2(sqrt2 - 1); union 2 - that; the ratio simplifies to 1/sqrt(2).
    const Object sq = box3d(3, 1, 7, 1, 1, 1, 0.0);
    const Object rot = box3d(3, 1, 7, 1, 1, 1, M_PI / 4);
    CHECK(bev_intersection_area(sq, rot) == Approx(2 * (std::sqrt(2.0) - 1)));
    CHECK(iou_bev(sq, rot) == Approx(1 / std::sqrt(2.0)));
    CHECK(iou_3d(sq, rot) == Approx(1 / std::sqrt(2.0)));  // same heights
  }
  SECTION("a corner of a diamond poking into a square: a right triangle") {
    // Square [-1, 1]^2 (2 x 2, ry 0) at the origin; a 2 x 2 square turned 45 degrees is the
    // diamond |x - x0| + |z| <= sqrt2. With x0 = 1 + sqrt2 - 0.5 its left corner reaches 0.5
    // into the square: a right isosceles triangle with legs 0.5 sqrt2, area 0.25.
    const Object sq = box3d(0, 1, 0, 1, 2, 2, 0.0);
    const Object diamond = box3d(0.5 + std::sqrt(2.0), 1, 0, 1, 2, 2, M_PI / 4);
    CHECK(bev_intersection_area(sq, diamond) == Approx(0.25));
    CHECK(iou_bev(sq, diamond) == Approx(0.25 / 7.75));
  }
  SECTION("a turned box wholly inside another: the small area over the big one") {
    // 1 x 2 box at 30 degrees, centred in a 4 x 4 box at -10 degrees (its corners are within
    // 1.12 m of the centre, the big box's inscribed circle has radius 2).
    const Object big = box3d(5, 1.5, 20, 1.5, 4, 4, -0.17);
    const Object small = box3d(5.3, 1.5, 20.2, 1.5, 1, 2, M_PI / 6);
    CHECK(bev_intersection_area(big, small) == Approx(2.0));
    CHECK(iou_bev(big, small) == Approx(2.0 / 16.0));
    // 3D: the small box is 1.0 high inside [0, 1.5]: volume 2 over 24.
    const Object low = box3d(5.3, 1.5, 20.2, 1.0, 1, 2, M_PI / 6);
    CHECK(iou_3d(big, low) == Approx(2.0 / 24.0));
    // Bottom at y = 0: heights [-1, 0] and [0, 1.5] share nothing.
    CHECK(iou_3d(big, box3d(5.3, 0.0, 20.2, 1.0, 1, 2, M_PI / 6)) == 0.0);
    // Bottom at y = 0.5: [-0.5, 0.5] shares 0.5 m: volume 1 over 24 + 2 - 1.
    CHECK(iou_3d(big, box3d(5.3, 0.5, 20.2, 1.0, 1, 2, M_PI / 6)) == Approx(1.0 / 25.0));
  }
  SECTION("headings differing by pi give the same footprint at any angle") {
    const Object a = box3d(1, 1.6, 15, 1.5, 1.7, 4.1, 0.83);
    CHECK(iou_bev(a, box3d(1, 1.6, 15, 1.5, 1.7, 4.1, 0.83 - M_PI)) == Approx(1.0));
  }
}

TEST_CASE("IoU at general angles agrees with dense sampling and with an independent clipper",
          "[geometry][iou]") {
  // Random pairs of car-sized boxes near each other at any heading. Expectations:
  //  (1) the area estimated by counting the centres of a 700 x 700 grid over the pair's
  //      10 m square around the pair that fall in both footprints (point-in-rectangle in each box's
  //      own axes). Grid error per edge crossing is under half a cell; over ~30 m of boundary at a
  //      cell of 1.4 cm it stays well below 0.02 m^2 (measured max 0.0055 over these 40 pairs).
  //  (2) the test's own polygon intersection (tests/support/reference_geometry.h), exact to 1e-9.
  std::mt19937 rng(20260703);
  std::uniform_real_distribution<double> U(0, 1);
  int overlapping = 0;
  for (int k = 0; k < 40; ++k) {
    const Object a =
        box3d(0, 1.6, 10, 1.5, 1.4 + U(rng), 3.0 + 2 * U(rng), (2 * U(rng) - 1) * M_PI);
    const Object b = box3d(3 * U(rng) - 1.5, 1.2 + 0.8 * U(rng), 10 + 3 * U(rng) - 1.5,
                           1.2 + U(rng), 1.4 + U(rng), 3.0 + 2 * U(rng), (2 * U(rng) - 1) * M_PI);
    const double ca = std::cos(a.rotation_y), sa = std::sin(a.rotation_y);
    const double cb = std::cos(b.rotation_y), sb = std::sin(b.rotation_y);
    auto inside = [](const Object& o, double c, double s, double x, double z) {
      const double dx = x - o.loc_cam.x, dz = z - o.loc_cam.z;
      // Own axes: length (cos, -sin), width (sin, cos) in (x, z).
      const double along_l = dx * c - dz * s, along_w = dx * s + dz * c;
      return std::abs(along_l) <= o.l / 2 && std::abs(along_w) <= o.w / 2;
    };
    const double half = 5.0, x0 = 0.5 * (a.loc_cam.x + b.loc_cam.x) - half,
                 z0 = 0.5 * (a.loc_cam.z + b.loc_cam.z) - half;
    constexpr int kGrid = 700;
    const double cell = 2 * half / kGrid;
    long both = 0;
    for (int i = 0; i < kGrid; ++i)
      for (int j = 0; j < kGrid; ++j) {
        const double x = x0 + (i + 0.5) * cell, z = z0 + (j + 0.5) * cell;
        if (inside(a, ca, sa, x, z) && inside(b, cb, sb, x, z)) ++both;
      }
    const double sampled = static_cast<double>(both) * cell * cell;
    const double exact = test::ref_geom::bev_intersection(
        {a.h, a.w, a.l, a.loc_cam.x, a.loc_cam.y, a.loc_cam.z, a.rotation_y},
        {b.h, b.w, b.l, b.loc_cam.x, b.loc_cam.y, b.loc_cam.z, b.rotation_y});
    INFO("pair " << k << ": sampled " << sampled << ", reference " << exact);
    CHECK(bev_intersection_area(a, b) == Approx(sampled).margin(0.02));
    CHECK(bev_intersection_area(a, b) == Approx(exact).margin(1e-9));
    const double y_overlap = std::max(
        0.0, std::min(a.loc_cam.y, b.loc_cam.y) - std::max(a.loc_cam.y - a.h, b.loc_cam.y - b.h));
    const double vol = sampled * y_overlap;
    CHECK(iou_3d(a, b) == Approx(vol / (a.h * a.w * a.l + b.h * b.w * b.l - vol)).margin(0.01));
    CHECK(iou_bev(a, b) == Approx(sampled / (a.l * a.w + b.l * b.w - sampled)).margin(0.01));
    overlapping += exact > 0.5;
  }
  CHECK(overlapping >= 15);  // the draw does test real overlaps
}

TEST_CASE("real KITTI frames: projected 3D boxes match labelled 2D boxes, points inside",
          "[geometry][kitti]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  const auto ds = scan_dataset(kitti / "training", {{"point_gnn", kitti / "pred" / "point_gnn"}});
  REQUIRE(ds.frames.size() == 10);
  int checked = 0, with_points = 0, pred_frames = 0, dets = 0, det_hits = 0;
  for (std::size_t i = 0; i < ds.frames.size(); ++i) {
    const FrameData f = load_frame(ds, i, {true, true, true});
    REQUIRE(f.ann.valid());
    REQUIRE(f.ann.calib);
    REQUIRE(f.image);
    REQUIRE(f.cloud);
    for (const Object& o : f.ann.labels) {
      if (o.is_dontcare()) continue;
      INFO("frame " << f.ann.id << " line " << o.line << " " << o.type);
      const std::size_t n = count_points_in_box(*f.cloud, *f.ann.calib, o);
      CHECK(n >= 1);
      with_points += n >= 1;
      if (o.truncated > 0.0) continue;
      const auto b = projected_box_2d(o, *f.ann.calib, f.image->width, f.image->height);
      REQUIRE(b);
      CHECK(iou_2d(*b, o.box2d) > 0.7);
      ++checked;
    }
    // Point-GNN detections (Car only) must sit on labelled cars where there is one: in every
    // predicted frame some detection overlaps a Car label with BEV IoU >= 0.5, and most do.
    // (Not all: 000001's most confident detection is an unlabelled car at 46 m.)
    const auto& pg = f.ann.preds.at(0);
    if (pg.status != PredStatus::Present) continue;
    ++pred_frames;
    int frame_hits = 0;
    for (const Object& d : pg.objects) {
      double best_iou = 0;
      for (const Object& o : f.ann.labels)
        if (o.cls == ObjectClass::Car || o.cls == ObjectClass::Van)
          best_iou = std::max(best_iou, iou_bev(d, o));
      ++dets;
      frame_hits += best_iou >= 0.5;
    }
    INFO("frame " << f.ann.id);
    CHECK(frame_hits >= 1);
    det_hits += frame_hits;
  }
  CHECK(pred_frames == 5);  // 000001 002 004 006 008 (000005 is an empty file)
  CHECK(dets == 23);
  CHECK(det_hits == 13);  // the other 10 are far, unlabelled or on DontCare regions
  CHECK(checked >= 15);
  CHECK(with_points >= 25);
}
