// Tests for needle/kitti_io.h: the label/prediction, calib, velodyne and image parsers (dialects
// and every error case, each checked to name file, line and field), the writers (round trips) and
// the real KITTI sample files.
//
// Index: helpers; labels and predictions (good input, dialects, errors); calibration; velodyne;
// images; object writer; read_file_bytes; real KITTI sample files.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "needle/error.h"
#include "needle/kitti_io.h"
#include "support/test_support.h"

using namespace needle;

namespace {

// Runs f, which must throw ParseError; returns its Problem.
template <typename F>
Problem parse_error_of(F&& f) {
  try {
    f();
  } catch (const ParseError& e) {
    return e.problem();
  }
  FAIL("expected a ParseError");
  return {};
}

// The error names file, line and field, both in the Problem and in the message shown to users.
void check_names(const Problem& p, const std::string& file, int line, const std::string& field,
                 const std::string& expect_in_message) {
  INFO(p.to_string());
  CHECK(p.file == file);
  CHECK(p.line == line);
  CHECK(p.field == field);
  CHECK(p.fatal);
  const std::string s = p.to_string();
  CHECK(s.find(file) != std::string::npos);
  if (line > 0) CHECK(s.find(":" + std::to_string(line) + ":") != std::string::npos);
  if (!field.empty()) CHECK(s.find("'" + field + "'") != std::string::npos);
  CHECK(s.find(expect_in_message) != std::string::npos);
}

Problem objects_error(const std::string& text, LabelKind kind = LabelKind::GroundTruth) {
  return parse_error_of([&] { parse_objects(text, "f.txt", kind); });
}

const std::string kCarLine =
    "Car 0.88 3 -0.69 0.00 192.37 402.31 374.00 1.60 1.57 3.23 -2.70 1.74 3.68 -1.29";
const std::string kDontCareLine =
    "DontCare -1 -1 -10 800.38 163.67 825.45 184.07 -1 -1 -1 -1000 -1000 -1000 -10";

const std::string kCalib =
    "P0: 7.070493000000e+02 0.000000000000e+00 6.040814000000e+02 0.000000000000e+00 "
    "0.000000000000e+00 7.070493000000e+02 1.805066000000e+02 0.000000000000e+00 "
    "0.000000000000e+00 0.000000000000e+00 1.000000000000e+00 0.000000000000e+00\n"
    "P1: 7.070493000000e+02 0 6.040814000000e+02 -3.797842000000e+02 0 7.070493000000e+02 "
    "1.805066000000e+02 0 0 0 1 0\n"
    "P2: 7.070493000000e+02 0 6.040814000000e+02 4.575831000000e+01 0 7.070493000000e+02 "
    "1.805066000000e+02 -3.454157000000e-01 0 0 1 4.981016000000e-03\n"
    "P3: 7.070493000000e+02 0 6.040814000000e+02 -3.341081000000e+02 0 7.070493000000e+02 "
    "1.805066000000e+02 2.330660000000e+00 0 0 1 3.201153000000e-03\n"
    "R0_rect: 9.999128000000e-01 1.009263000000e-02 -8.511932000000e-03 -1.012729000000e-02 "
    "9.999406000000e-01 -4.037671000000e-03 8.470675000000e-03 4.123522000000e-03 "
    "9.999556000000e-01\n"
    "Tr_velo_to_cam: 6.927964000000e-03 -9.999722000000e-01 -2.757829000000e-03 "
    "-2.457729000000e-02 -1.162982000000e-03 2.749836000000e-03 -9.999955000000e-01 "
    "-6.127237000000e-02 9.999753000000e-01 6.931141000000e-03 -1.143899000000e-03 "
    "-3.321029000000e-01\n"
    "Tr_imu_to_velo: 9.999976000000e-01 7.553071000000e-04 -2.035826000000e-03 -8.086759000000e-01 "
    "-7.854027000000e-04 9.998898000000e-01 -1.482298000000e-02 3.195559000000e-01 "
    "2.024406000000e-03 1.482454000000e-02 9.998881000000e-01 -7.997231000000e-01\n"
    "\n";

std::string replace_line(const std::string& text, const std::string& key, const std::string& with) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    if (line.rfind(key + ":", 0) == 0) {
      if (!with.empty()) out += with + "\n";
    } else {
      out += line + "\n";
    }
    pos = nl + 1;
  }
  return out;
}

