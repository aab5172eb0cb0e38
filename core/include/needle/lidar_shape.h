// needle/lidar_shape.h — a global shape descriptor of a small point cloud (one object's points),
// for "find similar" (similar.h). PCL's ESF (Ensemble of Shape Functions, Wohlkinger & Vincze
// 2011) computes it inside core/src/lidar/; this header speaks needle's own types.
//
// Contracts:
//  * ESF scales the cloud into its own unit sphere first, so the histogram does not depend on the
//    object's size or position, only on its shape and on how the points sample it (the caller
//    evens the sampling out: see similar.h).
//  * ESF draws 20,000 random point triples with the C library's rand(), seeded by PCL from the
//    clock: two runs on one cloud differ by sampling noise (a few per cent per bin); the result is
//    not bit-reproducible.
//  * Fewer than kEsfMinPoints points (after dropping exact duplicates) give an empty vector (ESF
//    needs three distinct points and loops forever on fewer).
#pragma once

#include <cstddef>
#include <vector>

#include "needle/types.h"

namespace needle {

constexpr std::size_t kEsfDims = 640;     // 10 histograms of 64 bins (PCL's ESFSignature640)
constexpr std::size_t kEsfMinPoints = 8;  // chosen by hand: ESF needs 3 distinct points

// ESF of the points (any frame, metres); kEsfDims values in PCL's order, or empty.
std::vector<float> esf_descriptor(const std::vector<Vec3>& points);

}  // namespace needle
