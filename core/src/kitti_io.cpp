// kitti_io.cpp — KITTI object-format parsers and writers.
//
// Index
//   [SECTION] Helpers: errors, tokens, numbers
//   [SECTION] Labels and predictions
//   [SECTION] Calibration
//   [SECTION] Velodyne
//   [SECTION] Images (stb_image)
//   [SECTION] File helpers
//   [SECTION] Writers
//
// Hot path (needle rank reads ~20k label/prediction files): one read per file, std::from_chars for
// numbers, no iostreams, no regex, no allocation per field. Errors are exceptions, thrown once per
// bad file, so they cost nothing on good data.
#include "needle/kitti_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include "needle/error.h"
#include "needle/media_rules.h"

namespace needle {

// ============================================================================================
// [SECTION] Helpers: errors, tokens, numbers
// ============================================================================================
namespace {

[[noreturn]] void fail(const char* modality, const std::string& file, int line, std::string field,
                       std::string message) {
  Problem p;
  p.modality = modality;
  p.file = file;
  p.line = line;
  p.field = std::move(field);
  p.message = std::move(message);
  p.fatal = true;
  throw ParseError(std::move(p));
}

// A token quoted for a message: at most 40 bytes, non-printable bytes as \xNN (fuzzed or binary
// input must not put control characters into the UI or the terminal).
std::string quote(std::string_view tok) {
  std::string s = "'";
  const std::size_t n = std::min<std::size_t>(tok.size(), 40);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(tok[i]);
    if (c >= 0x20 && c < 0x7f) {
      s += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    }
  }
  if (tok.size() > n) s += "...";
  s += "'";
  return s;
}

constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

bool is_blank(std::string_view s) {
  for (char c : s)
    if (!is_space(c) && c != '\n') return false;
  return true;
}

// Strips a UTF-8 byte-order mark (some Windows tools write one).
std::string_view skip_bom(std::string_view text) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

// Splits a line into at most N tokens; returns the total number of tokens (may exceed N).
template <std::size_t N>
std::size_t tokenize(std::string_view line, std::array<std::string_view, N>& out) {
  std::size_t count = 0, i = 0;
  const std::size_t n = line.size();
  while (true) {
    while (i < n && is_space(line[i])) ++i;
    if (i >= n) break;
    const std::size_t start = i;
    while (i < n && !is_space(line[i])) ++i;
    if (count < N) out[count] = line.substr(start, i - start);
    ++count;
  }
  return count;
}

// Whole token as a finite double (a leading '+' is accepted; from_chars does not take one).
bool to_double(std::string_view tok, double& out) {
  const char* b = tok.data();
  const char* e = b + tok.size();
  if (b != e && *b == '+') {
    ++b;
    if (b != e && (*b == '-' || *b == '+')) return false;
  }
  if (b == e) return false;
  const auto r = std::from_chars(b, e, out, std::chars_format::general);
  return r.ec == std::errc() && r.ptr == e && std::isfinite(out);
}

// Calls f(line_number, line) for every line; '\n' ends a line, '\r' is whitespace.
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    ++line_no;
    f(line_no, text.substr(pos, end - pos));
    pos = end + 1;
  }
}

}  // namespace

// ============================================================================================
// [SECTION] Labels and predictions
// ============================================================================================
namespace {

constexpr const char* kObjectFields[16] = {"type",      "truncated", "occluded",   "alpha",
                                           "bbox_left", "bbox_top",  "bbox_right", "bbox_bottom",
                                           "height",    "width",     "length",     "x",
                                           "y",         "z",         "rotation_y", "score"};

struct UnknownClass {
  int first_line = 0;
  int count = 0;
};

// The first field of a non-DontCare object outside GeometryLimits, with the reason; or nullptr.
const char* implausible_field(const Object& o, std::string& why) {
  using L = GeometryLimits;
  const struct {
    const char* field;
    double value, limit;
    const char* adjective;
  } dims[3] = {{"height", o.h, L::kMaxHeight, "high"},
               {"width", o.w, L::kMaxWidth, "wide"},
               {"length", o.l, L::kMaxLength, "long"}};
  for (const auto& d : dims)
    if (d.value > d.limit) {
      why = "no road object is over " + std::to_string(static_cast<int>(d.limit)) + " m " +
            d.adjective;
      return d.field;
    }
  const double xyz[3] = {o.loc_cam.x, o.loc_cam.y, o.loc_cam.z};
  const char* const names[3] = {"x", "y", "z"};
  for (std::size_t i = 0; i < 3; ++i)
    if (std::abs(xyz[i]) > L::kMaxCoordinate) {
      why =
          "more than " + std::to_string(static_cast<int>(L::kMaxCoordinate)) + " m from the camera";
      return names[i];
    }
  if (std::abs(o.rotation_y) > L::kMaxAngle) {
    why = "an angle in radians lies in [-pi, pi]";
    return "rotation_y";
  }
  if (std::abs(o.alpha) > L::kMaxAngle) {  // -10 (not given) passes
    why = "an angle in radians lies in [-pi, pi]; -10 means not given";
    return "alpha";
  }
  return nullptr;
}

}  // namespace

