// needle report — a self-contained HTML report of a dataset and its prediction sets: AP tables
// (OLD/NEW/delta with --compare), precision/recall curves, findings by kind, and the top K frames
// as thumbnails with their boxes and findings. Writes OUT/index.html and OUT/thumbs/*.png; the page
// loads nothing from outside OUT. Exit codes: 0 ok, 2 usage error, 1 data error that stops the run.
//
// Index
//   [SECTION] Pipeline: dataset + options -> annotations, ranking, AP
//   [SECTION] Thumbnails
//   [SECTION] Command
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/open_dataset.h"
#include "cli/progress.h"
#include "needle/dataset.h"
#include "needle/eval.h"
#include "needle/kitti_io.h"
#include "needle/pipeline.h"
#include "needle/ranking.h"
#include "needle/report.h"

namespace needle::cli {

namespace {

namespace fs = std::filesystem;

// ============================================================================================
// [SECTION] Pipeline
// ============================================================================================
struct ReportData {
  PipelineResult run;                         // annotations and ranking (needle/pipeline.h)
  std::vector<std::optional<EvalReport>> ap;  // per prediction set; nullopt: nothing to evaluate
};

// Dataset + options -> annotations and ranking (the one pipeline, as `needle rank`), and AP per
// set; everything else in this file only formats the result.
ReportData load_and_rank(const DatasetIndex& ds, const PipelineOptions& opt,
                         ProgressBar& progress) {
  ReportData out;
  std::string phase_shown;
  std::mutex phase_mutex;  // workers of one phase report concurrently
  out.run = run_pipeline(ds, opt, [&](const char* phase, std::size_t d, std::size_t t) {
    if (std::strcmp(phase, "ranking") == 0) return;  // quick: no bar
    std::lock_guard<std::mutex> lock(phase_mutex);
    if (phase_shown != phase) {
      if (!phase_shown.empty()) progress.finish();
      phase_shown = phase;
    }
    progress.update(d, t, phase);
  });
  progress.finish();
  if (out.run.status != PipelineStatus::Ok) return out;
  const std::vector<std::string>& names = out.run.set_names;

  // AP per set on the frames the devkit would evaluate (as load_eval_dataset: a prediction file,
  // empty or not, and a usable label file), from the annotations already loaded.
  for (std::size_t s = 0; s < names.size(); ++s) {
    std::vector<EvalFrameInput> inputs;
    for (const FrameAnnotations& a : out.run.frames) {
      if (s >= a.preds.size() || !a.has_labels) continue;
      const PredStatus st = a.preds[s].status;
      if (st != PredStatus::Empty && st != PredStatus::Present) continue;
      inputs.push_back({&a.labels, &a.preds[s].objects});
    }
    if (inputs.empty()) {
      out.ap.emplace_back();
      continue;
    }
    EvalOptions eo;
    eo.threads = opt.threads;
    out.ap.emplace_back(evaluate_kitti(inputs, eo));
  }
  return out;
}

// ============================================================================================
// [SECTION] Thumbnails
// ============================================================================================
// Thumbnails 480 px wide: about 0.39 of KITTI's 1242 px, two fit side by side on a laptop screen
// and a 25 px tall pedestrian (the devkit's smallest) is still ~10 px tall.
constexpr int kThumbWidth = 480;
constexpr Rgb kLabelColour{0, 200, 0};
constexpr Rgb kDontCareColour{150, 150, 150};  // DontCare regions: solid grey, not an object
// Prediction sets, in order: orange, blue, magenta, gold, cyan, red (distinct from the labels'
// green and from each other for the common colour-vision deficiencies' first pairs).
constexpr Rgb kSetPalette[] = {{255, 140, 0}, {30, 120, 255}, {220, 0, 220},
                               {230, 190, 0}, {0, 200, 200},  {230, 40, 40}};

Rgb set_colour(std::size_t i) {
  return kSetPalette[i % (sizeof kSetPalette / sizeof kSetPalette[0])];
}

// Writes OUT/thumbs/NNNN.png for one listed frame, or says why there is none.
void make_thumbnail(const DatasetIndex& ds, const FrameAnnotations& ann, std::size_t frame_index,
                    const std::vector<std::size_t>& sets, const fs::path& out_dir,
                    ReportFrame& rf) {
  if (ds.frames[frame_index].image.empty()) {
    rf.problem = "invalid data: no image file for this frame";
    return;
  }
  LoadOptions lo;
  lo.calib = false;
  lo.cloud = false;
  FrameData fd = load_frame(ds, frame_index, lo);
  if (!fd.image || fd.image->empty()) {
    std::string why = "image could not be read";
    for (const Problem& p : fd.ann.problems)
      if (p.fatal && p.modality == "image") {
        why = p.to_string();
        break;
      }
    rf.problem = "invalid data: " + why;
    return;
  }
  std::vector<ThumbnailBox> boxes;
  for (const Object& o : ann.labels)
    boxes.push_back({o.box2d, o.is_dontcare() ? kDontCareColour : kLabelColour, false});
  for (std::size_t s : sets)
    if (s < ann.preds.size())
      for (const Object& o : ann.preds[s].objects) boxes.push_back({o.box2d, set_colour(s), true});
  const Image thumb = render_thumbnail(*fd.image, boxes, kThumbWidth);
  char name[32];
  std::snprintf(name, sizeof name, "%04d.png", rf.rank);
  write_png(out_dir / "thumbs" / name, thumb);
  rf.thumbnail = std::string("thumbs/") + name;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[64];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M UTC", &tm);
  return b;
}

// ============================================================================================
// [SECTION] Command
// ============================================================================================
int usage_error(const std::string& msg) {
  std::fprintf(stderr, "needle report: %s\nRun 'needle report --help' for usage.\n", msg.c_str());
  return 2;
}

}  // namespace

int cmd_report(int argc, char** argv) {
  CLI::App app{
      "Write a self-contained HTML report (OUT/index.html, OUT/thumbs/*.png): AP per class, "
      "difficulty and metric, precision/recall curves, findings by kind and the top K suspicious "
      "frames (with --compare OLD,NEW: the top regressions) as thumbnails with label boxes (solid) "
      "and prediction boxes (dashed). It opens offline and loads nothing from outside OUT.",
      "needle report"};
  std::string dataset, out_dir, compare, method = "needle";
  std::vector<std::string> preds;
  long top = 20;
  unsigned threads = 0;
  bool no_lidar = false, no_cache = false;
  app.add_option("DATASET", dataset, "Dataset folder (holding image_2/ label_2/ ... or training/)")
      ->required();
  app.add_option("--pred", preds,
                 "Prediction set [NAME=]DIR (repeatable; default: every DATASET/pred/<name>/)")
      ->take_all();
  app.add_option("--compare", compare, "OLD,NEW: rank by regressions of set NEW against OLD");
  app.add_option("--top", top, "Frames shown with thumbnails")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--out", out_dir, "Output folder (created; index.html and thumbs/ replaced)")
      ->required();
  app.add_option("--method", method, "needle | mistakenness | objectlab")->capture_default_str();
  app.add_option("--threads", threads, "Worker threads (0 = all cores)")->capture_default_str();
  app.add_flag("--no-lidar", no_lidar, "Rank without the lidar witness (predictions only)");
  app.add_flag("--no-cache", no_cache, "Neither read nor write the lidar results cache");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();

  PipelineOptions opt;
  try {
    opt.method = parse_rank_method(method);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  opt.threads = threads;
  opt.evidence = no_lidar ? Evidence::Predictions : Evidence::All;
  opt.lidar_cache = !no_cache;
  opt.compare = compare;
  if (std::string e = check_pipeline_options(opt); !e.empty()) return usage_error(e);

  std::vector<PredictionSetSpec> specs;
  for (const std::string& p : preds) {
    try {
      specs.push_back(parse_prediction_spec(p));
    } catch (const std::invalid_argument& e) {
      return usage_error(e.what());
    }
  }
  specs = pipeline_prediction_sets(dataset, specs, opt);

  DatasetIndex ds;
  if (!open_dataset("needle report", dataset, specs, ds)) return 1;
  const fs::path out(out_dir);
  std::error_code ec;
  fs::remove_all(out / "thumbs", ec);
  fs::create_directories(out / "thumbs", ec);
  if (ec) {
    std::fprintf(stderr, "needle report: cannot create %s: %s\n", (out / "thumbs").c_str(),
                 ec.message().c_str());
    return 1;
  }

  ProgressBar progress("needle report");
  const ReportData res = load_and_rank(ds, opt, progress);
  if (res.run.status != PipelineStatus::Ok) {
    if (res.run.options_error) return usage_error(res.run.error);
    std::fprintf(stderr, "needle report: %s\n", res.run.error.c_str());
    return 1;
  }
  const std::vector<std::string>& names = res.run.set_names;
  const int compare_old = res.run.compare_old, compare_new = res.run.compare_new;

  ReportInput in;
  in.title = compare_old >= 0 ? "needle report: " + compare : "needle report";
  in.dataset = ds.root.string();
  in.set_names = names;
  for (std::size_t i = 0; i < names.size(); ++i) in.set_colours.push_back(set_colour(i));
  in.label_colour = kLabelColour;
  in.ap = res.ap;
  in.compare_old = compare_old;
  in.compare_new = compare_new;
  in.summary = res.run.rank.summary;
  in.frames_total = ds.frames.size();
  in.frames_listed = res.run.rank.frames.size();

  std::vector<std::size_t> drawn_sets;
  if (compare_old >= 0) {
    drawn_sets = {static_cast<std::size_t>(compare_old), static_cast<std::size_t>(compare_new)};
  } else {
    for (std::size_t i = 0; i < names.size(); ++i) drawn_sets.push_back(i);
  }
  const std::size_t k = std::min(static_cast<std::size_t>(top), res.run.rank.frames.size());
  for (std::size_t i = 0; i < k; ++i) {
    const FrameRank& fr = res.run.rank.frames[i];
    ReportFrame rf;
    rf.rank = fr.rank;
    rf.id = fr.frame;
    rf.score = fr.score;
    rf.findings = fr.findings;
    try {
      make_thumbnail(ds, res.run.frames[fr.frame_index], fr.frame_index, drawn_sets, out, rf);
    } catch (const std::exception& e) {
      rf.thumbnail.clear();
      rf.problem = std::string("invalid data: ") + e.what();
    }
    in.frames.push_back(std::move(rf));
    progress.update(i + 1, k, "thumbnails");
  }
  progress.finish();

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  char took[64];
  std::snprintf(took, sizeof took, ", %.1f s", secs);
  in.generated = "generated " + utc_now() + took;
  try {
    write_text_file(out / "index.html", render_report_html(in));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "needle report: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "needle report: wrote %s (%zu frames shown, %.1f s)\n",
               (out / "index.html").c_str(), in.frames.size(), secs);
  return 0;
}

}  // namespace needle::cli
