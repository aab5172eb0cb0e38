// PCD scans: header parsed here, body decoded by PCL's PCDReader, PCD writing through PCDWriter.
//
// Why the header is ours: PCL's PCDReader::readHeader allocates POINTS x point size bytes as
// soon as it reads the POINTS line, before it knows how big the file is, so a corrupt header asks
// for gigabytes; and its binary_compressed path resizes its buffer to whatever uncompressed size
// the file claims. Here the header is validated against the bytes actually present, then PCL gets
// a PCLPointCloud2 whose layout is already known to fit, and decodes the body (ASCII numbers,
// binary copy, LZF decompression and the per-field unpacking of binary_compressed).
//
// [SECTION] Header
// [SECTION] Body (PCL)
// [SECTION] Quick header check
// [SECTION] Writing
#include <pcl/PCLPointCloud2.h>
#include <pcl/console/print.h>
#include <pcl/io/pcd_io.h>
#include <pcl/point_types.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <streambuf>
#include <system_error>

#include "lidar/scan_internal.h"
#include "needle/scan_io.h"

namespace needle {
namespace fs = std::filesystem;
using scan_detail::DecodedScan;
using scan_detail::printable;
using scan_detail::scan_problem;

namespace {

// ============================================================================================
// [SECTION] Header
// ============================================================================================

// A corrupt header must not allocate more than this for the decoded body (PCL indexes the body
// with 32-bit ints, so 2 GiB is a hard wall anyway); a 128-beam scan of 300k points x 48 bytes
// is 14 MiB.
constexpr std::uint64_t kMaxBodyBytes = std::uint64_t{1} << 30;
// Field counts and point sizes beyond these are not lidar scans (PCL's own FPFH signature, one of
// the largest point types, is 33 floats).
constexpr std::size_t kMaxFields = 256;
constexpr std::uint64_t kMaxPointBytes = 65536;
// quick_check_pcd reads at most this much to find the DATA line.
constexpr std::size_t kQuickHeaderBytes = 64 * 1024;
// Names accepted for the reflectance channel, in order of preference.
constexpr std::array<std::string_view, 4> kIntensityNames = {"intensity", "reflectance",
                                                             "remission", "i"};

enum class PcdData : std::uint8_t { Ascii, Binary, BinaryCompressed };

struct PcdField {
  std::string name;
  int size = 0;   // bytes per value: 1, 2, 4, 8
  char type = 0;  // 'I', 'U', 'F'
  std::uint32_t count = 1;
  std::uint32_t offset = 0;  // bytes from the start of a point
};

struct PcdHeader {
  std::vector<PcdField> fields;
  std::uint64_t width = 0, height = 1, points = 0;
  PcdData data = PcdData::Ascii;
  std::size_t data_offset = 0;  // first byte after the DATA line
  int data_line = 0;            // 1-based line number of the DATA line
  std::uint64_t point_step = 0;
  std::uint64_t values_per_point = 0;          // sum of COUNTs (ascii tokens a line)
  int x = -1, y = -1, z = -1, intensity = -1;  // field indices
};

std::vector<std::string_view> split_ws(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
  return out;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Parses the header; on success fills h and returns nullopt, else the problem.
std::optional<Problem> parse_header(std::string_view bytes, const std::string& file, PcdHeader& h) {
  auto bad = [&](int line, std::string field, std::string message) {
    Problem p = scan_problem(file, std::move(field), std::move(message));
    p.line = line;
    return std::optional<Problem>(std::move(p));
  };
  std::optional<std::uint64_t> width, height, points;
  std::vector<std::string_view> names, sizes, types, counts;
  bool seen_fields = false, seen_size = false, seen_type = false, seen_count = false;
  std::size_t pos = 0;
  int line_no = 0;
  bool found_data = false;
  while (pos < bytes.size() && !found_data) {
    const std::size_t nl = bytes.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? bytes.size() : nl;
    const std::string_view line = bytes.substr(pos, end - pos);
    pos = nl == std::string_view::npos ? bytes.size() : nl + 1;
    ++line_no;
    const std::vector<std::string_view> tok = split_ws(line);
    if (tok.empty() || tok[0][0] == '#') continue;
    const std::string_view key = tok[0];
    auto once = [&](bool& seen) {
      const bool dup = seen;
      seen = true;
      return dup;
    };
    auto number = [&](std::optional<std::uint64_t>& out) -> std::optional<Problem> {
      if (out) return bad(line_no, std::string(key), "given twice");
      if (tok.size() != 2) return bad(line_no, std::string(key), "expected one number");
      out = parse_u64(tok[1]);
      if (!out || *out > std::numeric_limits<std::uint32_t>::max())
        return bad(line_no, std::string(key),
                   "expected an integer 0..4294967295, got '" + printable(tok[1]) + "'");
      return std::nullopt;
    };
    if (key == "VERSION" || key == "VIEWPOINT") continue;
    if (key == "FIELDS" || key == "COLUMNS") {
      if (once(seen_fields)) return bad(line_no, "FIELDS", "given twice");
      names.assign(tok.begin() + 1, tok.end());
    } else if (key == "SIZE") {
      if (once(seen_size)) return bad(line_no, "SIZE", "given twice");
      sizes.assign(tok.begin() + 1, tok.end());
    } else if (key == "TYPE") {
      if (once(seen_type)) return bad(line_no, "TYPE", "given twice");
      types.assign(tok.begin() + 1, tok.end());
    } else if (key == "COUNT") {
      if (once(seen_count)) return bad(line_no, "COUNT", "given twice");
      counts.assign(tok.begin() + 1, tok.end());
    } else if (key == "WIDTH") {
      if (auto p = number(width)) return p;
    } else if (key == "HEIGHT") {
      if (auto p = number(height)) return p;
    } else if (key == "POINTS") {
      if (auto p = number(points)) return p;
    } else if (key == "DATA") {
      if (tok.size() != 2)
        return bad(line_no, "DATA", "expected ascii, binary or binary_compressed");
      if (tok[1] == "ascii") {
        h.data = PcdData::Ascii;
      } else if (tok[1] == "binary") {
        h.data = PcdData::Binary;
      } else if (tok[1] == "binary_compressed") {
        h.data = PcdData::BinaryCompressed;
      } else {
        return bad(line_no, "DATA",
                   "expected ascii, binary or binary_compressed, got '" + printable(tok[1]) + "'");
      }
      h.data_offset = pos;
      h.data_line = line_no;
      found_data = true;
    } else {
      return bad(line_no, "", "not a PCD header line: '" + printable(line) + "'");
    }
  }
  if (!found_data)
    return bad(0, "DATA",
               bytes.empty() ? std::string("empty file (zero-length scan)")
                             : std::string("no DATA line: not a PCD file, or truncated inside "
                                           "its header"));

  // Fields: names, sizes, types, counts.
  if (!seen_fields || names.empty()) return bad(0, "FIELDS", "missing FIELDS line");
  if (names.size() > kMaxFields)
    return bad(
        0, "FIELDS",
        std::to_string(names.size()) + " fields (at most " + std::to_string(kMaxFields) + ")");
  if (!seen_size) return bad(0, "SIZE", "missing SIZE line");
  if (!seen_type) return bad(0, "TYPE", "missing TYPE line");
  auto same_count = [&](const std::vector<std::string_view>& v, const char* what) {
    return v.size() == names.size() ? std::optional<Problem>()
                                    : bad(0, what,
                                          std::to_string(v.size()) + " values for " +
                                              std::to_string(names.size()) + " FIELDS");
  };
  if (auto p = same_count(sizes, "SIZE")) return p;
  if (auto p = same_count(types, "TYPE")) return p;
  if (seen_count) {
    if (auto p = same_count(counts, "COUNT")) return p;
  }
  h.fields.resize(names.size());
  std::uint64_t offset = 0, values = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    PcdField& f = h.fields[i];
    f.name = std::string(names[i]);
    const auto size = parse_u64(sizes[i]);
    if (!size || (*size != 1 && *size != 2 && *size != 4 && *size != 8))
      return bad(0, "SIZE",
                 "field '" + printable(names[i]) + "': expected 1, 2, 4 or 8, got '" +
                     printable(sizes[i]) + "'");
    f.size = static_cast<int>(*size);
    if (types[i].size() != 1 || (types[i][0] != 'I' && types[i][0] != 'U' && types[i][0] != 'F'))
      return bad(0, "TYPE",
                 "field '" + printable(names[i]) + "': expected I, U or F, got '" +
                     printable(types[i]) + "'");
    f.type = types[i][0];
    if (f.type == 'F' && f.size != 4 && f.size != 8)
      return bad(0, "SIZE",
                 "field '" + printable(names[i]) + "': a float (F) has 4 or 8 bytes, not " +
                     std::to_string(f.size));
    if (seen_count) {
      const auto count = parse_u64(counts[i]);
      if (!count || *count < 1 || *count > kMaxPointBytes)
        return bad(0, "COUNT",
                   "field '" + printable(names[i]) + "': expected 1.." +
                       std::to_string(kMaxPointBytes) + ", got '" + printable(counts[i]) + "'");
      f.count = static_cast<std::uint32_t>(*count);
    }
    f.offset = static_cast<std::uint32_t>(offset);
    offset += static_cast<std::uint64_t>(f.size) * f.count;
    values += f.count;
    if (offset > kMaxPointBytes)
      return bad(0, "SIZE", "a point of more than " + std::to_string(kMaxPointBytes) + " bytes");
  }
  h.point_step = offset;
  h.values_per_point = values;

  // Point count: POINTS = WIDTH x HEIGHT (either may stand for the other).
  if (!width && !points) return bad(0, "POINTS", "neither WIDTH nor POINTS given");
  h.height = height.value_or(1);
  h.width = width ? *width : (h.height == 0 ? 0 : *points / h.height);
  h.points = points.value_or(h.width * h.height);
  // WIDTH, HEIGHT and POINTS are below 2^32, so these products fit in 64 bits; a point has at
  // least one byte, so POINTS itself is bounded before it multiplies the point size.
  if (h.points != h.width * h.height)
    return bad(0, "POINTS",
               std::to_string(h.points) + " points but WIDTH x HEIGHT = " +
                   std::to_string(h.width) + " x " + std::to_string(h.height));
  if (h.points > kMaxBodyBytes || h.points * h.point_step > kMaxBodyBytes)
    return bad(0, "POINTS",
               std::to_string(h.points) + " points of " + std::to_string(h.point_step) +
                   " bytes exceed " + std::to_string(kMaxBodyBytes >> 20) + " MiB");

  // Required fields.
  auto find = [&](std::string_view name) {
    for (std::size_t i = 0; i < h.fields.size(); ++i)
      if (h.fields[i].name == name) return static_cast<int>(i);
    return -1;
  };
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : " ") + printable(n);
  for (const char* axis : {"x", "y", "z"}) {
    const int i = find(axis);
    if (i < 0)
      return bad(0, axis, std::string("missing field '") + axis + "' (FIELDS " + list + ")");
    if (h.fields[static_cast<std::size_t>(i)].count != 1)
      return bad(
          0, axis,
          "COUNT " + std::to_string(h.fields[static_cast<std::size_t>(i)].count) + "; expected 1");
  }
  h.x = find("x");
  h.y = find("y");
  h.z = find("z");
  for (std::string_view n : kIntensityNames) {
    const int i = find(n);
    if (i >= 0 && h.fields[static_cast<std::size_t>(i)].count == 1) {
      h.intensity = i;
      break;
    }
  }
  return std::nullopt;
}

std::uint32_t le32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// ============================================================================================
// [SECTION] Body (PCL)
// ============================================================================================

// PCL prints its warnings and errors to stderr; needle reports them itself, as problems.
void quiet_pcl() {
  static std::once_flag once;
  std::call_once(once, [] { pcl::console::setVerbosityLevel(pcl::console::L_ALWAYS); });
}

// A read-only std::streambuf over bytes already in memory (PCL's ASCII reader takes a stream).
class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(std::string_view s) {
    char* b = const_cast<char*>(s.data());  // never written: no put area, no putback
    setg(b, b, b + s.size());
  }
};

