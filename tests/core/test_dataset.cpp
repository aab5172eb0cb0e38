// Tests for needle/dataset.h: scanning (layouts, id union and order, prediction sets), prediction
// status (Missing / Empty / Present / Invalid), bad frames recorded as problems while the rest
// loads, threaded loading, and the real KITTI sample.
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "needle/dataset.h"
#include "needle/kitti_io.h"
#include "support/test_support.h"

using namespace needle;
namespace fs = std::filesystem;

namespace {

const std::string kCar =
    "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n";
const std::string kDontCare =
    "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10\n";
const std::string kPred =
    "Car -1 -1 -10 587.0 173.0 614.0 200.0 1.6 1.6 3.6 -0.6 1.7 46.6 -1.6 0.93\n";

Calib identity_calib() {
  Calib c;
  for (auto& p : c.P) p = {700, 0, 600, 0, 0, 700, 180, 0, 0, 0, 1, 0};
  c.R0_rect = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  c.Tr_velo_to_cam = {0, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0};
  c.Tr_imu_to_velo = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
  return c;
}

const Problem* find_problem(const FrameAnnotations& a, const std::string& modality) {
  for (const Problem& p : a.problems)
    if (p.modality == modality) return &p;
  return nullptr;
}

// A complete good frame under root/training.
void write_good_frame(const fs::path& tr, const std::string& id) {
  test::write_file(tr / "label_2" / (id + ".txt"), kCar + kDontCare);
  write_text_file(tr / "calib" / (id + ".txt"), format_calib(identity_calib()));
  PointCloud pc;
  pc.xyzr = {10, 1, -1, 0.5f, 20, -2, -1.5f, 0.1f};
  write_velodyne(tr / "velodyne" / (id + ".bin"), pc);
  Image img{8, 4, std::vector<std::uint8_t>(8 * 4 * 3, 128)};
  write_png(tr / "image_2" / (id + ".png"), img);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Prediction specs and id order
// ---------------------------------------------------------------------------------------------
TEST_CASE("parse_prediction_spec accepts NAME=DIR and DIR", "[dataset]") {
  auto a = parse_prediction_spec("gnn=/data/pred/point_gnn");
  CHECK(a.name == "gnn");
  CHECK(a.dir == fs::path("/data/pred/point_gnn"));
  auto b = parse_prediction_spec("/data/pred/point_gnn/");
  CHECK(b.name == "point_gnn");
  auto c = parse_prediction_spec("runs/lr=0.1");
  CHECK(c.name == "lr=0.1");
  CHECK(c.dir == fs::path("runs/lr=0.1"));
  auto d = parse_prediction_spec("frustum");
  CHECK(d.name == "frustum");
  CHECK_THROWS_AS(parse_prediction_spec(""), std::invalid_argument);
  CHECK_THROWS_AS(parse_prediction_spec("=dir"), std::invalid_argument);
  CHECK_THROWS_AS(parse_prediction_spec("name="), std::invalid_argument);
}

TEST_CASE("scan_dataset: union of ids, modalities per frame, numeric order, find()", "[dataset]") {
  const auto root = test::temp_dir("scan");
  const auto tr = root / "training";
  test::write_file(tr / "label_2" / "000002.txt", kCar);
  test::write_file(tr / "label_2" / "10.txt", kCar);
  test::write_file(tr / "label_2" / "9.txt", kCar);
  test::write_file(tr / "calib" / "000002.txt", "x");
  test::write_file(tr / "velodyne" / "000003.bin", "x");
  test::write_file(tr / "image_2" / "000001.png", "x");
  test::write_file(tr / "image_2" / "000001.jpg", "x");
  test::write_file(tr / "image_2" / "abc.jpg", "x");
  test::write_file(tr / "image_2" / ".hidden.png", "x");
  test::write_file(tr / "label_2" / "notes.md", "x");
  fs::create_directories(tr / "label_2" / "sub.txt");  // a folder named like a file
  test::write_file(root / "pred" / "gnn" / "000004.txt", kPred);

  const DatasetIndex ds =
      scan_dataset(root, {parse_prediction_spec((root / "pred" / "gnn").string())});
  CHECK(ds.root == tr);
  REQUIRE(ds.pred_sets.size() == 1);
  CHECK(ds.pred_sets[0].name == "gnn");
  std::vector<std::string> ids;
  for (const auto& f : ds.frames) ids.push_back(f.id);
  // A folder named like a label file is listed (issue 7): loading it reports an error naming it.
  CHECK(ids ==
        std::vector<std::string>{"000001", "000002", "000003", "000004", "9", "10", "abc", "sub"});

  const auto& f1 = ds.frames[*ds.find("000001")];
  CHECK(f1.image.extension() == ".png");  // PNG preferred over JPEG
  CHECK(f1.label.empty());
  const auto& f2 = ds.frames[*ds.find("000002")];
  CHECK(!f2.label.empty());
  CHECK(!f2.calib.empty());
  CHECK(f2.image.empty());
  CHECK(f2.velodyne.empty());
  REQUIRE(f2.preds.size() == 1);
  CHECK(f2.preds[0].empty());
  CHECK(!ds.frames[*ds.find("000003")].velodyne.empty());
  CHECK(!ds.frames[*ds.find("000004")].preds[0].empty());  // a prediction file alone makes a frame
  CHECK(ds.find("10") == std::optional<std::size_t>(5));
  CHECK_FALSE(ds.find("000005").has_value());
  REQUIRE(ds.find("sub").has_value());
  const FrameAnnotations sub = load_annotations(ds, *ds.find("sub"), true);
  CHECK_FALSE(sub.valid());
  CHECK_FALSE(sub.has_labels);
  REQUIRE(sub.problems.size() == 1);
  CHECK(sub.problems[0].modality == "label");
  CHECK(sub.problems[0].fatal);
  CHECK(sub.problems[0].file == (tr / "label_2" / "sub.txt").string());
  CHECK(sub.problems[0].message == "is a directory, not a file");
}

TEST_CASE("scan_dataset accepts the root itself and rejects bad layouts", "[dataset][errors]") {
  const auto root = test::temp_dir("scanroot");
  test::write_file(root / "label_2" / "000000.txt", kCar);
  CHECK(scan_dataset(root, {}).root == root);
  CHECK(scan_dataset(root, {}).frames.size() == 1);

  const auto empty = test::temp_dir("scanempty");
  CHECK_THROWS_AS(scan_dataset(empty, {}), std::runtime_error);
  CHECK_THROWS_AS(scan_dataset(empty / "nope", {}), std::runtime_error);
  CHECK_THROWS_AS(scan_dataset(root, {{"a", root / "missing"}}), std::runtime_error);
  fs::create_directories(root / "p1");
  fs::create_directories(root / "p2");
  CHECK_THROWS_AS(scan_dataset(root, {{"same", root / "p1"}, {"same", root / "p2"}}),
                  std::runtime_error);
}

TEST_CASE("a prediction folder with a data/ child is read from data/", "[dataset]") {
  const auto root = test::temp_dir("scandata");
  test::write_file(root / "label_2" / "000000.txt", kCar);
  test::write_file(root / "results" / "run1" / "data" / "000000.txt", kPred);
  const DatasetIndex ds =
      scan_dataset(root, {parse_prediction_spec((root / "results" / "run1").string())});
  CHECK(ds.pred_sets[0].name == "run1");
  CHECK(ds.pred_sets[0].dir == root / "results" / "run1" / "data");
  CHECK(!ds.frames[0].preds[0].empty());
}

// ---------------------------------------------------------------------------------------------
// Prediction status and problems
// ---------------------------------------------------------------------------------------------
TEST_CASE("prediction status: Missing, Empty, Present and Invalid are distinct", "[dataset]") {
  const auto root = test::temp_dir("status");
  for (const char* id : {"000000", "000001", "000002", "000003", "000004"})
    test::write_file(root / "label_2" / (std::string(id) + ".txt"), kCar);
  const auto pd = root / "pred";
  // 000000: no file -> Missing
  test::write_file(pd / "000001.txt", "");             // zero bytes -> Empty
  test::write_file(pd / "000002.txt", " \r\n\n");      // whitespace -> Empty
  test::write_file(pd / "000003.txt", kPred + kPred);  // Present
  test::write_file(pd / "000004.txt", kPred + "Car -1 -1 -10 1 2 3 4 1 1 1 1 2 8 0\n");  // no score

  const DatasetIndex ds = scan_dataset(root, {{"m", pd}});
  const auto all = load_all_annotations(ds, false, 2);
  REQUIRE(all.size() == 5);
  CHECK(all[0].preds[0].status == PredStatus::Missing);
  CHECK(all[1].preds[0].status == PredStatus::Empty);
  CHECK(all[2].preds[0].status == PredStatus::Empty);
  CHECK(all[3].preds[0].status == PredStatus::Present);
  CHECK(all[3].preds[0].objects.size() == 2);
  CHECK(all[4].preds[0].status == PredStatus::Invalid);
  CHECK(all[4].preds[0].objects.empty());
  for (int i = 0; i < 4; ++i) {
    CHECK(all[static_cast<std::size_t>(i)].valid());
    CHECK(all[static_cast<std::size_t>(i)].problems.empty());
  }
  CHECK_FALSE(all[4].valid());
  CHECK(all[4].has_labels);  // the labels of the frame still loaded
  CHECK(all[4].labels.size() == 1);
  const Problem* p = find_problem(all[4], "pred:m");
  REQUIRE(p != nullptr);
  CHECK(p->file == (pd / "000004.txt").string());
  CHECK(p->line == 2);
  CHECK(p->field == "score");
  CHECK(std::string(pred_status_name(PredStatus::Invalid)) == "invalid");
  CHECK(std::string(pred_status_name(PredStatus::Empty)) == "empty");
}

TEST_CASE("a broken frame among good ones: every frame loads, only the broken one is invalid",
          "[dataset]") {
  const auto root = test::temp_dir("broken");
  const auto tr = root / "training";
  for (int i = 0; i < 40; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "%06d", i);
    write_good_frame(tr, id);
    test::write_file(root / "pred" / (std::string(id) + ".txt"), kPred);
  }
  test::write_file(tr / "label_2" / "000017.txt", kCar + "Car 0 0 0 1 2 3 4 -1 -1 -1 1 2 8 0\n");
  test::write_file(tr / "calib" / "000023.txt", "");
  test::write_file(tr / "image_2" / "000031.png", "\x89PNG\r\n\x1a\n garbage");
  test::write_file(tr / "velodyne" / "000035.bin", std::string(17, '\0'));
  test::write_file(tr / "label_2" / "000036.txt",
                   "Sign 0 0 0 1 2 3 4 1 1 1 1 2 8 0\n");  // warning only
  test::write_file(tr / "label_2" / "000037.txt", "");     // zero-byte label: no objects, a warning

  const DatasetIndex ds = scan_dataset(root, {{"p", root / "pred"}});
  REQUIRE(ds.frames.size() == 40);

  SECTION("annotations without calib: the bad label, the truncated PNG and the odd-sized bin") {
    const auto all = load_all_annotations(ds, false, 3);
    REQUIRE(all.size() == 40);
    for (std::size_t i = 0; i < all.size(); ++i) {
      INFO("frame " << all[i].id);
      CHECK(all[i].id == ds.frames[i].id);
      CHECK(all[i].valid() == (i != 17 && i != 31 && i != 35));
      CHECK_FALSE(all[i].calib.has_value());
      REQUIRE(all[i].preds.size() == 1);
      CHECK(all[i].preds[0].status == PredStatus::Present);
    }
    const Problem* p = find_problem(all[17], "label");
    REQUIRE(p != nullptr);
    CHECK(p->line == 2);
    CHECK(p->field == "height");
    CHECK_FALSE(all[17].has_labels);
    CHECK(all[17].labels.empty());
    const Problem* w = find_problem(all[36], "label");
    REQUIRE(w != nullptr);
    CHECK_FALSE(w->fatal);
    CHECK(all[36].labels.size() == 1);
    CHECK(all[37].has_labels);
    CHECK(all[37].labels.empty());
    // Zero bytes while the 39 other frames have label files: a warning naming the file.
    REQUIRE(all[37].problems.size() == 1);
    CHECK_FALSE(all[37].problems[0].fatal);
    CHECK(all[37].problems[0].modality == "label");
    CHECK(all[37].problems[0].file == (tr / "label_2" / "000037.txt").string());
    CHECK(all[37].problems[0].message.find("empty label file (0 bytes) while 39 other frames") !=
          std::string::npos);
    // The quick media checks name the file and say what is wrong without decoding anything.
    const Problem* png = find_problem(all[31], "image");
    REQUIRE(png != nullptr);
    CHECK(png->file == (tr / "image_2" / "000031.png").string());
    CHECK(png->message.find("PNG header") != std::string::npos);
    const Problem* bin = find_problem(all[35], "velodyne");
    REQUIRE(bin != nullptr);
    CHECK(bin->field == "size");
    CHECK(bin->message.find("17 bytes") != std::string::npos);
    // Only the loaders called for one frame decode; load_annotations alone checks no media.
    CHECK(load_annotations(ds, 31).valid());
  }
  SECTION("annotations with calib: the zero-byte calib is a problem") {
    const auto all = load_all_annotations(ds, true, 2);
    CHECK_FALSE(all[23].valid());
    CHECK_FALSE(all[23].calib.has_value());
    REQUIRE(find_problem(all[23], "calib") != nullptr);
    CHECK(find_problem(all[23], "calib")->message.find("empty file") != std::string::npos);
    CHECK(all[23].labels.size() == 2);
    CHECK(all[0].calib.has_value());
    CHECK(all[0].calib->P[2][0] == 700);
  }
  SECTION("load_frame records image and velodyne problems and loads the rest") {
    for (std::size_t i = 0; i < ds.frames.size(); ++i) {
      const FrameData fd = load_frame(ds, i);
      INFO("frame " << fd.ann.id);
      const bool bad = i == 17 || i == 23 || i == 31 || i == 35;
      CHECK(fd.ann.valid() == !bad);
      CHECK(fd.image.has_value() == (i != 31));
      CHECK(fd.cloud.has_value() == (i != 35));
      CHECK(fd.ann.calib.has_value() == (i != 23));
    }
    const FrameData f31 = load_frame(ds, 31);
    REQUIRE(find_problem(f31.ann, "image") != nullptr);
    CHECK(find_problem(f31.ann, "image")->file == (tr / "image_2" / "000031.png").string());
    CHECK(f31.cloud->size() == 2);
    const FrameData f35 = load_frame(ds, 35);
    REQUIRE(find_problem(f35.ann, "velodyne") != nullptr);
    CHECK(find_problem(f35.ann, "velodyne")->field == "size");
    CHECK(f35.image->width == 8);
    const FrameData light = load_frame(ds, 0, LoadOptions{false, false, false});
    CHECK_FALSE(light.image.has_value());
    CHECK_FALSE(light.cloud.has_value());
    CHECK_FALSE(light.ann.calib.has_value());
    CHECK(light.ann.labels.size() == 2);
  }
  SECTION("a frame index out of range is a problem, not a crash") {
    CHECK_FALSE(load_annotations(ds, 999).valid());
  }
}

TEST_CASE(
    "load_all_annotations gives the same result with any thread count; progress ends at total",
    "[dataset]") {
  const auto root = test::temp_dir("threads");
  std::mt19937 rng(3);
  for (int i = 0; i < 150; ++i) {
    std::string labels, preds;
    const int nl = static_cast<int>(rng() % 6), np = static_cast<int>(rng() % 5);
    for (int k = 0; k < nl; ++k) labels += kCar;
    for (int k = 0; k < np; ++k) preds += kPred;
    test::write_file(root / "label_2" / (std::to_string(i) + ".txt"), labels);
    if (i % 7 != 0) test::write_file(root / "pred" / (std::to_string(i) + ".txt"), preds);
  }
  const DatasetIndex ds = scan_dataset(root, {{"p", root / "pred"}});
  const auto one = load_all_annotations(ds, false, 1);
  std::size_t last = 0, calls = 0;
  bool monotonic = true;
  const auto many = load_all_annotations(ds, false, 4, [&](std::size_t done, std::size_t total) {
    CHECK(total == 150);
    monotonic = monotonic && done >= last;
    last = done;
    ++calls;
  });
  CHECK(monotonic);
  CHECK(last == 150);
  CHECK(calls >= 1);
  const auto dflt = load_all_annotations(ds);
  REQUIRE(one.size() == 150);
  REQUIRE(many.size() == 150);
  for (std::size_t i = 0; i < 150; ++i) {
    CHECK(one[i].id == many[i].id);
    CHECK(one[i].labels.size() == many[i].labels.size());
    CHECK(one[i].preds[0].status == many[i].preds[0].status);
    CHECK(one[i].preds[0].objects.size() == many[i].preds[0].objects.size());
    CHECK(dflt[i].labels.size() == one[i].labels.size());
  }
  CHECK(one[0].preds[0].status == PredStatus::Missing);  // "0" % 7 == 0
}

// ---------------------------------------------------------------------------------------------
// Real KITTI sample
// ---------------------------------------------------------------------------------------------
TEST_CASE("the real KITTI sample loads with the counts of SOURCES.md", "[dataset][real]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  const DatasetIndex ds = scan_dataset(
      kitti,
      {parse_prediction_spec((kitti / "pred" / "point_gnn").string()),
       parse_prediction_spec("frustum=" + (kitti / "pred" / "frustum_pointnets_v1").string())});
  CHECK(ds.root == kitti / "training");
  REQUIRE(ds.frames.size() == 10);
  CHECK(ds.pred_sets[0].name == "point_gnn");
  CHECK(ds.pred_sets[1].name == "frustum");