ParsedObjects parse_objects(std::string_view text, const std::string& file, LabelKind kind) {
  const char* modality = kind == LabelKind::GroundTruth ? "label" : "pred";
  ParsedObjects out;
  // An object line has at least 29 bytes, so the reservation stays proportional to the file size
  // even for a file of newlines.
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  out.objects.reserve(std::min(lines, text.size() / 29 + 1));
  std::map<std::string, UnknownClass, std::less<>> unknown;  // rare: only on unknown names
  for_each_line(skip_bom(text), [&](int line_no, std::string_view line) {
    std::array<std::string_view, 16> tok;
    const std::size_t n = tokenize(line, tok);
    if (n == 0) return;  // blank or whitespace-only line (e.g. a lone \r of CRLF)

    const bool pred = kind == LabelKind::Prediction;
    const std::size_t want_min = pred ? 16 : 15;
    if (n < want_min || n > 16) {
      const std::string expected = pred ? "expected 16 fields (KITTI label + score)"
                                        : "expected 15 fields (16 with a score)";
      if (n < want_min)
        fail(modality, file, line_no, kObjectFields[n],
             "missing; " + expected + ", got " + std::to_string(n));
      fail(modality, file, line_no, "#17",
           "unexpected extra field; " + expected + ", got " + std::to_string(n));
    }

    double v[16];
    for (std::size_t i = 1; i < n; ++i) {
      if (!to_double(tok[i], v[i]))
        fail(modality, file, line_no, kObjectFields[i],
             "expected a finite number, got " + quote(tok[i]));
    }

    // A byte-order mark is only skipped at the start of the file; one anywhere else would make
    // the type unprintable and would not survive format_objects -> parse_objects.
    if (tok[0].substr(0, 3) == "\xEF\xBB\xBF")
      fail(modality, file, line_no, "type",
           "expected a class name, got a misplaced byte-order mark in " + quote(tok[0]));

    Object o;
    o.type.assign(tok[0]);
    o.cls = parse_class(tok[0]);
    o.line = line_no;
    o.truncated = v[1];
    // occluded: KITTI 0..3, -1 in prediction dialects; "0.00" style is tolerated when integral.
    if (v[2] != std::floor(v[2]) || v[2] < -1 || v[2] > 3)
      fail(modality, file, line_no, "occluded", "expected an integer -1..3, got " + quote(tok[2]));
    o.occluded = static_cast<int>(v[2]);
    o.alpha = v[3];
    o.box2d = Box2D{v[4], v[5], v[6], v[7]};
    o.h = v[8];
    o.w = v[9];
    o.l = v[10];
    o.loc_cam = Vec3{v[11], v[12], v[13]};
    o.rotation_y = v[14];
    if (n == 16) o.score = v[15];

    // Dimensions: positive, except the "-1 -1 -1" of a DontCare (2D-only) line.
    const bool dims_unset = o.h == -1 && o.w == -1 && o.l == -1;
    if (!(dims_unset && o.is_dontcare())) {
      for (std::size_t i = 8; i <= 10; ++i) {
        if (v[i] > 0) continue;
        std::string msg = "expected a positive dimension in metres, got " + quote(tok[i]);
        if (dims_unset) msg += " (-1 -1 -1 dimensions are only valid on DontCare lines)";
        fail(modality, file, line_no, kObjectFields[i], std::move(msg));
      }
    }

    // Impossible geometry: this object is invalid, the rest of the file is usable.
    if (!o.is_dontcare()) {
      std::string why;
      if (const char* field = implausible_field(o, why)) {
        std::size_t fi = 0;
        while (fi < 16 && std::string_view(kObjectFields[fi]) != field) ++fi;
        Problem p;
        p.modality = modality;
        p.file = file;
        p.line = line_no;
        p.field = field;
        p.message = "impossible geometry, object ignored: " +
                    (fi < 16 ? quote(tok[fi]) + " " : std::string()) + "(" + why + ")";
        p.fatal = true;
        out.invalid_objects.push_back(std::move(p));
        return;
      }
    }

    if (o.cls == ObjectClass::Unknown) {
      auto it = unknown.find(tok[0]);
      if (it == unknown.end())
        it = unknown.emplace(std::string(tok[0]), UnknownClass{line_no, 0}).first;
      ++it->second.count;
    }
    out.objects.push_back(std::move(o));
  });

  for (const auto& [name, u] : unknown) {
    Problem p;
    p.modality = modality;
    p.file = file;
    p.line = u.first_line;
    p.field = "type";
    p.message = "unknown class " + quote(name) + " kept as Unknown (" + std::to_string(u.count) +
                (u.count == 1 ? " line)" : " lines)");
    p.fatal = false;
    out.warnings.push_back(std::move(p));
  }
  return out;
}

