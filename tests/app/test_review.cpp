// The viewer's review model without a window (gui/model/review_*.h): crops worked by hand, the
// store session (no file until the first write, polling another connection's changes, a foreign
// file left alone), and the review actions on a small real dataset with a hand-made ranking:
// verdicts hiding findings, filters, the QA session (dwell, next unreviewed, resume) and triage.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gui/model/actions.h"
#include "gui/model/commands.h"
#include "gui/model/keys.h"
#include "gui/model/review_actions.h"
#include "gui/model/review_crops.h"
#include "model_fixture.h"
#include "needle/dataset.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace needle;
using namespace needle::view;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A label line: class, 2D box, a 3D box at depth z (KITTI column order).
std::string label_line(const char* cls, double x1, double y1, double x2, double y2, double z) {
  std::ostringstream o;
  o << cls << " 0.00 0 0.0 " << x1 << ' ' << y1 << ' ' << x2 << ' ' << y2 << " 1.5 1.6 4.0 1.0 1.5 "
    << z << " 0.0\n";
  return o.str();
}

// Five frames with label files only; frames 1, 3 and 4 ranked (in that order) with these
// findings: frame 1 a poor_overlap on label 0 and a missing prediction on label 1, frame 3 one
// poor_overlap on label 0, frame 4 a frame-level finding.
struct ReviewFixture {
  fs::path dir = needle::test::temp_dir("review_model");
  AppState s;
  ReviewFixture() {
    const fs::path labels = dir / "data" / "label_2";
    fs::create_directories(labels);
    for (int i = 0; i < 5; ++i)
      needle::test::write_file(labels / (test::frame_id(static_cast<std::size_t>(i)) + ".txt"),
                               label_line("Car", 100, 100, 200, 160, 20) +
                                   label_line("Pedestrian", 400, 120, 430, 200, 15));
    auto index = std::make_shared<const DatasetIndex>(scan_dataset(dir / "data", {}));
    RankingData r;
    r.position_of_frame.assign(5, -1);
    auto add = [&](std::size_t frame, std::vector<Finding> fs) {
      FrameRank fr;
      fr.frame_index = frame;
      fr.frame = test::frame_id(frame);
      fr.rank = static_cast<int>(r.rank.frames.size()) + 1;
      fr.findings = std::move(fs);
      r.position_of_frame[frame] = static_cast<int>(r.rank.frames.size());
      r.rank.frames.push_back(fr);
    };
    Finding poor;
    poor.kind = "poor_overlap";
    poor.label = 0;
    Finding missing;
    missing.kind = "missing_prediction";
    missing.label = 1;
    Finding frame_level;
    frame_level.kind = "empty_labels";
    add(1, {poor, missing});
    add(3, {poor});
    add(4, {frame_level});
    auto session = std::make_unique<Session>();
    session->root = dir / "data";
    session->index = index;
    session->ranking = std::make_unique<RankingJob>(std::move(r));
    ReviewOptions opt;
    opt.store = dir / "store.sqlite";
    opt.store_for = dir / "data";
    session->review = open_review_session(opt, dir / "data", index);
    s.session = std::move(session);
    s.review_options = opt;
  }
  ReviewSession& review() { return *s.session->review; }
  // Opens frame i as if loaded (the review needs no pixels).
  void open(std::size_t i) {
    go_to_frame(s, i);
    auto f = std::make_shared<LoadedFrame>();
    f->index = i;
    s.current = f;
  }
};

}  // namespace

// [SECTION] crops

TEST_CASE("a crop region is the 2D box grown by a quarter (at least 12 px), clipped", "[review]") {
  // 80 x 40 box: 20 px more left and right (a quarter of 80), 12 px up and down (a quarter of
  // 40 is 10, less than the 12 px minimum).
  const Box2D r = crop_region({100.5, 50.0, 180.0, 90.0}, 1242, 375);
  CHECK(r.x1 == 80.0);  // floor(100.5 - 20)
  CHECK(r.y1 == 38.0);
  CHECK(r.x2 == 200.0);
  CHECK(r.y2 == 102.0);
  // At the corner: clipped to the image.
  const Box2D c = crop_region({0, 0, 20, 20}, 1242, 375);
  CHECK(c.x1 == 0.0);
  CHECK(c.y1 == 0.0);
  CHECK(c.x2 == 32.0);
  CHECK(c.y2 == 32.0);
  // Outside the image: empty.
  CHECK(crop_region({2000, 10, 2100, 50}, 1242, 375).area() == 0.0);
}