  struct Row {
    const char* id;
    std::size_t labels;
    int gnn, frustum;  // -1 Missing
    int w, h;
    std::size_t points;
  };
  const Row rows[] = {
      {"000000", 1, -1, -1, 1224, 370, 115384}, {"000001", 7, 2, 1, 1242, 375, 120268},
      {"000002", 2, 1, 1, 1242, 375, 126891},   {"000003", 3, -1, -1, 1242, 375, 113110},
      {"000004", 7, 3, 3, 1242, 375, 115976},   {"000005", 5, 0, 1, 1242, 375, 125086},
      {"000006", 6, 8, 4, 1238, 374, 110089},   {"000007", 6, -1, -1, 1242, 375, 122798},
      {"000008", 10, 9, 8, 1242, 375, 122555},  {"000009", 5, -1, -1, 1242, 375, 123928},
  };

  const auto t0 = std::chrono::steady_clock::now();
  const auto all = load_all_annotations(ds);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("load_all_annotations on the KITTI sample (10 frames, 2 sets): %.3f ms\n", ms);

  auto status_of = [](int n) {
    return n < 0 ? PredStatus::Missing : n == 0 ? PredStatus::Empty : PredStatus::Present;
  };
  for (std::size_t i = 0; i < 10; ++i) {
    const Row& r = rows[i];
    INFO("frame " << r.id);
    CHECK(all[i].id == r.id);
    CHECK(all[i].valid());
    CHECK(all[i].problems.empty());
    CHECK(all[i].has_labels);
    CHECK(all[i].labels.size() == r.labels);
    CHECK(all[i].preds[0].status == status_of(r.gnn));
    CHECK(all[i].preds[1].status == status_of(r.frustum));
    CHECK(all[i].preds[0].objects.size() == static_cast<std::size_t>(std::max(r.gnn, 0)));
    CHECK(all[i].preds[1].objects.size() == static_cast<std::size_t>(std::max(r.frustum, 0)));

    const FrameData fd = load_frame(ds, i);
    CHECK(fd.ann.valid());
    CHECK(fd.ann.problems.empty());
    REQUIRE(fd.image.has_value());
    CHECK(fd.image->width == r.w);
    CHECK(fd.image->height == r.h);
    REQUIRE(fd.cloud.has_value());
    CHECK(fd.cloud->size() == r.points);
    REQUIRE(fd.ann.calib.has_value());
    CHECK(fd.ann.calib->P[2][0] > 700);
  }
  // The extra_reduced frame: velodyne_reduced/ is deliberately not taken for a full scan.
  const DatasetIndex extra = scan_dataset(kitti / "extra_reduced", {});
  REQUIRE(extra.frames.size() == 1);
  CHECK(extra.frames[0].velodyne.empty());
  CHECK_FALSE(extra.frames[0].label.empty());
}

