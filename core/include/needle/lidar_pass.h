// needle/lidar_pass.h — the lidar analysis over a dataset's frames, on every core, with an
// on-disk cache of the per-frame results.
//
// Cache: one file per frame under `cache_dir/<dataset key>/<frame id>.nlc`, where the dataset
// key is a hash of the dataset's absolute root path. Each file records the parameters' version
// (kLidarParamsVersion and the LidarParams values) and the size and modification time of the
// frame's scan, calibration, label file and image; a result whose record differs from the files
// now on disk is recomputed, never served. Files are written to a temporary name and renamed, so
// an interrupted pass leaves only whole results and a later pass resumes from them. Passes over
// separate frame ranges fill the same cache (a cluster scheduler can split the work).
// Cached results carry no point indices (LidarCluster::points) and no ground grid: a viewer
// re-runs analyze_frame_lidar for the one frame it shows.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "needle/dataset.h"
#include "needle/lidar.h"

namespace needle {

// $XDG_CACHE_HOME/needle/lidar, else $HOME/.cache/needle/lidar, else ./.needle-cache/lidar.
std::filesystem::path default_lidar_cache_dir();

struct LidarPassOptions {
  unsigned threads = 0;             // 0 = hardware concurrency
  bool use_cache = true;            // false: --no-cache (neither read nor written)
  std::filesystem::path cache_dir;  // empty: default_lidar_cache_dir()
  std::size_t begin = 0;            // frame range [begin, end) into the dataset's frames
  std::size_t end = std::numeric_limits<std::size_t>::max();
  LidarParams params;
  std::function<void(std::size_t done, std::size_t total)> progress;  // from worker threads
  const std::atomic<bool>* cancel = nullptr;  // set: stop after the frames in flight
};

struct LidarPassStats {
  std::size_t frames = 0;      // frames in the range
  std::size_t computed = 0;    // analysed now
  std::size_t from_cache = 0;  // served from the cache
  std::size_t no_scan = 0;     // no scan or no calibration: nothing to analyse
  std::size_t failed = 0;      // the scan could not be read (the ranking reports it)
  double analysis_ms = 0;      // sum of analyze_frame_lidar times of the computed frames
};

// Analyses frames [begin, end) of `ds` (annotations from load_all_annotations with calibration).
// Returns one FrameLidar per frame of the dataset; frames outside the range stay ok = false.
// Never throws on bad data (a broken scan leaves its frame ok = false); cache I/O errors only
// disable the cache for that frame.
std::vector<FrameLidar> run_lidar_pass(const DatasetIndex& ds,
                                       const std::vector<FrameAnnotations>& frames,
                                       const LidarPassOptions& opt = {},
                                       LidarPassStats* stats = nullptr);

// The cache file of a frame (for tests and tools).
std::filesystem::path lidar_cache_file(const DatasetIndex& ds, std::size_t frame,
                                       const std::filesystem::path& cache_dir);

}  // namespace needle
