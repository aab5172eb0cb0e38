// needle/demo.h — the project's own deterministic synthetic KITTI-format dataset.
//
// Layout written under OUT_DIR:
//   training/{image_2,velodyne,calib,label_2}/<id>.{png,bin,txt,txt}
//   pred/<detector>/<id>.txt          simulated detector runs on the true (pre-injection) scene
//   injected.json                     every injected label error and every invalid-data frame
// The same (frames, seed, options) always produce byte-identical files, whatever the thread count.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace needle {

struct DemoOptions {
  int frames = 200;
  std::uint64_t seed = 1;
  double error_fraction = 0.08;    // fraction of frames with an injected label error
  double invalid_fraction = 0.015;  // fraction of frames with broken files (at least 1 when frames >= 20)
  bool images = true;               // write image_2 (PNG)
  bool lidar = true;                // write velodyne (ray-cast scans)
  unsigned threads = 0;             // 0 = hardware concurrency
  std::function<void(std::size_t done, std::size_t total)> progress;  // may be called from workers
};

struct InjectedError {
  std::string frame;
  std::string kind;  // missing_label, wrong_class, shifted_box, wrong_size, rotated_box,
                     // spurious_label, or for invalid data: truncated_bin, corrupt_png, bad_label_line
  int label = -1;    // index in the written label file (-1 for a removed object / invalid data)
  std::string detail;
};

struct DemoSummary {
  int frames = 0;
  long labels = 0;
  long predictions = 0;
  std::vector<std::string> detectors;  // names of pred/<detector>/ folders
  std::vector<InjectedError> injected;
};

// Writes the dataset; throws std::runtime_error when OUT_DIR cannot be written.
DemoSummary generate_demo(const std::filesystem::path& out_dir, const DemoOptions& opt);

// Reads OUT_DIR/injected.json back (for benchmarks and tests).
std::vector<InjectedError> read_injected(const std::filesystem::path& injected_json);

}  // namespace needle
