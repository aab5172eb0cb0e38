// needle lidar — runs the lidar pass (ground, clusters, per-label statistics) over a range of a
// dataset's frames and fills the lidar cache that `needle rank` reads; passes over separate
// ranges combine (one job per range on a cluster scheduler). With --repeat it times the
// analysis per step on one core instead (the bench). Exit codes: 0 ok, 1 data error, 2 usage.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/open_dataset.h"
#include "cli/progress.h"
#include "needle/dataset.h"
#include "needle/kitti_io.h"
#include "needle/lidar.h"
#include "needle/lidar_pass.h"

namespace needle::cli {

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// "A:B" (either side may be empty) -> [A, B).
bool parse_range(const std::string& s, std::size_t* a, std::size_t* b) {
  const std::size_t colon = s.find(':');
  if (colon == std::string::npos) return false;
  try {
    const std::string l = s.substr(0, colon), r = s.substr(colon + 1);
    *a = l.empty() ? 0 : std::stoul(l);
    *b = r.empty() ? static_cast<std::size_t>(-1) : std::stoul(r);
  } catch (const std::exception&) {
    return false;
  }
  return *a <= *b;
}

// Times analyze_frame_lidar per step over the range's frames, `repeat` times each, one thread.
int bench(const DatasetIndex& ds, std::size_t b, std::size_t e, int repeat) {
  std::vector<double> tr, gr, cl, lb, tot, npts;
  for (std::size_t f = b; f < e && f < ds.frames.size(); ++f) {
    const FrameFiles& ff = ds.frames[f];
    if (ff.velodyne.empty() || ff.calib.empty()) continue;
    const FrameAnnotations ann = load_annotations(ds, f, true);
    if (!ann.calib) continue;
    PointCloud cloud;
    try {
      cloud = load_velodyne(ff.velodyne);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "needle lidar: %s\n", ex.what());
      continue;
    }
    for (int k = 0; k < repeat; ++k) {
      const FrameLidar fl = analyze_frame_lidar(cloud, *ann.calib, ann.labels);
      tr.push_back(fl.timings.transform);
      gr.push_back(fl.timings.ground);
      cl.push_back(fl.timings.cluster);
      lb.push_back(fl.timings.labels);
      tot.push_back(fl.timings.total);
    }
    npts.push_back(static_cast<double>(cloud.size()));
  }
  if (tot.empty()) {
    std::fprintf(stderr, "needle lidar: no frame with a scan and calibration in the range\n");
    return 1;
  }
  std::printf("frames %zu, points median %.0f, runs %zu (one thread)\n", npts.size(), median(npts),
              tot.size());
  std::printf(
      "median ms: transform+fov %.2f  ground %.2f  clusters %.2f  labels %.2f  total %.2f\n",
      median(tr), median(gr), median(cl), median(lb), median(tot));
  return 0;
}

}  // namespace

int cmd_lidar(int argc, char** argv) {
  CLI::App app{
      "Run the lidar analysis over a range of frames and fill the lidar cache that `needle rank` "
      "uses (ranges combine into one cache), or time it with --repeat.",
      "needle lidar"};
  std::string dataset, range = ":";
  bool no_cache = false;
  unsigned threads = 0;
  int repeat = 0;
  app.add_option("DATASET", dataset, "Dataset folder")->required();
  app.add_option("--frames", range, "Frame range BEGIN:END (indices in id order, END excluded)")
      ->capture_default_str();
  app.add_flag("--no-cache", no_cache, "Neither read nor write the cache");
  app.add_option("--threads", threads, "Worker threads (0 = all cores)")->capture_default_str();
  app.add_option("--repeat", repeat,
                 "Bench: analyse each frame N times on one thread, print "
                 "median times per step, write nothing")
      ->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  std::size_t b = 0, e = 0;
  if (!parse_range(range, &b, &e)) {
    std::fprintf(stderr, "needle lidar: --frames expects BEGIN:END, got '%s'\n", range.c_str());
    return 2;
  }
  DatasetIndex ds;
  if (!open_dataset("needle lidar", dataset, {}, ds)) return 1;
  if (repeat > 0) return bench(ds, b, e, repeat);

  const auto t0 = std::chrono::steady_clock::now();
  ProgressBar progress("needle lidar");
  const std::vector<FrameAnnotations> frames = load_all_annotations(
      ds, true, threads, [&](std::size_t d, std::size_t t) { progress.update(d, t, "loading"); });
  LidarPassOptions opt;
  opt.threads = threads;
  opt.use_cache = !no_cache;
  opt.begin = b;
  opt.end = e;
  opt.progress = [&](std::size_t d, std::size_t t) { progress.update(d, t, "lidar"); };
  LidarPassStats st;
  const std::vector<FrameLidar> out = run_lidar_pass(ds, frames, opt, &st);
  progress.finish();
  std::size_t clusters = 0;
  for (const FrameLidar& fl : out) clusters += fl.clusters.size();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "needle lidar: %zu frames in range: %zu analysed, %zu from the cache, %zu without "
      "scan or calibration, %zu unreadable; %zu clusters; %.2f s (analysis %.0f ms "
      "summed over threads)\n",
      st.frames, st.computed, st.from_cache, st.no_scan, st.failed, clusters, s, st.analysis_ms);
  if (opt.use_cache) std::printf("cache: %s\n", default_lidar_cache_dir().string().c_str());
  return 0;
}

}  // namespace needle::cli
