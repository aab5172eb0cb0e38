// needle demo — writes the synthetic KITTI-format demo dataset (see needle/demo.h).
// Exit codes: 0 ok, 2 usage error, 1 the dataset could not be written.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <mutex>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/progress.h"
#include "needle/demo.h"

namespace needle::cli {

int cmd_demo(int argc, char** argv) {
  CLI::App app{
      "Generate the synthetic KITTI-format demo dataset: images, lidar scans, calibration, labels "
      "(with injected label errors listed in OUT_DIR/injected.json) and two simulated detectors' "
      "predictions under OUT_DIR/pred/.",
      "needle demo"};
  std::string out_dir;
  DemoOptions opt;
  bool no_images = false, no_lidar = false;
  app.add_option("OUT_DIR", out_dir,
                 "Output folder (created; earlier demo frames in it are replaced)")
      ->required();
  app.add_option("--frames", opt.frames, "Number of frames")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app.add_option("--seed", opt.seed, "Random seed")->capture_default_str();
  app.add_option("--error-fraction", opt.error_fraction, "Fraction of frames with a label error")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--invalid-fraction", opt.invalid_fraction,
                 "Fraction of frames with broken files (at least one from 20 frames on)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_flag("--no-images", no_images, "Do not render image_2");
  app.add_flag("--no-lidar", no_lidar, "Do not simulate velodyne scans");
  app.add_option("--threads", opt.threads, "Worker threads (0 = all cores)")->capture_default_str();
  std::string shift_list;
  app.add_option("--shift", shift_list,
                 "Make a fraction of the frames under shifted conditions, listed in "
                 "injected.json's \"shifts\": comma-separated kinds among dark, sparse, noisy, "
                 "size, mix, camera, or all");
  app.add_option("--shift-fraction", opt.shift_fraction, "Fraction of frames shifted (with --shift)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  opt.images = !no_images;
  opt.lidar = !no_lidar;
  for (std::size_t a = 0; !shift_list.empty() && a <= shift_list.size();) {
    std::size_t b = shift_list.find(',', a);
    if (b == std::string::npos) b = shift_list.size();
    const std::string kind = shift_list.substr(a, b - a);
    a = b + 1;
    if (kind == "all") {
      opt.shifts.insert(opt.shifts.end(), demo_shift_kinds().begin(), demo_shift_kinds().end());
      continue;
    }
    if (std::find(demo_shift_kinds().begin(), demo_shift_kinds().end(), kind) ==
        demo_shift_kinds().end()) {
      std::fprintf(stderr,
                   "needle demo: --shift: unknown kind '%s' (expected dark, sparse, noisy, size, "
                   "mix, camera or all)\n",
                   kind.c_str());
      return 2;
    }
    opt.shifts.push_back(kind);
  }

  ProgressBar bar("needle demo");
  opt.progress = [&bar](std::size_t done, std::size_t total) { bar.update(done, total); };
  const auto t0 = std::chrono::steady_clock::now();
  DemoSummary s;
  try {
    s = generate_demo(out_dir, opt);
  } catch (const std::exception& e) {
    bar.finish();
    std::fprintf(stderr, "needle demo: %s\n", e.what());
    return 1;
  }
  bar.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string preds;
  for (std::size_t k = 0; k < s.detectors.size(); ++k)
    preds += (k ? ", " : "") + s.detectors[k] + " " + std::to_string(s.predictions_by_detector[k]);
  const long errors = static_cast<long>(s.injected.size()) - s.invalid_frames;
  std::printf(
      "needle demo: %d frames in %s: %ld labels (+%ld DontCare), predictions %s, %ld injected "
      "label errors, %d invalid frames, %zu shifted frames, %.1f M lidar points, %.2f s\n",
      s.frames, out_dir.c_str(), s.labels, s.dontcare, preds.c_str(), errors, s.invalid_frames,
      s.shifts.size(), static_cast<double>(s.points) / 1e6, secs);
  return 0;
}

}  // namespace needle::cli
