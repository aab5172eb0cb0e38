// needle/box3d.h — 3D boxes in the KITTI convention, their projection into the image and
// the points inside them.
//
// Box convention (KITTI): loc_cam is the bottom centre; the box spans y in [loc.y - h, loc.y]
// (camera y points down), length l along the heading, width w across it. rotation_y = 0 points
// the length axis along camera +x.
#pragma once

#include <array>
#include <vector>

#include "needle/calib.h"
#include "needle/types.h"

namespace needle {

// Corner order: 0-3 bottom face, 4-7 top face (i+4 above i); 0:(+l/2,+w/2) 1:(+l/2,-w/2)
// 2:(-l/2,-w/2) 3:(-l/2,+w/2) in the box's (length, width) axes. Front face = corners 0,1,5,4.
std::array<Vec3, 8> box_corners_rect(const Object& o);

// The 12 edges as corner index pairs.
extern const std::array<std::array<int, 2>, 12> kBoxEdges;

struct Segment2D {
  double u0, v0, u1, v1;  // image_2 pixels
  int edge = -1;          // index into kBoxEdges, or -1 for extra segments (heading marker)
};

// Project the box edges into image_2. Edges are clipped against the plane z = near (rectified
// camera), so a box partly behind the camera still draws its visible part; edges wholly behind
// are dropped. No clipping to the image rectangle (the caller's viewport clips).
std::vector<Segment2D> project_box_edges(const Object& o, const Calib& calib, double near = 0.1);

// The 2D box around the projected (near-clipped) 3D box, clipped to [0,w)x[0,h).
// nullopt when nothing of the box is in front of the camera or inside the image.
std::optional<Box2D> projected_box_2d(const Object& o, const Calib& calib, int image_w,
                                      int image_h);

// True when p_rect lies inside the 3D box (boundary inclusive).
bool point_in_box(const Vec3& p_rect, const Object& o);

// Number of velodyne points inside the box (points transformed with calib).
std::size_t count_points_in_box(const PointCloud& cloud, const Calib& calib, const Object& o);

// Indices of velodyne points inside the box.
std::vector<std::uint32_t> points_in_box(const PointCloud& cloud, const Calib& calib,
                                         const Object& o);

}  // namespace needle
