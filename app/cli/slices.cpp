// needle slices DATASET --pred SET [--by ATTR[,ATTR]] [--meta FILE] [--format json|csv|text]
// — AP, recall, false positives and findings per slice of the data, worst first (needle/slices.h).
// Results go to stdout (or --out); progress and warnings to stderr.
// Exit codes: 0 ok, 1 data error that stops the run, 2 usage.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/open_dataset.h"
#include "cli/progress.h"
#include "needle/attributes.h"
#include "needle/enum_names.h"
#include "needle/slices.h"

namespace needle::cli {

namespace {

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "needle slices: %s\n", msg.c_str());
  return 2;
}

// --pred SET: the name of a folder in DATASET/pred/ (as `needle demo` writes), else [NAME=]DIR.
PredictionSetSpec resolve_set(const std::string& dataset, const std::string& arg) {
  for (const PredictionSetSpec& s : default_prediction_sets(dataset))
    if (s.name == arg) return s;
  return parse_prediction_spec(arg);
}

}  // namespace

int cmd_slices(int argc, char** argv) {
  CLI::App app{
      "Where the model fails: per slice of the data (an object or frame attribute, or a column\n"
      "of --meta) the KITTI AP restricted to the slice (devkit rules, R40/R11 in percent, a 95%\n"
      "bootstrap interval), recall and false positives per frame at the operating score, the\n"
      "findings of the needle ranking by kind and the number of objects; worst first, small\n"
      "slices marked and listed last. Built-in attributes: class, range, occlusion, truncation,\n"
      "height, size, heading, points (lidar), findings, objects, brightness, contrast (images),\n"
      "scan_points, mean_range.",
      "needle slices"};
  std::string dataset, pred_arg, by, meta_file, format = "text", metric = "3d",
                                                difficulty = "moderate", out_file;
  std::optional<double> score;
  unsigned threads = 0;
  int min_objects = kSliceMinObjects;
  bool no_images = false, no_lidar = false, no_cache = false;
  app.add_option("DATASET", dataset, "dataset root (holds label_2/ or training/label_2/)")
      ->required();
  app.add_option("--pred", pred_arg,
                 "the prediction set evaluated: a folder name in DATASET/pred/, or [NAME=]DIR")
      ->required();
  app.add_option("--by", by, "slice by ATTR, or by a cross ATTR,ATTR (default: every attribute)");
  app.add_option("--meta", meta_file,
                 "CSV keyed by frame id (header row; first column the frame id): more attributes");
  app.add_option("--format", format, "json | csv | text")->capture_default_str();
  app.add_option("--metric", metric, "2d | bev | 3d")->capture_default_str();
  app.add_option("--difficulty", difficulty, "easy | moderate | hard (ranked, with intervals)")
      ->capture_default_str();
  app.add_option("--score", score,
                 "operating score for recall and FP/frame (default: per class the F1-best)");
  app.add_option("--min-objects", min_objects,
                 "slices with fewer counted objects are marked small")
      ->capture_default_str();
  app.add_option("--out", out_file, "write the result to FILE instead of stdout");
  app.add_option("-j,--threads", threads, "worker threads (0 = all cores)");
  app.add_flag("--no-images", no_images, "do not decode images (no brightness/contrast)");
  app.add_flag("--no-lidar", no_lidar, "no lidar pass (no points attribute, no lidar findings)");
  app.add_flag("--no-cache", no_cache, "neither read nor write the lidar results cache");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (format != "json" && format != "csv" && format != "text")
    return usage_error("unknown --format '" + format + "' (expected json, csv or text)");

  SlicesJob job;
  if (metric == "2d")
    job.slice.metric = EvalMetric::Image2D;
  else if (metric == "bev")
    job.slice.metric = EvalMetric::Bev;
  else if (metric == "3d")
    job.slice.metric = EvalMetric::Box3D;
  else
    return usage_error("unknown --metric '" + metric + "' (expected 2d, bev or 3d)");
  if (difficulty == "easy")
    job.slice.difficulty = Difficulty::Easy;
  else if (difficulty == "moderate")
    job.slice.difficulty = Difficulty::Moderate;
  else if (difficulty == "hard")
    job.slice.difficulty = Difficulty::Hard;
  else
    return usage_error("unknown --difficulty '" + difficulty + "' (expected easy, moderate or hard)");
  if (!by.empty()) {
    try {
      parse_slice_by(by);
    } catch (const std::invalid_argument& e) {
      return usage_error(e.what());
    }
    job.slice.by = {by};
  }
  job.slice.operating_score = score;
  job.slice.min_objects = min_objects;
  job.slice.threads = threads;
  job.image_stats = !no_images;
  job.lidar = !no_lidar;
  job.pipeline.threads = threads;
  job.pipeline.lidar_cache = !no_cache;
  if (no_lidar) job.pipeline.evidence = Evidence::Predictions;

  PredictionSetSpec spec;
  try {
    spec = resolve_set(dataset, pred_arg);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  if (!meta_file.empty()) {
    try {
      job.metadata = read_metadata_csv(meta_file);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "needle slices: %s\n", e.what());
      return 1;
    }
  }

  DatasetIndex ds;
  if (!open_dataset("needle slices", dataset, {spec}, ds)) return 1;

  SlicesRun run;
  {
    ProgressBar bar("needle slices");
    run = run_slices(ds, 0, job, [&](const char* phase, std::size_t d, std::size_t t) {
      bar.update(d, t, phase);
    });
  }
  for (const std::string& w : run.warnings) std::fprintf(stderr, "needle slices: %s\n", w.c_str());
  if (run.status != PipelineStatus::Ok) {
    std::fprintf(stderr, "needle slices: %s\n", run.error.c_str());
    return run.error.rfind("unknown attribute", 0) == 0 ? 2 : 1;
  }
  std::string text;
  if (format == "json")
    text = slices_json(run.result);
  else if (format == "csv")
    text = slices_csv(run.result);
  else
    text = "needle slices: prediction set '" + ds.pred_sets[0].name + "'\n" +
           slices_text(run.result);
  if (out_file.empty()) {
    std::fputs(text.c_str(), stdout);
  } else {
    std::ofstream os(out_file, std::ios::binary);
    os << text;
    if (!os) {
      std::fprintf(stderr, "needle slices: cannot write %s\n", out_file.c_str());
      return 1;
    }
  }
  std::fprintf(stderr,
               "needle slices: %zu slice rows in %.2f s (loading and ranking %.2f s, slices %.2f s)\n",
               run.result.rows.size(), run.seconds, run.pipeline_seconds, run.slice_seconds);
  return 0;
}

}  // namespace needle::cli
