// Built-in attributes, image statistics and the metadata CSV, against hand-computed values.
#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "needle/attributes.h"
#include "needle/error.h"
#include "support/test_support.h"

using namespace needle;

namespace {

Object make_obj(ObjectClass cls, double x, double z, double ry, double y1, double y2, int occ,
                double trunc) {
  Object o;
  o.cls = cls;
  o.type = class_name(cls);
  o.loc_cam = {x, 1.6, z};
  o.rotation_y = ry;
  o.box2d = {100, y1, 200, y2};
  o.h = 1.5;
  o.w = 1.6;
  o.l = 4.0;
  o.occluded = occ;
  o.truncated = trunc;
  return o;
}

Object dontcare() {
  Object o;
  o.cls = ObjectClass::DontCare;
  o.type = "DontCare";
  o.box2d = {10, 10, 50, 50};
  o.h = o.w = o.l = -1;
  o.loc_cam = {-1000, -1000, -1000};
  return o;
}

const AttributeValues& find_attr(const std::vector<AttributeValues>& v, const std::string& name) {
  for (const AttributeValues& a : v)
    if (a.spec.name == name) return a;
  FAIL("no attribute " << name);
  return v.front();
}

}  // namespace

TEST_CASE("numeric bins are half-open and labelled with their unit", "[attributes]") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> edges = {0, 10, 20, 30, 40, inf};
  CHECK(numeric_bin(edges, 0) == 0);
  CHECK(numeric_bin(edges, 9.999) == 0);
  CHECK(numeric_bin(edges, 10) == 1);
  CHECK(numeric_bin(edges, 35) == 3);
  CHECK(numeric_bin(edges, 1e9) == 4);
  CHECK(numeric_bin(edges, -0.1) == -1);
  CHECK(numeric_bin(edges, std::nan("")) == -1);
  const std::vector<std::string> labels = numeric_bin_labels(edges, "m");
  REQUIRE(labels.size() == 5);
  CHECK(labels[3] == "30-40 m");
  CHECK(labels[4] == "40+ m");
  CHECK(numeric_bin_labels({0, 0.15, 0.3}, "") == std::vector<std::string>{"0-0.15", "0.15-0.3"});
}

