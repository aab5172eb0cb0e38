// partial_rank.cpp — `needle rank --shard` and `--merge` (needle/partial.h): the frames' codec,
// the rank options as header lines, the map step and the reduce step.
//
// Index
//   [SECTION] FrameAnnotations codec
//   [SECTION] Options
//   [SECTION] Map step
//   [SECTION] Reading frames back, reduce step
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "lidar/lidar_codec.h"
#include "needle/partial.h"
#include "partial_internal.h"

namespace needle {

namespace fs = std::filesystem;
using cache_file::Reader;
using cache_file::Writer;
using namespace partial_detail;

// ============================================================================================
// [SECTION] FrameAnnotations codec
// ============================================================================================
// Every field, in declaration order; doubles bit-exact. These sizes (x86-64, libstdc++) trip when
// a field is added to the model: the codec must then learn it (and kPartialFormatVersion grow).
static_assert(sizeof(Object) == 176, "Object changed: update the partial codec");
static_assert(sizeof(Problem) == 144, "Problem changed: update the partial codec");
static_assert(sizeof(FrameAnnotations) == 768, "FrameAnnotations changed: update the codec");
static_assert(std::is_trivially_copyable_v<Calib> && std::is_trivially_copyable_v<Box2D> &&
              std::is_trivially_copyable_v<Vec3>);

namespace {

void put(Writer& w, const Problem& p) {
  w.str(p.modality), w.str(p.file), w.pod(static_cast<std::int32_t>(p.line)), w.str(p.field);
  w.str(p.message), w.pod(static_cast<std::uint8_t>(p.fatal));
}

bool get(Reader& r, Problem& p) {
  std::int32_t line = 0;
  std::uint8_t fatal = 0;
  if (!r.str(p.modality) || !r.str(p.file) || !r.pod(line) || !r.str(p.field) ||
      !r.str(p.message) || !r.pod(fatal) || fatal > 1)
    return false;
  p.line = line;
  p.fatal = fatal != 0;
  return true;
}

void put(Writer& w, const Object& o) {
  w.str(o.type), w.pod(static_cast<std::uint8_t>(o.cls)), w.pod(o.truncated);
  w.pod(static_cast<std::int32_t>(o.occluded)), w.pod(o.alpha), w.pod(o.box2d), w.pod(o.h);
  w.pod(o.w), w.pod(o.l), w.pod(o.loc_cam), w.pod(o.rotation_y);
  w.pod(static_cast<std::uint8_t>(o.score.has_value())), w.pod(o.score.value_or(0.0));
  w.pod(static_cast<std::int32_t>(o.line));
}

bool get(Reader& r, Object& o) {
  std::uint8_t cls = 0, has_score = 0;
  std::int32_t occluded = 0, line = 0;
  double score = 0;
  if (!r.str(o.type) || !r.pod(cls) || cls > static_cast<std::uint8_t>(ObjectClass::Unknown) ||
      !r.pod(o.truncated) || !r.pod(occluded) || !r.pod(o.alpha) || !r.pod(o.box2d) ||
      !r.pod(o.h) || !r.pod(o.w) || !r.pod(o.l) || !r.pod(o.loc_cam) || !r.pod(o.rotation_y) ||
      !r.pod(has_score) || has_score > 1 || !r.pod(score) || !r.pod(line))
    return false;
  o.cls = static_cast<ObjectClass>(cls);
  o.occluded = occluded;
  o.line = line;
  if (has_score)
    o.score = score;
  else
    o.score.reset();
  return true;
}

// Smallest encodings (a count cannot allocate more than the record holds).
constexpr std::size_t kMinObjectBytes = 4 + 1 + 8 + 4 + 8 + 32 + 24 + 24 + 8 + 1 + 8 + 4;
constexpr std::size_t kMinProblemBytes = 4 * 4 + 4 + 1;

template <typename T>
void put_all(Writer& w, const std::vector<T>& v) {
  w.pod(static_cast<std::uint32_t>(v.size()));
  for (const T& x : v) put(w, x);
}

template <typename T>
bool get_all(Reader& r, std::vector<T>& v, std::size_t min_bytes) {
  std::uint32_t n = 0;
  if (!r.pod(n) || n > r.remaining() / min_bytes) return false;
  v.resize(n);
  for (T& x : v)
    if (!get(r, x)) return false;
  return true;
}

void put(Writer& w, const FrameAnnotations& a) {
  w.str(a.id), w.pod(static_cast<std::uint8_t>(a.has_labels));
  put_all(w, a.labels);
  w.pod(static_cast<std::uint8_t>(a.calib.has_value()));
  if (a.calib) w.pod(*a.calib);
  w.pod(static_cast<std::uint32_t>(a.preds.size()));
  for (const PredictionFrame& p : a.preds) {
    w.pod(static_cast<std::uint8_t>(p.status));
    put_all(w, p.objects);
  }
  put_all(w, a.problems);
}

bool get(Reader& r, FrameAnnotations& a) {
  std::uint8_t has_labels = 0, has_calib = 0;
  std::uint32_t n = 0;
  if (!r.str(a.id) || !r.pod(has_labels) || has_labels > 1 ||
      !get_all(r, a.labels, kMinObjectBytes) || !r.pod(has_calib) || has_calib > 1)
    return false;
  a.has_labels = has_labels != 0;
  if (has_calib) {
    Calib c;
    if (!r.pod(c)) return false;
    a.calib = c;
  }
  if (!r.pod(n) || n > r.remaining()) return false;
  a.preds.resize(n);
  for (PredictionFrame& p : a.preds) {
    std::uint8_t status = 0;
    if (!r.pod(status) || status > static_cast<std::uint8_t>(PredStatus::Invalid) ||
        !get_all(r, p.objects, kMinObjectBytes))
      return false;
    p.status = static_cast<PredStatus>(status);
  }
  return get_all(r, a.problems, kMinProblemBytes);
}

void put_stats(Writer& w, const RankMapStats& s) {
  w.pod(static_cast<std::uint8_t>(s.lidar_ran));
  for (std::size_t v :
       {s.lidar.frames, s.lidar.computed, s.lidar.from_cache, s.lidar.no_scan, s.lidar.failed})
    w.pod(static_cast<std::uint64_t>(v));
  w.pod(s.lidar.analysis_ms);
}

bool get_stats(Reader& r, RankMapStats& s) {
  std::uint8_t ran = 0;
  std::uint64_t v[5] = {};
  if (!r.pod(ran) || ran > 1) return false;
  for (std::uint64_t& x : v)
    if (!r.pod(x)) return false;
  if (!r.pod(s.lidar.analysis_ms) || !r.done()) return false;
  s.lidar_ran = ran != 0;
  s.lidar.frames = static_cast<std::size_t>(v[0]);
  s.lidar.computed = static_cast<std::size_t>(v[1]);
  s.lidar.from_cache = static_cast<std::size_t>(v[2]);
  s.lidar.no_scan = static_cast<std::size_t>(v[3]);
  s.lidar.failed = static_cast<std::size_t>(v[4]);
  return true;
}

}  // namespace

// ============================================================================================
// [SECTION] Options
// ============================================================================================
std::vector<std::string> rank_option_lines(const PipelineOptions& opt) {
  char score[64];
  std::snprintf(score, sizeof score, "%a", opt.min_finding_score);  // exact
  return {std::string("method=") + rank_method_name(opt.method),
          std::string("evidence=") + evidence_name(opt.evidence), "compare=" + opt.compare,
          std::string("min_score=") + score};
}

PipelineOptions rank_options_from_lines(const std::vector<std::string>& lines) {
  PipelineOptions opt;
  bool seen[4] = {};
  for (const std::string& l : lines) {
    const std::size_t eq = l.find('=');
    const std::string k = l.substr(0, eq), v = eq == std::string::npos ? "" : l.substr(eq + 1);
    try {
      if (k == "method") {
        opt.method = parse_rank_method(v), seen[0] = true;
      } else if (k == "evidence") {
        opt.evidence = parse_evidence(v), seen[1] = true;
      } else if (k == "compare") {
        opt.compare = v, seen[2] = true;
      } else if (k == "min_score") {
        char* end = nullptr;
        opt.min_finding_score = std::strtod(v.c_str(), &end);
        if (v.empty() || *end) throw std::invalid_argument("bad number " + v);
        seen[3] = true;
      } else {
        throw std::invalid_argument("unknown option");
      }
    } catch (const std::invalid_argument& e) {
      throw PartialError("partial option '" + l + "': " + e.what());
    }
  }
  if (!(seen[0] && seen[1] && seen[2] && seen[3]))
    throw PartialError("partial options incomplete (method, evidence, compare, min_score)");
  return opt;
}

// ============================================================================================
// [SECTION] Map step
// ============================================================================================
RankMapStats write_rank_partial(const DatasetIndex& ds_in, const std::string& dataset_arg,
                                const PipelineOptions& opt, const ShardSpec& shard,
                                const fs::path& out, const PipelineProgress& progress) {
  if (std::string e = check_pipeline_options(opt); !e.empty()) throw PartialError(e);
  DatasetIndex lidar_only;  // evidence lidar: the index without its prediction sets
  if (opt.evidence == Evidence::Lidar) lidar_only = pipeline_index(ds_in, opt);
  const DatasetIndex& ds = opt.evidence == Evidence::Lidar ? lidar_only : ds_in;
  if (!opt.compare.empty()) {  // the names must resolve, as run_pipeline requires
    const std::string a = opt.compare.substr(0, opt.compare.find(',')),
                      b = opt.compare.substr(opt.compare.find(',') + 1);
    auto known = [&](const std::string& n) {
      return std::any_of(ds.pred_sets.begin(), ds.pred_sets.end(),
                         [&](const PredictionSetSpec& s) { return s.name == n; });
    };
    if (!known(a) || !known(b) || a == b)
      throw PartialError("--compare " + opt.compare +
                         ": needs two different prediction sets of the dataset");
  }
  PartialHeader h;
  h.kind = PartialKind::Rank;
  h.identity = dataset_identity(ds, dataset_arg);
  h.options = rank_option_lines(opt);
  h.shard = shard;
  const auto [b, e] = shard_range(shard, ds.frames.size());
  h.begin = b;
  h.end = e;

  // The shard's frames as an index of their own: loading and the lidar pass read exactly what
  // they read for these frames in a whole run (label_files and the sets are the whole index's).
  DatasetIndex sub;
  sub.root = ds.root;
  sub.pred_sets = ds.pred_sets;
  sub.label_files = ds.label_files;
  sub.frames.assign(ds.frames.begin() + static_cast<std::ptrdiff_t>(b),
                    ds.frames.begin() + static_cast<std::ptrdiff_t>(e));
  const std::vector<FrameAnnotations> frames =
      load_all_annotations(sub, true, opt.threads, [&](std::size_t d, std::size_t t) {
        if (progress) progress("loading", d, t);
      });

  RankMapStats stats;
  stats.frames = frames.size();
  stats.begin = b;
  stats.end = e;
  stats.lidar_ran = opt.evidence != Evidence::Predictions && opt.method == RankMethod::Needle &&
                    opt.compare.empty();
  std::vector<FrameLidar> lidar;
  if (stats.lidar_ran) {
    LidarPassOptions lo;
    lo.threads = opt.threads;
    lo.use_cache = opt.lidar_cache;
    lo.cache_dir = opt.lidar_cache_dir;
    if (progress) lo.progress = [&](std::size_t d, std::size_t t) { progress("lidar", d, t); };
    lidar = run_lidar_pass(sub, frames, lo, &stats.lidar);
  }

  PartialWriter w(out, PartialKind::Rank);
  w.record(kHead, header_payload(h));
  for (std::size_t r0 = 0; r0 < frames.size(); r0 += kFramesPerRecord) {
    const std::size_t r1 = std::min(frames.size(), r0 + kFramesPerRecord);
    Writer rec;
    rec.pod(static_cast<std::uint32_t>(r1 - r0));
    for (std::size_t f = r0; f < r1; ++f) {
      put(rec, frames[f]);
      rec.pod(static_cast<std::uint8_t>(stats.lidar_ran));
      if (stats.lidar_ran) {
        rec.pod(static_cast<std::uint8_t>(lidar[f].ok));
        lidar_codec::write_frame_lidar(rec, lidar[f]);
      }
    }
    w.record(kFrames, rec.take());
  }
  Writer extra;
  put_stats(extra, stats);
  w.record(kTail, tail_payload(w.records(), frames.size(), extra.take()));
  w.commit();
  return stats;
}

// ============================================================================================
// [SECTION] Reading frames back, reduce step
// ============================================================================================
std::vector<FrameAnnotations> PartialSet::load_frames(std::size_t begin, std::size_t end,
                                                      std::vector<FrameLidar>* lidar) const {
  if (impl_->kind != PartialKind::Rank) throw PartialError("load_frames: not a rank partial set");
  end = std::min(end, impl_->total);
  std::vector<FrameAnnotations> out;
  if (begin >= end) return out;
  out.reserve(end - begin);
  for (const PartFile& f : impl_->parts) {
    const std::uint64_t p0 = f.header.begin, p1 = f.header.end;
    if (p1 <= begin || p0 >= end) continue;
    for (const RecordRef& rec : f.body) {
      const std::uint64_t r0 = p0 + rec.first, r1 = r0 + rec.count;
      if (r1 <= begin || r0 >= end) continue;
      const std::string bytes = read_payload(f, rec);
      Reader r(bytes);
      std::uint32_t n = 0;
      if (!r.pod(n) || n != rec.count) fail(f.path, "corrupt: a FRMS record's count changed");
      for (std::uint64_t g = r0; g < r1; ++g) {
        FrameAnnotations a;
        FrameLidar fl;
        std::uint8_t has_lidar = 0, ok = 0;
        if (!get(r, a) || !r.pod(has_lidar) || has_lidar > 1)
          fail(f.path, "corrupt: frame " + std::to_string(g) + " cannot be decoded");
        if (has_lidar && (!r.pod(ok) || ok > 1 || !lidar_codec::read_frame_lidar(r, fl)))
          fail(f.path,
               "corrupt: the lidar result of frame " + std::to_string(g) + " cannot be decoded");
        fl.ok = ok != 0;
        if (g < begin || g >= end) continue;
        out.push_back(std::move(a));
        if (lidar && has_lidar) lidar->push_back(std::move(fl));
      }
      if (!r.done()) fail(f.path, "corrupt: trailing bytes in a FRMS record");
    }
  }
  return out;
}

RankMapStats PartialSet::rank_stats() const {
  RankMapStats sum;
  bool first = true;
  for (const PartFile& f : impl_->parts) {
    RankMapStats s;
    Reader r(f.tail);
    if (!get_stats(r, s)) fail(f.path, "corrupt: the TAIL's statistics cannot be read");
    if (!first && s.lidar_ran != sum.lidar_ran)
      fail(f.path, "ran the lidar pass where other parts did not (or the reverse)");
    first = false;
    sum.lidar_ran = s.lidar_ran;
    sum.frames += static_cast<std::size_t>(f.frames);
    sum.lidar.frames += s.lidar.frames;
    sum.lidar.computed += s.lidar.computed;
    sum.lidar.from_cache += s.lidar.from_cache;
    sum.lidar.no_scan += s.lidar.no_scan;
    sum.lidar.failed += s.lidar.failed;
    sum.lidar.analysis_ms += s.lidar.analysis_ms;
  }
  return sum;
}

PipelineResult merge_rank_partials(const PartialSet& parts, const PipelineOptions& opt,
                                   const PipelineProgress& progress) {
  RankMapStats stats;
  std::vector<FrameLidar> lidar;
  std::vector<FrameAnnotations> frames;
  try {
    stats = parts.rank_stats();
    // Bounded memory, as a single run: the streaming ranking reads the parts chunk by chunk.
    if (!stats.lidar_ran && opt.stream_chunk_frames > 0 && opt.method == RankMethod::Needle &&
        opt.compare.empty() && opt.evidence != Evidence::Lidar) {
      FrameSource src;
      src.size = parts.size();
      src.load = [&parts](std::size_t b, std::size_t e) { return parts.load_frames(b, e); };
      PipelineResult r = run_pipeline_streaming(parts.index(), src, opt, progress);
      if (r.status == PipelineStatus::Failed && !r.options_error)
        r.error = "--merge: " + r.error;
      return r;
    }
    // In chunks, so that the progress bar moves (and a streaming engine can take over later).
    constexpr std::size_t kChunk = 4096;
    for (std::size_t b = 0; b < parts.size(); b += kChunk) {
      std::vector<FrameAnnotations> part = parts.load_frames(b, std::min(parts.size(), b + kChunk),
                                                             stats.lidar_ran ? &lidar : nullptr);
      std::move(part.begin(), part.end(), std::back_inserter(frames));
      if (progress) progress("loading", frames.size(), parts.size());
    }
  } catch (const std::exception& e) {  // a damaged part: the run fails, naming the file
    PipelineResult r;
    r.status = PipelineStatus::Failed;
    r.error = std::string("--merge: ") + e.what();
    return r;
  }
  return run_pipeline_on_frames(parts.index(), std::move(frames), std::move(lidar), stats.lidar,
                                opt, progress);
}

}  // namespace needle
