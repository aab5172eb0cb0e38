// Internal to core/src/lidar/: what the scan decoders hand to the point checks (scan_io.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "needle/types.h"

namespace needle::scan_detail {

// A decoded scan before the point checks: every point as stored, in file order.
struct DecodedScan {
  PointCloud cloud;
  std::vector<Problem> problems;  // structural problems (fatal) and decoding warnings
  bool ok = false;                // the bytes were readable; false: cloud is empty
  bool organized = false;         // PCD with HEIGHT > 1: NaN marks a missing return
};

// PCD decoding (pcd_io.cpp): own header parser, body through PCL's PCDReader.
DecodedScan decode_pcd(std::string_view bytes, const std::string& file);

// "velodyne" problem naming the file (and field), fatal unless said otherwise.
Problem scan_problem(const std::string& file, std::string field, std::string message,
                     bool fatal = true);

// Bytes outside printable ASCII replaced by '?', at most 40 characters (for messages).
std::string printable(std::string_view s);

}  // namespace needle::scan_detail
