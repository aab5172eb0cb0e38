// Bounded memory (issue #13 section 1): the streaming ranking (rank_frames_streaming, the
// pipeline's stream_chunk_frames, `needle rank` above 16,384 frames) gives the ranking in memory
// gives, field for field and bit for bit, whatever the chunk size; and `needle rank` writes the
// same bytes both ways. The expected values are the in-memory ranking's, an independent path: it
// holds every frame and never splits the dataset.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <sstream>

#include "needle/demo.h"
#include "needle/pipeline.h"
#include "needle/ranking.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace needle;

namespace {

// 90 frames with injected label errors (30%) and broken files (5%: invalid frames), two
// prediction sets, calibration, no images or scans.
const fs::path& streaming_demo() {
  static const fs::path dir = [] {
    const fs::path d = test::temp_dir("rank_streaming_demo");
    DemoOptions o;
    o.frames = 90;
    o.seed = 7;
    o.error_fraction = 0.3;
    o.invalid_fraction = 0.05;
    o.images = false;
    o.lidar = false;
    o.threads = 2;
    generate_demo(d, o);
    return d;
  }();
  return dir;
}

struct Loaded {
  DatasetIndex ds;
  std::vector<FrameAnnotations> frames;
  std::vector<std::string> names;
};

Loaded load_demo() {
  Loaded l;
  l.ds = scan_dataset(streaming_demo(), default_prediction_sets(streaming_demo()));
  l.frames = load_all_annotations(l.ds, true, 2);
  for (const auto& s : l.ds.pred_sets) l.names.push_back(s.name);
  return l;
}

void check_same_finding(const Finding& a, const Finding& b) {
  CHECK(a.kind == b.kind);
  CHECK(a.frame == b.frame);
  CHECK(a.label == b.label);
  CHECK(a.prediction == b.prediction);
  CHECK(a.prediction_set == b.prediction_set);
  CHECK(a.cls == b.cls);
  CHECK(a.predicted_class == b.predicted_class);
  CHECK(a.confidence == b.confidence);
  CHECK(a.iou_2d == b.iou_2d);
  CHECK(a.iou_bev == b.iou_bev);
  CHECK(a.iou_3d == b.iou_3d);
  CHECK(a.score == b.score);  // bit for bit: the models are the same numbers
  CHECK(a.reason == b.reason);
}

void check_same_ranking(const RankResult& a, const RankResult& b) {
  CHECK(a.summary == b.summary);
  REQUIRE(a.frames.size() == b.frames.size());
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    const FrameRank& x = a.frames[i];
    const FrameRank& y = b.frames[i];
    CHECK(x.frame_index == y.frame_index);
    CHECK(x.frame == y.frame);
    CHECK(x.rank == y.rank);
    CHECK(x.score == y.score);
    REQUIRE(x.findings.size() == y.findings.size());
    for (std::size_t k = 0; k < x.findings.size(); ++k)
      check_same_finding(x.findings[k], y.findings[k]);
  }
}

}  // namespace

TEST_CASE("rank streaming: the same ranking as in memory for chunks of 1, 7 and all frames",
          "[rank_streaming]") {
  const Loaded l = load_demo();
  const RankResult expected = rank_frames(l.frames, l.names);
  // The demo set exercises what the comparison must cover.
  REQUIRE(expected.summary.at("frames_invalid") > 0);
  REQUIRE(expected.frames.size() > 20);
  REQUIRE(expected.summary.count("kind:invalid_data") == 1);
  const FrameSource src = frame_source_of(l.frames);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{1000}}) {
    INFO("chunk " << chunk);
    StreamOptions so;
    so.chunk_frames = chunk;
    std::size_t calls = 0;
    FrameSource counted = src;
    counted.load = [&](std::size_t b, std::size_t e) {
      ++calls;
      CHECK(e - b <= chunk);
      return src.load(b, e);
    };
    check_same_ranking(rank_frames_streaming(counted, l.names, {}, so), expected);
    // Three passes over every chunk; a source of one chunk is read once.
    const std::size_t chunks = (l.frames.size() + chunk - 1) / chunk;
    CHECK(calls == (chunks == 1 ? 1 : 3 * chunks));
  }
}

TEST_CASE("rank streaming: labelled frames without calibration (the pinhole's extra passes)",
          "[rank_streaming]") {
  Loaded l = load_demo();
  // Every other frame loses its calibration: the label model fits a pinhole camera to the labels
  // (two more passes over the frames when streaming).
  for (std::size_t f = 0; f < l.frames.size(); f += 2) l.frames[f].calib.reset();
  const RankResult expected = rank_frames(l.frames, l.names);
  const FrameSource src = frame_source_of(l.frames);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}}) {
    INFO("chunk " << chunk);
    StreamOptions so;
    so.chunk_frames = chunk;
    check_same_ranking(rank_frames_streaming(src, l.names, {}, so), expected);
  }
}

