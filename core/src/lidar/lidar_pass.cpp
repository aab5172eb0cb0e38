// lidar/lidar_pass.cpp — run_lidar_pass (needle/lidar_pass.h): the analysis over a frame range on
// worker threads, and the per-frame result cache.
//
// Index
//   [SECTION] Cache keys and paths
//   [SECTION] Serialisation
//   [SECTION] Frame codec
//   [SECTION] Pass
#include "needle/lidar_pass.h"
#include "needle/scan_io.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>
#include <type_traits>

#include "needle/kitti_io.h"
#include "ranking_internal.h"
#include "../cache_file.h"
#include "lidar_codec.h"

namespace needle {

namespace fs = std::filesystem;

namespace {

using namespace cache_file;  // the caches' shared hash, key, codec and file helpers

// ============================================================================================
// [SECTION] Cache keys and paths
// ============================================================================================
constexpr char kMagic[8] = {'N', 'L', 'C', 'A', 'C', 'H', 'E', '1'};

// Size and modification time (ns) of a file; zeros for an absent path.
struct FileStamp {
  std::int64_t size = -1, mtime_ns = 0;
};
FileStamp stamp(const fs::path& p) {
  FileStamp s;
  if (p.empty()) return s;
  std::error_code ec;
  const auto sz = fs::file_size(p, ec);
  if (ec) return s;
  const auto t = fs::last_write_time(p, ec);
  if (ec) return s;
  s.size = static_cast<std::int64_t>(sz);
  s.mtime_ns = static_cast<std::int64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
  return s;
}

struct Key {
  std::int32_t version = kLidarParamsVersion;
  std::uint64_t params_hash = 0;
  FileStamp files[4];  // velodyne, calib, label, image
};

std::uint64_t params_hash(const LidarParams& p) {
  static_assert(std::is_trivially_copyable_v<LidarParams>);
  // Field by field (no padding bytes in the hash).
  const double v[] = {p.ground_cell,       p.ground_band,
                      p.max_range,         p.voxel,
                      p.cluster_tolerance, static_cast<double>(p.min_cluster_voxels),
                      p.max_object_height, p.shell,
                      p.near_out};
  return fnv1a(v, sizeof v);
}

Key key_of(const FrameFiles& ff, const LidarParams& prm) {
  Key k;
  k.params_hash = params_hash(prm);
  k.files[0] = stamp(ff.velodyne);
  k.files[1] = stamp(ff.calib);
  k.files[2] = stamp(ff.label);
  k.files[3] = stamp(ff.image);
  return k;
}

bool same_key(const Key& a, const Key& b) {
  if (a.version != b.version || a.params_hash != b.params_hash) return false;
  for (int i = 0; i < 4; ++i)
    if (a.files[i].size != b.files[i].size || a.files[i].mtime_ns != b.files[i].mtime_ns)
      return false;
  return true;
}

// ============================================================================================
// [SECTION] Serialisation
// ============================================================================================
void write_object_box(Writer& w, const Object& o) {
  w.pod(o.l), w.pod(o.w), w.pod(o.h), w.pod(o.loc_cam), w.pod(o.rotation_y);
}
bool read_object_box(Reader& r, Object& o) {
  o.type = "cluster";
  o.cls = ObjectClass::Unknown;
  o.alpha = -10;
  return r.pod(o.l) && r.pod(o.w) && r.pod(o.h) && r.pod(o.loc_cam) && r.pod(o.rotation_y);
}

std::string serialise(const Key& k, const FrameLidar& fl) {
  static_assert(std::is_trivially_copyable_v<LabelLidarStats>);
  Writer w;
  w.pod(kMagic);
  w.pod(static_cast<std::uint32_t>(sizeof(LabelLidarStats)));
  w.pod(k);
  lidar_codec::write_frame_lidar(w, fl);
  return w.data();
}

// False when the file is not a whole result for this key (absent, stale, truncated, other build).
bool deserialise(const std::string& bytes, const Key& want, FrameLidar& fl) {
  Reader r(bytes);
  char magic[8];
  std::uint32_t stats_size = 0;
  Key k;
  if (!r.pod(magic) || std::memcmp(magic, kMagic, 8) != 0) return false;
  if (!r.pod(stats_size) || stats_size != sizeof(LabelLidarStats)) return false;
  if (!r.pod(k) || !same_key(k, want)) return false;
  if (!lidar_codec::read_frame_lidar(r, fl) || !r.done()) return false;
  fl.ok = true;
  return true;
}

// Width and height from a PNG's IHDR (bytes 16..23), 0 when not a PNG.
void png_size(const fs::path& p, int* w, int* h) {
  *w = *h = 0;
  if (p.empty() || p.extension() != ".png") return;
  std::ifstream f(p, std::ios::binary);
  unsigned char b[24];
  if (!f.read(reinterpret_cast<char*>(b), 24)) return;
  if (b[1] != 'P' || b[2] != 'N' || b[3] != 'G') return;
  auto be = [&](int o) {
    return static_cast<int>((static_cast<unsigned>(b[o]) << 24) |
                            (static_cast<unsigned>(b[o + 1]) << 16) |
                            (static_cast<unsigned>(b[o + 2]) << 8) | b[o + 3]);
  };
  *w = be(16);
  *h = be(20);
  if (*w <= 0 || *h <= 0 || *w > 100000 || *h > 100000) *w = *h = 0;
}

// The scan as the pass reads it. One function, so that the decoded-scan checks of read_scan
// (needle/scan_io.h, .bin or .pcd) replace it in one place.
// Decodes a scan with read_scan (.bin or .pcd): non-finite points and points beyond any
// plausible range are dropped and reported, a scan with nothing in view is reported. Problems that
// repeat one the quick media check already gave the frame (same file) are not added again.
bool load_scan_for_pass(const fs::path& p, const FrameAnnotations& ann, PointCloud& cloud,
                        std::vector<Problem>& problems) {
  ScanRead scan = read_scan(p, ann.calib ? &*ann.calib : nullptr);
  std::vector<Problem> known = ann.problems;
  const std::size_t before = known.size();
  append_scan_problems(known, scan, p.string());
  problems.assign(known.begin() + static_cast<std::ptrdiff_t>(before), known.end());
  if (!scan.usable) return false;
  cloud = std::move(scan.cloud);
  return true;
}

}  // namespace

// ============================================================================================
// [SECTION] Frame codec (lidar_codec.h: the cache's and the partial files' format)
// ============================================================================================
namespace lidar_codec {

void write_frame_lidar(Writer& w, const FrameLidar& fl) {
  w.pod(fl.n_points), w.pod(fl.n_fov), w.pod(fl.n_nonfinite), w.pod(fl.n_far);
  w.pod(fl.timings);
  w.pod(static_cast<std::uint32_t>(fl.labels.size()));
  for (const LabelLidarStats& s : fl.labels) w.pod(s);
  w.pod(static_cast<std::uint32_t>(fl.clusters.size()));
  for (const LidarCluster& c : fl.clusters) {
    write_object_box(w, c.box);
    w.pod(c.n_points), w.pod(c.bottom_gap), w.pod(c.top), w.pod(c.label), w.pod(c.in_dontcare);
    w.pod(c.n_above);
  }
  w.pod(static_cast<std::uint32_t>(fl.problems.size()));
  for (const Problem& p : fl.problems) {
    w.str(p.modality), w.str(p.file), w.str(p.field), w.str(p.message);
    w.pod(p.line), w.pod(p.fatal);
  }
}

bool read_frame_lidar(Reader& r, FrameLidar& fl) {
  std::uint32_t n = 0;
  if (!r.pod(fl.n_points) || !r.pod(fl.n_fov) || !r.pod(fl.n_nonfinite) || !r.pod(fl.n_far) ||
      !r.pod(fl.timings) || !r.pod(n) || n > 100000)
    return false;
  fl.labels.resize(n);
  for (auto& s : fl.labels)
    if (!r.pod(s)) return false;
  if (!r.pod(n) || n > 1000000) return false;
  fl.clusters.resize(n);
  for (auto& c : fl.clusters)
    if (!read_object_box(r, c.box) || !r.pod(c.n_points) || !r.pod(c.bottom_gap) || !r.pod(c.top) ||
        !r.pod(c.label) || !r.pod(c.in_dontcare) || !r.pod(c.n_above))
      return false;
  if (!r.pod(n) || n > 10000) return false;
  fl.problems.resize(n);
  for (auto& p : fl.problems)
    if (!r.str(p.modality) || !r.str(p.file) || !r.str(p.field) || !r.str(p.message) ||
        !r.pod(p.line) || !r.pod(p.fatal))
      return false;
  return true;
}

}  // namespace lidar_codec

// ============================================================================================
// [SECTION] Pass
// ============================================================================================
fs::path default_lidar_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return fs::path(x) / "needle" / "lidar";
  if (const char* h = std::getenv("HOME"); h && *h)
    return fs::path(h) / ".cache" / "needle" / "lidar";
  return fs::path(".needle-cache") / "lidar";
}

