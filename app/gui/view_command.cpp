// needle view [DATASET] [--pred [NAME=]DIR ...] [--reference TRAIN] [--frame ID] [--screenshot FILE] [--size WxH]
//             [--script FILE] [--check-gl] [--print-layout FILE|-] [--bench [--bench-to ID]]
//             [--open first-label-error] [--method M] [--evidence E] [--compare OLD,NEW]
//             [--min-score S] [--threads N] [--no-cache] [--store PATH]
// A bare `needle` (no DATASET) opens the demo dataset, generating it on first use.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cli/commands.h"
#include "gui/app.h"
#include "gui/model/script.h"

namespace needle::cli {

int cmd_view(int argc, char** argv) {
  CLI::App cli{"Open the viewer on a KITTI-style dataset (default: the demo dataset)",
               "needle view"};
  view::ViewOptions opt;
  std::vector<std::string> preds;
  std::string size;
  cli.add_option("dataset", opt.dataset,
                 "dataset folder (image_2/ velodyne/ calib/ label_2/, or a training/ child)");
  cli.add_option("--pred", preds,
                 "prediction set [NAME=]DIR (repeatable; default: every DATASET/pred/<name>/)");
  cli.add_option("--frame", opt.frame, "open this frame id first");
  cli.add_option("--reference", opt.reference,
                 "TRAIN dataset: compare the open dataset (PROD) with it, as `needle shift` does; "
                 "the frame list gets a novelty order and the Shift window the attributes");
  std::string open_what, method = "needle", evidence = "all";
  bool no_cache = false;
  cli.add_option("--open", open_what,
                 "first-label-error: once ranked, open the top-ranked label error (not a broken "
                 "file) with its finding selected")
      ->check(CLI::IsMember({"first-label-error"}));
  cli.add_option("--method", method, "ranking method: needle | mistakenness | objectlab")
      ->capture_default_str();
  cli.add_option("--evidence", evidence,
                 "witnesses of the needle method: lidar, predictions or all")
      ->capture_default_str();
  cli.add_option("--compare", opt.rank.compare,
                 "OLD,NEW: rank by regressions of prediction set NEW against OLD");
  cli.add_option("--min-score", opt.rank.min_finding_score, "drop findings scoring below this")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cli.add_option("--threads", opt.rank.threads,
                 "ranking worker threads (0 = 2, keeping the UI live)")
      ->capture_default_str();
  cli.add_flag("--no-cache", no_cache,
               "neither read nor write the lidar results cache ($XDG_CACHE_HOME/needle/lidar)");
  cli.add_option("--store", opt.review.store,
                 "review store (tags, issues, verdicts, reviewed frames) of DATASET (default: "
                 "DATASET/.needle/review.sqlite, or under $XDG_DATA_HOME/needle/stores/ when "
                 "DATASET is not writable)");
  cli.add_option("--screenshot", opt.screenshot,
                 "render --frame with the default layout, write this PNG, exit");
  cli.add_option("--size", size, "window size WxH (default 1600x900)");
  cli.add_option("--script", opt.script_file,
                 "run UI actions from this file, one per line (see docs)");
  cli.add_flag("--check-gl", opt.check_gl, "make any OpenGL error fatal (exit 3)");
  cli.add_option("--print-layout", opt.print_layout,
                 "with each screenshot, write panel rectangles and the image->screen mapping as "
                 "JSON to FILE (- = stdout)");
  cli.add_flag("--bench", opt.bench, "measure FPS and next-frame latency, print medians, exit");
  cli.add_option("--bench-to", opt.bench_next_frame,
                 "frame the bench navigates to (default: the next by id)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }
  try {
    opt.rank.method = parse_rank_method(method);
    opt.rank.evidence = parse_evidence(evidence);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "needle view: %s\n", e.what());
    return 2;
  }
  opt.rank.lidar_cache = !no_cache;
  if (std::string e = check_pipeline_options(opt.rank); !e.empty()) {
    std::fprintf(stderr, "needle view: %s\n", e.c_str());
    return 2;
  }
  opt.open_first_label_error = open_what == "first-label-error";
  try {
    for (const std::string& p : preds) opt.preds.push_back(parse_prediction_spec(p));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "needle view: --pred: %s\n", e.what());
    return 2;
  }
  if (!size.empty()) {
    int w = 0, h = 0;
    char x = 0, extra = 0;
    std::istringstream in(size);
    if (!(in >> w >> x >> h) || (x != 'x' && x != 'X') || w < 320 || h < 240 || w > 8192 ||
        h > 8192 || (in >> extra)) {
      std::fprintf(stderr,
                   "needle view: --size '%s': expected WxH, e.g. 1600x900 (at least 320x240)\n",
                   size.c_str());
      return 2;
    }
    opt.width = w;
    opt.height = h;
  }
  if (!opt.script_file.empty()) {
    std::ifstream in(opt.script_file);
    if (!in) {
      std::fprintf(stderr, "needle view: cannot read script %s\n", opt.script_file.c_str());
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    try {
      opt.script = view::parse_script(text.str(), opt.script_file);
    } catch (const view::ScriptError& e) {
      std::fprintf(stderr, "needle view: %s\n", e.what());
      return 2;
    }
  }
  if (opt.open_first_label_error && !opt.script.empty()) {
    // Scripted: the script's first action (it waits for the ranking like any other).
    opt.script.insert(opt.script.begin(), view::script_action("frame.first_label_error"));
    opt.open_first_label_error = false;
  }
  if (!opt.screenshot.empty()) {
    if (opt.open_first_label_error) {
      opt.script.insert(opt.script.begin(), view::script_action("frame.first_label_error"));
      opt.open_first_label_error = false;
    }
    // --frame ID --screenshot FILE: after any script, shoot and quit.
    opt.script.push_back(view::script_action("script.wait_loaded"));
    opt.script.push_back(view::script_action("script.screenshot", {opt.screenshot}));
    opt.script.push_back(view::script_action("app.quit"));
    if (opt.script_file.empty()) opt.script_file = "--screenshot";
  }
  if (opt.bench && !opt.script.empty()) {
    std::fprintf(stderr, "needle view: --bench cannot be combined with --script or --screenshot\n");
    return 2;
  }
  if (opt.bench && opt.frame.empty()) opt.frame = "000008";
  // Automated runs use the default layout and leave the user's config alone; no vsync so that
  // they run (and measure) as fast as the machine allows.
  const bool automated = !opt.script.empty() || opt.bench;
  opt.persist = !automated;
  opt.review.store_for = opt.dataset;
  if (automated) {  // frames are marked reviewed only when a script says so
    opt.review.dwell_s = 0;
    opt.review.resume = false;
  }
  opt.vsync = !automated;
  return view::run_viewer(opt);
}

}  // namespace needle::cli
