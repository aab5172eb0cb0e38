// The one pipeline (needle/pipeline.h): its option checks, its contract on cancellation, and that
// its ranking is the engine's own (load_all_annotations + rank_frames) for the prediction
// evidence, which needs no lidar model.
#include <catch2/catch.hpp>

#include "needle/demo.h"
#include "needle/pipeline.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace needle;

namespace {
const fs::path& small_demo() {
  static const fs::path dir = [] {
    const fs::path d = test::temp_dir("pipeline_demo");
    DemoOptions o;
    o.frames = 24;
    o.images = false;
    o.threads = 2;
    generate_demo(d, o);
    return d;
  }();
  return dir;
}
}  // namespace

TEST_CASE("pipeline: option checks name the problem", "[pipeline]") {
  PipelineOptions o;
  CHECK(check_pipeline_options(o).empty());
  o.evidence = Evidence::Lidar;
  o.compare = "a,b";
  CHECK(check_pipeline_options(o) == "--compare needs --evidence predictions or all");
  o.evidence = Evidence::All;
  o.compare = "ab";
  CHECK(check_pipeline_options(o).find("OLD,NEW") != std::string::npos);
  o.compare.clear();
  o.min_finding_score = 1.5;
  CHECK(!check_pipeline_options(o).empty());
  CHECK(parse_evidence("lidar") == Evidence::Lidar);
  CHECK(std::string(evidence_name(Evidence::Predictions)) == "predictions");
  CHECK_THROWS_AS(parse_evidence("radar"), std::invalid_argument);
}

TEST_CASE("pipeline: ranks as load_all_annotations + rank_frames; cancels; refuses bad sets",
          "[pipeline]") {
  const DatasetIndex ds = scan_dataset(small_demo(), default_prediction_sets(small_demo()));
  REQUIRE(ds.pred_sets.size() == 2);
  std::vector<std::string> names;
  for (const auto& s : ds.pred_sets) names.push_back(s.name);

  PipelineOptions o;
  o.evidence = Evidence::Predictions;
  const PipelineResult r = run_pipeline(ds, o);
  REQUIRE(r.status == PipelineStatus::Ok);
  CHECK(!r.lidar_used);
  const RankResult manual = rank_frames(load_all_annotations(ds, true), names);
  REQUIRE(r.rank.frames.size() == manual.frames.size());
  for (std::size_t i = 0; i < manual.frames.size(); ++i) {
    CHECK(r.rank.frames[i].frame == manual.frames[i].frame);
    CHECK(r.rank.frames[i].score == manual.frames[i].score);
  }
  CHECK(r.frames.size() == ds.frames.size());  // the annotations come back with the ranking

  // The post-rank hook sees the finished ranking and may change it.
  o.post_rank = [](const DatasetIndex&, const std::vector<FrameAnnotations>&, RankResult& rr) {
    rr.summary["hook"] = 1;
  };
  CHECK(run_pipeline(ds, o).rank.summary.at("hook") == 1);

  // A token set before the start: Cancelled, no ranking, nothing thrown.
  CancelToken cancel;
  cancel.cancel();
  const PipelineResult c = run_pipeline(ds, PipelineOptions{}, {}, &cancel);
  CHECK(c.status == PipelineStatus::Cancelled);
  CHECK(c.rank.frames.empty());

  // Unknown compare names: a usage error, before any file is read.
  PipelineOptions bad;
  bad.compare = names[0] + ",nope";
  const PipelineResult b = run_pipeline(ds, bad);
  CHECK(b.status == PipelineStatus::Failed);
  CHECK(b.options_error);
  CHECK(b.error.find("known sets: " + names[0] + ", " + names[1]) != std::string::npos);

  // Lidar evidence alone reads no prediction set.
  PipelineOptions lidar;
  lidar.evidence = Evidence::Lidar;
  lidar.lidar_cache_dir = test::temp_dir("pipeline_cache");
  const PipelineResult l = run_pipeline(ds, lidar);
  REQUIRE(l.status == PipelineStatus::Ok);
  CHECK(l.set_names.empty());
  CHECK(l.lidar_used);
  for (const FrameAnnotations& a : l.frames) CHECK(a.preds.empty());
}