std::uint8_t pcl_datatype(const PcdField& f) {
  using F = pcl::PCLPointField;
  switch (f.type) {
    case 'F':
      return f.size == 4 ? F::FLOAT32 : F::FLOAT64;
    case 'U':
      return f.size == 1 ? F::UINT8 : f.size == 2 ? F::UINT16 : f.size == 4 ? F::UINT32 : F::UINT64;
    default:
      return f.size == 1 ? F::INT8 : f.size == 2 ? F::INT16 : f.size == 4 ? F::INT32 : F::INT64;
  }
}

// Value of field f of the point starting at p, as a double; integers optionally scaled to [0,1]
// (unsigned) or [-1,1] (signed) by their type's maximum.
double field_value(const unsigned char* p, const PcdField& f, bool scale_integers) {
  auto get = [&](auto v) {
    std::memcpy(&v, p + f.offset, sizeof v);
    const double d = static_cast<double>(v);
    if constexpr (std::is_integral_v<decltype(v)>) {
      if (scale_integers) return d / static_cast<double>(std::numeric_limits<decltype(v)>::max());
    }
    return d;
  };
  switch (f.type) {
    case 'F':
      return f.size == 4 ? get(float{}) : get(double{});
    case 'U':
      return f.size == 1   ? get(std::uint8_t{})
             : f.size == 2 ? get(std::uint16_t{})
             : f.size == 4 ? get(std::uint32_t{})
                           : get(std::uint64_t{});
    default:
      return f.size == 1   ? get(std::int8_t{})
             : f.size == 2 ? get(std::int16_t{})
             : f.size == 4 ? get(std::int32_t{})
                           : get(std::int64_t{});
  }
}