// ============================================================================================
// [SECTION] Calibration
// ============================================================================================
Calib parse_calib(std::string_view text, const std::string& file) {
  if (is_blank(text))
    fail("calib", file, 0, "",
         text.empty() ? "empty file (expected the 7 KITTI calibration keys)"
                      : "no data (expected the 7 KITTI calibration keys)");
  Calib c;
  struct Slot {
    const char* key;
    const char* alias;  // raw-KITTI spelling, or nullptr
    double* dst;
    std::size_t count;
    int line = 0;  // where it was found, 0 = not yet
  };
  std::array<Slot, 7> slots = {{
      {"P0", nullptr, c.P[0].data(), 12},
      {"P1", nullptr, c.P[1].data(), 12},
      {"P2", nullptr, c.P[2].data(), 12},
      {"P3", nullptr, c.P[3].data(), 12},
      {"R0_rect", "R_rect", c.R0_rect.data(), 9},
      {"Tr_velo_to_cam", "Tr_velo_cam", c.Tr_velo_to_cam.data(), 12},
      {"Tr_imu_to_velo", nullptr, c.Tr_imu_to_velo.data(), 12},
  }};

  for_each_line(skip_bom(text), [&](int line_no, std::string_view line) {
    std::size_t b = 0;
    while (b < line.size() && is_space(line[b])) ++b;
    if (b == line.size()) return;
    const std::size_t colon = line.find(':', b);
    if (colon == std::string_view::npos)
      fail("calib", file, line_no, "", "expected 'KEY: values', got " + quote(line.substr(b)));
    std::size_t e = colon;
    while (e > b && is_space(line[e - 1])) --e;
    const std::string_view key = line.substr(b, e - b);

    Slot* slot = nullptr;
    for (auto& s : slots)
      if (key == s.key || (s.alias && key == s.alias)) slot = &s;
    if (!slot) return;  // other keys (calib_time, Tr_cam_to_road ...) are not used
    if (slot->line != 0)
      fail("calib", file, line_no, std::string(key),
           "duplicate key (first given on line " + std::to_string(slot->line) + ")");
    slot->line = line_no;

    std::array<std::string_view, 12> tok;
    const std::size_t n = tokenize(line.substr(colon + 1), tok);
    if (n != slot->count)
      fail("calib", file, line_no, std::string(key),
           "expected " + std::to_string(slot->count) + " values, got " + std::to_string(n));
    for (std::size_t i = 0; i < n; ++i) {
      if (!to_double(tok[i], slot->dst[i]))
        fail("calib", file, line_no, std::string(key) + "[" + std::to_string(i) + "]",
             "expected a finite number, got " + quote(tok[i]));
    }
  });

  for (const auto& s : slots) {
    if (s.line == 0)
      fail("calib", file, 0, s.key,
           "missing key (expected '" + std::string(s.key) + ":' with " + std::to_string(s.count) +
               " values)");
  }
  return c;
}