TEST_CASE("crop pixels copy the region's rows", "[review]") {
  Image img;
  img.width = 4;
  img.height = 3;
  for (int i = 0; i < 12; ++i)
    for (int k = 0; k < 3; ++k) img.rgb.push_back(static_cast<std::uint8_t>(i * 10 + k));
  const Image c = crop_pixels(img, {1, 1, 3, 3});
  REQUIRE(c.width == 2);
  REQUIRE(c.height == 2);
  // Pixels (1,1) (2,1) (1,2) (2,2) are numbers 5, 6, 9, 10 in row-major order.
  CHECK(c.rgb[0] == 50);
  CHECK(c.rgb[3] == 60);
  CHECK(c.rgb[6] == 90);
  CHECK(c.rgb[9] == 100);
  CHECK(c.rgb[11] == 102);
}

TEST_CASE("an element crop carries the boxes inside it, its own marked", "[review]") {
  FrameData d;
  Image img;
  img.width = img.height = 100;
  img.rgb.assign(100 * 100 * 3, 0);
  d.image = img;
  Object a;
  a.type = "Car";
  a.cls = ObjectClass::Car;
  a.box2d = {20, 20, 40, 40};
  Object far = a;
  far.box2d = {80, 80, 90, 90};
  d.ann.labels = {a, far};
  PredictionFrame pf;
  Object p = a;
  p.box2d = {22, 24, 44, 40};
  pf.objects = {p};
  d.ann.preds = {pf};
  const ElementCrop c = make_element_crop(d, {"det"}, {"000000", "label", 0});
  REQUIRE(c.problem.empty());
  // Region: 20 px box, 12 px margin each side -> [8, 52).
  CHECK(c.region.x1 == 8.0);
  CHECK(c.region.x2 == 52.0);
  CHECK(c.image.width == 44);
  REQUIRE(c.boxes.size() == 2);  // the far label (80..90) is outside
  CHECK(c.boxes[0].element);
  CHECK(c.boxes[0].box.x1 == 12.0);  // 20 - 8
  CHECK_FALSE(c.boxes[1].element);
  CHECK(c.boxes[1].prediction);
  CHECK(c.boxes[1].box.y1 == 16.0);  // 24 - 8
  CHECK(c.caption == "Car, label 0");
  // A reference past the file's end is a problem, not a crop.
  CHECK_FALSE(make_element_crop(d, {"det"}, {"000000", "label", 5}).problem.empty());
}

// [SECTION] the store session

TEST_CASE("the review session creates no file until the first write", "[review]") {
  ReviewFixture f;
  const fs::path store = f.dir / "store.sqlite";
  CHECK_FALSE(fs::exists(store));
  CHECK(f.review().error().empty());
  f.open(1);
  CHECK(review_tag(f.s, "night").empty());
  CHECK(fs::exists(store));
  REQUIRE(f.review().snapshot().tags_by_frame.count("000001") == 1);
  CHECK(f.review().snapshot().tags_in_use == std::vector<std::string>{"night"});
}

TEST_CASE("the review session sees another connection's writes at the next poll", "[review]") {
  ReviewFixture f;
  f.open(1);
  REQUIRE(review_tag(f.s, "night").empty());
  f.review().poll(100.0);
  {
    // Another writer (a second connection, as the CLI would be).
    ReviewStore other = ReviewStore::open(f.dir / "store.sqlite", {});
    other.add_tag({"000003", "", -1}, "rain");
  }
  // Within the poll interval nothing is read ...
  CHECK_FALSE(f.review().poll(100.0 + 0.5 * kReviewPollSeconds));
  CHECK(f.review().snapshot().tags_by_frame.count("000003") == 0);
  // ... after it, the change shows.
  CHECK(f.review().poll(100.0 + 1.01 * kReviewPollSeconds));
  CHECK(f.review().snapshot().tags_by_frame.count("000003") == 1);
  // No change: no re-read.
  CHECK_FALSE(f.review().poll(100.0 + 2.02 * kReviewPollSeconds));
}