// Checks the ascii body line by line (one line a point, values_per_point numbers a line) and
// returns it cleaned for PCL: one point a line, single spaces, no blank lines. PCL's own reader
// would skip a malformed line silently (counting it as a point of zeros) and read a non-number as
// 0; here both are errors naming the line.
std::optional<Problem> clean_ascii_body(std::string_view bytes, const std::string& file,
                                        const PcdHeader& h, std::string& out) {
  out.clear();
  out.reserve(bytes.size() - h.data_offset);
  std::size_t pos = h.data_offset;
  int line_no = h.data_line;
  std::uint64_t read = 0;
  std::vector<std::string_view> tok;
  while (pos < bytes.size()) {
    const std::size_t nl = bytes.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? bytes.size() : nl;
    const std::string_view line = bytes.substr(pos, end - pos);
    pos = nl == std::string_view::npos ? bytes.size() : nl + 1;
    ++line_no;
    tok = split_ws(line);
    if (tok.empty()) continue;
    auto bad = [&](std::string message) {
      Problem p = scan_problem(file, "point " + std::to_string(read), std::move(message));
      p.line = line_no;
      return std::optional<Problem>(std::move(p));
    };
    if (read == h.points) return bad("more point lines than POINTS " + std::to_string(h.points));
    if (tok.size() != h.values_per_point)
      return bad("expected " + std::to_string(h.values_per_point) + " values, got " +
                 std::to_string(tok.size()));
    for (std::string_view t : tok) {
      std::string_view num = t;
      if (num.size() > 1 && num[0] == '+') num.remove_prefix(1);
      double v = 0;
      const auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
      // A value out of double's range is still a number (it becomes inf and is checked later).
      if ((ec != std::errc() && ec != std::errc::result_out_of_range) ||
          ptr != num.data() + num.size())
        return bad("expected a number, got '" + printable(t) + "'");
      out.append(t);
      out.push_back(' ');
    }
    out.back() = '\n';
    ++read;
  }
  if (read != h.points) {
    Problem p = scan_problem(file, "POINTS",
                             "truncated: " + std::to_string(read) + " point lines for POINTS " +
                                 std::to_string(h.points));
    return p;
  }
  return std::nullopt;
}

