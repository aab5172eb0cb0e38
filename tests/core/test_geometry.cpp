// Geometry: calibration transforms, box corners, projection with near-plane clipping,
// points-in-box, and the IoU family — hand-computed cases plus the real KITTI sample.
#include <cmath>

#include <catch2/catch.hpp>

#include "needle/box3d.h"
#include "needle/calib.h"
#include "needle/dataset.h"
#include "needle/iou.h"
#include "needle/kitti_io.h"
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