TEST_CASE("a file that is not a store gives a message, is never written and nothing throws",
          "[review]") {
  const fs::path dir = needle::test::temp_dir("review_foreign");
  const fs::path path = dir / "store.sqlite";
  needle::test::write_file(path, "not a database, but somebody's notes\n");
  ReviewSession r(path, {});
  CHECK_FALSE(r.error().empty());
  const std::string err = r.add_tag({"000001", "", -1}, "x");
  CHECK_FALSE(err.empty());
  CHECK(err.find(path.string()) != std::string::npos);
  CHECK(read_all(path) == "not a database, but somebody's notes\n");
}

// [SECTION] actions on the viewer state

TEST_CASE("review keys act on the selected label, else prediction, else the frame", "[review]") {
  ReviewFixture f;
  f.s.session->set_names = {"det"};
  f.open(2);
  CHECK(review_target(f.s) == ObjectRef{"000002", "", -1});
  f.s.selection.pred_set = 0;
  f.s.selection.pred = 3;
  CHECK(review_target(f.s) == ObjectRef{"000002", "det", 3});
  f.s.selection.label = 1;
  CHECK(review_target(f.s) == ObjectRef{"000002", "label", 1});
}

TEST_CASE("a not_an_error verdict hides its finding, and a frame left with none, from the list",
          "[review]") {
  ReviewFixture f;
  f.s.order = ListOrder::Rank;
  f.open(3);
  CHECK(review_verdict(f.s, VerdictKind::NotAnError) ==
        "select a finding first (click one in "
        "the inspector)");
  f.s.selection.finding = 0;  // frame 3's only finding: poor_overlap on label 0
  REQUIRE(review_verdict(f.s, VerdictKind::NotAnError).empty());
  const Finding& fd = current_findings(f.s)[0];
  REQUIRE(finding_verdict(f.s, "000003", fd) == VerdictKind::NotAnError);
  CHECK(finding_hidden(f.s, "000003", fd));
  CHECK_FALSE(review_row_passes(f.s, 3));  // every finding hidden
  CHECK(review_row_passes(f.s, 1));
  // Frame 1 has a poor_overlap on label 0 too: another frame's object, not hidden.
  CHECK_FALSE(finding_hidden(f.s, "000001", f.s.session->rank()->rank.frames[0].findings[0]));
  // Suspicious frames: 1 and 4 (3 is resolved).
  CHECK(review_progress(f.s).suspicious == 2);
  // The id order lists every frame; the suppressed filter brings it back.
  f.s.order = ListOrder::Id;
  CHECK(review_row_passes(f.s, 3));
  f.s.order = ListOrder::Rank;
  f.review().filter.suppressed = true;
  CHECK(review_row_passes(f.s, 3));
  CHECK_FALSE(finding_hidden(f.s, "000003", fd));
  // The verdict filter.
  f.review().filter.verdict = "not_an_error";
  CHECK(review_row_passes(f.s, 3));
  CHECK_FALSE(review_row_passes(f.s, 1));
}

TEST_CASE("tag and issue filters keep the frames holding them", "[review]") {
  ReviewFixture f;
  f.open(1);
  f.s.selection.label = 1;
  REQUIRE(review_tag(f.s, "occluded").empty());  // an object's tag counts for its frame
  f.review().filter.tag = "occluded";
  CHECK(review_row_passes(f.s, 1));
  CHECK_FALSE(review_row_passes(f.s, 3));
  f.review().filter.tag.clear();
  REQUIRE(review_new_issue(f.s, "boxes").empty());
  CHECK(f.review().current_issue == "boxes");
  f.open(4);
  REQUIRE(review_add_to_issue(f.s).empty());
  f.review().filter.issue = "boxes";
  CHECK(review_row_passes(f.s, 4));
  CHECK_FALSE(review_row_passes(f.s, 1));
  CHECK_FALSE(review_new_issue(f.s, "boxes").empty());  // exists already
}