// ---------------------------------------------------------------------------------------------
// Benchmark (hidden; run with: needle_core_tests "[.bench]")
// ---------------------------------------------------------------------------------------------
TEST_CASE("bench: load_all_annotations on a KITTI-sized dataset", "[.bench]") {
  // 7,481 frames, ~47k label lines, ~34k predictions in 2 sets (half the frames predicted), like
  // KITTI training with two val-split detectors.
  const auto root = test::temp_dir("bench");
  std::mt19937 rng(11);
  std::size_t nlabels = 0, npreds = 0;
  for (int i = 0; i < 7481; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "%06d", i);
    std::string labels;
    const int nl = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < nl; ++k) labels += (k % 4 == 3) ? kDontCare : kCar;
    nlabels += static_cast<std::size_t>(nl);
    test::write_file(root / "training" / "label_2" / (std::string(id) + ".txt"), labels);
    if (i % 2 == 0) continue;
    for (const char* set : {"a", "b"}) {
      std::string preds;
      const int np = static_cast<int>(rng() % 10);
      for (int k = 0; k < np; ++k) preds += kPred;
      npreds += static_cast<std::size_t>(np);
      test::write_file(root / "pred" / set / (std::string(id) + ".txt"), preds);
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  const DatasetIndex ds =
      scan_dataset(root, {{"a", root / "pred" / "a"}, {"b", root / "pred" / "b"}});
  const auto t1 = std::chrono::steady_clock::now();
  const auto all = load_all_annotations(ds);
  const auto t2 = std::chrono::steady_clock::now();
  const auto one = load_all_annotations(ds, false, 1);
  const auto t3 = std::chrono::steady_clock::now();
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::printf(
      "bench: %zu frames, %zu labels, %zu predictions: scan %.1f ms, load_all_annotations %.1f ms "
      "(%u threads), %.1f ms (1 thread)\n",
      ds.frames.size(), nlabels, npreds, ms(t0, t1), ms(t1, t2),
      std::thread::hardware_concurrency(), ms(t2, t3));
  CHECK(all.size() == 7481);
  CHECK(one.size() == 7481);
}
