// needle/kitti_io.h — parsers and writers for the KITTI object formats.
//
// Every parser throws ParseError naming file, line and field on malformed input. Parsers take the
// file's bytes plus a display name so that they can be fuzzed and tested without files.
// Tolerated dialects (see ../shared/kitti/SOURCES.md): scores of any magnitude, alpha 0 or -10,
// truncation/occlusion -1, trailing spaces and blank lines, CRLF, integer or float 2D boxes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "needle/calib.h"
#include "needle/types.h"

namespace needle {

enum class LabelKind { GroundTruth, Prediction };

struct ParsedObjects {
  std::vector<Object> objects;
  std::vector<Problem> warnings;  // non-fatal: unknown class names (kept as ObjectClass::Unknown)
  // Fatal, one per object left out of `objects` for physically impossible geometry (see
  // parse_objects); the rest of the file is usable. Later objects' indices shift; Object::line
  // keeps the file line.
  std::vector<Problem> invalid_objects;
};

// Limits of physically possible geometry for a non-DontCare object (parse_objects): beyond any of
// them the object is invalid, not a finding. Values are generous bounds, not KITTI statistics.
struct GeometryLimits {
  // Road objects: the tallest vehicles (double-deck buses, trucks) are ~4.5 m high and at most
  // ~2.6 m wide (EU/US limits; oversize loads ~5 m); the longest (trams, road trains) are ~55 m.
  static constexpr double kMaxHeight = 10.0, kMaxWidth = 10.0, kMaxLength = 60.0;  // metres
  // KITTI's lidar reaches ~120 m; anything beyond 500 m on any camera axis is not an observation.
  static constexpr double kMaxCoordinate = 500.0;  // metres, |x|, |y|, |z|
  // Angles are radians in [-pi, pi]; past +-10 the value cannot be an angle in any dialect
  // (alpha = -10 exactly is KITTI's "not given" and is accepted).
  static constexpr double kMaxAngle = 10.0;
};

// Label files: 15 fields a line (a 16th score field is accepted and kept). Prediction files:
// 16 fields a line (score required). An empty file or one with only whitespace yields no objects.
// Rules: every number finite (no nan/inf); occluded an integer -1..3 ("0.00" accepted);
// h, w, l > 0, except "-1 -1 -1" on DontCare lines (2D-only); an unknown class name is kept as
// ObjectClass::Unknown with one non-fatal warning per distinct name. A non-DontCare object with
// impossible geometry (GeometryLimits: a dimension, a coordinate or an angle out of bounds) is
// left out of `objects` with a fatal Problem in `invalid_objects` naming line and field. Problems
// carry modality "label" (GroundTruth) or "pred" (Prediction); callers that know the set name
// replace it.
ParsedObjects parse_objects(std::string_view text, const std::string& file, LabelKind kind);
// All 7 keys required (P0..P3: 12 values, R0_rect: 9, Tr_velo_to_cam, Tr_imu_to_velo: 12);
// raw-KITTI aliases R_rect and Tr_velo_cam are accepted; other keys are ignored; duplicates and
// lines without "KEY:" are errors.
Calib parse_calib(std::string_view text, const std::string& file);
// Velodyne .bin: float32 x,y,z,reflectance. Size must be a non-zero multiple of 16, values finite.
PointCloud parse_velodyne(std::string_view bytes, const std::string& file);
// PNG/JPEG through stb_image, converted to RGB. Images over 16384 pixels a side or 40 Mpixel are
// rejected before decoding (corrupt headers must not allocate gigabytes); files without a PNG or
// JPEG signature never reach stb (its TGA and other decoders accept almost any bytes).
Image decode_image(std::string_view bytes, const std::string& file);
// Image width/height from the header only (cheap). Throws ParseError when unreadable.
std::array<int, 2> image_size(std::string_view bytes, const std::string& file);

// File helpers: read the whole file (ParseError if missing/unreadable), then parse.
std::string read_file_bytes(const std::filesystem::path& p);
// The same for a dataset's data files: a directory, fifo, socket or device where a file is expected
// is a ParseError naming it ("is a directory, not a file" / "is not a regular file"); never blocks.
// The load_* helpers below read through it.
std::string read_data_file_bytes(const std::filesystem::path& p);
ParsedObjects load_objects(const std::filesystem::path& p, LabelKind kind);
Calib load_calib(const std::filesystem::path& p);
PointCloud load_velodyne(const std::filesystem::path& p);
Image load_image(const std::filesystem::path& p);

// Writers (used by the demo generator and tests). Formats match KITTI's with 2 decimals
// (scores with 4), so that write -> parse round-trips to that precision.
std::string format_objects(const std::vector<Object>& objs, bool with_score);
std::string format_calib(const Calib& c);
void write_text_file(const std::filesystem::path& p, const std::string& text);
void write_velodyne(const std::filesystem::path& p, const PointCloud& cloud);
void write_png(const std::filesystem::path& p, const Image& img);

}  // namespace needle
