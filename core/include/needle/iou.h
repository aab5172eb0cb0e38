// needle/iou.h — overlap measures with the KITTI devkit's semantics.
//
//  * iou_2d: image boxes, intersection over union (devkit boxoverlap criterion -1).
//  * overlap_2d_over_a: intersection over area of a (devkit criterion 0; used for DontCare).
//  * BEV: rotated rectangles on the x-z plane of the rectified camera frame (x = loc.x, z = loc.z,
//    extent l along heading and w across, heading rotation_y). Intersection via convex polygon
//    clipping.
//  * 3D: BEV intersection area times the overlap of [y - h, y] intervals along camera y, over the
//    union volume.
#pragma once

#include "needle/types.h"

namespace needle {

double iou_2d(const Box2D& a, const Box2D& b);
double overlap_2d_over_a(const Box2D& a, const Box2D& b);

double bev_intersection_area(const Object& a, const Object& b);
double iou_bev(const Object& a, const Object& b);
double iou_3d(const Object& a, const Object& b);

// Distance between box centres on the ground plane (x-z), metres.
double centre_distance_bev(const Object& a, const Object& b);

}  // namespace needle
