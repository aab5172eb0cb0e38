// Reading a scan (KITTI .bin here, PCD in pcd_io.cpp) and the point checks shared by both.
//
// [SECTION] Helpers
// [SECTION] KITTI .bin
// [SECTION] Point checks
// [SECTION] Entry points
#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>

#include "lidar/scan_internal.h"
#include "needle/error.h"
#include "needle/kitti_io.h"
#include "needle/scan_io.h"

namespace needle {
namespace fs = std::filesystem;
using scan_detail::DecodedScan;
using scan_detail::scan_problem;

// ============================================================================================
// [SECTION] Helpers
// ============================================================================================
namespace scan_detail {

Problem scan_problem(const std::string& file, std::string field, std::string message, bool fatal) {
  Problem p;
  p.modality = "velodyne";
  p.file = file;
  p.field = std::move(field);
  p.message = std::move(message);
  p.fatal = fatal;
  return p;
}

std::string printable(std::string_view s) {
  constexpr std::size_t kMax = 40;
  std::string out;
  for (char c : s.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  if (s.size() > kMax) out += "...";
  return out;
}

}  // namespace scan_detail

ScanFormat scan_format_of(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".pcd" ? ScanFormat::Pcd : ScanFormat::KittiBin;
}

namespace {

// ============================================================================================
// [SECTION] KITTI .bin
// ============================================================================================
constexpr std::size_t kBinPointBytes = 16;  // float32 x, y, z, reflectance

DecodedScan decode_bin(std::string_view bytes, const std::string& file) {
  DecodedScan d;
  if (bytes.size() % kBinPointBytes != 0) {
    d.problems.push_back(scan_problem(
        file, "size",
        "truncated or not a KITTI scan: " + std::to_string(bytes.size()) +
            " bytes is not a multiple of 16 (float32 x,y,z,reflectance); the last point is "
            "incomplete"));
    return d;
  }
  d.cloud.xyzr.resize(bytes.size() / sizeof(float));
  if (!bytes.empty()) std::memcpy(d.cloud.xyzr.data(), bytes.data(), bytes.size());
  if constexpr (std::endian::native == std::endian::big) {
    for (float& f : d.cloud.xyzr)  // files are little-endian
      f = std::bit_cast<float>(__builtin_bswap32(std::bit_cast<std::uint32_t>(f)));
  }
  d.ok = true;
  return d;
}

// ============================================================================================
// [SECTION] Point checks
// ============================================================================================

// The image box a point must project into to count as in the camera's field of view.
struct FovBox {
  double u_max = 0, v_max = 0;
};

FovBox fov_box(const Calib& calib, std::optional<std::array<int, 2>> image_wh) {
  if (image_wh && (*image_wh)[0] > 0 && (*image_wh)[1] > 0)
    return {static_cast<double>((*image_wh)[0]), static_cast<double>((*image_wh)[1])};
  // P2 = [fu 0 cu -fu*bx; 0 fv cv 0; 0 0 1 0]: the principal point is (P2[0][2], P2[1][2]).
  return {2.0 * calib.P[2][2], 2.0 * calib.P[2][6]};
}

// Index of the first point in the field of view, or -1.
long first_point_in_fov(const PointCloud& cloud, const Calib& calib, const FovBox& box) {
  const Mat34 rect = calib.velo_to_rect_matrix();
  const Mat34 img = calib.velo_to_image();
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    const double x = cloud.xyzr[4 * i], y = cloud.xyzr[4 * i + 1], z = cloud.xyzr[4 * i + 2];
    const double z_cam = rect[8] * x + rect[9] * y + rect[10] * z + rect[11];
    if (!(z_cam > kScanFovMinDepthM)) continue;
    const double w = img[8] * x + img[9] * y + img[10] * z + img[11];
    if (!(w > 0)) continue;
    const double u = (img[0] * x + img[1] * y + img[2] * z + img[3]) / w;
    const double v = (img[4] * x + img[5] * y + img[6] * z + img[7]) / w;
    if (u >= 0 && u < box.u_max && v >= 0 && v < box.v_max) return static_cast<long>(i);
  }
  return -1;
}

const char* axis_name(std::size_t k) {
  static constexpr const char* kNames[4] = {"x", "y", "z", "reflectance"};
  return kNames[k];
}

std::string fmt_m(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Drops non-finite and out-of-range points, rejects empty and all-zero scans, checks the field
// of view. `d` is consumed.
ScanRead check_points(DecodedScan d, const std::string& file, const Calib* calib,
                      std::optional<std::array<int, 2>> image_wh) {
  ScanRead r;
  r.problems = std::move(d.problems);
  if (!d.ok) return r;
  const std::size_t n = d.cloud.size();
  if (n == 0) {
    r.problems.push_back(scan_problem(file, "", "zero-length scan: no points"));
    return r;
  }

  // Non-finite values and implausible ranges: drop the point, remember the first of each.
  std::size_t non_finite = 0, far = 0, zero = 0, kept = 0;
  long first_nf = -1, first_far = -1;
  std::string nf_detail, far_detail;
  std::vector<float>& v = d.cloud.xyzr;
  for (std::size_t i = 0; i < n; ++i) {
    const float* p = &v[4 * i];
    std::size_t bad_axis = 4;
    for (std::size_t k = 0; k < 4 && bad_axis == 4; ++k)
      if (!std::isfinite(p[k])) bad_axis = k;
    if (bad_axis < 4) {
      if (non_finite++ == 0) {
        first_nf = static_cast<long>(i);
        nf_detail = std::string(axis_name(bad_axis)) + " = " +
                    (std::isnan(p[bad_axis]) ? "nan"
                     : p[bad_axis] > 0       ? "inf"
                                             : "-inf");
      }
      continue;
    }
    const double range =
        std::sqrt(static_cast<double>(p[0]) * p[0] + static_cast<double>(p[1]) * p[1] +
                  static_cast<double>(p[2]) * p[2]);
    if (range > kScanMaxRangeM) {
      if (far++ == 0) {
        first_far = static_cast<long>(i);
        far_detail = fmt_m(range) + " m";
      }
      continue;
    }
    if (p[0] == 0 && p[1] == 0 && p[2] == 0) ++zero;
    if (kept != i) std::memcpy(&v[4 * kept], p, 4 * sizeof(float));
    ++kept;
  }
  v.resize(4 * kept);

  if (non_finite > 0) {
    // NaN is how organized clouds (one cell per beam and azimuth) mark a missing return.
    const bool fatal = !d.organized;
    r.problems.push_back(
        scan_problem(file, "point " + std::to_string(first_nf),
                     std::to_string(non_finite) + " of " + std::to_string(n) +
                         " points are not finite and were dropped (first: point " +
                         std::to_string(first_nf) + ", " + nf_detail + ")" +
                         (fatal ? "" : "; NaN marks a missing return in an organized PCD"),
                     fatal));
  }
  if (far > 0) {
    r.problems.push_back(scan_problem(file, "point " + std::to_string(first_far),
                                      std::to_string(far) + " of " + std::to_string(n) +
                                          " points are farther than " + fmt_m(kScanMaxRangeM) +
                                          " m from the sensor and were dropped (first: point " +
                                          std::to_string(first_far) + " at " + far_detail + ")"));
  }
  if (kept == 0) {
    r.problems.push_back(scan_problem(file, "", "no usable point left in the scan"));
    return r;
  }
  if (zero == kept) {
    r.problems.push_back(scan_problem(
        file, "", "all " + std::to_string(kept) + " points are (0,0,0): an empty or zeroed scan"));
    return r;
  }
  r.cloud = std::move(d.cloud);
  r.usable = true;

  if (calib != nullptr) {
    const FovBox box = fov_box(*calib, image_wh);
    if (first_point_in_fov(r.cloud, *calib, box) < 0) {
      const std::string where =
          image_wh
              ? std::to_string((*image_wh)[0]) + " x " + std::to_string((*image_wh)[1]) + " image"
              : "image (bounded by twice P2's principal point: " + fmt_m(box.u_max) + " x " +
                    fmt_m(box.v_max) + " px)";
      r.problems.push_back(
          scan_problem(file, "",
                       "no point in the camera's field of view: none of " + std::to_string(kept) +
                           " points is in front of the camera and inside the " + where +
                           " (wrong calibration, or a scan of another frame?)"));
    }
  }
  return r;
}

}  // namespace

// ============================================================================================
// [SECTION] Entry points
// ============================================================================================
ScanRead parse_scan(std::string_view bytes, const std::string& file, ScanFormat format,
                    const Calib* calib, std::optional<std::array<int, 2>> image_wh) {
  try {
    if (bytes.empty()) {
      ScanRead r;
      r.problems.push_back(scan_problem(file, "size", "empty file (zero-length scan)"));
      return r;
    }
    DecodedScan d =
        format == ScanFormat::Pcd ? scan_detail::decode_pcd(bytes, file) : decode_bin(bytes, file);
    return check_points(std::move(d), file, calib, image_wh);
  } catch (const std::exception& e) {  // bad_alloc, or anything PCL throws
    ScanRead r;
    r.problems.push_back(scan_problem(file, "", std::string("cannot decode: ") + e.what()));
    return r;
  }
}

void append_scan_problems(std::vector<Problem>& frame_problems, const ScanRead& scan,
                          const std::string& file) {
  const bool already = std::any_of(
      frame_problems.begin(), frame_problems.end(),
      [&](const Problem& p) { return p.fatal && p.modality == "velodyne" && p.file == file; });
  if (already) return;
  frame_problems.insert(frame_problems.end(), scan.problems.begin(), scan.problems.end());
}

ScanRead read_scan(const fs::path& p, const Calib* calib,
                   std::optional<std::array<int, 2>> image_wh) {
  std::string bytes;
  try {
    bytes = read_file_bytes(p);
  } catch (const ParseError& e) {
    ScanRead r;
    r.problems.push_back(e.problem());
    r.problems.back().modality = "velodyne";
    return r;
  } catch (const std::exception& e) {
    ScanRead r;
    r.problems.push_back(scan_problem(p.string(), "", std::string("cannot read: ") + e.what()));
    return r;
  }
  return parse_scan(bytes, p.string(), scan_format_of(p), calib, image_wh);
}

}  // namespace needle