TEST_CASE("a frame shown long enough is reviewed; next-unreviewed and resume skip it", "[review]") {
  ReviewFixture f;
  f.s.review_options.dwell_s = kReviewDwellSeconds;
  f.open(1);
  review_tick(f.s, 10.0, false);  // loading: the clock does not start
  review_tick(f.s, 11.0, true);
  review_tick(f.s, 11.0 + kReviewDwellSeconds * 0.9, true);
  CHECK_FALSE(frame_reviewed(f.s, 1));
  review_tick(f.s, 11.0 + kReviewDwellSeconds, true);
  CHECK(frame_reviewed(f.s, 1));
  CHECK(f.review().snapshot().reviewed.at("000001").user.size() > 0);
  CHECK(review_status_text(f.s) == "reviewed 1 of 3 suspicious");
  // Frame 3 shown briefly: not reviewed.
  f.open(3);
  review_tick(f.s, 20.0, true);
  review_tick(f.s, 20.0 + kReviewDwellSeconds * 0.5, true);
  CHECK_FALSE(frame_reviewed(f.s, 3));
  // Marked by key.
  REQUIRE(review_mark_reviewed(f.s).empty());
  CHECK(frame_reviewed(f.s, 3));
  // From frame 1 (rank 1), the next unreviewed suspicious frame is 4 (3 is reviewed).
  f.open(1);
  REQUIRE(review_next_unreviewed(f.s).empty());
  CHECK(f.s.frame == 4);
  f.open(4);
  REQUIRE(review_mark_reviewed(f.s).empty());
  CHECK(review_next_unreviewed(f.s) == "every suspicious frame is reviewed");
}

TEST_CASE("resume opens the top unreviewed suspicious frame once", "[review]") {
  ReviewFixture f;
  f.open(1);
  REQUIRE(review_mark_reviewed(f.s).empty());
  // Reopening the dataset: a new review session on the same store.
  f.s.session->review = open_review_session(f.s.review_options, f.dir / "data", f.s.session->index);
  f.open(0);
  CHECK(review_resume(f.s));
  CHECK(f.s.frame == 3);  // rank 2: rank 1 (frame 1) is reviewed
  f.open(0);
  CHECK_FALSE(review_resume(f.s));  // once per dataset
}

TEST_CASE("triage sets the cursor's element and moves on to the next unsorted one", "[review]") {
  ReviewFixture f;
  REQUIRE(review_new_issue(f.s, "wrong").empty());
  for (std::size_t i : {1, 3, 4}) {
    f.open(i);
    f.s.selection.label = 0;
    REQUIRE(review_add_to_issue(f.s).empty());
  }
  CHECK(f.review().element_cursor == 2);  // the element just added
  REQUIRE(review_move_cursor(f.s, -5).empty());
  CHECK(f.review().element_cursor == 0);  // clamped
  REQUIRE(review_triage(f.s, ElementState::Added).empty());
  CHECK(f.review().element_cursor == 1);
  REQUIRE(review_triage(f.s, ElementState::Discarded).empty());
  CHECK(f.review().element_cursor == 2);
  const IssueDetail* d = f.review().snapshot().issue("wrong");
  REQUIRE(d);
  CHECK(d->info.counts.at(ElementState::Added) == 1);
  CHECK(d->info.counts.at(ElementState::Discarded) == 1);
  CHECK(d->info.counts.at(ElementState::Unsorted) == 1);
  CHECK(d->elements[0].object.ref == ObjectRef{"000001", "label", 0});
  CHECK(d->elements[1].state == ElementState::Discarded);
  // Opening the element: its frame, its object selected once loaded.
  REQUIRE(review_open_element(f.s).empty());
  CHECK(f.s.frame == 4);
}

