// needle eval DATASET --pred [NAME=]DIR [--format json|text] — KITTI object evaluation with the
// official devkit's rules (see needle/eval.h). Results go to stdout; progress, skipped frames and
// errors to stderr. Exit codes: 0 ok, 1 data error that stops the run, 2 usage.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/progress.h"
#include "needle/dataset.h"
#include "needle/eval.h"
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
  app.add_option("DATASET", dataset, "dataset root (holds label_2/ or training/label_2/)")
      ->required();
  app.add_option("--pred", pred_arg, "prediction folder, [NAME=]DIR, KITTI label files with scores")
      ->required();
  app.add_option("--format", format, "output format")->check(CLI::IsMember({"json", "text"}));
  app.add_option("-j,--threads", threads, "worker threads (0 = all cores)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  PredictionSetSpec spec;
  try {
    spec = parse_prediction_spec(pred_arg);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "needle eval: %s\n", e.what());
    return 2;
  }

  try {
    const DatasetIndex ds = scan_dataset(dataset, {spec});
    EvalDataset data;
    {
      ProgressBar bar("needle eval");
      data = load_eval_frames(ds, 0, threads, [&](const char* phase, std::size_t d, std::size_t t) {
        bar.update(d, t, phase);
      });
    }
    constexpr std::size_t kMaxListed = 50;
    for (std::size_t i = 0; i < data.skipped.size() && i < kMaxListed; ++i)
      std::fprintf(stderr, "needle eval: skipped %s\n", data.skipped[i].c_str());
    if (data.skipped.size() > kMaxListed)
      std::fprintf(stderr, "needle eval: ... and %zu more skipped frames\n",
                   data.skipped.size() - kMaxListed);
    if (data.inputs.empty()) {
      std::fprintf(
          stderr,
          "needle eval: no frame to evaluate: %zu frames in %s, none with both a prediction "
          "file in %s and a usable label file\n",
          ds.frames.size(), ds.root.string().c_str(), ds.pred_sets[0].dir.string().c_str());
      return 1;
    }

    EvalOptions opt;
    opt.threads = threads;
    const EvalReport report = evaluate_kitti(data.inputs, opt);

    if (format == "json") {
      std::fputs(eval_report_json(report).c_str(), stdout);
    } else {
      std::printf("needle eval: prediction set '%s' (%s)\n", ds.pred_sets[0].name.c_str(),
                  ds.pred_sets[0].dir.string().c_str());
      std::printf("%zu frames evaluated (%zu with an empty prediction file = 0 detections)\n",
                  data.inputs.size(), data.empty);
      if (data.missing > 0)
        std::printf("%zu frames have no prediction file: not predicted, not evaluated\n",
                    data.missing);
      if (!data.skipped.empty())
        std::printf("%zu frames skipped for bad data (listed on stderr)\n", data.skipped.size());
      std::printf("\n%s", eval_report_text(report).c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "needle eval: %s\n", e.what());
    return 1;
  }
}

}  // namespace needle::cli