TEST_CASE("built-in object and frame attributes of a hand-made frame", "[attributes]") {
  std::vector<FrameAnnotations> frames(2);
  frames[0].id = "000000";
  frames[0].has_labels = true;
  // Car straight ahead 35 m away facing away (rotation_y -pi/2): alpha = -pi/2 -> rear.
  frames[0].labels.push_back(make_obj(ObjectClass::Car, 0, 35, -M_PI / 2, 100, 130, 1, 0.2));
  // Pedestrian at (3, 4): range 5 m; rotation_y 0, alpha = 0 - atan2(3, 4) = -36.87 deg -> side
  // (right); box height 60 px, occlusion 0, truncation 0.
  Object ped = make_obj(ObjectClass::Pedestrian, 3, 4, 0, 100, 160, 0, 0);
  ped.h = 1.7;
  ped.w = 0.6;
  ped.l = 0.8;
  frames[0].labels.push_back(ped);
  frames[0].labels.push_back(dontcare());
  frames[0].preds.resize(1);
  // A detection 12 m away facing the camera (rotation_y +pi/2, x = 0): alpha = pi/2 -> front.
  Object det = make_obj(ObjectClass::Car, 0, 12, M_PI / 2, 100, 120, -1, -1);
  det.score = 0.9;
  frames[0].preds[0].objects.push_back(det);
  frames[1].id = "000001";
  frames[1].has_labels = true;
  frames[1].preds.resize(1);

  AttributeInputs in;
  in.frames = &frames;
  in.pred_set = 0;
  in.pred_set_name = "sim";
  const std::vector<AttributeValues> attrs = compute_builtin_attributes(in);
  // points, findings, brightness and contrast need inputs that are not given.
  for (const AttributeValues& a : attrs) {
    CHECK(a.spec.name != "points");
    CHECK(a.spec.name != "findings");
    CHECK(a.spec.name != "brightness");
  }

  const AttributeValues& cls = find_attr(attrs, "class");
  REQUIRE(cls.spec.labels == std::vector<std::string>{"Car", "Pedestrian"});
  CHECK(cls.label_bin[0] == std::vector<int>{0, 1, -1});
  CHECK(cls.pred_bin[0] == std::vector<int>{0});

  const AttributeValues& range = find_attr(attrs, "range");
  CHECK(range.spec.labels[range.label_bin[0][0]] == "30-40 m");
  CHECK(range.label_value[0][1] == Approx(5.0));
  CHECK(range.spec.labels[range.label_bin[0][1]] == "0-10 m");
  CHECK(range.label_bin[0][2] == -1);  // DontCare
  CHECK(range.spec.labels[range.pred_bin[0][0]] == "10-20 m");

  const AttributeValues& occ = find_attr(attrs, "occlusion");
  CHECK(occ.label_bin[0] == std::vector<int>{1, 0, -1});
  CHECK_FALSE(occ.preds_have_values());

  const AttributeValues& trunc = find_attr(attrs, "truncation");
  CHECK(trunc.spec.labels[trunc.label_bin[0][0]] == "0.15-0.3");
  CHECK(trunc.spec.labels[trunc.label_bin[0][1]] == "0-0.15");

  const AttributeValues& height = find_attr(attrs, "height");
  CHECK(height.spec.labels[height.label_bin[0][0]] == "25-40 px");  // 30 px
  CHECK(height.spec.labels[height.label_bin[0][1]] == "40-80 px");  // 60 px
  CHECK(height.spec.labels[height.pred_bin[0][0]] == "0-25 px");    // 20 px

  const AttributeValues& size = find_attr(attrs, "size");
  CHECK(size.label_value[0][0] == Approx(1.5 * 1.6 * 4.0));  // 9.6 m^3
  CHECK(size.spec.labels[size.label_bin[0][0]] == "5-15 m^3");
  CHECK(size.label_value[0][1] == Approx(1.7 * 0.6 * 0.8));  // 0.816 m^3
  CHECK(size.spec.labels[size.label_bin[0][1]] == "0-1 m^3");

  const AttributeValues& heading = find_attr(attrs, "heading");
  CHECK(heading.spec.labels[heading.label_bin[0][0]] == "rear");
  CHECK(heading.label_value[0][0] == Approx(-90.0));
  CHECK(heading.spec.labels[heading.label_bin[0][1]] == "side (right)");
  CHECK(heading.label_value[0][1] == Approx(-std::atan2(3.0, 4.0) * 180 / M_PI));
  CHECK(heading.spec.labels[heading.pred_bin[0][0]] == "front");

  const AttributeValues& objects = find_attr(attrs, "objects");
  CHECK(objects.frame_value[0] == 2);  // DontCare not counted
  CHECK(objects.spec.labels[objects.frame_bin[0]] == "1-5");
  CHECK(objects.frame_value[1] == 0);
  CHECK(objects.spec.labels[objects.frame_bin[1]] == "0-1");

  const AttributeValues& mean_range = find_attr(attrs, "mean_range");
  CHECK(mean_range.frame_value[0] == Approx((35.0 + 5.0) / 2));
  CHECK(mean_range.frame_bin[1] == -1);  // no label

  const AttributeValues& scan = find_attr(attrs, "scan_points");
  CHECK(scan.frame_bin[0] == -1);  // no index, no lidar
}

