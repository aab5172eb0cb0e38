// Sharding (needle/partial.h): shard specs and ranges against hand-worked numbers; the merge of
// the parts of a generated demo set equals the single run (findings compared field by field,
// doubles exactly); the eval merge equals evaluate_kitti on all frames; the streaming eval equals
// the in-memory one; and every refusal (missing, duplicate, foreign, truncated, corrupt, other
// version) names the file.
#include <cstdio>
#include <cstring>
#include <fstream>

#include <catch2/catch.hpp>

#include "needle/demo.h"
#include "needle/eval.h"
#include "needle/partial.h"
#include "needle/pipeline.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace needle;

namespace {

fs::path demo_dataset(const std::string& tag, int frames, bool lidar) {
  const fs::path dir = needle::test::temp_dir(tag) / "demo";
  DemoOptions o;
  o.frames = frames;
  o.images = false;
  o.lidar = lidar;
  o.threads = 2;
  generate_demo(dir, o);
  return dir;
}

DatasetIndex open(const fs::path& dir) {
  return scan_dataset(dir, default_prediction_sets(dir));
}

void require_same(const RankResult& a, const RankResult& b) {
  REQUIRE(a.frames.size() == b.frames.size());
  REQUIRE(a.summary == b.summary);
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    const FrameRank& x = a.frames[i];
    const FrameRank& y = b.frames[i];
    REQUIRE(x.frame == y.frame);
    REQUIRE(x.rank == y.rank);
    REQUIRE(std::memcmp(&x.score, &y.score, sizeof x.score) == 0);  // bit-exact
    REQUIRE(x.findings.size() == y.findings.size());
    for (std::size_t k = 0; k < x.findings.size(); ++k) {
      CHECK(x.findings[k].kind == y.findings[k].kind);
      CHECK(std::memcmp(&x.findings[k].score, &y.findings[k].score, sizeof(double)) == 0);
      CHECK(x.findings[k].label == y.findings[k].label);
      CHECK(x.findings[k].prediction == y.findings[k].prediction);
      CHECK(x.findings[k].reason == y.findings[k].reason);
    }
  }
}

