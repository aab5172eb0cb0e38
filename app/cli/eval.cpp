// needle eval DATASET --pred [NAME=]DIR [--format json|text] — KITTI object evaluation with the
// official devkit's rules (see needle/eval.h), in bounded memory (evaluate_kitti_dataset). Sharded:
// --shard I/N --partial-out FILE (map step), --merge FILE... (reduce step; app/cli/shard.h).
// Results go to stdout; progress, skipped frames and errors to stderr. Exit codes: 0 ok, 1 data
// error that stops the run, 2 usage.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/shard.h"
#include "needle/dataset.h"
#include "needle/eval.h"
#include "needle/partial.h"
#include "needle/pipeline.h"

namespace needle::cli {

int cmd_eval(int argc, char** argv) {
  CLI::App app{
      "KITTI object evaluation (official devkit rules, 2017 version with 2D/BEV/3D and 41 recall\n"
      "points; R40 and R11 AP in percent). Only frames that have a prediction file are evaluated:\n"
      "a missing file means the frame was not predicted, an empty file means zero detections.",
      "needle eval"};
  std::string dataset, pred_arg, format = "text";
  unsigned threads = 0;
  app.add_option("DATASET", dataset,
                 "dataset root (holds label_2/ or training/label_2/); not with --merge");
  app.add_option("--pred", pred_arg,
                 "prediction folder, [NAME=]DIR, KITTI label files with scores (required unless "
                 "--merge)");
  app.add_option("--format", format, "output format")->check(CLI::IsMember({"json", "text"}));
  app.add_option("-j,--threads", threads, "worker threads (0 = all cores)");
  ShardOptions shard;  // [issue 13] --shard/--partial-out (map step), --merge (reduce step)
  add_shard_options(app, shard);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  auto usage = [](const std::string& msg) {
    std::fprintf(stderr, "needle eval: %s\nRun 'needle eval --help' for usage.\n", msg.c_str());
    return 2;
  };
  if (std::string e = check_shard_options(app, shard, dataset, {"--pred"}); !e.empty())
    return usage(e);
  if (!shard.merging() && pred_arg.empty()) return usage("--pred is required");

  try {
    // What the report names: the set, its folder, the dataset and its frame count.
    std::string set_name, set_dir, root;
    std::size_t index_frames = 0;
    EvalRunCounts counts;
    EvalReport report;
    EvalOptions opt;
    opt.threads = threads;
    {
      ProgressBar bar("needle eval");
      const auto progress = [&](const char* phase, std::size_t d, std::size_t t) {
        bar.update(d, t, phase);
      };
      if (shard.merging()) {
        const std::vector<std::filesystem::path> files(shard.merge.begin(), shard.merge.end());
        const PartialSet parts = PartialSet::open(files, PartialKind::Eval);
        const DatasetIdentity& id = parts.header().identity;
        if (id.pred_sets.size() != 1) throw PartialError("eval partials name one prediction set");
        set_name = id.pred_sets[0].name;
        set_dir = id.pred_sets[0].dir.string();
        root = id.root;
        index_frames = static_cast<std::size_t>(id.frames);
        report = merge_eval_partials(parts, counts, opt, progress);
      } else {
        PredictionSetSpec spec;
        try {
          spec = parse_prediction_spec(pred_arg);
        } catch (const std::invalid_argument& e) {
          std::fprintf(stderr, "needle eval: %s\n", e.what());
          return 2;
        }
        const DatasetIndex ds = scan_dataset(dataset, {spec});
        if (shard.map()) return eval_map_step(ds, dataset, threads, shard);
        set_name = ds.pred_sets[0].name;
        set_dir = ds.pred_sets[0].dir.string();
        root = ds.root.string();
        index_frames = ds.frames.size();
        // Two passes over chunks of frames: memory stays bounded (needle/eval.h).
        report = evaluate_kitti_dataset(ds, 0, counts, opt, progress);
      }
    }
    constexpr std::size_t kMaxListed = 50;
    for (std::size_t i = 0; i < counts.skipped_messages.size() && i < kMaxListed; ++i)
      std::fprintf(stderr, "needle eval: skipped %s\n", counts.skipped_messages[i].c_str());
    if (counts.skipped > kMaxListed)
      std::fprintf(stderr, "needle eval: ... and %zu more skipped frames\n",
                   counts.skipped - kMaxListed);
    if (counts.evaluated == 0) {
      std::fprintf(
          stderr,
          "needle eval: no frame to evaluate: %zu frames in %s, none with both a prediction "
          "file in %s and a usable label file\n",
          index_frames, root.c_str(), set_dir.c_str());
      return 1;
    }

    if (format == "json") {
      std::fputs(eval_report_json(report).c_str(), stdout);
    } else {
      std::printf("needle eval: prediction set '%s' (%s)\n", set_name.c_str(), set_dir.c_str());
      std::printf("%zu frames evaluated (%zu with an empty prediction file = 0 detections)\n",
                  counts.evaluated, counts.empty);
      if (counts.missing > 0)
        std::printf("%zu frames have no prediction file: not predicted, not evaluated\n",
                    counts.missing);
      if (counts.skipped > 0)
        std::printf("%zu frames skipped for bad data (listed on stderr)\n", counts.skipped);
      std::printf("\n%s", eval_report_text(report).c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "needle eval: %s\n", e.what());
    return 1;
  }
}

}  // namespace needle::cli
