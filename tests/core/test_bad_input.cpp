// Bad input that used to get through (issue 7 §5): a directory or other non-file where a file is
// expected, physically impossible geometry, a zero-byte label file among labelled frames. Each is
// a problem naming the file (and line and field), never a silent default.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "needle/dataset.h"
#include "needle/eval.h"
#include "needle/kitti_io.h"
#include "needle/ranking.h"
#include "support/test_support.h"

using namespace needle;
namespace fs = std::filesystem;

namespace {

const std::string kCar =
    "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n";
const std::string kPred =
    "Car -1 -1 -10 587.0 173.0 614.0 200.0 1.6 1.6 3.6 -0.6 1.7 46.6 -1.6 0.93\n";

void write_frame(const fs::path& tr, const fs::path& pred, const std::string& id) {
  test::write_file(tr / "label_2" / (id + ".txt"), kCar);
  write_text_file(tr / "calib" / (id + ".txt"), format_calib(test::simple_calib()));
  PointCloud pc;
  pc.xyzr = {10, 1, -1, 0.5f};
  write_velodyne(tr / "velodyne" / (id + ".bin"), pc);
  write_png(tr / "image_2" / (id + ".png"), Image{8, 4, std::vector<std::uint8_t>(96, 128)});
  test::write_file(pred / (id + ".txt"), kPred);
}

const Problem* problem_of(const FrameAnnotations& a, const std::string& modality) {
  for (const Problem& p : a.problems)
    if (p.modality == modality) return &p;
  return nullptr;
}

}  // namespace

TEST_CASE("a directory or other non-file where a file is expected is an error naming it",
          "[dataset][errors]") {
  const auto root = test::temp_dir("nonfile");
  const auto tr = root / "training", pred = root / "pred" / "p";
  for (const char* id : {"000000", "000001", "000003"}) write_frame(tr, pred, id);
  // Frame 000002: every file is a directory of that name.
  for (const fs::path& d :
       {tr / "label_2" / "000002.txt", tr / "calib" / "000002.txt", tr / "velodyne" / "000002.bin",
        tr / "image_2" / "000002.png", pred / "000002.txt"})
    fs::create_directories(d);
  // Frame 000003: its label file replaced by a fifo (opening it would block a reader).
  fs::remove(tr / "label_2" / "000003.txt");
  REQUIRE(::mkfifo((tr / "label_2" / "000003.txt").c_str(), 0600) == 0);

  const DatasetIndex ds = scan_dataset(root, {{"p", pred}});
  REQUIRE(ds.frames.size() == 4);
  REQUIRE(ds.find("000002"));
  const FrameData f2 = load_frame(ds, *ds.find("000002"));
  CHECK_FALSE(f2.ann.valid());
  CHECK_FALSE(f2.ann.has_labels);
  CHECK_FALSE(f2.ann.calib);
  CHECK_FALSE(f2.image);
  CHECK_FALSE(f2.cloud);
  REQUIRE(f2.ann.preds.size() == 1);
  CHECK(f2.ann.preds[0].status == PredStatus::Invalid);
  const std::pair<const char*, fs::path> expected[] = {
      {"label", tr / "label_2" / "000002.txt"},
      {"calib", tr / "calib" / "000002.txt"},
      {"pred:p", pred / "000002.txt"},
      {"image", tr / "image_2" / "000002.png"},
      {"velodyne", tr / "velodyne" / "000002.bin"}};
  for (const auto& [modality, file] : expected) {
    INFO(modality);
    const Problem* p = problem_of(f2.ann, modality);
    REQUIRE(p);
    CHECK(p->fatal);
    CHECK(p->file == file.string());
    CHECK(p->message == "is a directory, not a file");
  }
  CHECK(f2.ann.problems.size() == 5);

  const FrameAnnotations f3 = load_annotations(ds, *ds.find("000003"));
  const Problem* fifo = problem_of(f3, "label");
  REQUIRE(fifo);
  CHECK(fifo->file == (tr / "label_2" / "000003.txt").string());
  CHECK(fifo->message == "is not a regular file");
  CHECK(f3.calib);  // the other modalities load

  // The cheap media checks of a whole-dataset load name them too, and the other frames are fine.
  const auto all = load_all_annotations(ds, true, 2);
  CHECK(all[0].valid());
  CHECK(all[1].valid());
  int media = 0;
  for (const Problem& p : all[2].problems)
    if (p.modality == "image" || p.modality == "velodyne") {
      CHECK(p.message == "is a directory, not a file");
      ++media;
    }
  CHECK(media == 2);
  // needle rank reports them as invalid data.
  const RankResult r = rank_frames(all, {"p"});
  bool named = false;
  for (const FrameRank& fr : r.frames)
    for (const Finding& f : fr.findings)
      named |= fr.frame == "000002" && f.kind == "invalid_data" &&
               f.reason.find("label_2/000002.txt: is a directory") != std::string::npos;
  CHECK(named);
}

