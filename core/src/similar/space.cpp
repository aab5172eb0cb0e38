// similar/space.cpp — build_builtin_spaces (needle/similar.h): the built-in vectors of every object
// and frame of a dataset, with the on-disk cache of their costly parts, and the background job.
//
// Index
//   [SECTION] Cache (keys, serialisation, file)
//   [SECTION] Building
//   [SECTION] Background job
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <type_traits>
#include <unistd.h>

#include "needle/kitti_io.h"
#include "needle/ranking.h"
#include "needle/scan_io.h"
#include "needle/similar.h"
#include "../cache_file.h"
#include "../ranking_internal.h"

namespace needle {

namespace fs = std::filesystem;

std::optional<std::size_t> SimilarSpace::find(const ObjectRef& ref) const {
  for (std::size_t i = 0; i < items.size(); ++i)
    if (items[i].ref == ref) return i;
  return std::nullopt;
}

std::optional<std::vector<SimilarResult>> find_similar(const SimilarSpaces& spaces,
                                                       const SimilarIndex& objects_index,
                                                       const SimilarIndex& frames_index,
                                                       const ObjectRef& ref, std::size_t k) {
  const SimilarSpace& sp = ref.is_frame() ? spaces.frames : spaces.objects;
  const SimilarIndex& index = ref.is_frame() ? frames_index : objects_index;
  const auto qi = sp.find(ref);
  if (!qi) return std::nullopt;
  std::vector<SimilarResult> out;
  for (const Neighbour& n : index.query(sp.row(*qi), k, *qi))
    out.push_back({sp.items[n.item].ref, sp.items[n.item].cls, n.similarity});
  return out;
}

namespace {

using namespace cache_file;  // the caches' shared hash, key, codec and file helpers

// ============================================================================================
// [SECTION] Cache
// ============================================================================================
constexpr char kMagic[8] = {'N', 'S', 'I', 'M', 'C', 'A', 'C', '1'};

// "size:mtime_ns" of a file, "-" for an absent path or one that cannot be read.
std::string stamp(const fs::path& p) {
  if (p.empty()) return "-";
  std::error_code ec;
  const auto sz = fs::file_size(p, ec);
  if (ec) return "-";
  const auto t = fs::last_write_time(p, ec);
  if (ec) return "-";
  return std::to_string(sz) + ":" +
         std::to_string(
             std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

// What a frame's cached parts depend on: the parameters' version, whether predictions were
// included, and the stamps of every file read (scan, calibration, labels, image, each set's
// predictions with the set's name).
std::string frame_key(const DatasetIndex& ds, std::size_t f, bool predictions) {
  const FrameFiles& ff = ds.frames[f];
  std::string k = "v" + std::to_string(kSimilarParamsVersion) + (predictions ? "p" : "l");
  k += "|" + stamp(ff.velodyne) + "|" + stamp(ff.calib) + "|" + stamp(ff.label) + "|" +
       stamp(ff.image);
  if (predictions)
    for (std::size_t s = 0; s < ds.pred_sets.size(); ++s)
      k += "|" + ds.pred_sets[s].name + "=" + stamp(s < ff.preds.size() ? ff.preds[s] : fs::path());
  return k;
}

// One frame's costly parts: labels first (file order), then each set's predictions in set order.
struct FrameRecord {
  std::string key;
  std::vector<ObjectRawParts> objects;
  FrameRawParts frame;
};


std::string serialise(const std::map<std::string, FrameRecord>& records) {
  Writer w;
  w.pod(kMagic);
  w.pod(static_cast<std::int32_t>(kSimilarParamsVersion));
  w.pod(static_cast<std::uint32_t>(records.size()));
  for (const auto& [id, r] : records) {
    w.str(id);
    w.str(r.key);
    w.pod(static_cast<std::uint32_t>(r.objects.size()));
    for (const ObjectRawParts& o : r.objects) {
      w.pod(o.n_points);
      w.vec(o.shape), w.vec(o.intensity), w.vec(o.colour), w.vec(o.patch);
    }
    w.vec(r.frame.colour), w.vec(r.frame.patch);
  }
  return w.take();
}

// False (and nothing kept) when the bytes are not a whole cache of this version.
bool deserialise(const std::string& bytes, std::map<std::string, FrameRecord>& out) {
  Reader r(bytes);
  char magic[8];
  std::int32_t version = 0;
  std::uint32_t n = 0;
  if (!r.pod(magic) || std::memcmp(magic, kMagic, 8) != 0) return false;
  if (!r.pod(version) || version != kSimilarParamsVersion || !r.pod(n)) return false;
  constexpr std::size_t kMaxVec = 4096;  // longer than any part: a corrupt length
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string id;
    FrameRecord rec;
    std::uint32_t no = 0;
    if (!r.str(id) || !r.str(rec.key) || !r.pod(no) || no > 100000) return false;
    rec.objects.resize(no);
    for (ObjectRawParts& o : rec.objects)
      if (!r.pod(o.n_points) || !r.vec(o.shape, kMaxVec) || !r.vec(o.intensity, kMaxVec) ||
          !r.vec(o.colour, kMaxVec) || !r.vec(o.patch, kMaxVec))
        return false;
    if (!r.vec(rec.frame.colour, kMaxVec) || !r.vec(rec.frame.patch, kMaxVec)) return false;
    out.emplace(std::move(id), std::move(rec));
  }
  if (!r.done()) {
    out.clear();
    return false;
  }
  return true;
}


// ============================================================================================
// [SECTION] Building
// ============================================================================================
FrameRecord compute_record(const DatasetIndex& ds, std::size_t f, const FrameAnnotations& ann,
                           bool predictions, std::string key) {
  FrameRecord rec;
  rec.key = std::move(key);
  const FrameFiles& ff = ds.frames[f];
  std::optional<Image> image;
  std::optional<PointCloud> cloud;
  // Unreadable files leave their parts empty: the ranking reports them, not this.
  if (!ff.image.empty()) {
    try {
      image = load_image(ff.image);
    } catch (const std::exception&) {
    }
  }
  if (!ff.velodyne.empty() && ann.calib) {
    ScanRead scan = read_scan(ff.velodyne, &*ann.calib);
    if (scan.usable) cloud = std::move(scan.cloud);
  }
  const PointCloud* pc = cloud ? &*cloud : nullptr;
  const Calib* cal = ann.calib ? &*ann.calib : nullptr;
  const Image* img = image ? &*image : nullptr;
  auto add = [&](const Object& o) {
    rec.objects.push_back(o.is_dontcare() ? ObjectRawParts{} : object_raw_parts(o, pc, cal, img));
  };
  for (const Object& o : ann.labels) add(o);
  if (predictions)
    for (const PredictionFrame& pf : ann.preds)
      for (const Object& o : pf.objects) add(o);
  if (img) {
    const Box2D whole{0, 0, double(img->width), double(img->height)};
    rec.frame.colour = colour_histogram(*img, whole);
    rec.frame.patch = grey_patch(*img, whole, kFramePatchW, kFramePatchH);
  }
  return rec;
}

std::size_t object_count(const FrameAnnotations& ann, bool predictions) {
  std::size_t n = ann.labels.size();
  if (predictions)
    for (const PredictionFrame& pf : ann.preds) n += pf.objects.size();
  return n;
}

}  // namespace

fs::path default_similar_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return fs::path(x) / "needle" / "similar";
  if (const char* h = std::getenv("HOME"); h && *h)
    return fs::path(h) / ".cache" / "needle" / "similar";
  return fs::path(".needle-cache") / "similar";
}

fs::path similar_cache_file(const DatasetIndex& ds, const fs::path& cache_dir) {
  const fs::path dir = cache_dir.empty() ? default_similar_cache_dir() : cache_dir;
  return dir / (dataset_key(ds.root) + ".nsim");
}

SimilarSpaces build_builtin_spaces(const DatasetIndex& ds, const SimilarBuildOptions& opt,
                                   SimilarBuildStats* stats) {
  const std::vector<FrameAnnotations> ann = load_all_annotations(
      ds, true, opt.threads,
      [&](std::size_t d, std::size_t t) {
        if (opt.progress) opt.progress("loading", d, t);
      },
      opt.cancel);
  if (opt.cancel && opt.cancel->load()) {
    SimilarSpaces none;
    none.source = "built-in";
    return none;
  }
  return build_builtin_spaces(ds, ann, opt, stats);
}

SimilarSpaces build_builtin_spaces(const DatasetIndex& ds, const std::vector<FrameAnnotations>& ann,
                                   const SimilarBuildOptions& opt, SimilarBuildStats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  auto progress = [&](const char* phase, std::size_t d, std::size_t t) {
    if (opt.progress) opt.progress(phase, d, t);
  };
  const bool preds = opt.predictions;
  const std::size_t n = std::min(ds.frames.size(), ann.size());
  SimilarSpaces out;
  out.source = "built-in";
  if (opt.cancel && opt.cancel->load()) return out;

  // The objects' findings: the needle method on labels and predictions (no lidar witnesses).
  progress("findings", 0, 1);
  std::vector<std::string> set_names;
  for (const PredictionSetSpec& s : ds.pred_sets) set_names.push_back(s.name);
  RankOptions ro;
  ro.threads = opt.threads;
  const RankResult rank = rank_frames(ann, set_names, ro);
  std::vector<std::vector<const Finding*>> frame_findings(n);
  for (const FrameRank& fr : rank.frames)
    for (const Finding& fd : fr.findings)
      if (fr.frame_index < n) frame_findings[fr.frame_index].push_back(&fd);
  progress("findings", 1, 1);

  // Costly parts: from the cache where every stamp still matches, else computed.
  const fs::path cache = similar_cache_file(ds, opt.cache_dir);
  std::map<std::string, FrameRecord> cached;
  if (opt.use_cache) {
    std::string bytes;
    if (read_whole(cache, bytes)) deserialise(bytes, cached);
  }
  std::vector<FrameRecord> records(n);
  std::atomic<std::size_t> done{0}, computed{0}, from_cache{0};
  std::mutex progress_mutex;
  detail::parallel_for(
      n, opt.threads,
      [&](std::size_t lo, std::size_t hi) {
        for (std::size_t f = lo; f < hi; ++f) {
          if (opt.cancel && opt.cancel->load()) return;
          std::string key = frame_key(ds, f, preds);
          const auto it = cached.find(ds.frames[f].id);
          if (it != cached.end() && it->second.key == key &&
              it->second.objects.size() == object_count(ann[f], preds)) {
            records[f] = it->second;
            ++from_cache;
          } else {
            records[f] = compute_record(ds, f, ann[f], preds, std::move(key));
            ++computed;
          }
          const std::size_t d = ++done;
          std::lock_guard<std::mutex> lock(progress_mutex);
          progress("descriptors", d, n);
        }
      },
      4);
  if (opt.cancel && opt.cancel->load()) return out;

  // Join the parts.
  for (std::size_t f = 0; f < n; ++f) {
    const FrameAnnotations& a = ann[f];
    const FrameRecord& rec = records[f];
    const std::string& id = ds.frames[f].id;
    auto findings_of = [&](const std::string& set, int index) {
      std::vector<const Finding*> mine;
      for (const Finding* fd : frame_findings[f]) {
        const bool hit = set.empty() ? fd->label == index
                                     : (fd->prediction_set == set && fd->prediction == index);
        if (hit) mine.push_back(fd);
      }
      return finding_slots(mine);
    };
    auto add_object = [&](const Object& o, const std::string& source, int index,
                          const std::string& set, std::size_t record_index) {
      if (o.is_dontcare() || record_index >= rec.objects.size()) return;
      const std::vector<float> v =
          object_vector(o, rec.objects[record_index], findings_of(set, index));
      out.objects.items.push_back({ObjectRef{id, source, index}, o.type});
      out.objects.vectors.insert(out.objects.vectors.end(), v.begin(), v.end());
      out.objects.dim = v.size();
    };
    std::size_t ri = 0;
    for (std::size_t i = 0; i < a.labels.size(); ++i, ++ri)
      add_object(a.labels[i], "label", static_cast<int>(i), "", ri);
    if (preds)
      for (std::size_t s = 0; s < a.preds.size() && s < ds.pred_sets.size(); ++s)
        for (std::size_t j = 0; j < a.preds[s].objects.size(); ++j, ++ri)
          add_object(a.preds[s].objects[j], ds.pred_sets[s].name, static_cast<int>(j),
                     ds.pred_sets[s].name, ri);
    std::vector<float> counts(kFindingDims, 0.0f);
    for (const Finding* fd : frame_findings[f]) {
      const std::vector<float> slot = finding_slots({fd});
      for (std::size_t k = 0; k < kFindingDims; ++k) counts[k] += slot[k] > 0 ? 1.0f : 0.0f;
    }
    const std::vector<float> fv = frame_vector(a.labels, rec.frame, counts);
    out.frames.items.push_back({ObjectRef{id, "", -1}, ""});
    out.frames.vectors.insert(out.frames.vectors.end(), fv.begin(), fv.end());
    out.frames.dim = fv.size();
  }

  bool written = false;
  if (opt.use_cache && computed > 0) {
    std::map<std::string, FrameRecord> all;
    for (std::size_t f = 0; f < n; ++f) all.emplace(ds.frames[f].id, std::move(records[f]));
    written = write_atomic(cache, serialise(all));
  }
  if (stats) {
    stats->frames = n;
    stats->computed = computed;
    stats->from_cache = from_cache;
    stats->objects = out.objects.items.size();
    stats->cache_written = written;
    stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return out;
}

// ============================================================================================
// [SECTION] Background job
// ============================================================================================
SimilarBuildJob::SimilarBuildJob(DatasetIndex ds, SimilarBuildOptions opt) {
  opt.cancel = &cancel_;
  auto user_progress = opt.progress;
  opt.progress = [this, user_progress](const char* phase, std::size_t d, std::size_t t) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      phase_ = phase;
      share_ = t ? double(d) / double(t) : 0.0;
    }
    if (user_progress) user_progress(phase, d, t);
  };
  thread_ = std::thread([this, ds = std::move(ds), opt = std::move(opt)] {
    Result r;
    r.spaces = build_builtin_spaces(ds, opt, &r.stats);
    if (!cancel_.load()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        phase_ = "index";
      }
      r.objects = SimilarIndex(r.spaces.objects);
      r.frames = SimilarIndex(r.spaces.frames);
    }
    result_ = std::move(r);
    done_.store(true);
  });
}

SimilarBuildJob::~SimilarBuildJob() {
  cancel_.store(true);
  if (thread_.joinable()) thread_.join();
}

double SimilarBuildJob::progress(std::string* phase) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (phase) *phase = phase_;
  return share_;
}

SimilarBuildJob::Result SimilarBuildJob::take() {
  if (thread_.joinable()) thread_.join();
  return std::move(result_);
}

}  // namespace needle