std::string float_bytes(const std::vector<float>& v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

Image test_image(int w, int h) {
  Image img;
  img.width = w;
  img.height = h;
  img.rgb.resize(static_cast<std::size_t>(w * h * 3));
  for (std::size_t i = 0; i < img.rgb.size(); ++i)
    img.rgb[i] = static_cast<std::uint8_t>((i * 7 + i / 5) & 0xff);
  return img;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Labels and predictions: good input and dialects
// ---------------------------------------------------------------------------------------------
TEST_CASE("a KITTI ground-truth line parses into every field", "[kitti_io]") {
  const auto po = parse_objects(kCarLine + "\n", "l.txt", LabelKind::GroundTruth);
  REQUIRE(po.objects.size() == 1);
  CHECK(po.warnings.empty());
  const Object& o = po.objects[0];
  CHECK(o.type == "Car");
  CHECK(o.cls == ObjectClass::Car);
  CHECK(o.truncated == Approx(0.88));
  CHECK(o.occluded == 3);
  CHECK(o.alpha == Approx(-0.69));
  CHECK(o.box2d.x1 == Approx(0.0));
  CHECK(o.box2d.y1 == Approx(192.37));
  CHECK(o.box2d.x2 == Approx(402.31));
  CHECK(o.box2d.y2 == Approx(374.0));
  CHECK(o.h == Approx(1.60));
  CHECK(o.w == Approx(1.57));
  CHECK(o.l == Approx(3.23));
  CHECK(o.loc_cam.x == Approx(-2.70));
  CHECK(o.loc_cam.y == Approx(1.74));
  CHECK(o.loc_cam.z == Approx(3.68));
  CHECK(o.rotation_y == Approx(-1.29));
  CHECK_FALSE(o.score.has_value());
  CHECK(o.line == 1);
  CHECK(o.has_3d());
}

TEST_CASE("DontCare lines with -1 dimensions are 2D-only objects", "[kitti_io]") {
  const auto po =
      parse_objects(kCarLine + "\n" + kDontCareLine + "\n", "l.txt", LabelKind::GroundTruth);
  REQUIRE(po.objects.size() == 2);
  const Object& d = po.objects[1];
  CHECK(d.is_dontcare());
  CHECK_FALSE(d.has_3d());
  CHECK(d.h == -1);
  CHECK(d.occluded == -1);
  CHECK(d.alpha == -10);
  CHECK(d.loc_cam.z == -1000);
  CHECK(d.box2d.x2 == Approx(825.45));
  CHECK(d.line == 2);
}

TEST_CASE("prediction dialects parse", "[kitti_io][dialect]") {
  SECTION("Point-GNN: -1 -1 0, full-precision box, score > 100, trailing space, extra empty line") {
    const std::string text =
        "Car -1 -1 0 325.18051713943726 176.25403072190494 616.8116007385197 369.13047575239625 "
        "1.5505393 1.5925176 3.6884613 -1.2002802 1.5970109 7.866401 1.8636651 130.9522574107333 \n"
        "Car -1 -1 0 601.898837471519 177.88310059810772 719.4596066172809 263.50379675064784 "
        "1.4474399 1.5614035 3.6566117 1.1445199 1.5616317 14.4066925 1.8676358 140.64186342002472 "
        "\n"
        "\n";
    const auto po = parse_objects(text, "p.txt", LabelKind::Prediction);
    REQUIRE(po.objects.size() == 2);
    CHECK(po.objects[0].truncated == -1);
    CHECK(po.objects[0].occluded == -1);
    CHECK(po.objects[0].alpha == 0);
    CHECK(po.objects[0].box2d.x1 == Approx(325.18051713943726));
    CHECK(*po.objects[1].score == Approx(140.64186342002472));
    CHECK(po.objects[1].line == 2);
  }
  SECTION("Frustum PointNets: -1 -1 -10, integer-valued box with six decimals, score in [0,1]") {
    const std::string text =
        "Car -1 -1 -10 883.000000 179.000000 956.000000 239.000000 1.543444 1.625318 3.337098 "
        "8.553947 1.750128 20.043454 -1.222958 0.999218\n"
        "Cyclist -1 -1 -10 883.000000 179.000000 956.000000 239.000000 1.7 0.6 1.8 8.5 1.7 20.0 "
        "-1.2 0.0123\n";
    const auto po = parse_objects(text, "p.txt", LabelKind::Prediction);
    REQUIRE(po.objects.size() == 2);
    CHECK(po.objects[0].alpha == -10);
    CHECK(po.objects[1].cls == ObjectClass::Cyclist);
    CHECK(*po.objects[1].score == Approx(0.0123));
  }
  SECTION("integer 2D boxes and integers everywhere") {
    const auto po = parse_objects("Car 0 0 0 712 143 810 307 2 2 4 1 2 8 0 1\n", "p.txt",
                                  LabelKind::Prediction);
    REQUIRE(po.objects.size() == 1);
    CHECK(po.objects[0].box2d.x1 == 712);
    CHECK(po.objects[0].box2d.y2 == 307);
    CHECK(*po.objects[0].score == 1);
  }
  SECTION("CRLF line endings, tabs, trailing blank lines, a byte-order mark") {
    const std::string text = "\xEF\xBB\xBF" + kCarLine + "\r\n" +
                             "Pedestrian\t0.00 0 0.1 1 2 3 4 1.7 0.5 0.6 1 2 9 0.2\r\n\r\n  \r\n\n";
    const auto po = parse_objects(text, "l.txt", LabelKind::GroundTruth);
    REQUIRE(po.objects.size() == 2);
    CHECK(po.objects[0].type == "Car");
    CHECK(po.objects[1].cls == ObjectClass::Pedestrian);
    CHECK(po.objects[1].rotation_y == Approx(0.2));
    CHECK(po.objects[1].line == 2);
  }
  SECTION("no trailing newline, negative and exponent scores, '+' signs, occluded as 1.00") {
    const auto po = parse_objects("Van 0 1.00 +0.5 1 2 3 4 2 2 5 1 2 8 0 -3.5e-1", "p.txt",
                                  LabelKind::Prediction);
    REQUIRE(po.objects.size() == 1);
    CHECK(po.objects[0].occluded == 1);
    CHECK(po.objects[0].alpha == 0.5);
    CHECK(*po.objects[0].score == Approx(-0.35));
  }
  SECTION("a ground-truth file may carry a score column") {
    const auto po = parse_objects(kCarLine + " 0.75\n", "l.txt", LabelKind::GroundTruth);
    REQUIRE(po.objects.size() == 1);
    CHECK(*po.objects[0].score == 0.75);
  }
  SECTION("every KITTI class name") {
    std::string text;
    for (const char* c :
         {"Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram", "Misc"})
      text += std::string(c) + " 0 0 0 1 2 3 4 1 1 1 1 2 8 0\n";
    const auto po = parse_objects(text, "l.txt", LabelKind::GroundTruth);
    REQUIRE(po.objects.size() == 8);
    for (const Object& o : po.objects) CHECK(o.cls != ObjectClass::Unknown);
    CHECK(po.objects[4].cls == ObjectClass::PersonSitting);
    CHECK(po.warnings.empty());
  }
}

TEST_CASE("empty and whitespace-only object files yield no objects", "[kitti_io]") {
  for (const char* text : {"", "\n", "  \r\n\t\n", "\n\n\n"}) {
    CHECK(parse_objects(text, "f.txt", LabelKind::GroundTruth).objects.empty());
    CHECK(parse_objects(text, "f.txt", LabelKind::Prediction).objects.empty());
  }
}

TEST_CASE("unknown class names are kept with one non-fatal warning per name", "[kitti_io]") {
  const std::string text = "Sign 0 0 0 1 2 3 4 1 1 1 1 2 8 0\n" + kCarLine +
                           "\nSign 0 0 0 1 2 3 4 1 1 1 1 2 8 0\ncar 0 0 0 1 2 3 4 1 1 1 1 2 8 0\n";
  const auto po = parse_objects(text, "l.txt", LabelKind::GroundTruth);
  REQUIRE(po.objects.size() == 4);
  CHECK(po.objects[0].cls == ObjectClass::Unknown);
  CHECK(po.objects[0].type == "Sign");
  CHECK(po.objects[3].cls == ObjectClass::Unknown);  // names are case-sensitive, as in KITTI
  REQUIRE(po.warnings.size() == 2);
  for (const Problem& w : po.warnings) {
    CHECK_FALSE(w.fatal);
    CHECK(w.file == "l.txt");
    CHECK(w.field == "type");
    CHECK(w.modality == "label");
  }
  const Problem& sign =
      po.warnings[0].message.find("'Sign'") != std::string::npos ? po.warnings[0] : po.warnings[1];
  CHECK(sign.line == 1);
  CHECK(sign.message.find("2 lines") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Labels and predictions: errors name file, line and field
// ---------------------------------------------------------------------------------------------
TEST_CASE("object parse errors name file, line and field", "[kitti_io][errors]") {
  SECTION("too few fields in a label") {
    check_names(objects_error(kCarLine + "\nCar 0 0 0 1 2 3 4 1 1 1 1 2 8\n"), "f.txt", 2,
                "rotation_y", "expected 15 fields");
  }
  SECTION("a prediction without a score") {
    auto p = objects_error(kCarLine + "\n", LabelKind::Prediction);
    check_names(p, "f.txt", 1, "score", "expected 16 fields");
    CHECK(p.modality == "pred");
  }
  SECTION("too many fields") {
    check_names(objects_error(kCarLine + " 0.5 7\n"), "f.txt", 1, "#17", "got 17");
    check_names(objects_error(kCarLine + " 0.5 7\n", LabelKind::Prediction), "f.txt", 1, "#17",
                "got 17");
  }
  SECTION("a lone word") {
    check_names(objects_error("Car\n"), "f.txt", 1, "truncated", "got 1");
  }
  SECTION("non-numeric value; blank lines still count") {
    check_names(objects_error(kCarLine + "\n\nCar 0 0 0 1 2 3 4 1.5 abc 1 1 2 8 0\n"), "f.txt", 3,
                "width", "'abc'");
  }
  SECTION("trailing garbage in a number") {
    check_names(objects_error("Car 0 0 0 1 2 3 4 1.5 1 1 1 2 8.0m 0\n"), "f.txt", 1, "z", "'8.0m'");
  }
  SECTION("NaN and infinities") {
    check_names(objects_error("Car nan 0 0 1 2 3 4 1 1 1 1 2 8 0\n"), "f.txt", 1, "truncated",
                "finite");
    check_names(objects_error("Car 0 0 0 1 2 inf 4 1 1 1 1 2 8 0\n"), "f.txt", 1, "bbox_right",
                "finite");
    check_names(objects_error("Car 0 0 0 1 2 3 4 1 1 1 1 2 8 -infinity\n"), "f.txt", 1,
                "rotation_y", "finite");
    check_names(objects_error("Car 0 0 0 1 2 3 4 1 1 1 1 2 8 0 NaN\n", LabelKind::Prediction),
                "f.txt", 1, "score", "finite");
    check_names(objects_error("Car 0 0 0 1 2 3 4 1 1 1 1 2 1e999 0\n"), "f.txt", 1, "z", "finite");
  }
  SECTION("zero or negative dimensions") {
    check_names(objects_error("Car 0 0 0 1 2 3 4 0 1 1 1 2 8 0\n"), "f.txt", 1, "height",
                "positive");
    check_names(objects_error("Car 0 0 0 1 2 3 4 1 -0.5 1 1 2 8 0\n"), "f.txt", 1, "width",
                "positive");
    check_names(objects_error("Car 0 0 0 1 2 3 4 1 1 -2 1 2 8 0\n"), "f.txt", 1, "length",
                "positive");
  }
  SECTION("-1 -1 -1 dimensions are only valid for DontCare") {
    check_names(objects_error("Car -1 -1 -10 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n"), "f.txt", 1,
                "height", "only valid on DontCare");
    check_names(objects_error("Sign -1 -1 -10 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n"), "f.txt",
                1, "height", "only valid on DontCare");
    // A DontCare with only some dimensions at -1 is not the 2D-only form.
    check_names(objects_error("DontCare -1 -1 -10 1 2 3 4 -1 2 -1 -1000 -1000 -1000 -10\n"),
                "f.txt", 1, "height", "positive");
  }
  SECTION("occluded must be an integer -1..3") {
    check_names(objects_error("Car 0 4 0 1 2 3 4 1 1 1 1 2 8 0\n"), "f.txt", 1, "occluded",
                "-1..3");
    check_names(objects_error("Car 0 1.5 0 1 2 3 4 1 1 1 1 2 8 0\n"), "f.txt", 1, "occluded",
                "-1..3");
  }
  SECTION("a byte-order mark is only skipped at the start of the file (fuzzer finding)") {
    check_names(objects_error("\xEF\xBB\xBF\xEF\xBB\xBF 3 1.00 +0.5 1 2 3 4 2 2 5 1 2 8 0 1"),
                "f.txt", 1, "type", "byte-order mark");
    check_names(objects_error("\n\xEF\xBB\xBF" + kCarLine), "f.txt", 2, "type", "byte-order mark");
  }
  SECTION("binary garbage is quoted safely") {
    const Problem p =
        objects_error(std::string("Car 0 0 0 1 2 3 4 1 1 1 1 2 8 \x01\x02\xff", 33) + "\n");
    CHECK(p.field == "rotation_y");
    CHECK(p.message.find("\\x01\\x02\\xff") != std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// Calibration
// ---------------------------------------------------------------------------------------------
TEST_CASE("calib files parse; aliases, CRLF and a missing final empty line are accepted",
          "[kitti_io][calib]") {
  const Calib c = parse_calib(kCalib, "c.txt");
  CHECK(c.P[2][0] == Approx(707.0493));
  CHECK(c.P[2][3] == Approx(45.75831));
  CHECK(c.P[2][11] == Approx(4.981016e-03));
  CHECK(c.P[1][3] == Approx(-379.7842));
  CHECK(c.R0_rect[8] == Approx(0.9999556));
  CHECK(c.Tr_velo_to_cam[1] == Approx(-0.9999722));
  CHECK(c.Tr_imu_to_velo[11] == Approx(-0.7997231));

  std::string crlf;
  for (char ch : kCalib) {
    if (ch == '\n') crlf += '\r';
    crlf += ch;
  }
  CHECK(parse_calib(crlf, "c.txt").P[2][3] == Approx(45.75831));
  CHECK(parse_calib(kCalib.substr(0, kCalib.size() - 1), "c.txt").R0_rect[0] == Approx(0.9999128));

  std::string raw = kCalib;
  raw.replace(raw.find("R0_rect:"), 8, "R_rect:");
  raw.replace(raw.find("Tr_velo_to_cam:"), 15, "Tr_velo_cam:");
  raw += "calib_time: 09-Jan-2012 13:57:47\n";  // extra keys are ignored
  const Calib a = parse_calib(raw, "c.txt");
  CHECK(a.R0_rect[4] == Approx(0.9999406));
  CHECK(a.Tr_velo_to_cam[3] == Approx(-0.02457729));
}

TEST_CASE("calib errors name file, line and field", "[kitti_io][calib][errors]") {
  SECTION("each of the 7 keys missing") {
    for (const char* key :
         {"P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"}) {
      const std::string text = replace_line(kCalib, key, "");
      const Problem p = parse_error_of([&] { parse_calib(text, "c.txt"); });
      check_names(p, "c.txt", 0, key, "missing key");
      CHECK(p.modality == "calib");
    }
  }
  SECTION("wrong number of values") {
    check_names(parse_error_of([&] {
                  parse_calib(replace_line(kCalib, "P2", "P2: 1 2 3 4 5 6 7 8 9 10 11"), "c.txt");
                }),
                "c.txt", 3, "P2", "expected 12 values, got 11");
    // replace_line keeps the order, so R0_rect is still on line 5.
    check_names(parse_error_of([&] {
                  parse_calib(replace_line(kCalib, "R0_rect", "R0_rect: 1 0 0 0 1 0 0 0 1 0 0 0"),
                              "c.txt");
                }),
                "c.txt", 5, "R0_rect", "expected 9 values, got 12");
  }
  SECTION("non-numeric and non-finite values") {
    check_names(parse_error_of([&] {
                  parse_calib(replace_line(kCalib, "P2", "P2: 1 2 3 x 5 6 7 8 9 10 11 12"),
                              "c.txt");
                }),
                "c.txt", 3, "P2[3]", "'x'");
    check_names(parse_error_of([&] {
                  parse_calib(replace_line(kCalib, "Tr_imu_to_velo",
                                           "Tr_imu_to_velo: 1 2 3 4 5 6 7 8 9 10 11 nan"),
                              "c.txt");
                }),
                "c.txt", 7, "Tr_imu_to_velo[11]", "finite");
  }
  SECTION("duplicate key") {
    check_names(
        parse_error_of([&] { parse_calib(kCalib + "P1: 1 2 3 4 5 6 7 8 9 10 11 12\n", "c.txt"); }),
        "c.txt", 9, "P1", "duplicate key");
  }
  SECTION("a line without KEY:") {
    check_names(parse_error_of([&] { parse_calib("P0 1 2 3\n" + kCalib, "c.txt"); }), "c.txt", 1,
                "", "expected 'KEY: values'");
  }
  SECTION("zero-byte and whitespace-only files") {
    check_names(parse_error_of([&] { parse_calib("", "c.txt"); }), "c.txt", 0, "", "empty file");
    check_names(parse_error_of([&] { parse_calib("\n \n", "c.txt"); }), "c.txt", 0, "", "no data");
  }
}

TEST_CASE("format_calib round-trips through parse_calib", "[kitti_io][calib][writer]") {
  const Calib c = parse_calib(kCalib, "c.txt");
  const std::string text = format_calib(c);
  CHECK(text.rfind("P0: 7.070493000000e+02 ", 0) == 0);  // KITTI's own %.12e layout
  CHECK(text.substr(text.size() - 2) == "\n\n");
  const Calib r = parse_calib(text, "w.txt");
  for (std::size_t k = 0; k < 4; ++k)
    for (std::size_t i = 0; i < 12; ++i) CHECK(r.P[k][i] == c.P[k][i]);
  for (std::size_t i = 0; i < 9; ++i) CHECK(r.R0_rect[i] == c.R0_rect[i]);
  for (std::size_t i = 0; i < 12; ++i) CHECK(r.Tr_velo_to_cam[i] == c.Tr_velo_to_cam[i]);
  for (std::size_t i = 0; i < 12; ++i) CHECK(r.Tr_imu_to_velo[i] == c.Tr_imu_to_velo[i]);
}

// ---------------------------------------------------------------------------------------------
// Velodyne
// ---------------------------------------------------------------------------------------------
TEST_CASE("velodyne bytes parse into x,y,z,reflectance", "[kitti_io][velodyne]") {
  const PointCloud pc = parse_velodyne(float_bytes({1, 2, 3, 0.5f, -4, 5.5f, -6, 0}), "v.bin");
  REQUIRE(pc.size() == 2);
  CHECK(pc.xyzr[0] == 1);
  CHECK(pc.xyzr[3] == 0.5f);
  CHECK(pc.xyzr[5] == 5.5f);
}

TEST_CASE("velodyne errors name the file and the field", "[kitti_io][velodyne][errors]") {
  check_names(parse_error_of([] { parse_velodyne("", "v.bin"); }), "v.bin", 0, "", "empty file");
  check_names(parse_error_of([] { parse_velodyne(std::string(20, '\0'), "v.bin"); }), "v.bin", 0,
              "size", "multiple of 16");
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  const Problem p = parse_error_of([&] {
    parse_velodyne(float_bytes({1, 2, 3, 0, 1, 2, nan, 0}), "v.bin");
  });
  check_names(p, "v.bin", 0, "point 1 z", "finite");
  CHECK(p.modality == "velodyne");
  check_names(parse_error_of([&] {
                parse_velodyne(float_bytes({1, 2, 3, -inf}), "v.bin");
              }),
              "v.bin", 0, "point 0 reflectance", "finite");
}

TEST_CASE("write_velodyne round-trips bit for bit", "[kitti_io][velodyne][writer]") {
  const auto dir = test::temp_dir("velo");
  PointCloud pc;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-80, 80);
  for (int i = 0; i < 4000; ++i) pc.xyzr.push_back(u(rng));
  write_velodyne(dir / "a.bin", pc);
  CHECK(std::filesystem::file_size(dir / "a.bin") == 16000);
  const PointCloud back = load_velodyne(dir / "a.bin");
  CHECK(back.xyzr == pc.xyzr);
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------
TEST_CASE("write_png round-trips; image_size reads the header", "[kitti_io][image][writer]") {
  const auto dir = test::temp_dir("png");
  const Image img = test_image(37, 11);
  write_png(dir / "a.png", img);
  const std::string bytes = read_file_bytes(dir / "a.png");
  const auto wh = image_size(bytes, "a.png");
  CHECK(wh[0] == 37);
  CHECK(wh[1] == 11);
  const Image back = load_image(dir / "a.png");
  CHECK(back.width == 37);
  CHECK(back.height == 11);
  CHECK(back.rgb == img.rgb);
  // Only the header is needed for the size.
  CHECK(image_size(std::string_view(bytes).substr(0, 40), "a.png")[0] == 37);
  CHECK_THROWS_AS(write_png(dir / "b.png", Image{4, 4, std::vector<std::uint8_t>(5)}),
                  std::invalid_argument);
}

TEST_CASE("corrupt images are rejected with a ParseError naming the file",
          "[kitti_io][image][errors]") {
  const auto dir = test::temp_dir("badpng");
  write_png(dir / "a.png", test_image(64, 48));
  const std::string good = read_file_bytes(dir / "a.png");
  SECTION("zero bytes") {
    check_names(parse_error_of([] { decode_image("", "i.png"); }), "i.png", 0, "", "empty file");
    check_names(parse_error_of([] { image_size("", "i.png"); }), "i.png", 0, "", "empty file");
  }
  SECTION("not an image") {
    const Problem p = parse_error_of([] { decode_image("Car 0 0 0 1 2 3 4\n", "i.png"); });
    check_names(p, "i.png", 0, "header", "expected a PNG or JPEG");
    CHECK(p.modality == "image");
    std::string damaged = good;
    damaged[1] = 'Q';  // "\x89QNG": stb's lax TGA/other decoders must not get a chance
    check_names(parse_error_of([&] { decode_image(damaged, "i.png"); }), "i.png", 0, "header",
                "signature");
  }
  SECTION("truncated in the pixel data") {
    check_names(parse_error_of([&] {
                  decode_image(std::string_view(good).substr(0, good.size() / 2), "i.png");
                }),
                "i.png", 0, "data", "corrupt or truncated");
  }
  SECTION("a header claiming an absurd size is rejected before decoding") {
    // IHDR width/height are big-endian at bytes 16..23 (stb does not check the chunk CRC).
    const unsigned char wide[8] = {0, 0, 0x4e, 0x20, 0, 0, 0, 100};     // 20000 x 100
    const unsigned char big[8] = {0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10};  // 10000 x 10000
    for (const unsigned char* dims : {wide, big}) {
      std::string huge = good;
      std::memcpy(huge.data() + 16, dims, 8);
      check_names(parse_error_of([&] { decode_image(huge, "i.png"); }), "i.png", 0, "size",
                  "at most");
      check_names(parse_error_of([&] { image_size(huge, "i.png"); }), "i.png", 0, "size",
                  "at most");
    }
  }
  SECTION("a chunk claiming more bytes than the file holds (fuzzer finding: 2 GiB allocation)") {
    // fuzz_png's input: a 1x1 PNG whose second IDAT claims 0x0d490000 bytes in a 72-byte file;
    // stb_image grew its buffer to 2 GiB for it before noticing the missing data.
    const std::string bomb(
        "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4"
        "\x89\0\0\0\x0dIDAT\0\x0dI\0\0\0V\0\0\x01\0\0\0\x01ytRNS\0\x0dIDATxxG\r\n\x82",
        72);
    const Problem p = parse_error_of([&] { decode_image(bomb, "i.png"); });
    check_names(p, "i.png", 0, "data", "corrupt or truncated");
    CHECK(p.message.find("claims") != std::string::npos);
  }
  SECTION("an unknown critical chunk with control bytes in its name (fuzzer finding)") {
    // stb's error echoes the chunk name; the message must stay printable.
    std::string odd =
        good.substr(0, 33) + std::string("\0\0\0\0\x01\x02XY\0\0\0\0", 12) + good.substr(33);
    const Problem p = parse_error_of([&] { decode_image(odd, "i.png"); });
    check_names(p, "i.png", 0, "data", "corrupt or truncated");
    for (char c : p.to_string()) CHECK(static_cast<unsigned char>(c) >= 0x20);
  }
  SECTION("a file that is missing") {
    const Problem p = parse_error_of([&] { load_image(dir / "nope.png"); });
    CHECK(p.file == (dir / "nope.png").string());
    CHECK(p.message.find("cannot open") != std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// Object writer
// ---------------------------------------------------------------------------------------------
TEST_CASE("format_objects round-trips through parse_objects at 2 decimals (scores 4)",
          "[kitti_io][writer]") {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> u(-50, 50), pos(0.3, 5), sc(0, 150);
  std::vector<Object> objs;
  for (int i = 0; i < 200; ++i) {
    Object o;
    o.cls = static_cast<ObjectClass>(i % 8);
    o.type = class_name(o.cls);
    o.truncated = std::abs(u(rng)) / 50;
    o.occluded = i % 4;
    o.alpha = u(rng) / 10;
    o.box2d = {std::abs(u(rng)) * 10, std::abs(u(rng)) * 3, std::abs(u(rng)) * 20,
               std::abs(u(rng)) * 7};
    o.h = pos(rng);
    o.w = pos(rng);
    o.l = pos(rng);
    o.loc_cam = {u(rng), u(rng) / 10, std::abs(u(rng))};
    o.rotation_y = u(rng) / 15;
    o.score = sc(rng);
    objs.push_back(o);
  }
  Object dc;
  dc.cls = ObjectClass::DontCare;
  dc.type = "DontCare";
  dc.truncated = -1;
  dc.occluded = -1;
  dc.alpha = -10;
  dc.box2d = {800.38, 163.67, 825.45, 184.07};
  dc.h = dc.w = dc.l = -1;
  dc.loc_cam = {-1000, -1000, -1000};
  dc.rotation_y = -10;
  dc.score = 0.5;
  objs.push_back(dc);

  for (bool with_score : {false, true}) {
    const std::string text = format_objects(objs, with_score);
    const auto po =
        parse_objects(text, "w.txt", with_score ? LabelKind::Prediction : LabelKind::GroundTruth);
    REQUIRE(po.objects.size() == objs.size());
    for (std::size_t i = 0; i < objs.size(); ++i) {
      const Object &a = objs[i], &b = po.objects[i];
      CHECK(b.type == a.type);
      CHECK(b.cls == a.cls);
      CHECK(b.occluded == a.occluded);
      for (auto [x, y] : {std::pair{a.truncated, b.truncated},
                          {a.alpha, b.alpha},
                          {a.box2d.x1, b.box2d.x1},
                          {a.box2d.y2, b.box2d.y2},
                          {a.h, b.h},
                          {a.w, b.w},
                          {a.l, b.l},
                          {a.loc_cam.x, b.loc_cam.x},
                          {a.loc_cam.y, b.loc_cam.y},
                          {a.loc_cam.z, b.loc_cam.z},
                          {a.rotation_y, b.rotation_y}})
        CHECK(std::abs(x - y) <= 0.005 + 1e-9);
      CHECK(b.score.has_value() == with_score);
      if (with_score) CHECK(std::abs(*b.score - *a.score) <= 0.00005 + 1e-9);
    }
  }
  CHECK(format_objects({dc}, false) ==
        "DontCare -1.00 -1 -10.00 800.38 163.67 825.45 184.07 -1.00 -1.00 -1.00 -1000.00 -1000.00 "
        "-1000.00 -10.00\n");
  Object no_score = dc;
  no_score.score.reset();
  CHECK_THROWS_AS(format_objects({no_score}, true), std::invalid_argument);
}

TEST_CASE("read_file_bytes reads whole files and names a missing one", "[kitti_io]") {
  const auto dir = test::temp_dir("read");
  std::string big(300000, 'x');
  for (std::size_t i = 0; i < big.size(); i += 97) big[i] = '\n';
  write_text_file(dir / "sub" / "a.txt", big);
  CHECK(read_file_bytes(dir / "sub" / "a.txt") == big);
  write_text_file(dir / "empty.txt", "");
  CHECK(read_file_bytes(dir / "empty.txt").empty());
  const Problem p = parse_error_of([&] { read_file_bytes(dir / "missing.txt"); });
  CHECK(p.file == (dir / "missing.txt").string());
  CHECK(p.message.find("No such file") != std::string::npos);
  CHECK_THROWS_AS(read_file_bytes(dir), ParseError);  // a folder
}

// ---------------------------------------------------------------------------------------------
// Real KITTI sample files
// ---------------------------------------------------------------------------------------------
namespace {
struct RealFrame {
  const char* id;
  int w, h;
  std::size_t points;
  std::size_t labels, labels_cared;
  int gnn, frustum;  // -1 = no file
};
constexpr RealFrame kReal[] = {
    {"000000", 1224, 370, 115384, 1, 1, -1, -1}, {"000001", 1242, 375, 120268, 7, 3, 2, 1},
    {"000002", 1242, 375, 126891, 2, 2, 1, 1},   {"000003", 1242, 375, 113110, 3, 1, -1, -1},
    {"000004", 1242, 375, 115976, 7, 2, 3, 3},   {"000005", 1242, 375, 125086, 5, 1, 0, 1},
    {"000006", 1238, 374, 110089, 6, 4, 8, 4},   {"000007", 1242, 375, 122798, 6, 4, -1, -1},
    {"000008", 1242, 375, 122555, 10, 6, 9, 8},  {"000009", 1242, 375, 123928, 5, 3, -1, -1},
};
}  // namespace

TEST_CASE("real KITTI files parse with the counts of SOURCES.md", "[kitti_io][real]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  const auto tr = kitti / "training";
  for (const RealFrame& f : kReal) {
    INFO("frame " << f.id);
    const std::string id = f.id;
    const auto labels = load_objects(tr / "label_2" / (id + ".txt"), LabelKind::GroundTruth);
    CHECK(labels.warnings.empty());
    CHECK(labels.objects.size() == f.labels);
    std::size_t cared = 0;
    for (const Object& o : labels.objects) cared += o.is_dontcare() ? 0 : 1;
    CHECK(cared == f.labels_cared);

    const Calib c = load_calib(tr / "calib" / (id + ".txt"));
    CHECK(c.P[2][0] > 700);

    const auto wh = image_size(read_file_bytes(tr / "image_2" / (id + ".png")), id);
    CHECK(wh[0] == f.w);
    CHECK(wh[1] == f.h);

    CHECK(load_velodyne(tr / "velodyne" / (id + ".bin")).size() == f.points);

    for (auto [set, count] : {std::pair{"point_gnn", f.gnn}, {"frustum_pointnets_v1", f.frustum}}) {
      const auto p = kitti / "pred" / set / (id + ".txt");
      CHECK(std::filesystem::exists(p) == (count >= 0));
      if (count < 0) continue;
      const auto po = load_objects(p, LabelKind::Prediction);
      CHECK(po.objects.size() == static_cast<std::size_t>(count));
      for (const Object& o : po.objects) CHECK(o.score.has_value());
    }
  }
  // Decoding a whole frame gives the same size as the header.
  const Image img = load_image(tr / "image_2" / "000006.png");
  CHECK(img.width == 1238);
  CHECK(img.height == 374);
  CHECK(img.rgb.size() == 1238u * 374u * 3u);
}

// ---------------------------------------------------------------------------------------------
// Physically impossible geometry (issue 7): the object is left out with a fatal Problem naming
// line and field; the other objects of the file are kept.
TEST_CASE("impossible geometry makes the object invalid, not the file", "[kitti_io][errors]") {
  const std::string good =
      "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n";
  struct Case {
    const char* what;
    std::string line;  // the second line of the file
    const char* field;
    const char* in_message;
  };
  const Case cases[] = {
      {"h = 1e30", "Car 0 0 0 1 2 3 4 1e30 1.6 3.9 1 1.7 20 0\n", "height", "over 10 m high"},
      {"w = 11", "Truck 0 0 0 1 2 3 4 3 11 9 1 1.7 20 0\n", "width", "over 10 m wide"},
      {"l = 61", "Tram 0 0 0 1 2 3 4 3.5 2.6 61 1 1.7 20 0\n", "length", "over 60 m long"},
      {"z = 1e30", "Car 0 0 0 1 2 3 4 1.5 1.6 3.9 1 1.7 1e30 0\n", "z", "500 m"},
      {"x = -600", "Car 0 0 0 1 2 3 4 1.5 1.6 3.9 -600 1.7 20 0\n", "x", "500 m"},
      {"y = 501", "Pedestrian 0 0 0 1 2 3 4 1.7 0.6 0.8 1 501 20 0\n", "y", "500 m"},
      {"rotation_y = 12", "Car 0 0 0 1 2 3 4 1.5 1.6 3.9 1 1.7 20 12\n", "rotation_y", "[-pi, pi]"},
      {"rotation_y = -10.5", "Car 0 0 0 1 2 3 4 1.5 1.6 3.9 1 1.7 20 -10.5\n", "rotation_y",
       "[-pi, pi]"},
      {"alpha = 10.01", "Car 0 0 10.01 1 2 3 4 1.5 1.6 3.9 1 1.7 20 0\n", "alpha", "[-pi, pi]"},
      {"alpha = -11", "Car 0 0 -11 1 2 3 4 1.5 1.6 3.9 1 1.7 20 0\n", "alpha", "[-pi, pi]"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    for (LabelKind kind : {LabelKind::GroundTruth, LabelKind::Prediction}) {
      const bool pred = kind == LabelKind::Prediction;
      auto with_score = [&](std::string l) {
        if (pred) l.insert(l.size() - 1, " 0.9");
        return l;
      };
      const ParsedObjects po =
          parse_objects(with_score(good) + with_score(c.line) + with_score(good), "f.txt", kind);
      REQUIRE(po.objects.size() == 2);  // lines 1 and 3
      CHECK(po.objects[0].line == 1);
      CHECK(po.objects[1].line == 3);
      REQUIRE(po.invalid_objects.size() == 1);
      const Problem& p = po.invalid_objects[0];
      check_names(p, "f.txt", 2, c.field, c.in_message);
      CHECK(p.modality == (pred ? "pred" : "label"));
      CHECK(p.message.find("impossible geometry") != std::string::npos);
    }
  }
  SECTION("the limits themselves, DontCare and alpha = -10 pass") {
    const ParsedObjects po = parse_objects(
        "Car 0 0 -10 1 2 3 4 10 10 60 -500 500 500 -10\n"
        "Tram 0 0 3.14 1 2 3 4 3.5 2.6 35 1 1.7 20 -3.14\n"
        "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10\n",
        "f.txt", LabelKind::GroundTruth);
    CHECK(po.objects.size() == 3);
    CHECK(po.invalid_objects.empty());
  }
  SECTION("non-finite numbers and dimensions <= 0 still reject the whole file") {
    check_names(objects_error(good + "Car 0 0 0 1 2 3 4 1.5 1.6 3.9 1 1.7 nan 0\n"), "f.txt", 2,
                "z", "finite");
    check_names(objects_error(good + "Car 0 0 0 1 2 3 4 1.5 0 3.9 1 1.7 20 0\n"), "f.txt", 2,
                "width", "positive");
  }
}
