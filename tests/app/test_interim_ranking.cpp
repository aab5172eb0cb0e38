// Interim rankings (issue 8 §4): on a dataset whose lidar pass takes a while the viewer's list is
// usable at once with a ranking without the lidar, refined as the pass proceeds, and the final
// ranking is exactly run_pipeline's. Swapping snapshots keeps the user's place by frame, not by
// row. And the ranking hands the lidar model's expected point counts per label to the inspector.
// No window, no GL.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <memory>
#include <thread>

#include "gui/model/actions.h"
#include "gui/model/app_state.h"
#include "gui/model/lidar_overlay.h"
#include "gui/model/ranking_job.h"
#include "gui/model/ranking_swap.h"
#include "model_fixture.h"
#include "needle/demo.h"
#include "needle/lidar_pass.h"
#include "needle/pipeline.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace needle;

namespace {

using Clock = std::chrono::steady_clock;

const fs::path& demo_dir() {
  static const fs::path dir = [] {
    const fs::path d = test::temp_dir("interim_demo");
    DemoOptions o;
    o.frames = 40;  // enough for every witness to fit its model, small enough to be quick
    o.images = false;
    o.threads = 2;
    generate_demo(d, o);
    return d;
  }();
  return dir;
}

std::shared_ptr<const DatasetIndex> demo_index() {
  return std::make_shared<const DatasetIndex>(
      scan_dataset(demo_dir(), default_prediction_sets(demo_dir())));
}

std::vector<std::string> names_of(const DatasetIndex& ds) {
  std::vector<std::string> n;
  for (const auto& s : ds.pred_sets) n.push_back(s.name);
  return n;
}

void require_same_ranking(const RankResult& a, const RankResult& b) {
  REQUIRE(a.frames.size() == b.frames.size());
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    INFO("position " << i);
    CHECK(a.frames[i].frame_index == b.frames[i].frame_index);
    CHECK(a.frames[i].score == b.frames[i].score);
    REQUIRE(a.frames[i].findings.size() == b.frames[i].findings.size());
    for (std::size_t k = 0; k < a.frames[i].findings.size(); ++k) {
      CHECK(a.frames[i].findings[k].kind == b.frames[i].findings[k].kind);
      CHECK(a.frames[i].findings[k].score == b.frames[i].findings[k].score);
    }
  }
}

// A finding by hand.
Finding finding(std::string kind, int label, int prediction = -1) {
  Finding f;
  f.kind = std::move(kind);
  f.label = label;
  f.prediction = prediction;
  f.prediction_set = prediction >= 0 ? std::string(1, 'a') : std::string();
  return f;
}

// A ranking by hand: frames in `order`, each with the given findings.
view::RankingData ranking(std::size_t n, const std::vector<std::size_t>& order,
                          std::map<std::size_t, std::vector<Finding>> findings = {}) {
  view::RankingData r;
  r.position_of_frame.assign(n, -1);
  for (std::size_t k = 0; k < order.size(); ++k) {
    FrameRank fr;
    fr.frame_index = order[k];
    fr.rank = static_cast<int>(k) + 1;
    fr.findings = findings[order[k]];
    r.rank.frames.push_back(fr);
    r.position_of_frame[order[k]] = static_cast<int>(k);
  }
  return r;
}

}  // namespace