// ============================================================================================
// [SECTION] Velodyne
// ============================================================================================
PointCloud parse_velodyne(std::string_view bytes, const std::string& file) {
  if (bytes.empty())
    fail("velodyne", file, 0, "", "empty file (expected float32 x,y,z,reflectance points)");
  if (bytes.size() % media::kVelodynePointBytes != 0)
    fail("velodyne", file, 0, "size",
         "expected a multiple of 16 bytes (float32 x,y,z,reflectance), got " +
             std::to_string(bytes.size()) + " bytes");
  PointCloud cloud;
  cloud.xyzr.resize(bytes.size() / sizeof(float));
  std::memcpy(cloud.xyzr.data(), bytes.data(), bytes.size());
  if constexpr (std::endian::native == std::endian::big) {
    for (float& f : cloud.xyzr) {  // files are little-endian
      auto u = std::bit_cast<std::uint32_t>(f);
      u = __builtin_bswap32(u);
      f = std::bit_cast<float>(u);
    }
  }
  static constexpr const char* kNames[4] = {"x", "y", "z", "reflectance"};
  for (std::size_t i = 0; i < cloud.xyzr.size(); ++i) {
    if (!std::isfinite(cloud.xyzr[i]))
      fail("velodyne", file, 0, "point " + std::to_string(i / 4) + " " + kNames[i % 4],
           "expected a finite float32, got " + std::to_string(cloud.xyzr[i]));
  }
  return cloud;
}

// ============================================================================================
// [SECTION] Images (stb_image)
// ============================================================================================
namespace {

using media::kMaxImagePixels;  // size limits: see media_rules.h
using media::kMaxImageSide;

// stb's failure reason as printable text. stb writes the type of an unknown PNG chunk into a
// static buffer ("XXXX PNG chunk not known", shared between threads): those 4 bytes can be any
// bytes, so that message is replaced and every other one is made printable.
std::string stb_reason(const char* fallback) {
  const char* why = stbi_failure_reason();
  if (!why) return fallback;
  if (std::strlen(why) == 24 && std::strcmp(why + 4, " PNG chunk not known") == 0)
    return "unknown critical PNG chunk";
  std::string s;
  for (const char* c = why; *c && s.size() < 200; ++c)
    s += (static_cast<unsigned char>(*c) >= 0x20 && *c != 0x7f) ? *c : '?';
  return s;
}

// stb_image sizes its IDAT buffer from each chunk's declared length before reading it: a 72-byte
// PNG claiming a 200 MB chunk made it allocate 2 GiB (found by fuzz_png). A chunk that claims
// more bytes than the file holds is corrupt; reject it before stb decodes anything.
void check_png_chunk_lengths(std::string_view bytes, const std::string& file) {
  std::size_t off = 8;
  while (off + 8 <= bytes.size()) {
    const auto b = [&](std::size_t i) {
      return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[off + i]));
    };
    const std::uint64_t len = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
    const std::string_view type = bytes.substr(off + 4, 4);
    const std::uint64_t left = bytes.size() - off - 8;  // data + CRC must fit in this
    if (len + 4 > left)
      fail("image", file, 0, "data",
           "PNG chunk " + quote(type) + " at byte " + std::to_string(off) + " claims " +
               std::to_string(len) + " bytes, only " + std::to_string(left) +
               " remain (corrupt or truncated)");
    off += media::kPngChunkOverhead + static_cast<std::size_t>(len);
    if (type == "IEND") break;
  }
}