// Converts PCL's decoded body to x, y, z, reflectance floats.
void to_xyzr(const pcl::PCLPointCloud2& c2, const PcdHeader& h, PointCloud& cloud) {
  const std::size_t n = static_cast<std::size_t>(h.points);
  cloud.xyzr.resize(n * 4);
  const auto& fx = h.fields[static_cast<std::size_t>(h.x)];
  const auto& fy = h.fields[static_cast<std::size_t>(h.y)];
  const auto& fz = h.fields[static_cast<std::size_t>(h.z)];
  const PcdField* fi =
      h.intensity >= 0 ? &h.fields[static_cast<std::size_t>(h.intensity)] : nullptr;
  const unsigned char* base = c2.data.data();
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char* p = base + i * h.point_step;
    float* o = &cloud.xyzr[i * 4];
    o[0] = static_cast<float>(field_value(p, fx, false));
    o[1] = static_cast<float>(field_value(p, fy, false));
    o[2] = static_cast<float>(field_value(p, fz, false));
    o[3] = fi ? static_cast<float>(field_value(p, *fi, true)) : 0.0f;
  }
}

}  // namespace

namespace scan_detail {

DecodedScan decode_pcd(std::string_view bytes, const std::string& file) {
  DecodedScan d;
  PcdHeader h;
  if (auto p = parse_header(bytes, file, h)) {
    d.problems.push_back(std::move(*p));
    return d;
  }
  d.organized = h.height > 1;
  if (h.intensity < 0) {
    std::string list;
    for (const auto& f : h.fields) list += (list.empty() ? "" : " ") + printable(f.name);
    d.problems.push_back(
        scan_problem(file, "intensity",
                     "no intensity field (FIELDS " + list + "): reflectance set to 0", false));
  }
  if (h.points == 0) {
    d.ok = true;  // a readable file with no points: the point checks report it
    return d;
  }
  const std::size_t body = bytes.size() - h.data_offset;
  const std::uint64_t need = h.points * h.point_step;

  pcl::PCLPointCloud2 c2;
  c2.width = static_cast<std::uint32_t>(h.width);
  c2.height = static_cast<std::uint32_t>(h.height);
  c2.point_step = static_cast<std::uint32_t>(h.point_step);
  c2.row_step = static_cast<std::uint32_t>(h.point_step * h.width);
  c2.is_bigendian = false;
  for (const PcdField& f : h.fields) {
    pcl::PCLPointField pf;
    pf.name = f.name;
    pf.offset = f.offset;
    pf.datatype = pcl_datatype(f);
    pf.count = f.count;
    c2.fields.push_back(std::move(pf));
  }

  quiet_pcl();
  pcl::PCDReader reader;
  int rc = 0;
  if (h.data == PcdData::Ascii) {
    std::string clean;
    if (auto p = clean_ascii_body(bytes, file, h, clean)) {
      d.problems.push_back(std::move(*p));
      return d;
    }
    c2.data.resize(static_cast<std::size_t>(need));
    ViewBuf buf(clean);
    std::istream in(&buf);
    rc = reader.readBodyASCII(in, c2, pcl::PCDReader::PCD_V7);
  } else if (h.data == PcdData::Binary) {
    if (body < need) {
      d.problems.push_back(
          scan_problem(file, "DATA",
                       "truncated: binary data of " + std::to_string(h.points) + " points x " +
                           std::to_string(h.point_step) + " bytes needs " + std::to_string(need) +
                           " bytes after the header, the file has " + std::to_string(body)));
      return d;
    }
    c2.data.resize(static_cast<std::size_t>(need));
    rc = reader.readBodyBinary(reinterpret_cast<const unsigned char*>(bytes.data()), c2,
                               pcl::PCDReader::PCD_V7, false,
                               static_cast<unsigned int>(h.data_offset));
  } else {
    if (body < 8) {
      d.problems.push_back(scan_problem(file, "DATA",
                                        "truncated: binary_compressed data needs its 8-byte "
                                        "size prefix, the file has " +
                                            std::to_string(body) + " bytes after the header"));
      return d;
    }
    const std::uint64_t compressed = le32(bytes.data() + h.data_offset);
    const std::uint64_t uncompressed = le32(bytes.data() + h.data_offset + 4);
    std::string why;
    if (compressed + 8 > body) {
      why = "truncated: " + std::to_string(compressed) + " compressed bytes declared, " +
            std::to_string(body - 8) + " in the file";
    } else if (uncompressed != need) {
      why = "uncompressed size " + std::to_string(uncompressed) + " bytes, but " +
            std::to_string(h.points) + " points x " + std::to_string(h.point_step) +
            " bytes = " + std::to_string(need);
    } else if (uncompressed > compressed * kPcdMaxLzfRatio + 64) {
      why = "uncompressed size " + std::to_string(uncompressed) + " bytes from " +
            std::to_string(compressed) + " compressed bytes: more than LZF can expand";
    } else if (std::any_of(h.fields.begin(), h.fields.end(),
                           [](const PcdField& f) { return f.name == "_"; })) {
      why = "padding fields '_' in binary_compressed data are not supported";
    }
    if (!why.empty()) {
      d.problems.push_back(scan_problem(file, "DATA", why));
      return d;
    }
    c2.data.resize(static_cast<std::size_t>(need));
    rc = reader.readBodyBinary(reinterpret_cast<const unsigned char*>(bytes.data()), c2,
                               pcl::PCDReader::PCD_V7, true,
                               static_cast<unsigned int>(h.data_offset));
  }
  if (rc < 0 || c2.data.size() != need) {
    d.problems.push_back(scan_problem(file, "DATA",
                                      h.data == PcdData::BinaryCompressed
                                          ? "corrupt binary_compressed data (LZF decoding failed)"
                                          : "PCL could not decode the point data"));
    return d;
  }
  to_xyzr(c2, h, d.cloud);
  d.ok = true;
  return d;
}

}  // namespace scan_detail