fs::path lidar_cache_file(const DatasetIndex& ds, std::size_t frame, const fs::path& cache_dir) {
  const fs::path dir = cache_dir.empty() ? default_lidar_cache_dir() : cache_dir;
  return dir / dataset_key(ds.root) / (ds.frames[frame].id + ".nlc");
}

std::vector<FrameLidar> run_lidar_pass(const DatasetIndex& ds,
                                       const std::vector<FrameAnnotations>& frames,
                                       const LidarPassOptions& opt, LidarPassStats* stats) {
  const std::size_t n = std::min(ds.frames.size(), frames.size());
  std::vector<FrameLidar> out(n);
  const std::size_t b = std::min(opt.begin, n), e = std::min(opt.end, n);
  const std::size_t total = e > b ? e - b : 0;
  std::atomic<std::size_t> done{0}, computed{0}, cached{0}, no_scan{0}, failed{0};
  std::atomic<long long> analysis_us{0};
  const fs::path cache_dir = opt.cache_dir.empty() ? default_lidar_cache_dir() : opt.cache_dir;
  detail::parallel_for(
      total, opt.threads,
      [&](std::size_t lo, std::size_t hi) {
        for (std::size_t k = lo; k < hi; ++k) {
          if (opt.cancel && opt.cancel->load()) return;
          const std::size_t f = b + k;
          const FrameFiles& ff = ds.frames[f];
          const FrameAnnotations& ann = frames[f];
          FrameLidar& fl = out[f];
          if (ff.velodyne.empty() || !ann.calib) {
            ++no_scan;
          } else {
            const Key key = key_of(ff, opt.params);
            const fs::path cf = lidar_cache_file(ds, f, cache_dir);
            std::string bytes;
            if (opt.use_cache && read_whole(cf, bytes) && deserialise(bytes, key, fl)) {
              ++cached;
            } else {
              fl = FrameLidar{};
              PointCloud cloud;
              std::vector<Problem> problems;
              if (!load_scan_for_pass(ff.velodyne, ann, cloud, problems)) {
                ++failed;  // an unusable scan: its problems (if new) go to the ranking
                fl.problems = std::move(problems);
              } else {
                int w = 0, h = 0;
                png_size(ff.image, &w, &h);
                fl = analyze_frame_lidar(cloud, *ann.calib, ann.labels, opt.params, w, h,
                                         ff.velodyne.string());
                for (LidarCluster& c : fl.clusters) c.points.clear();  // not kept by the pass
                fl.problems.insert(fl.problems.end(), problems.begin(), problems.end());
                analysis_us += static_cast<long long>(fl.timings.total * 1000);
                ++computed;
                if (opt.use_cache) write_atomic(cf, serialise(key, fl));
              }
            }
          }
          const std::size_t d = ++done;
          if (opt.progress) opt.progress(d, total);
        }
      },
      1);
  if (stats) {
    stats->frames = total;
    stats->computed = computed;
    stats->from_cache = cached;
    stats->no_scan = no_scan;
    stats->failed = failed;
    stats->analysis_ms = static_cast<double>(analysis_us.load()) / 1000.0;
  }
  return out;
}

}  // namespace needle