std::array<int, 2> checked_info(std::string_view bytes, const std::string& file) {
  if (bytes.empty()) fail("image", file, 0, "", "empty file (expected a PNG or JPEG image)");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX))
    fail("image", file, 0, "", "file too large for an image");
  // Only PNG and JPEG reach stb: its other decoders (TGA above all) accept almost any bytes, so a
  // PNG with a damaged signature could otherwise "decode" as garbage.
  const bool png = media::has_png_signature(bytes);
  const bool jpeg = media::has_jpeg_signature(bytes);
  if (!png && !jpeg)
    fail("image", file, 0, "header",
         "expected a PNG or JPEG image, got the signature " + quote(bytes.substr(0, 8)));
  int w = 0, h = 0, comp = 0;
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  if (!stbi_info_from_memory(data, static_cast<int>(bytes.size()), &w, &h, &comp)) {
    fail("image", file, 0, "header",
         "expected a PNG or JPEG image: " + stb_reason("unknown format"));
  }
  if (!media::image_size_ok(w, h))
    fail("image", file, 0, "size",
         "expected a size of at most " + std::to_string(kMaxImageSide) + " a side and " +
             std::to_string(kMaxImagePixels) + " pixels, got " + std::to_string(w) + "x" +
             std::to_string(h));
  return {w, h};
}

}  // namespace

std::array<int, 2> image_size(std::string_view bytes, const std::string& file) {
  return checked_info(bytes, file);
}

Image decode_image(std::string_view bytes, const std::string& file) {
  const auto wh = checked_info(bytes, file);
  if (bytes[0] == '\x89') check_png_chunk_lengths(bytes, file);  // PNG (checked_info: PNG|JPEG)
  int w = 0, h = 0, comp = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> px(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                            static_cast<int>(bytes.size()), &w, &h, &comp, 3),
      stbi_image_free);
  if (!px) {
    fail("image", file, 0, "data", "corrupt or truncated image: " + stb_reason("decoder failed"));
  }
  if (w != wh[0] || h != wh[1])
    fail("image", file, 0, "size",
         "decoded size " + std::to_string(w) + "x" + std::to_string(h) +
             " differs from the header's " + std::to_string(wh[0]) + "x" + std::to_string(wh[1]));
  Image img;
  img.width = w;
  img.height = h;
  const std::size_t n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3;
  img.rgb.assign(px.get(), px.get() + n);
  return img;
}