TEST_CASE("points and findings attributes come from the lidar pass and the ranking",
          "[attributes]") {
  std::vector<FrameAnnotations> frames(1);
  frames[0].id = "7";
  frames[0].has_labels = true;
  frames[0].labels.push_back(make_obj(ObjectClass::Car, 0, 20, 0, 100, 150, 0, 0));
  frames[0].labels.push_back(make_obj(ObjectClass::Car, 5, 20, 0, 100, 150, 0, 0));
  frames[0].preds.resize(1);
  frames[0].preds[0].objects.push_back(make_obj(ObjectClass::Car, -5, 20, 0, 100, 150, -1, -1));

  std::vector<FrameLidar> lidar(1);
  lidar[0].ok = true;
  lidar[0].n_points = 118000;
  lidar[0].labels.resize(2);
  lidar[0].labels[0].valid = true;
  lidar[0].labels[0].n_in = 0;
  lidar[0].labels[1].valid = true;
  lidar[0].labels[1].n_in = 57;

  RankResult rank;
  FrameRank fr;
  fr.frame_index = 0;
  fr.frame = "7";
  Finding a;
  a.kind = "unmatched_label";
  a.label = 0;
  a.score = 0.9;
  Finding b;
  b.kind = "poor_overlap";
  b.label = 0;  // weaker finding of the same label: the first (strongest) decides
  b.score = 0.5;
  Finding c;
  c.kind = "unmatched_prediction";
  c.prediction = 0;
  c.prediction_set = "sim";
  c.score = 0.4;
  fr.findings = {a, b, c};
  rank.frames.push_back(fr);

  std::vector<std::optional<ImageStats>> images(1);
  images[0] = ImageStats{120.0, 40.0};

  AttributeInputs in;
  in.frames = &frames;
  in.pred_set = 0;
  in.pred_set_name = "sim";
  in.lidar = &lidar;
  in.ranking = &rank;
  in.images = &images;
  const std::vector<AttributeValues> attrs = compute_builtin_attributes(in);

  const AttributeValues& pts = find_attr(attrs, "points");
  CHECK(pts.spec.labels[pts.label_bin[0][0]] == "0-1 pts");
  CHECK(pts.spec.labels[pts.label_bin[0][1]] == "50-200 pts");

  const AttributeValues& fnd = find_attr(attrs, "findings");
  // "none", then kinds in name order.
  REQUIRE(fnd.spec.labels ==
          std::vector<std::string>{"none", "poor_overlap", "unmatched_label",
                                   "unmatched_prediction"});
  CHECK(fnd.label_bin[0] == std::vector<int>{2, 0});
  CHECK(fnd.pred_bin[0] == std::vector<int>{3});

  const AttributeValues& scan = find_attr(attrs, "scan_points");
  CHECK(scan.frame_value[0] == 118000);
  CHECK(scan.spec.labels[scan.frame_bin[0]] == "100000-130000");
  const AttributeValues& br = find_attr(attrs, "brightness");
  CHECK(br.spec.labels[br.frame_bin[0]] == "110-140");
  const AttributeValues& ct = find_attr(attrs, "contrast");
  CHECK(ct.spec.labels[ct.frame_bin[0]] == "30-45");
}

TEST_CASE("image statistics: mean and deviation of the luma", "[attributes]") {
  // 4x2 image: left half black, right half white. Luma 0 and 255 (0.299+0.587+0.114 = 1).
  Image im;
  im.width = 4;
  im.height = 2;
  im.rgb.assign(4 * 2 * 3, 0);
  for (int y = 0; y < 2; ++y)
    for (int x = 2; x < 4; ++x)
      for (int c = 0; c < 3; ++c) im.rgb[static_cast<std::size_t>((y * 4 + x) * 3 + c)] = 255;
  const ImageStats s = image_stats(im, 1);
  CHECK(s.brightness == Approx(127.5));
  CHECK(s.contrast == Approx(127.5));  // population deviation of {0, 0, 255, 255}
  // Stride 2 samples x = 0 and 2 of row 0: {0, 255}.
  const ImageStats s2 = image_stats(im, 2);
  CHECK(s2.brightness == Approx(127.5));
  // Pure red: luma 0.299 * 200.
  Image red;
  red.width = red.height = 1;
  red.rgb = {200, 0, 0};
  CHECK(image_stats(red).brightness == Approx(59.8));
  CHECK(image_stats(red).contrast == Approx(0.0).margin(1e-9));
}