ScanRead parse_pcd(std::string_view bytes, const std::string& file) {
  ScanRead r;
  try {
    DecodedScan d = scan_detail::decode_pcd(bytes, file);
    r.cloud = std::move(d.cloud);
    r.problems = std::move(d.problems);
  } catch (const std::exception& e) {  // bad_alloc, or anything PCL throws
    r.cloud.xyzr.clear();
    r.problems.push_back(scan_problem(file, "", std::string("cannot decode: ") + e.what()));
  }
  r.usable = r.cloud.size() > 0;
  return r;
}

// ============================================================================================
// [SECTION] Quick header check
// ============================================================================================
void quick_check_pcd(const fs::path& p, std::vector<Problem>& out) {
  const std::string file = p.string();
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(p, ec);
  if (ec) {
    out.push_back(scan_problem(file, "", "cannot read file size: " + ec.message()));
    return;
  }
  if (size == 0) {
    out.push_back(scan_problem(file, "size", "empty file (zero-length scan)"));
    return;
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    out.push_back(scan_problem(file, "", "cannot open"));
    return;
  }
  std::string head(static_cast<std::size_t>(std::min<std::uintmax_t>(size, kQuickHeaderBytes)),
                   '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  PcdHeader h;
  if (auto prob = parse_header(head, file, h)) {
    if (prob->field == "DATA" && size > head.size())
      prob->message = "no DATA line in the first " + std::to_string(kQuickHeaderBytes >> 10) +
                      " KiB: not a PCD file";
    out.push_back(std::move(*prob));
    return;
  }
  const std::uint64_t body = size - h.data_offset;
  const std::uint64_t need = h.points * h.point_step;
  std::string why;
  if (h.data == PcdData::Binary && body < need) {
    why = "truncated: binary data needs " + std::to_string(need) + " bytes after the header, " +
          "the file has " + std::to_string(body);
  } else if (h.data == PcdData::BinaryCompressed && h.points > 0) {
    std::array<char, 8> sizes{};
    in.clear();
    in.seekg(static_cast<std::streamoff>(h.data_offset));
    if (body < 8 || !in.read(sizes.data(), 8)) {
      why = "truncated: no compressed size after the header";
    } else if (le32(sizes.data()) + std::uint64_t{8} > body) {
      why = "truncated: " + std::to_string(le32(sizes.data())) + " compressed bytes declared, " +
            std::to_string(body - 8) + " in the file";
    }
  } else if (h.data == PcdData::Ascii && h.points > 0 &&
             body < h.points * h.values_per_point * 2 - 1) {
    // Each value takes at least one digit and one separator.
    why = "truncated: " + std::to_string(h.points) + " points of " +
          std::to_string(h.values_per_point) + " values need at least " +
          std::to_string(h.points * h.values_per_point * 2 - 1) + " bytes, the file has " +
          std::to_string(body) + " after the header";
  }
  if (!why.empty()) out.push_back(scan_problem(file, "DATA", why));
}

// ============================================================================================
// [SECTION] Writing
// ============================================================================================
void write_pcd(const fs::path& p, const PointCloud& cloud, PcdEncoding encoding) {
  pcl::PointCloud<pcl::PointXYZI> pc;
  pc.resize(cloud.size());
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    pcl::PointXYZI& q = pc[i];
    q.x = cloud.xyzr[4 * i];
    q.y = cloud.xyzr[4 * i + 1];
    q.z = cloud.xyzr[4 * i + 2];
    q.intensity = cloud.xyzr[4 * i + 3];
  }
  pc.width = static_cast<std::uint32_t>(cloud.size());
  pc.height = 1;
  quiet_pcl();
  pcl::PCDWriter w;
  // 9 significant digits round-trip any float32 exactly in ascii.
  constexpr int kAsciiFloatDigits = 9;
  int rc = 0;
  if (encoding == PcdEncoding::Ascii)
    rc = w.writeASCII(p.string(), pc, kAsciiFloatDigits);
  else if (encoding == PcdEncoding::Binary)
    rc = w.writeBinary(p.string(), pc);
  else
    rc = w.writeBinaryCompressed(p.string(), pc);
  if (rc < 0) throw std::runtime_error("cannot write " + p.string());
}

}  // namespace needle