std::vector<fs::path> write_rank_parts(const DatasetIndex& ds, const std::string& arg,
                                       const PipelineOptions& opt, std::size_t n,
                                       const fs::path& dir) {
  std::vector<fs::path> files;
  for (std::size_t i = n; i-- > 0;) {  // written and listed in reverse: order must not matter
    files.push_back(dir / ("part" + std::to_string(i) + ".npt"));
    write_rank_partial(ds, arg, opt, {i, n}, files.back());
  }
  return files;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void spit(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

}  // namespace

TEST_CASE("shard specs and frame ranges", "[partial]") {
  const ShardSpec s = parse_shard_spec("2/7");
  CHECK(s.index == 2);
  CHECK(s.count == 7);
  CHECK_THROWS_AS(parse_shard_spec("7/7"), std::invalid_argument);  // 0-based
  CHECK_THROWS_AS(parse_shard_spec("1/0"), std::invalid_argument);
  CHECK_THROWS_AS(parse_shard_spec("-1/3"), std::invalid_argument);
  CHECK_THROWS_AS(parse_shard_spec("1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_shard_spec("a/3"), std::invalid_argument);
  // 10 frames in 3 shards: floor(i * 10 / 3) = 0, 3, 6, 10.
  CHECK(shard_range({0, 3}, 10) == std::pair<std::size_t, std::size_t>{0, 3});
  CHECK(shard_range({1, 3}, 10) == std::pair<std::size_t, std::size_t>{3, 6});
  CHECK(shard_range({2, 3}, 10) == std::pair<std::size_t, std::size_t>{6, 10});
  // More shards than frames: some are empty, together they still cover every frame once.
  CHECK(shard_range({0, 4}, 2) == std::pair<std::size_t, std::size_t>{0, 0});
  CHECK(shard_range({1, 4}, 2) == std::pair<std::size_t, std::size_t>{0, 1});
  CHECK(shard_range({3, 4}, 2) == std::pair<std::size_t, std::size_t>{1, 2});
  // A million frames in 7: 1e6 * 3 / 7 = 428571.4 -> 428571.
  CHECK(shard_range({3, 7}, 1000000).first == 428571);
}

TEST_CASE("rank: merged parts equal the single run (demo, N = 1, 3, 7)", "[partial]") {
  const fs::path dir = demo_dataset("partial_rank", 60, false);
  const DatasetIndex ds = open(dir);
  PipelineOptions opt;
  opt.evidence = Evidence::Predictions;
  opt.threads = 2;
  const PipelineResult single = run_pipeline(ds, opt);
  REQUIRE(single.status == PipelineStatus::Ok);
  REQUIRE(!single.load_problems.empty());  // the demo's broken files take part
  for (std::size_t n : {1u, 3u, 7u}) {
    const fs::path parts_dir = needle::test::temp_dir("partial_rank_parts");
    const PartialSet parts =
        PartialSet::open(write_rank_parts(ds, dir.string(), opt, n, parts_dir), PartialKind::Rank);
    CHECK(parts.size() == ds.frames.size());
    CHECK(parts.header().identity.root == ds.root.string());
    const PipelineResult merged =
        merge_rank_partials(parts, rank_options_from_lines(parts.header().options));
    REQUIRE(merged.status == PipelineStatus::Ok);
    require_same(single.rank, merged.rank);
    CHECK(merged.load_problems.size() == single.load_problems.size());
    // The frames come back field by field.
    const std::vector<FrameAnnotations> back = parts.load_frames(5, 9);
    REQUIRE(back.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
      const FrameAnnotations& a = single.frames[5 + i];
      CHECK(back[i].id == a.id);
      CHECK(back[i].labels.size() == a.labels.size());
      CHECK(back[i].problems.size() == a.problems.size());
      CHECK(back[i].calib.has_value() == a.calib.has_value());
      for (std::size_t k = 0; k < a.labels.size(); ++k) {
        CHECK(back[i].labels[k].type == a.labels[k].type);
        CHECK(std::memcmp(&back[i].labels[k].loc_cam, &a.labels[k].loc_cam, sizeof(Vec3)) == 0);
      }
    }
  }
}

TEST_CASE("rank with the lidar: merged parts equal the single run (demo with scans)", "[partial]") {
  const fs::path dir = demo_dataset("partial_lidar", 14, true);
  const DatasetIndex ds = open(dir);
  PipelineOptions opt;  // needle method, evidence all: the lidar pass takes part
  opt.threads = 2;
  opt.lidar_cache_dir = needle::test::temp_dir("partial_lidar_cache");
  opt.lidar_cache = false;
  const PipelineResult single = run_pipeline(ds, opt);
  REQUIRE(single.status == PipelineStatus::Ok);
  REQUIRE(single.lidar_used);
  for (std::size_t n : {1u, 3u}) {
    // The second round reads the lidar results from the cache the first one wrote.
    PipelineOptions map_opt = opt;
    map_opt.lidar_cache = n == 3;
    const fs::path parts_dir = needle::test::temp_dir("partial_lidar_parts");
    const PartialSet parts = PartialSet::open(
        write_rank_parts(ds, dir.string(), map_opt, n, parts_dir), PartialKind::Rank);
    CHECK(parts.rank_stats().lidar_ran);
    const PipelineResult merged =
        merge_rank_partials(parts, rank_options_from_lines(parts.header().options));
    REQUIRE(merged.status == PipelineStatus::Ok);
    CHECK(merged.lidar_used);
    require_same(single.rank, merged.rank);
    CHECK(merged.lidar_problems.size() == single.lidar_problems.size());
  }
}

TEST_CASE("rank: the options travel exactly", "[partial]") {
  PipelineOptions o;
  o.method = RankMethod::ObjectLab;
  o.evidence = Evidence::Predictions;
  o.compare = "a,b";
  o.min_finding_score = 0.1 + 0.2;  // not a short decimal
  const PipelineOptions back = rank_options_from_lines(rank_option_lines(o));
  CHECK(back.method == RankMethod::ObjectLab);
  CHECK(back.evidence == Evidence::Predictions);
  CHECK(back.compare == "a,b");
  CHECK(back.min_finding_score == o.min_finding_score);
  CHECK_THROWS_AS(rank_options_from_lines({"method=needle"}), PartialError);
}

TEST_CASE("rank: parts that do not belong together are refused, naming the files", "[partial]") {
  const fs::path dir = demo_dataset("partial_bad", 24, false);
  const DatasetIndex ds = open(dir);
  PipelineOptions opt;
  opt.evidence = Evidence::Predictions;
  const fs::path tmp = needle::test::temp_dir("partial_bad_parts");
  const std::vector<fs::path> f = write_rank_parts(ds, dir.string(), opt, 3, tmp);  // 2, 1, 0
  auto refused = [](const std::vector<fs::path>& files, const std::string& needle_text) {
    try {
      PartialSet::open(files, PartialKind::Rank);
    } catch (const PartialError& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(needle_text) != std::string::npos);
      return true;
    }
    return false;
  };
  CHECK(refused({f[0], f[2]}, "missing shard 1/3"));
  CHECK(
      refused({f[0], f[1], f[2], f[1]}, "given twice: " + f[1].string() + " and " + f[1].string()));
  // Another option.
  PipelineOptions other = opt;
  other.min_finding_score = 0.5;
  const fs::path o1 = tmp / "other1.npt";
  write_rank_partial(ds, dir.string(), other, {1, 3}, o1);
  CHECK(refused({f[0], o1, f[2]}, "different options: min_score="));
  // Another dataset (a different frame count: another fingerprint).
  const fs::path dir2 = demo_dataset("partial_bad2", 25, false);
  const fs::path d1 = tmp / "dataset1.npt";
  write_rank_partial(open(dir2), dir.string(), opt, {1, 3}, d1);
  CHECK(refused({f[0], d1, f[2]}, "different datasets"));
  // Another N.
  const fs::path n1 = tmp / "n1.npt";
  write_rank_partial(ds, dir.string(), opt, {1, 4}, n1);
  CHECK(refused({f[0], n1, f[2]}, "different shard counts"));
  // Damaged files: truncated, a flipped byte, another format version, not a partial at all.
  const std::string bytes = slurp(f[1]);
  const fs::path cut = tmp / "cut.npt", flip = tmp / "flip.npt", ver = tmp / "ver.npt",
                 junk = tmp / "junk.npt";
  spit(cut, bytes.substr(0, bytes.size() - 20));
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x40);
  spit(flip, flipped);
  std::string v2 = bytes;
  v2[8] = 2;  // the u32 version right after the 8-byte magic
  spit(ver, v2);
  spit(junk, "hello");
  CHECK(refused({f[0], cut, f[2]}, cut.string() + ": truncated"));
  CHECK(refused({f[0], ver, f[2]}, ver.string() + ": partial format version 2"));
  CHECK(refused({junk}, junk.string() + ": not a needle partial file"));
  // A flipped byte inside a frame record is found when the frames are read.
  const PartialSet parts = PartialSet::open({f[0], flip, f[2]}, PartialKind::Rank);
  CHECK_THROWS_WITH(parts.load_frames(0, parts.size()),
                    Catch::Contains(flip.string() + ": corrupt: the checksum"));
  // An eval partial is not a rank one.
  const DatasetIndex eds = scan_dataset(dir, {default_prediction_sets(dir).front()});
  const fs::path e0 = tmp / "eval0.npt";
  write_eval_partial(eds, dir.string(), {0, 1}, e0);
  CHECK(refused({e0}, "a partial file of needle eval, not of needle rank"));
}

TEST_CASE("eval: merged parts and the streaming run equal evaluate_kitti", "[partial]") {
  const fs::path dir = demo_dataset("partial_eval", 80, false);
  const DatasetIndex ds = scan_dataset(dir, {default_prediction_sets(dir).front()});
  const EvalDataset data = load_eval_dataset(ds, 0, 2);
  REQUIRE(!data.skipped.empty());  // the demo's broken files are skipped
  const EvalReport want = evaluate_kitti(data.inputs);
  const std::string want_json = eval_report_json(want);
  const std::string want_text = eval_report_text(want);

  EvalRunCounts counts;
  const EvalReport streamed = evaluate_kitti_dataset(ds, 0, counts);
  CHECK(eval_report_json(streamed) == want_json);
  // Chunks of 7 frames, none kept for pass 2 (all read again), or all kept.
  for (std::size_t keep : {std::size_t{0}, kEvalRetainBytes}) {
    EvalOptions small;
    small.stream_frames = 7;
    small.retain_bytes = keep;
    EvalRunCounts c;
    const EvalReport r = evaluate_kitti_dataset(ds, 0, c, small);
    CHECK(eval_report_json(r) == want_json);
    CHECK(eval_report_text(r) == want_text);
    CHECK(c.skipped_messages == counts.skipped_messages);
  }
  CHECK(counts.evaluated == data.inputs.size());
  CHECK(counts.skipped == data.skipped.size());
  CHECK(counts.missing == data.missing);
  CHECK(counts.empty == data.empty);

  const std::string arg = dir.string();
  for (std::size_t n : {1u, 3u, 7u}) {
    const fs::path tmp = needle::test::temp_dir("partial_eval_parts");
    std::vector<fs::path> files;
    for (std::size_t i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "e%zu.npt", i);
      files.push_back(tmp / name);
      write_eval_partial(ds, arg, {i, n}, files.back());
    }
    std::reverse(files.begin(), files.end());
    const PartialSet parts = PartialSet::open(files, PartialKind::Eval);
    EvalRunCounts mc;
    EvalOptions none_kept;
    none_kept.retain_bytes = 0;
    const EvalReport merged = merge_eval_partials(parts, mc, n == 3 ? none_kept : EvalOptions{});
    CHECK(eval_report_json(merged) == want_json);
    CHECK(eval_report_text(merged) == want_text);
    CHECK(merged.frames == want.frames);
    CHECK(mc.evaluated == counts.evaluated);
    CHECK(mc.skipped_messages == counts.skipped_messages);
  }
}

TEST_CASE("eval: the streaming run equals evaluate_kitti on the KITTI sample", "[partial]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  for (const char* set : {"point_gnn", "frustum_pointnets_v1"}) {
    const DatasetIndex ds = scan_dataset(kitti, {{set, kitti / "pred" / set}});
    const EvalDataset data = load_eval_dataset(ds, 0);
    EvalRunCounts counts;
    CHECK(eval_report_json(evaluate_kitti_dataset(ds, 0, counts)) ==
          eval_report_json(evaluate_kitti(data.inputs)));
    CHECK(counts.missing == data.missing);
  }
}
