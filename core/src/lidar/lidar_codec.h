// lidar_codec.h — the byte codec of one frame's lidar pass result (FrameLidar without its ground
// grid and cluster point indices), shared by the lidar cache (lidar_pass.cpp) and the partial
// files of sharded runs (partial_rank.cpp). Internal to core.
#pragma once

#include "../cache_file.h"
#include "needle/lidar.h"

namespace needle::lidar_codec {

// Writes n_points .. problems (not `ok`, the ground grid or LidarCluster::points).
void write_frame_lidar(cache_file::Writer& w, const FrameLidar& fl);
// Reads what write_frame_lidar wrote; false on a short or implausible record. Leaves `ok` as is.
bool read_frame_lidar(cache_file::Reader& r, FrameLidar& fl);

}  // namespace needle::lidar_codec