TEST_CASE("impossible geometry keeps the object out of matching, ranking and eval",
          "[dataset][errors]") {
  const auto root = test::temp_dir("impossible");
  const auto tr = root / "training", pred = root / "pred" / "p";
  for (const char* id : {"000000", "000001"}) write_frame(tr, pred, id);
  // 000000: the label from issue 7, h = 1e30 and z = 1e30, after a good car; a prediction with
  // rotation_y = 12 after a good one.
  test::write_file(
      tr / "label_2" / "000000.txt",
      kCar + "Car 0.00 0 -1.58 587 173 614 200 1e30 1.67 3.64 -0.65 1.71 1e30 -1.59\n");
  test::write_file(pred / "000000.txt",
                   kPred + "Car -1 -1 -10 100 173 160 200 1.6 1.6 3.9 -9 1.7 30 12 0.9\n");
  const DatasetIndex ds = scan_dataset(root, {{"p", pred}});
  const auto all = load_all_annotations(ds, false, 1);
  const FrameAnnotations& a = all.at(0);
  CHECK(a.has_labels);
  CHECK(a.labels.size() == 1);  // the good car
  REQUIRE(a.preds.at(0).status == PredStatus::Present);
  CHECK(a.preds[0].objects.size() == 1);
  CHECK_FALSE(a.valid());
  const Problem* lp = problem_of(a, "label");
  REQUIRE(lp);
  CHECK(lp->file == (tr / "label_2" / "000000.txt").string());
  CHECK(lp->line == 2);
  CHECK(lp->field == "height");
  const Problem* pp = problem_of(a, "pred:p");
  REQUIRE(pp);
  CHECK(pp->line == 2);
  CHECK(pp->field == "rotation_y");

  // Ranking: the frame is flagged as invalid data naming the lines; no geometric finding (such
  // as the heading_flip this label used to produce) refers to the dropped objects.
  const RankResult r = rank_frames(all, {"p"});
  int invalid = 0;
  for (const FrameRank& fr : r.frames) {
    if (fr.frame != "000000") continue;
    for (const Finding& f : fr.findings) {
      INFO(f.kind << ": " << f.reason);
      if (f.kind == "invalid_data") {
        ++invalid;
        CHECK(f.reason.find("impossible geometry") != std::string::npos);
      } else {
        CHECK(f.label <= 0);
        CHECK(f.prediction <= 0);
      }
      CHECK(f.kind != "heading_flip");
    }
  }
  CHECK(invalid == 2);

  // Eval: a frame with objects left out is not evaluated (either way would bias AP).
  const EvalDataset ev = load_eval_dataset(ds, 0, 1);
  REQUIRE(ev.skipped.size() == 1);
  CHECK(ev.skipped[0].find("frame 000000: invalid objects:") != std::string::npos);
  CHECK(ev.skipped[0].find("field 'height'") != std::string::npos);
  CHECK(ev.skipped[0].find("field 'rotation_y'") != std::string::npos);
  CHECK(ev.ids == std::vector<std::string>{"000001"});
}

TEST_CASE("a zero-byte label file warns only among labelled frames", "[dataset][errors]") {
  SECTION("among labelled frames: a warning naming the file, the frame stays valid") {
    const auto root = test::temp_dir("zero_label");
    const auto tr = root / "training", pred = root / "pred" / "p";
    for (const char* id : {"000000", "000001", "000002"}) write_frame(tr, pred, id);
    test::write_file(tr / "label_2" / "000001.txt", "");
    const DatasetIndex ds = scan_dataset(root, {});
    const FrameAnnotations a = load_annotations(ds, 1);
    CHECK(a.valid());
    CHECK(a.has_labels);
    CHECK(a.labels.empty());
    REQUIRE(a.problems.size() == 1);
    CHECK_FALSE(a.problems[0].fatal);
    CHECK(a.problems[0].file == (tr / "label_2" / "000001.txt").string());
    CHECK(a.problems[0].message.find("empty label file (0 bytes) while 2 other frames") == 0);
    // A file of whitespace is a deliberate "no objects": no warning.
    test::write_file(tr / "label_2" / "000001.txt", "\n");
    CHECK(load_annotations(ds, 1).problems.empty());
  }
  SECTION("the only label file of a dataset: no warning") {
    const auto root = test::temp_dir("zero_label_alone");
    test::write_file(root / "label_2" / "000000.txt", "");
    test::write_file(root / "calib" / "000001.txt", format_calib(test::simple_calib()));
    const DatasetIndex ds = scan_dataset(root, {});
    CHECK(load_annotations(ds, 0).problems.empty());
  }
}