TEST_CASE(
    "interim ranking: the pipeline publishes interims before the final, which they do not "
    "change",
    "[interim]") {
  const auto ds = demo_index();
  PipelineOptions o;
  o.lidar_cache = false;
  o.threads = 2;
  const PipelineResult plain = run_pipeline(*ds, o);
  REQUIRE(plain.status == PipelineStatus::Ok);
  REQUIRE(plain.lidar_used);

  struct Seen {
    std::string stage;
    std::size_t done, total, frames;
    bool lidar_used, has_expected;
  };
  std::vector<Seen> seen;
  o.interim_every_s = 0;  // an interim after every chunk of the pass
  o.interim = [&](const PipelineResult& r, const PipelineInterim& w) {
    seen.push_back({w.stage, w.lidar_done, w.lidar_total, r.rank.frames.size(), r.lidar_used,
                    !r.label_expected.empty()});
  };
  const PipelineResult with = run_pipeline(*ds, o);
  REQUIRE(with.status == PipelineStatus::Ok);
  // First the ranking without the lidar, then ones with the lidar of part of the frames.
  REQUIRE(seen.size() >= 2);
  CHECK(seen[0].stage == "predictions");
  CHECK(seen[0].done == 0);
  CHECK(!seen[0].lidar_used);
  CHECK(seen[0].frames > 0);
  for (std::size_t k = 1; k < seen.size(); ++k) {
    INFO("interim " << k);
    CHECK(seen[k].stage == "lidar");
    CHECK(seen[k].lidar_used);
    CHECK(seen[k].has_expected);
    CHECK(seen[k].done > seen[k - 1].done);
    CHECK(seen[k].done < seen[k].total);  // the last chunk is the final, not an interim
    CHECK(seen[k].total == ds->frames.size());
  }
  // 40 frames in kInterimLidarChunks chunks: at most an interim after each chunk but the last
  // (fewer when one cost more than 1/kInterimCostFactor of the chunks since).
  const std::size_t chunk = (ds->frames.size() + kInterimLidarChunks - 1) / kInterimLidarChunks;
  CHECK(seen.size() <= 1 + (ds->frames.size() + chunk - 1) / chunk - 1);
  // The final result is the one without interims.
  require_same_ranking(with.rank, plain.rank);
  CHECK(with.lidar_stats.computed == plain.lidar_stats.computed);
  CHECK(with.lidar_problems.size() == plain.lidar_problems.size());
  // No interims when the lidar takes no part.
  PipelineOptions p = o;
  p.evidence = Evidence::Predictions;
  seen.clear();
  CHECK(run_pipeline(*ds, p).status == PipelineStatus::Ok);
  CHECK(seen.empty());
}