TEST_CASE("review commands run through the command table", "[review][commands]") {
  ReviewFixture f;
  test::FakeHost h;
  h.s = std::move(f.s);
  h.s.frame = 1;
  auto run = [&](const char* id, CommandParams p = {}) {
    const Command* c = find_command(id);
    REQUIRE(c);
    return run_command(*c, h, p).error;
  };
  CHECK(run("review.tag_add", {"dusk"}).empty());
  CHECK(run("review.issue_add") == "no current issue: create one first (Shift+I)");
  CHECK(h.s.status_message == "no current issue: create one first (Shift+I)");
  CHECK(run("review.issue_new", {"x"}).empty());
  CHECK(run("review.issue_add").empty());
  CHECK(run("review.mark").empty());
  CHECK(run("review.filter_verdict", {"label_error"}).empty());
  CHECK(review_of(h.s)->filter.verdict == "label_error");
  CHECK(run("review.filter_verdict", {"any"}).empty());
  CHECK(review_of(h.s)->filter.verdict.empty());
  // Every review chord is a key nothing else uses (the table test checks uniqueness overall).
  CHECK(command_for_chord(keys::letter('T'), 0) == find_command("review.tag_dialog"));
  CHECK(command_for_chord(keys::k0 + 4, 0) == find_command("review.verdict_not_an_error"));
}

TEST_CASE("a store file that appears half-made is reported only when it stays unreadable",
          "[review]") {
  ReviewFixture f;
  const fs::path path = f.dir / "store.sqlite";
  f.open(1);
  review_tick(f.s, 0.0, false);
  CHECK(f.s.status_message.empty());
  // Another process has just created the file (0 bytes before its first commit).
  needle::test::write_file(path, "");
  double t = 0.0;
  for (int poll = 1; poll < 3; ++poll) {  // kOpenAttempts polls: quiet
    t += 1.01 * kReviewPollSeconds;
    review_tick(f.s, t, false);
    CHECK(f.review().error().empty());
    CHECK(f.s.status_message.empty());
  }
  t += 1.01 * kReviewPollSeconds;
  review_tick(f.s, t, false);
  CHECK_FALSE(f.review().error().empty());
  CHECK(f.s.status_message.find("is not a needle review store") != std::string::npos);
  // It becomes a store: the message goes.
  fs::remove(path);
  { ReviewStore::open(path, {}).add_tag({"000001", "", -1}, "late"); }
  t += 1.01 * kReviewPollSeconds;
  review_tick(f.s, t, false);
  CHECK(f.review().error().empty());
  CHECK(f.s.status_message.empty());
  CHECK(f.review().snapshot().tags_in_use == std::vector<std::string>{"late"});
}

TEST_CASE("review bench: a poll and a full re-read of a large store", "[.][review-bench]") {
  // 2,000 frame tags, 5,000 reviewed frames and one issue of 2,000 elements: more than a QA
  // session of the 7,481 KITTI training frames would gather in a day.
  const fs::path dir = needle::test::temp_dir("review_bench");
  const fs::path path = dir / "store.sqlite";
  {
    ReviewStore st = ReviewStore::open(path, {});
    st.create_issue("big", "");
    std::vector<ObjectRef> refs;
    for (int i = 0; i < 5000; ++i) {
      const ObjectRef r{test::frame_id(static_cast<std::size_t>(i)), "", -1};
      if (i < 2000) {
        st.add_tag(r, i % 2 ? "odd" : "even");
        refs.push_back(r);
      }
      st.mark_reviewed(r.frame);
    }
    st.add_to_issue("big", refs);
  }
  ReviewSession r(path, {});
  REQUIRE(r.error().empty());
  auto median_ms = [](auto&& f) {
    std::vector<double> ms;
    for (int k = 0; k < 15; ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      f();
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  };
  double t = 0;
  const double poll = median_ms([&] {
    t += 2 * kReviewPollSeconds;
    CHECK_FALSE(r.poll(t));  // nothing changed: the counter alone
  });
  const double reread = median_ms([&] { CHECK(r.refresh(true)); });
  std::printf("review bench: poll (no change) %.3f ms, full re-read %.1f ms (median of 15)\n", poll,
              reread);
}
