// Fuzzes parse_objects (ground-truth labels and predictions) and format_objects.
// Invariants: either ParseError or objects whose numbers are finite, whose dimensions are positive
// (or the DontCare -1 -1 -1), whose line numbers increase, whose geometry is within
// GeometryLimits (others are in invalid_objects, fatal, with line and field); predictions always
// carry a score.
#include <cstdint>

#include "fuzz_common.h"
#include "needle/kitti_io.h"

using namespace needle;

namespace {

void check_objects(const ParsedObjects& po, LabelKind kind) {
  int last_line = 0;
  for (const Object& o : po.objects) {
    NEEDLE_FUZZ_ASSERT(o.line > last_line);
    last_line = o.line;
    NEEDLE_FUZZ_ASSERT(!o.type.empty());
    NEEDLE_FUZZ_ASSERT(o.cls == parse_class(o.type));
    for (double v : {o.truncated, o.alpha, o.box2d.x1, o.box2d.y1, o.box2d.x2, o.box2d.y2, o.h, o.w,
                     o.l, o.loc_cam.x, o.loc_cam.y, o.loc_cam.z, o.rotation_y})
      NEEDLE_FUZZ_ASSERT(std::isfinite(v));
    NEEDLE_FUZZ_ASSERT(o.occluded >= -1 && o.occluded <= 3);
    NEEDLE_FUZZ_ASSERT(o.has_3d() || (o.is_dontcare() && o.h == -1 && o.w == -1 && o.l == -1));
    if (kind == LabelKind::Prediction) NEEDLE_FUZZ_ASSERT(o.score.has_value());
    if (o.score) NEEDLE_FUZZ_ASSERT(std::isfinite(*o.score));
    // Impossible geometry never reaches the objects (GeometryLimits).
    if (!o.is_dontcare()) {
      using L = GeometryLimits;
      NEEDLE_FUZZ_ASSERT(o.h <= L::kMaxHeight && o.w <= L::kMaxWidth && o.l <= L::kMaxLength);
      for (double c : {o.loc_cam.x, o.loc_cam.y, o.loc_cam.z})
        NEEDLE_FUZZ_ASSERT(std::abs(c) <= L::kMaxCoordinate);
      NEEDLE_FUZZ_ASSERT(std::abs(o.rotation_y) <= L::kMaxAngle);
      NEEDLE_FUZZ_ASSERT(std::abs(o.alpha) <= L::kMaxAngle);
    }
  }
  for (const Problem& p : po.invalid_objects) {
    NEEDLE_FUZZ_ASSERT(p.fatal);
    NEEDLE_FUZZ_ASSERT(p.line > 0);
    NEEDLE_FUZZ_ASSERT(!p.field.empty());
  }
  for (const Problem& w : po.warnings) {
    NEEDLE_FUZZ_ASSERT(!w.fatal);
    NEEDLE_FUZZ_ASSERT(w.line > 0);
  }
  // The writer must cope with anything the parser accepts, and its output must parse again
  // with the same number of objects (values may round to 2 decimals, so a dimension below 0.005
  // may legitimately become 0 and be rejected: only check when all dimensions survive rounding).
  bool dims_survive = true;
  for (const Object& o : po.objects)
    if (o.has_3d() && (o.h < 0.005 || o.w < 0.005 || o.l < 0.005)) dims_survive = false;
  const bool with_score = kind == LabelKind::Prediction;
  const std::string text = format_objects(po.objects, with_score);
  if (dims_survive) {
    try {
      const ParsedObjects again = parse_objects(text, "roundtrip.txt", kind);
      NEEDLE_FUZZ_ASSERT(again.objects.size() == po.objects.size());
    } catch (const ParseError& e) {
      std::fprintf(stderr, "format_objects output does not parse: %s\n", e.what());
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_view(data, size);
  for (LabelKind kind : {LabelKind::GroundTruth, LabelKind::Prediction}) {
    try {
      check_objects(parse_objects(text, "fuzz.txt", kind), kind);
    } catch (const ParseError& e) {
      fuzz::check_error(e, "fuzz.txt");
    }
  }
  return 0;
}
