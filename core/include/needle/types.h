// needle/types.h — the plain data model shared by every module.
//
// Contracts:
//  * Coordinates follow KITTI: rectified camera frame (x right, y down, z forward, metres) unless
//  an
//    identifier says otherwise (p_velo, uv_image ...).
//  * An Object is one line of a KITTI label or prediction file. Its identity is stable:
//    (frame id, source, index) where source is "label" or a prediction-set name and index is the
//    0-based position among the file's object lines (blank lines are not counted).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace needle {

enum class ObjectClass : std::uint8_t {
  Car,
  Van,
  Truck,
  Pedestrian,
  PersonSitting,
  Cyclist,
  Tram,
  Misc,
  DontCare,
  Unknown,  // a class name needle does not know; the original text is kept in Object::type
};

// KITTI spelling ("Person_sitting" ...). Unknown -> "Unknown".
const char* class_name(ObjectClass c);
// Exact KITTI spelling; returns Unknown for anything else.
ObjectClass parse_class(std::string_view name);

struct Box2D {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // pixels, image_2
  double width() const { return x2 - x1; }
  double height() const { return y2 - y1; }
  double area() const { return (x2 > x1 && y2 > y1) ? (x2 - x1) * (y2 - y1) : 0.0; }
};

struct Vec3 {
  double x = 0, y = 0, z = 0;
};

struct Object {
  std::string type;  // class name exactly as written in the file
  ObjectClass cls = ObjectClass::Unknown;
  double truncated = 0;  // [0,1]; -1 in some prediction dialects
  int occluded = 0;      // 0..3; -1 in some prediction dialects
  double alpha = 0;      // observation angle; -10 = not given
  Box2D box2d;
  double h = 0, w = 0, l = 0;   // metres; DontCare lines have -1
  Vec3 loc_cam;                 // bottom centre of the box, rectified camera frame
  double rotation_y = 0;        // around camera Y, radians
  std::optional<double> score;  // 16th column (predictions)
  int line = 0;                 // 1-based line in the source file (for messages)

  bool is_dontcare() const { return cls == ObjectClass::DontCare; }
  // A 3D box is usable when dimensions are positive (DontCare and 2D-only lines are not).
  bool has_3d() const { return h > 0 && w > 0 && l > 0; }
  // Range from the camera in the ground plane (x-z), metres.
  double distance() const;
};

// Why a frame (or part of it) could not be used. Shown to the user as "invalid data".
struct Problem {
  std::string modality;  // "image", "velodyne", "calib", "label", "pred:<set>"
  std::string file;
  int line = 0;       // 0 when not line-specific
  std::string field;  // empty when not field-specific
  std::string message;
  bool fatal = true;              // false: a warning (e.g. unknown class kept)
  std::string to_string() const;  // "file:line: field 'x': message"
};

// Point cloud in the velodyne frame: x,y,z,reflectance interleaved (16 bytes a point), ready for
// GL.
struct PointCloud {
  std::vector<float> xyzr;
  std::size_t size() const { return xyzr.size() / 4; }
};

// 8-bit RGB image, row-major, top row first.
struct Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
  bool empty() const { return rgb.empty(); }
};

}  // namespace needle