TEST_CASE("rank streaming: witnesses see dataset frame indices; one prediction set; cancel",
          "[rank_streaming]") {
  const Loaded l = load_demo();
  RankOptions opt;
  opt.threads = 2;
  // A witness that accuses label 0 of every fifth frame of the dataset: chunk-local indices
  // would accuse other labels.
  opt.witnesses.push_back([](std::size_t frame, std::size_t label, std::vector<WitnessTerm>& out) {
    if (frame % 5 == 0 && label == 0) out.push_back({"shift", 6.0, "", "test witness"});
  });
  const RankResult expected = rank_frames(l.frames, l.names, opt);
  StreamOptions so;
  so.chunk_frames = 7;
  check_same_ranking(rank_frames_streaming(frame_source_of(l.frames), l.names, opt, so), expected);

  // One prediction set (no joint miss model): frames with the second set dropped.
  std::vector<FrameAnnotations> one = l.frames;
  for (FrameAnnotations& a : one) a.preds.resize(1);
  const std::vector<std::string> one_name{l.names[0]};
  check_same_ranking(rank_frames_streaming(frame_source_of(one), one_name, {}, so),
                     rank_frames(one, one_name));

  // The baselines are not streamed but give their own ranking through the same entry point.
  RankOptions ol;
  ol.method = RankMethod::ObjectLab;
  check_same_ranking(rank_frames_streaming(frame_source_of(l.frames), l.names, ol, so),
                     rank_frames(l.frames, l.names, ol));

  // Cancelled after the first chunk: an empty result, and no further chunk read.
  std::atomic<bool> cancel{false};
  std::size_t calls = 0;
  FrameSource src = frame_source_of(l.frames);
  const FrameSource inner = src;
  src.load = [&](std::size_t b, std::size_t e) {
    ++calls;
    cancel = true;
    return inner.load(b, e);
  };
  so.cancel = &cancel;
  const RankResult none = rank_frames_streaming(src, l.names, {}, so);
  CHECK(none.frames.empty());
  CHECK(none.summary.empty());
  CHECK(calls == 1);
}

TEST_CASE("rank streaming: the pipeline streams with the same ranking and load problems",
          "[rank_streaming][pipeline]") {
  const Loaded l = load_demo();
  PipelineOptions o;
  o.evidence = Evidence::Predictions;
  o.threads = 2;
  const PipelineResult in_memory = run_pipeline(l.ds, o);
  REQUIRE(in_memory.status == PipelineStatus::Ok);
  o.stream_chunk_frames = 7;
  CHECK(pipeline_streams(l.ds, o));
  std::vector<std::string> phases;
  const PipelineResult streamed =
      run_pipeline(l.ds, o, [&](const char* p, std::size_t, std::size_t) {
        if (phases.empty() || phases.back() != p) phases.push_back(p);
      });
  REQUIRE(streamed.status == PipelineStatus::Ok);
  check_same_ranking(streamed.rank, in_memory.rank);
  CHECK(streamed.frames.empty());  // not held
  REQUIRE(streamed.load_problems.size() == in_memory.load_problems.size());
  CHECK(!streamed.load_problems.empty());
  for (std::size_t i = 0; i < streamed.load_problems.size(); ++i) {
    CHECK(streamed.load_problems[i].frame == in_memory.load_problems[i].frame);
    CHECK(streamed.load_problems[i].problem.to_string() ==
          in_memory.load_problems[i].problem.to_string());
  }
  CHECK(phases == std::vector<std::string>{"loading", "fitting", "scoring"});
  // Evidence all without scans streams too; compare mode and other methods do not.
  o.evidence = Evidence::All;
  CHECK(pipeline_streams(l.ds, o));
  o.method = RankMethod::Mistakenness;
  CHECK_FALSE(pipeline_streams(l.ds, o));
}

TEST_CASE("rank streaming: `needle rank` writes the same bytes streamed and in memory",
          "[rank_streaming][cli]") {
  const std::string bin = test::needle_binary();
  if (!fs::exists(bin)) return;
  const fs::path out = test::temp_dir("rank_streaming_cli");
  auto slurp = [](const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
  };
  for (const char* format : {"json", "csv", "text"}) {
    INFO(format);
    const fs::path ref = out / (std::string("mem.") + format);
    REQUIRE(test::run_command("NEEDLE_RANK_IN_MEMORY=1 " + bin + " rank " +
                              streaming_demo().string() + " --threads 2 --format " + format +
                              " --out " + ref.string()) == 0);
    for (const char* chunk : {"1", "7", "1000"}) {
      INFO("chunk " << chunk);
      const fs::path got = out / (std::string("chunk") + chunk + "." + format);
      REQUIRE(test::run_command(std::string("NEEDLE_RANK_CHUNK=") + chunk + " " + bin + " rank " +
                                streaming_demo().string() + " --threads 2 --format " + format +
                                " --out " + got.string()) == 0);
      CHECK(slurp(got) == slurp(ref));
    }
  }
  // --top K, and a top of 0 (no frame listed: "frames": []): the JSON's edge cases.
  for (const char* extra : {" --top 3", " --top 0"}) {
    INFO(extra);
    const fs::path ref = out / "top_mem.json", got = out / "top_stream.json";
    REQUIRE(test::run_command("NEEDLE_RANK_IN_MEMORY=1 " + bin + " rank " +
                              streaming_demo().string() + " --format json" + extra + " --out " +
                              ref.string()) == 0);
    REQUIRE(test::run_command("NEEDLE_RANK_CHUNK=7 " + bin + " rank " + streaming_demo().string() +
                              " --format json" + extra + " --out " + got.string()) == 0);
    CHECK(slurp(got) == slurp(ref));
  }
}