// ============================================================================================
// [SECTION] File helpers
// ============================================================================================
namespace {

[[noreturn]] void fail_io(const std::filesystem::path& p, const std::string& what, int err) {
  fail("", p.string(), 0, "", what + ": " + std::strerror(err));
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

namespace {

// regular_only: a data file of a dataset; a directory, fifo, socket or device is an error naming
// it (opened with O_NONBLOCK, so that a fifo does not block; no extra system call).
std::string read_bytes(const std::filesystem::path& p, bool regular_only) {
  Fd f;
  f.fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));
  if (f.fd < 0) fail_io(p, "cannot open", errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) fail_io(p, "cannot stat", errno);
  if (regular_only && !S_ISREG(st.st_mode))
    fail("", p.string(), 0, "",
         S_ISDIR(st.st_mode) ? "is a directory, not a file" : "is not a regular file");
  if (S_ISDIR(st.st_mode)) fail_io(p, "cannot read", EISDIR);
  const bool regular = S_ISREG(st.st_mode);
  std::string out;
  // One spare byte: a short read of a regular file then means end of file, saving a read() call.
  std::size_t cap = regular ? static_cast<std::size_t>(st.st_size) + 1 : 65536;
  out.resize(cap);
  std::size_t got = 0;
  while (true) {
    if (got == out.size()) out.resize(out.size() * 2);
    const ssize_t r = ::read(f.fd, out.data() + got, out.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail_io(p, "cannot read", errno);
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
    if (regular && got < out.size()) break;
  }
  out.resize(got);
  return out;
}

}  // namespace

std::string read_file_bytes(const std::filesystem::path& p) {
  return read_bytes(p, false);
}
std::string read_data_file_bytes(const std::filesystem::path& p) {
  return read_bytes(p, true);
}

ParsedObjects load_objects(const std::filesystem::path& p, LabelKind kind) {
  return parse_objects(read_data_file_bytes(p), p.string(), kind);
}
Calib load_calib(const std::filesystem::path& p) {
  return parse_calib(read_data_file_bytes(p), p.string());
}
PointCloud load_velodyne(const std::filesystem::path& p) {
  return parse_velodyne(read_data_file_bytes(p), p.string());
}
Image load_image(const std::filesystem::path& p) {
  return decode_image(read_data_file_bytes(p), p.string());
}

// ============================================================================================
// [SECTION] Writers
// ============================================================================================
namespace {

void append_fixed(std::string& s, double v, int decimals) {
  char buf[400];  // the longest finite double in fixed notation is ~330 characters
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (r.ec != std::errc()) throw std::invalid_argument("cannot format number");
  s.append(buf, r.ptr);
}

void append_int(std::string& s, int v) {
  char buf[16];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

void write_bytes(const std::filesystem::path& p, const void* data, std::size_t n) {
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::FILE* f = std::fopen(p.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + p.string() + ": " + std::strerror(errno));
  const std::size_t w = n ? std::fwrite(data, 1, n, f) : 0;
  const int close_rc = std::fclose(f);
  if (w != n || close_rc != 0)
    throw std::runtime_error("cannot write " + p.string() + ": " + std::strerror(errno));
}

}  // namespace

std::string format_objects(const std::vector<Object>& objs, bool with_score) {
  std::string s;
  s.reserve(objs.size() * 110);
  for (std::size_t i = 0; i < objs.size(); ++i) {
    const Object& o = objs[i];
    if (with_score && !o.score)
      throw std::invalid_argument("format_objects: object " + std::to_string(i) + " has no score");
    s += o.type.empty() ? class_name(o.cls) : o.type;
    s += ' ';
    append_fixed(s, o.truncated, 2);
    s += ' ';
    append_int(s, o.occluded);
    for (double v : {o.alpha, o.box2d.x1, o.box2d.y1, o.box2d.x2, o.box2d.y2, o.h, o.w, o.l,
                     o.loc_cam.x, o.loc_cam.y, o.loc_cam.z, o.rotation_y}) {
      s += ' ';
      append_fixed(s, v, 2);
    }
    if (with_score) {
      s += ' ';
      append_fixed(s, *o.score, 4);
    }
    s += '\n';
  }
  return s;
}

std::string format_calib(const Calib& c) {
  std::string s;
  auto row = [&s](const char* key, const double* v, std::size_t n) {
    s += key;
    s += ':';
    for (std::size_t i = 0; i < n; ++i) {
      char buf[40];
      auto r = std::to_chars(buf, buf + sizeof buf, v[i], std::chars_format::scientific, 12);
      s += ' ';
      s.append(buf, r.ptr);
    }
    s += '\n';
  };
  static constexpr const char* kP[4] = {"P0", "P1", "P2", "P3"};
  for (std::size_t i = 0; i < 4; ++i) row(kP[i], c.P[i].data(), 12);
  row("R0_rect", c.R0_rect.data(), 9);
  row("Tr_velo_to_cam", c.Tr_velo_to_cam.data(), 12);
  row("Tr_imu_to_velo", c.Tr_imu_to_velo.data(), 12);
  s += '\n';  // KITTI calib files end with an empty line
  return s;
}

void write_text_file(const std::filesystem::path& p, const std::string& text) {
  write_bytes(p, text.data(), text.size());
}

void write_velodyne(const std::filesystem::path& p, const PointCloud& cloud) {
  if (cloud.xyzr.size() % 4 != 0)
    throw std::invalid_argument("write_velodyne: xyzr size is not a multiple of 4");
  if constexpr (std::endian::native == std::endian::big) {
    std::vector<std::uint32_t> le(cloud.xyzr.size());
    for (std::size_t i = 0; i < le.size(); ++i)
      le[i] = __builtin_bswap32(std::bit_cast<std::uint32_t>(cloud.xyzr[i]));
    write_bytes(p, le.data(), le.size() * 4);
  } else {
    write_bytes(p, cloud.xyzr.data(), cloud.xyzr.size() * sizeof(float));
  }
}

void write_png(const std::filesystem::path& p, const Image& img) {
  if (img.width <= 0 || img.height <= 0 ||
      img.rgb.size() !=
          static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height) * 3)
    throw std::invalid_argument("write_png: image size does not match its RGB buffer");
  std::string png;
  auto sink = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data),
                                           static_cast<std::size_t>(size));
  };
  if (!stbi_write_png_to_func(sink, &png, img.width, img.height, 3, img.rgb.data(), img.width * 3))
    throw std::runtime_error("write_png: encoding failed for " + p.string());
  write_bytes(p, png.data(), png.size());
}

}  // namespace needle
