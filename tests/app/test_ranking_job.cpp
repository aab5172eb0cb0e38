// The viewer's ranking job runs the one pipeline (needle/pipeline.h): with any options it must
// produce exactly the ranking run_pipeline returns when called directly, and cancelling it must
// stop the pipeline at its next chunk instead of finishing the work. No window, no GL.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <thread>

#include "gui/model/ranking_job.h"
#include "needle/demo.h"
#include "needle/pipeline.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace needle;

namespace {

using Clock = std::chrono::steady_clock;

// A small synthetic dataset (scans, labels with injected errors, two prediction sets), once.
const fs::path& demo_dir() {
  static const fs::path dir = [] {
    const fs::path d = test::temp_dir("ranking_job_demo");
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

// Polls until the job is done; false after `limit`.
bool wait_done(const view::RankingJob& job, std::chrono::duration<double> limit) {
  const auto t0 = Clock::now();
  while (!job.done()) {
    if (Clock::now() - t0 > limit) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void require_same_ranking(const RankResult& a, const RankResult& b) {
  REQUIRE(a.frames.size() == b.frames.size());
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    const FrameRank& x = a.frames[i];
    const FrameRank& y = b.frames[i];
    INFO("position " << i);
    CHECK(x.frame == y.frame);
    CHECK(x.frame_index == y.frame_index);
    CHECK(x.rank == y.rank);
    CHECK(x.score == y.score);  // same inputs, same code: bit-identical
    REQUIRE(x.findings.size() == y.findings.size());
    for (std::size_t k = 0; k < x.findings.size(); ++k) {
      CHECK(x.findings[k].kind == y.findings[k].kind);
      CHECK(x.findings[k].score == y.findings[k].score);
      CHECK(x.findings[k].label == y.findings[k].label);
      CHECK(x.findings[k].prediction_set == y.findings[k].prediction_set);
    }
  }
  CHECK(a.summary == b.summary);
}

}  // namespace

TEST_CASE("ranking job: with any options it ranks exactly as run_pipeline does", "[ranking_job]") {
  const auto ds = demo_index();
  REQUIRE(ds->pred_sets.size() == 2);  // the demo writes two simulated detectors
  const fs::path cache = test::temp_dir("ranking_job_cache");

  std::vector<PipelineOptions> cases(5);
  cases[1].evidence = Evidence::Lidar;
  cases[2].evidence = Evidence::Predictions;
  cases[2].min_finding_score = 0.2;
  cases[3].method = RankMethod::Mistakenness;
  cases[4].compare = ds->pred_sets[0].name + "," + ds->pred_sets[1].name;
  for (PipelineOptions& o : cases) {
    o.lidar_cache_dir = cache;
    o.threads = 2;
  }
  for (const PipelineOptions& o : cases) {
    INFO("method " << rank_method_name(o.method) << ", evidence " << evidence_name(o.evidence)
                   << ", compare '" << o.compare << "', min score " << o.min_finding_score);
    const PipelineResult direct = run_pipeline(*ds, o);
    REQUIRE(direct.status == PipelineStatus::Ok);
    view::RankingJob job(ds, names_of(*ds), o);
    REQUIRE(wait_done(job, std::chrono::seconds(120)));
    const view::RankingData& r = job.result();
    REQUIRE(r.error.empty());
    CHECK(!r.cancelled);
    CHECK(r.method_name == direct.method_name);
    CHECK(r.lidar_used == direct.lidar_used);
    require_same_ranking(r.rank, direct.rank);
    // Every ranked frame can be found from its dataset index.
    for (std::size_t p = 0; p < r.rank.frames.size(); ++p)
      CHECK(r.position_of_frame[r.rank.frames[p].frame_index] == static_cast<int>(p));
  }
  // The options were honoured: lidar evidence alone reads no prediction set, and the lidar
  // witnesses only take part with the needle method outside compare mode.
  CHECK(run_pipeline(*ds, cases[1]).set_names.empty());
  CHECK(run_pipeline(*ds, cases[0]).lidar_used);
  CHECK(!run_pipeline(*ds, cases[2]).lidar_used);
  CHECK(run_pipeline(*ds, cases[4]).method_name == "compare");
}

TEST_CASE("ranking job: cancelling stops the pipeline at its next chunk", "[ranking_job]") {
  const auto ds = demo_index();
  PipelineOptions o;
  o.lidar_cache = false;  // every scan analysed: the slowest run, the one worth cancelling
  o.threads = 1;

  // The whole run, for scale.
  const auto t_full0 = Clock::now();
  const PipelineResult full = run_pipeline(*ds, o);
  const double full_s = std::chrono::duration<double>(Clock::now() - t_full0).count();
  REQUIRE(full.status == PipelineStatus::Ok);
  REQUIRE(full.lidar_used);

  SECTION("cancelled while loading") {
    view::RankingJob job(ds, names_of(*ds), o);
    job.cancel();
    REQUIRE(wait_done(job, std::chrono::seconds(60)));
    CHECK(job.result().cancelled);
    CHECK(job.result().rank.frames.empty());
  }
  SECTION("cancelled in the lidar pass") {
    view::RankingJob job(ds, names_of(*ds), o);
    const auto t0 = Clock::now();
    while (!job.done() && job.progress().phase != "lidar")
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    REQUIRE(!job.done());  // the lidar pass of 40 uncached scans takes a while
    const auto t_cancel = Clock::now();
    job.cancel();
    REQUIRE(wait_done(job, std::chrono::seconds(60)));
    const double stop_s = std::chrono::duration<double>(Clock::now() - t_cancel).count();
    const double ran_s = std::chrono::duration<double>(t_cancel - t0).count();
    INFO("full run " << full_s << " s; ran " << ran_s << " s; stopped " << stop_s
                     << " s after cancel");
    CHECK(job.result().cancelled);
    CHECK(job.result().rank.frames.empty());
    // One thread stops after the scan in hand: a small part of the whole run (40 scans).
    CHECK(stop_s < full_s / 4);
  }
  SECTION("the destructor cancels and returns quickly") {
    const auto t0 = Clock::now();
    {
      view::RankingJob job(ds, names_of(*ds), o);
      while (!job.done() && job.progress().phase != "lidar")
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    CHECK(s < full_s * 0.75);
  }
}