TEST_CASE("metadata CSV: columns typed, categories and bins", "[attributes]") {
  const auto dir = test::temp_dir("attributes_meta");
  const auto file = dir / "meta.csv";
  test::write_file(file,
                   "frame,weather,sequence,speed\n"
                   "000000,sunny,1,3.5\n"
                   "000001,\"rain, heavy\",2,10\n"
                   "\n"
                   "000002,sunny,1,\n"
                   "000009,fog,3,7\n"
                   "000003, sunny ,2,1\n"
                   "000004,sunny,2,2\n"
                   "000005,sunny,2,4\n"
                   "000006,sunny,2,5\n"
                   "000007,sunny,2,6\n"
                   "000008,sunny,2,8\n");
  const MetadataTable t = read_metadata_csv(file);
  REQUIRE(t.columns == std::vector<std::string>{"weather", "sequence", "speed"});
  REQUIRE(t.ids.size() == 10);
  CHECK(t.lines[2] == 5);  // the blank line is skipped but counted
  CHECK(t.cells[1][0] == "rain, heavy");

  const std::vector<std::string> ids = {"000000", "000001", "000002", "000003", "000004",
                                        "000005", "000006", "000007", "000008", "000010"};
  std::vector<std::string> unknown;
  const std::vector<AttributeValues> attrs = metadata_attributes(t, ids, &unknown);
  CHECK(unknown == std::vector<std::string>{"000009"});
  REQUIRE(attrs.size() == 3);

  const AttributeValues& w = attrs[0];
  CHECK(w.spec.kind == AttributeKind::Categorical);
  CHECK(w.spec.scope == AttributeScope::Frame);
  CHECK(w.spec.labels == std::vector<std::string>{"fog", "rain, heavy", "sunny"});
  CHECK(w.frame_bin[0] == 2);
  CHECK(w.frame_bin[1] == 1);
  CHECK(w.frame_bin[3] == 2);  // " sunny " trimmed
  CHECK(w.frame_bin[9] == -1);  // frame 000010 has no row

  // 3 distinct numbers (<= 8): categorical, sorted numerically.
  const AttributeValues& seq = attrs[1];
  CHECK(seq.spec.kind == AttributeKind::Categorical);
  CHECK(seq.spec.labels == std::vector<std::string>{"1", "2", "3"});
  CHECK(seq.frame_bin[1] == 1);

  // speed: 9 distinct numbers among rows {3.5,10,7,1,2,4,5,6,8} (row 000002 empty) -> numeric
  // with 5 equal-count bins. Sorted: 1 2 3.5 4 5 6 7 8 10; edges at indices 0, 9*1/5=1, 9*2/5=3,
  // 9*3/5=5, 9*4/5=7: 1, 2, 4, 6, 8, then +inf.
  const AttributeValues& speed = attrs[2];
  CHECK(speed.spec.kind == AttributeKind::Numeric);
  CHECK(speed.spec.labels == std::vector<std::string>{"1-2", "2-4", "4-6", "6-8", "8+"});
  CHECK(speed.frame_bin[0] == 1);   // 3.5
  CHECK(speed.frame_bin[1] == 4);   // 10
  CHECK(speed.frame_bin[2] == -1);  // empty cell
  CHECK(speed.frame_value[3] == 1);
}

TEST_CASE("metadata CSV errors name the file, line and column", "[attributes]") {
  const auto dir = test::temp_dir("attributes_meta_errors");
  auto expect_error = [&](const std::string& text, const std::string& part) {
    const auto file = dir / "bad.csv";
    test::write_file(file, text);
    try {
      read_metadata_csv(file);
      FAIL("no error for: " << text);
    } catch (const ParseError& e) {
      const std::string msg = e.what();
      INFO(msg);
      CHECK(msg.find("bad.csv") != std::string::npos);
      CHECK(msg.find(part) != std::string::npos);
    }
  };
  expect_error("frame,weather\n1,sunny\n2,rain,extra\n", ":3: field 'column 3'");
  expect_error("frame,weather\n1,sunny\n2\n", ":3: field 'column 2'");
  expect_error("frame,weather,weather\n", ":1: field 'column 3 'weather''");
  expect_error("frame,,x\n", ":1: field 'column 2'");
  expect_error("frame,weather\n1,sunny\n1,rain\n", "already given on line 2");
  expect_error("frame,weather\n,sunny\n", ":2: field 'column 1'");
  expect_error("frame,weather\n1,\"sunny\n", ":2:");
  expect_error("", "empty metadata file");

  const auto file = dir / "builtin.csv";
  test::write_file(file, "frame,range\n1,5\n");
  const MetadataTable t = read_metadata_csv(file);
  CHECK_THROWS_WITH(metadata_attributes(t, {"1"}),
                    Catch::Contains("builtin.csv:1") && Catch::Contains("built-in"));
}
