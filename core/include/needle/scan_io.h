// needle/scan_io.h — reading a lidar scan (KITTI .bin or PCD) and checking that it is plausible.
//
// Contracts:
//  * Points are in the velodyne frame (x forward, y left, z up, metres), 4 floats a point
//    (x, y, z, reflectance) like PointCloud.
//  * Every problem has modality "velodyne", names the file and, where one point is to blame, the
//    0-based index of the first bad point in the file's order (field "point N").
//  * Nothing here throws on bad data (only std::bad_alloc could escape, and even that is caught
//    and reported by read_scan). PCL is used inside core/src/lidar/ only; this header speaks
//    needle's types.
//
// What is checked (see README "File formats" and "Velodyne problems"):
//  * structure: a missing/unreadable file, a zero-length file, a truncated file, a PCD header that
//    is malformed or lacks x, y or z (the field is named), a corrupt compressed PCD body. These
//    leave no points: cloud empty, usable = false.
//  * points: non-finite values (the point is dropped), points farther than kScanMaxRangeM from the
//    sensor (dropped), a scan whose points are all at (0,0,0) (nothing usable), a scan with no
//    point in the camera's field of view (needs calib; the points are kept).
//  * fatal: every problem is fatal (the frame is shown as invalid data) except: a PCD without an
//    intensity-like field (reflectance set to 0) and NaN points in an organized PCD (HEIGHT > 1),
//    where NaN is the usual "no return" marker of the driver; both are warnings.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "needle/calib.h"
#include "needle/types.h"

namespace needle {

// Points farther than this from the sensor are not real returns. The HDL-64E S2 used by KITTI is
// specified to ~120 m (Velodyne's data sheet; KITTI's sample scans reach 80 m), and long-range
// automotive lidars quote 200-250 m at 10% reflectivity only for the best targets: 200 m is beyond
// any return this dataset can hold, so a farther point is a decoding or unit error (e.g. mm).
inline constexpr double kScanMaxRangeM = 200.0;
// A point must be at least this far in front of the rectified camera (z_cam, metres) to count as
// in the camera's field of view; the same margin as Calib::rect_to_image's default.
inline constexpr double kScanFovMinDepthM = 0.1;

struct ScanRead {
  PointCloud cloud;  // usable points, velodyne frame, in file order
  std::vector<Problem> problems;
  bool usable = false;  // cloud holds at least one point that passed the checks
};

enum class ScanFormat : std::uint8_t { KittiBin, Pcd };
// ".pcd" (any case) -> Pcd; anything else -> KittiBin.
ScanFormat scan_format_of(const std::filesystem::path& p);

// Reads velodyne/ID.bin (KITTI float32 x,y,z,reflectance, little-endian) or ID.pcd (ASCII,
// binary or binary_compressed PCD with x, y, z and an intensity-like field, body decoded by PCL's
// io) and checks it. The field-of-view check needs calib (skipped when null): at least one point
// must lie in front of the camera (z_cam > kScanFovMinDepthM) and project through P2 inside the
// image: [0, W) x [0, H) when image_wh is given, otherwise [0, 2 cx) x [0, 2 cy) with (cx, cy)
// P2's principal point. KITTI images (1224x370 ... 1242x375) have their principal point a little
// left of and above the centre, so that box lies inside every KITTI image: it never calls a point
// in view that is not, and a real scan has thousands of points well inside it.
ScanRead read_scan(const std::filesystem::path& p, const Calib* calib,
                   std::optional<std::array<int, 2>> image_wh = std::nullopt);
// The same on bytes already in memory (fuzzing, tests); `file` names the source in problems.
ScanRead parse_scan(std::string_view bytes, const std::string& file, ScanFormat format,
                    const Calib* calib, std::optional<std::array<int, 2>> image_wh = std::nullopt);

// Adds a scan's problems to a frame's. When the frame already holds a fatal "velodyne" problem
// naming the same file (quick_check_media found the file empty, truncated or with a bad header),
// the scan could not be read either and its problems would repeat that one: nothing is added.
// For the lidar pass, which decodes scans of frames that load_all_annotations quick-checked.
void append_scan_problems(std::vector<Problem>& frame_problems, const ScanRead& scan,
                          const std::string& file);

// Decoding only, no point checks: every point as stored (non-finite ones included), or problems
// when the bytes are not a readable PCD. usable = cloud not empty.
// PCD rules: header lines (any order, '#' comments) FIELDS/COLUMNS, SIZE (1, 2, 4 or 8), TYPE
// (I, U or F; F is 4 or 8 bytes), COUNT (default 1), WIDTH, HEIGHT (default 1), POINTS (default
// WIDTH x HEIGHT; must equal it), VIEWPOINT and VERSION (ignored), then DATA ascii | binary |
// binary_compressed. x, y and z are required with COUNT 1; the reflectance is the first of
// "intensity", "reflectance", "remission", "i" (integer types are scaled to [0,1] by their
// maximum, floats are copied as they are). Limits that keep a corrupt header from allocating
// memory the file cannot fill: binary needs POINTS x point size bytes after the header, ascii
// one line a point, binary_compressed an uncompressed size equal to POINTS x point size and at
// most kPcdMaxLzfRatio times its compressed size; the decoded body never exceeds 1 GiB.
ScanRead parse_pcd(std::string_view bytes, const std::string& file);
// LZF (the codec of binary_compressed) expands at most ~88x (a 3-byte back reference copies at
// most 264 bytes); a size claim above this ratio cannot be real.
inline constexpr std::uint64_t kPcdMaxLzfRatio = 100;

// Cheap header check of a .pcd for quick_check_media: reads the header only (at most 64 KiB)
// and the file size; reports a malformed header, a missing x/y/z, and a file too short for what
// the header declares (binary: exact size; binary_compressed: the stored compressed size;
// ascii: at least two bytes a value). Appends fatal problems (modality "velodyne").
void quick_check_pcd(const std::filesystem::path& p, std::vector<Problem>& out);

// Writes a PCD with fields x y z intensity (float32) through PCL's PCDWriter (tests, benchmarks,
// converting a KITTI .bin). Throws std::runtime_error when the file cannot be written.
enum class PcdEncoding : std::uint8_t { Ascii, Binary, BinaryCompressed };
void write_pcd(const std::filesystem::path& p, const PointCloud& cloud, PcdEncoding encoding);

}  // namespace needle
