// needle demo — writes the synthetic KITTI-format demo dataset (see needle/demo.h).
// Exit codes: 0 ok, 2 usage error, 1 the dataset could not be written.
#include <unistd.h>

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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  opt.images = !no_images;
  opt.lidar = !no_lidar;

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
      "label errors, %d invalid frames, %.1f M lidar points, %.2f s\n",
      s.frames, out_dir.c_str(), s.labels, s.dontcare, preds.c_str(), errors, s.invalid_frames,
      static_cast<double>(s.points) / 1e6, secs);
  return 0;
}

}  // namespace needle::cli