TEST_CASE("interim ranking: the job shows an interim before the final, the place is kept",
          "[interim]") {
  const auto ds = demo_index();
  PipelineOptions o;
  o.lidar_cache = false;  // every scan analysed on one thread: the pass takes a while
  o.threads = 1;
  const PipelineResult direct = run_pipeline(*ds, o);
  REQUIRE(direct.status == PipelineStatus::Ok);

  view::AppState s;
  s.rank_options = o;
  REQUIRE(view::open_dataset(s, demo_dir(), {}));
  view::RankingJob& job = *s.session->ranking;
  CHECK(s.session->rank() == nullptr);
  // The user is on frame 7 with its first label selected before anything is ranked.
  view::go_to_frame(s, 7);
  s.selection.label = 0;

  bool interim_before_final = false;
  int swaps = 0;
  const auto t0 = Clock::now();
  while (!s.session->final_rank()) {
    REQUIRE(Clock::now() - t0 < std::chrono::seconds(120));
    if (view::refresh_ranking(s)) {
      ++swaps;
      const view::RankingData* shown = s.session->rank();
      REQUIRE(shown);
      if (shown->interim) {
        interim_before_final = true;
        CHECK(!s.session->final_rank());  // scripts and --open still wait
        CHECK(!view::ranking_state_text(shown, job.progress()).empty());
      }
      // The same frame, the cursor on its row in the new list, the label still selected.
      CHECK(s.frame == 7);
      CHECK(s.selection.label == 0);
      if (shown->position_of_frame[7] >= 0 && s.rank_cursor >= 0)
        CHECK(s.rank_cursor == shown->position_of_frame[7]);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(interim_before_final);
  CHECK(swaps >= 2);
  CHECK(job.interims_published() >= 1);
  const view::RankingData& fin = *s.session->final_rank();
  CHECK(!fin.interim);
  CHECK(view::ranking_state_text(&fin, job.progress()).empty());
  CHECK(std::string(view::ranking_state_name(&fin)) == "final");
  require_same_ranking(fin.rank, direct.rank);
  // Nothing changes after the final.
  CHECK(!view::refresh_ranking(s));
}

TEST_CASE("interim ranking: a swap keeps the frame, the cursor and the finding, not the row",
          "[interim]") {
  view::AppState s;
  test::open_fake_session(s, 6, {3, 1, 4});
  const view::RankingData before =
      ranking(6, {3, 1, 4},
              {{1, {finding("missing_label", -1, 2), finding("spurious_label", 0)}},
               {3, {finding("label_missing", -1, 0)}}});
  // The final ranking reorders the frames and the findings of frame 1, and ranks frame 5.
  const view::RankingData after = ranking(
      6, {5, 4, 1, 3},
      {{1,
        {finding("empty_box", 0), finding("missing_label", -1, 2), finding("spurious_label", 0)}}});

  SECTION("the same finding by kind, label and prediction") {
    s.frame = 1;
    s.rank_cursor = 1;  // frame 1's row in `before`
    s.selection.label = 0;
    s.selection.finding = 1;  // spurious_label on label 0
    view::keep_place(s, &before, after);
    CHECK(s.frame == 1);
    CHECK(s.rank_cursor == 2);  // frame 1's row in `after`
    CHECK(s.selection.finding == 2);
    CHECK(s.selection.label == 0);
    CHECK(s.scroll_list_to_current);
  }
  SECTION("a finding that is gone: one on the same label, else none") {
    s.frame = 3;
    s.rank_cursor = 0;
    s.selection.finding = 0;  // label_missing on prediction 0 of set a: gone, frame 3 has none
    view::keep_place(s, &before, after);
    CHECK(s.selection.finding == -1);
    CHECK(s.rank_cursor == 3);
  }
  SECTION("a frame the new list does not rank: the cursor follows the frame it was on") {
    view::RankingData partial = ranking(6, {4, 3});
    s.frame = 1;
    s.rank_cursor = 1;  // on frame 1, which `partial` does not rank
    view::keep_place(s, &before, partial);
    CHECK(s.rank_cursor == 1);  // clamped: frame 1 has no row; 1 is still in range
    s.rank_cursor = 2;          // on frame 4 in `before`
    s.frame = 0;
    view::keep_place(s, &before, partial);
    CHECK(s.rank_cursor == 0);  // frame 4's row in `partial`
  }
  SECTION("a list scrolled down keeps its first visible frame at the top, one at the top stays") {
    s.frame = 1;
    s.scroll_list_to_current = false;
    s.list_top_frame = 4;  // the frame list's first visible row shows frame 4
    view::keep_place(s, &before, after);
    CHECK(s.scroll_list_to_top_frame);
    CHECK(!s.scroll_list_to_current);
    CHECK(s.list_top_frame == 4);
    s.scroll_list_to_top_frame = false;
    s.list_top_frame = -1;  // at the very top
    view::keep_place(s, &before, after);
    CHECK(!s.scroll_list_to_top_frame);
    CHECK(s.scroll_list_to_current);  // only scrolls if the current row left the view
  }
  SECTION("before the first row stays before the first row") {
    s.frame = 1;
    s.rank_cursor = -1;
    view::keep_place(s, &before, after);
    CHECK(s.rank_cursor == -1);
  }
}

TEST_CASE("interim ranking: status texts", "[interim]") {
  view::RankingData d;
  d.interim = true;
  d.lidar_done = 10;
  d.lidar_total = 100;
  CHECK(view::ranking_state_text(&d, {"lidar", 37, 100}) ==
        "ranking: lidar 37% - list will refine");
  CHECK(view::ranking_state_text(&d, {"loading", 100, 100}) ==
        "ranking: lidar 10% - list will refine");
  CHECK(view::ranking_state_text(nullptr, {"loading", 120, 1000}) ==
        "ranking: loading 120/1000...");
  CHECK(std::string(view::ranking_state_name(&d)) == "interim");
  CHECK(std::string(view::ranking_state_name(nullptr)) == "none");
  d.interim = false;
  CHECK(view::ranking_state_text(&d, {"ranking", 1, 1}).empty());
}

TEST_CASE("expected points: the ranking hands each label's expected range to the inspector",
          "[interim][lidar_view]") {
  const auto ds = demo_index();
  PipelineOptions o;
  o.threads = 2;
  o.lidar_cache_dir = test::temp_dir("interim_expected_cache");
  const PipelineResult r = run_pipeline(*ds, o);
  REQUIRE(r.status == PipelineStatus::Ok);
  REQUIRE(r.label_expected.size() == ds->frames.size());
  // The labels' own counts, from the pass (the same cache).
  LidarPassOptions lo;
  lo.threads = 2;
  lo.cache_dir = o.lidar_cache_dir;
  const std::vector<FrameLidar> lidar = run_lidar_pass(*ds, r.frames, lo);

  // An empirical expectation is the 10% - 90% range of the counts of its class, occlusion and
  // 5 m range bin: about 80% of those labels lie inside it (checked over all of them).
  std::size_t empirical = 0, inside = 0, with = 0;
  for (std::size_t f = 0; f < r.frames.size(); ++f) {
    const auto& labels = r.frames[f].labels;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const bool valid = lidar[f].ok && i < lidar[f].labels.size() && lidar[f].labels[i].valid;
      const bool has = i < r.label_expected[f].size() && r.label_expected[f][i].has_value();
      INFO("frame " << f << " label " << i);
      CHECK(has == valid);  // every label the pass measured, none other
      if (!has) continue;
      ++with;
      const ExpectedPoints& e = *r.label_expected[f][i];
      CHECK(e.lo <= e.hi);
      if (!e.empirical) continue;
      ++empirical;
      CHECK(e.range_hi == e.range_lo + 5);
      const double n = lidar[f].labels[i].n_in;
      if (n >= e.lo && n <= e.hi) ++inside;
    }
  }
  REQUIRE(with > 100);
  REQUIRE(empirical > 50);
  CHECK(static_cast<double>(inside) / static_cast<double>(empirical) >= 0.7);

  // The viewer's ranking data carry the same table, and the rows take it.
  view::RankingJob job(ds, names_of(*ds), o);
  while (!job.done()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  REQUIRE(job.result().label_expected.size() == r.label_expected.size());
  for (std::size_t f = 0; f < r.frames.size(); ++f) {
    const auto* exp = view::label_expected_of(job.result().label_expected, f);
    const auto rows = view::lidar_label_rows(r.frames[f].labels, lidar[f], exp);
    for (const auto& row : rows) {
      if (!row.valid) continue;
      const ExpectedPoints& e = *r.label_expected[f][static_cast<std::size_t>(row.label)];
      CHECK(row.has_expected);
      CHECK(row.expected_lo == e.lo);
      CHECK(row.expected_hi == e.hi);
      CHECK(row.below_expected == (row.n_in < e.lo));
    }
  }
}

TEST_CASE("expected points: the inspector's line", "[lidar_view]") {
  Object car;
  car.type = "Car";
  car.occluded = 0;
  view::LidarLabelRow row;
  row.valid = true;
  row.n_in = 312;
  CHECK(view::points_inside_text(car, row) == "points inside 312");
  row.has_expected = true;
  row.expected_lo = 180;
  row.expected_hi = 900;
  row.expected_empirical = true;
  row.expected_range_lo = 10;
  row.expected_range_hi = 15;
  CHECK(view::points_inside_text(car, row) ==
        "points inside 312 (Cars 10-15 m, occl 0: 180-900 in this dataset)");
  Object ped;
  ped.type = "Pedestrian";
  ped.occluded = -1;  // KITTI's unknown counts as 0
  ped.h = 1.7;
  ped.w = 0.6;
  ped.l = 0.8;
  ped.loc_cam = {3.0, 1.7, 4.0};  // 5 m away
  row.n_in = 4;
  row.expected_empirical = false;
  row.expected_lo = 2.4;
  row.expected_hi = 30.2;
  CHECK(view::points_inside_text(ped, row) ==
        "points inside 4 (Pedestrians like it at 5.0 m, occl 0: 2-30 in this dataset)");
  // No expectation for a frame the table does not cover.
  const std::vector<std::vector<std::optional<ExpectedPoints>>> table(2);
  CHECK(view::label_expected_of(table, 1) == nullptr);
  CHECK(view::label_expected_of(table, 5) == nullptr);
}

// Time to the first usable list against the final ranking on a dataset given by
// NEEDLE_INTERIM_BENCH_DIR (hidden: run it by its tag; bench/RESULTS.md "#8 interim ranking").
TEST_CASE("interim ranking: time to the first interim and to the final", "[.interim_bench]") {
  const char* dir = std::getenv("NEEDLE_INTERIM_BENCH_DIR");
  if (!dir) {
    test::skip_or_fail("NEEDLE_INTERIM_BENCH_DIR not set");
    return;
  }
  const auto ds =
      std::make_shared<const DatasetIndex>(scan_dataset(dir, default_prediction_sets(dir)));
  PipelineOptions o;
  o.lidar_cache = std::getenv("NEEDLE_INTERIM_BENCH_CACHE") != nullptr;
  const auto t0 = Clock::now();
  view::RankingJob job(ds, names_of(*ds), o);
  double first = -1, fin = -1;
  std::size_t last_count = 0;
  std::vector<std::pair<double, std::size_t>> refreshes;
  while (true) {
    const double t = std::chrono::duration<double>(Clock::now() - t0).count();
    if (job.done()) {
      fin = t;
      break;
    }
    if (job.interims_published() != last_count) {
      last_count = job.interims_published();
      const auto d = job.latest_interim();
      if (first < 0) first = t;
      refreshes.emplace_back(t, d->lidar_done);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::printf("frames %zu, cache %s: first interim %.2f s, final %.2f s, %zu interims:",
              ds->frames.size(), o.lidar_cache ? "on" : "off", first, fin, refreshes.size());
  for (const auto& [t, done] : refreshes) std::printf(" %.1fs@%zu", t, done);
  std::printf("\n");
  CHECK(fin > 0);
}
