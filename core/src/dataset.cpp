// dataset.cpp — scanning a KITTI-style dataset folder and loading frames into CPU data.
//
// Index
//   [SECTION] Frame id order
//   [SECTION] Prediction specs
//   [SECTION] Scanning (directory listings only)
//   [SECTION] Loading one frame (never throws on bad data)
//   [SECTION] Loading all annotations (threads)
#include "needle/dataset.h"

#include <algorithm>
#include <atomic>
#include <array>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "needle/error.h"
#include "needle/kitti_io.h"
#include "needle/media_rules.h"
#include "needle/scan_io.h"

namespace needle {

namespace fs = std::filesystem;

// ============================================================================================
// [SECTION] Frame id order
// ============================================================================================
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Numeric ids first, in numeric order ("9" < "10", "000009" < "000010"), then other ids in byte
// order. A strict weak order, so that sort and binary search agree.
bool id_less(const std::string& a, const std::string& b) {
  const bool da = all_digits(a), db = all_digits(b);
  if (da != db) return da;
  if (!da) return a < b;
  const std::size_t za = std::min(a.find_first_not_of('0'), a.size());
  const std::size_t zb = std::min(b.find_first_not_of('0'), b.size());
  const std::size_t la = a.size() - za, lb = b.size() - zb;
  if (la != lb) return la < lb;
  const int c = a.compare(za, la, b, zb, lb);
  if (c != 0) return c < 0;
  return a < b;  // same number, different padding: keep both, in a fixed order
}

}  // namespace

std::optional<std::size_t> DatasetIndex::find(const std::string& id) const {
  auto it =
      std::lower_bound(frames.begin(), frames.end(), id,
                       [](const FrameFiles& f, const std::string& v) { return id_less(f.id, v); });
  if (it == frames.end() || it->id != id) return std::nullopt;
  return static_cast<std::size_t>(it - frames.begin());
}

bool FrameAnnotations::valid() const {
  return std::none_of(problems.begin(), problems.end(), [](const Problem& p) { return p.fatal; });
}

const char* pred_status_name(PredStatus s) {
  return enum_to_name(kPredStatusTable, s, "?");
}

// ============================================================================================
// [SECTION] Prediction specs
// ============================================================================================
namespace {

std::string folder_name(const fs::path& dir) {
  fs::path p = dir.lexically_normal();
  if (!p.empty() && p.filename().empty()) p = p.parent_path();  // "pred/point_gnn/"
  std::string name = p.filename().string();
  if (name.empty() || name == "." || name == "..") {
    std::error_code ec;
    const fs::path abs = fs::weakly_canonical(fs::absolute(dir), ec);
    if (!ec) name = abs.filename().string();
  }
  return name;
}

}  // namespace

PredictionSetSpec parse_prediction_spec(const std::string& arg) {
  if (arg.empty())
    throw std::invalid_argument("prediction set: empty argument (expected NAME=DIR or DIR)");
  PredictionSetSpec spec;
  const std::size_t eq = arg.find('=');
  // A '=' after a '/' belongs to the path ("runs/lr=0.1"), not to a NAME=DIR spec.
  if (eq != std::string::npos && arg.find('/') > eq) {
    spec.name = arg.substr(0, eq);
    const std::string dir = arg.substr(eq + 1);
    if (spec.name.empty())
      throw std::invalid_argument("prediction set '" + arg + "': empty NAME in NAME=DIR");
    if (dir.empty())
      throw std::invalid_argument("prediction set '" + arg + "': empty DIR in NAME=DIR");
    spec.dir = dir;
  } else {
    spec.dir = arg;
    spec.name = folder_name(spec.dir);
    if (spec.name.empty())
      throw std::invalid_argument("prediction set '" + arg +
                                  "': cannot derive a name, use NAME=DIR");
  }
  return spec;
}

// ============================================================================================
// [SECTION] Scanning (directory listings only)
// ============================================================================================
namespace {

constexpr const char* kModalityDirs[4] = {"image_2", "velodyne", "calib", "label_2"};

bool has_modality_dir(const fs::path& root) {
  std::error_code ec;
  for (const char* d : kModalityDirs)
    if (fs::is_directory(root / d, ec)) return true;
  return false;
}

bool ext_is(const fs::path& p, std::initializer_list<const char*> exts) {
  const std::string e = p.extension().string();
  for (const char* x : exts)
    if (e == x) return true;
  return false;
}

// Lists the entries of `dir` with one of `exts` and calls f(stem, path) for each. Hidden files are
// skipped. Entries that are not regular files (a directory named 000002.txt, a fifo, a dangling
// link) are listed too, so that loading them reports an error naming them instead of the frame
// silently lacking that modality. A missing folder lists nothing.
template <typename F>
void list_files(const fs::path& dir, std::initializer_list<const char*> exts, F&& f) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw std::runtime_error("cannot list " + dir.string() + ": " + ec.message());
  for (const fs::directory_entry& e : it) {
    const fs::path& p = e.path();
    const std::string stem = p.stem().string();
    if (stem.empty() || stem[0] == '.' || !ext_is(p, exts)) continue;
    f(stem, p);
  }
}

bool dir_has_txt(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".txt") return true;
  return false;
}

}  // namespace

DatasetIndex scan_dataset(const fs::path& root, const std::vector<PredictionSetSpec>& pred_sets) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    throw std::runtime_error("dataset folder not found: " + root.string());
  DatasetIndex ds;
  if (has_modality_dir(root)) {
    ds.root = root;
  } else if (has_modality_dir(root / "training")) {
    ds.root = root / "training";
  } else {
    throw std::runtime_error("no image_2/, velodyne/, calib/ or label_2/ folder in " +
                             root.string() + " or " + (root / "training").string());
  }

  std::set<std::string> names;
  for (const PredictionSetSpec& s : pred_sets) {
    if (s.name.empty())
      throw std::runtime_error("prediction set with an empty name: " + s.dir.string());
    if (!names.insert(s.name).second)
      throw std::runtime_error("two prediction sets are named '" + s.name + "'; use NAME=DIR");
    if (!fs::is_directory(s.dir, ec))
      throw std::runtime_error("prediction folder not found: " + s.dir.string() + " (set '" +
                               s.name + "')");
    PredictionSetSpec used = s;
    // KITTI result folders often keep the files in a data/ child (results/<run>/data/*.txt).
    if (!dir_has_txt(s.dir) && fs::is_directory(s.dir / "data", ec)) used.dir = s.dir / "data";
    ds.pred_sets.push_back(std::move(used));
  }

  std::unordered_map<std::string, std::size_t> by_id;
  auto frame = [&](const std::string& id) -> FrameFiles& {
    auto [it, inserted] = by_id.try_emplace(id, ds.frames.size());
    if (inserted) {
      ds.frames.emplace_back();
      ds.frames.back().id = id;
      ds.frames.back().preds.resize(ds.pred_sets.size());
    }
    return ds.frames[it->second];
  };

  // Prefer PNG when a frame has both a PNG and a JPEG (directory order is arbitrary).
  list_files(ds.root / "image_2", {".png", ".jpg", ".jpeg"},
             [&](const std::string& id, const fs::path& p) {
               FrameFiles& f = frame(id);
               if (f.image.empty() || p.extension() == ".png") f.image = p;
             });
  // A KITTI .bin wins over a .pcd of the same id (the PCD is noted by quick_check_media).
  list_files(ds.root / "velodyne", {".bin", ".pcd"}, [&](const std::string& id, const fs::path& p) {
    FrameFiles& f = frame(id);
    const bool bin = p.extension() == ".bin";
    if (f.velodyne.empty()) {
      f.velodyne = p;
    } else if (bin) {
      f.velodyne_ignored = f.velodyne;
      f.velodyne = p;
    } else {
      f.velodyne_ignored = p;
    }
  });
  list_files(ds.root / "calib", {".txt"},
             [&](const std::string& id, const fs::path& p) { frame(id).calib = p; });
  list_files(ds.root / "label_2", {".txt"}, [&](const std::string& id, const fs::path& p) {
    frame(id).label = p;
    ++ds.label_files;
  });
  for (std::size_t k = 0; k < ds.pred_sets.size(); ++k) {
    list_files(ds.pred_sets[k].dir, {".txt"},
               [&](const std::string& id, const fs::path& p) { frame(id).preds[k] = p; });
  }

  std::sort(ds.frames.begin(), ds.frames.end(),
            [](const FrameFiles& a, const FrameFiles& b) { return id_less(a.id, b.id); });
  return ds;
}

std::vector<PredictionSetSpec> default_prediction_sets(const fs::path& root) {
  std::vector<PredictionSetSpec> out;
  std::error_code ec;
  const fs::path pred_dir = root / "pred";
  if (!fs::is_directory(pred_dir, ec)) return out;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(pred_dir, ec))
    if (e.is_directory(ec)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) out.push_back({d.filename().string(), d});
  return out;
}

// ============================================================================================
// [SECTION] Loading one frame (never throws on bad data)
// ============================================================================================
namespace {

void add_problem(std::vector<Problem>& out, const Problem& p, const std::string& modality) {
  out.push_back(p);
  out.back().modality = modality;
}

bool is_blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
  });
}

// A directory, fifo, socket or dangling link where a file is expected (quick media checks; the
// loaders find these through read_data_file_bytes without an extra system call).
void require_regular_file(const fs::path& p) {
  std::error_code ec;
  const fs::file_status st = fs::status(p, ec);
  if (fs::is_regular_file(st)) return;
  Problem pr;
  pr.file = p.string();
  pr.message = fs::is_directory(st) ? "is a directory, not a file"
               : !fs::exists(st)    ? "does not exist (a dangling link?)"
                                    : "is not a regular file";
  throw ParseError(std::move(pr));
}

// Runs `body`; a ParseError or I/O error becomes a fatal problem of `modality`.
template <typename F>
bool guarded(std::vector<Problem>& problems, const std::string& modality, const fs::path& file,
             F&& body) {
  try {
    body();
    return true;
  } catch (const ParseError& e) {
    add_problem(problems, e.problem(), modality);
  } catch (const std::bad_alloc&) {
    Problem p;
    p.file = file.string();
    p.message = "out of memory while loading";
    add_problem(problems, p, modality);
  } catch (const std::exception& e) {
    Problem p;
    p.file = file.string();
    p.message = e.what();
    add_problem(problems, p, modality);
  }
  return false;
}

}  // namespace

FrameAnnotations load_annotations(const DatasetIndex& ds, std::size_t frame, bool with_calib) {
  FrameAnnotations ann;
  if (frame >= ds.frames.size()) {
    Problem p;
    p.modality = "frame";
    p.message = "frame index " + std::to_string(frame) + " out of range (" +
                std::to_string(ds.frames.size()) + " frames)";
    ann.problems.push_back(std::move(p));
    return ann;
  }
  const FrameFiles& f = ds.frames[frame];
  ann.id = f.id;

  if (!f.label.empty()) {
    guarded(ann.problems, "label", f.label, [&] {
      const std::string text = read_data_file_bytes(f.label);
      ParsedObjects po = parse_objects(text, f.label.string(), LabelKind::GroundTruth);
      ann.labels = std::move(po.objects);
      for (const Problem& w : po.warnings) add_problem(ann.problems, w, "label");
      for (const Problem& w : po.invalid_objects) add_problem(ann.problems, w, "label");
      ann.has_labels = true;
      // Zero bytes among labelled frames may be a failed export as well as an empty scene: read
      // as no objects, with a warning naming the file (issue 7). A file holding whitespace or a
      // newline is a deliberate "no objects" and passes silently.
      if (text.empty() && ds.label_files > 1) {
        Problem p;
        p.modality = "label";
        p.file = f.label.string();
        p.field = kEmptyLabelFileField;
        p.message = "empty label file (0 bytes) while " + std::to_string(ds.label_files - 1) +
                    " other frames have label files; read as a frame with no objects";
        p.fatal = false;
        ann.problems.push_back(std::move(p));
      }
    });
  }

  if (with_calib && !f.calib.empty()) {
    guarded(ann.problems, "calib", f.calib, [&] { ann.calib = load_calib(f.calib); });
  }

  ann.preds.resize(ds.pred_sets.size());
  for (std::size_t k = 0; k < ds.pred_sets.size(); ++k) {
    PredictionFrame& pf = ann.preds[k];
    const fs::path& path = k < f.preds.size() ? f.preds[k] : fs::path();
    if (path.empty()) {
      pf.status = PredStatus::Missing;
      continue;
    }
    const std::string modality = "pred:" + ds.pred_sets[k].name;
    const bool ok = guarded(ann.problems, modality, path, [&] {
      const std::string text = read_data_file_bytes(path);
      if (is_blank(text)) {
        pf.status = PredStatus::Empty;
        return;
      }
      ParsedObjects po = parse_objects(text, path.string(), LabelKind::Prediction);
      pf.objects = std::move(po.objects);
      for (const Problem& w : po.warnings) add_problem(ann.problems, w, modality);
      for (const Problem& w : po.invalid_objects) add_problem(ann.problems, w, modality);
      pf.status = PredStatus::Present;
    });
    if (!ok) {
      pf.status = PredStatus::Invalid;
      pf.objects.clear();
    }
  }
  return ann;
}

FrameData load_frame(const DatasetIndex& ds, std::size_t frame, const LoadOptions& opt) {
  FrameData fd;
  fd.ann = load_annotations(ds, frame, opt.calib);
  if (frame >= ds.frames.size()) return fd;
  const FrameFiles& f = ds.frames[frame];
  if (opt.image && !f.image.empty()) {
    guarded(fd.ann.problems, "image", f.image, [&] { fd.image = load_image(f.image); });
  }
  if (opt.cloud && !f.velodyne.empty() &&
      guarded(fd.ann.problems, "velodyne", f.velodyne, [&] { require_regular_file(f.velodyne); })) {
    // read_scan never throws on bad data: the finite points of a scan with a few NaN still show.
    // No image size is passed, so that the field-of-view check is the ranking's (which reads no
    // image): bounded by the principal point.
    ScanRead scan = read_scan(f.velodyne, fd.ann.calib ? &*fd.ann.calib : nullptr);
    for (Problem& p : scan.problems) fd.ann.problems.push_back(std::move(p));
    if (scan.usable) fd.cloud = std::move(scan.cloud);
  }
  return fd;
}

// ============================================================================================
// [SECTION] Quick structural media checks (no decoding)
// ============================================================================================
namespace {

Problem media_problem(const fs::path& file, const std::string& modality, const std::string& field,
                      const std::string& message) {
  Problem p;
  p.file = file.string();
  p.modality = modality;
  p.field = field;
  p.message = message;
  return p;
}

std::uint32_t be32(const unsigned char* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

void quick_check_velodyne(const fs::path& p, std::vector<Problem>& out) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec) {
    out.push_back(media_problem(p, "velodyne", "", "cannot read file size: " + ec.message()));
  } else if (!media::velodyne_size_ok(size)) {
    out.push_back(media_problem(p, "velodyne", "size",
                                "size " + std::to_string(size) +
                                    " bytes is not a non-zero multiple of 16 (x,y,z,r float32)"));
  }
}

// PNG: signature, IHDR first, a chunk chain that fits the file, IEND last. JPEG: SOI ... EOI.
void quick_check_image(const fs::path& p, std::vector<Problem>& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    out.push_back(media_problem(p, "image", "", "cannot open"));
    return;
  }
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec || size < media::kMinImageFileBytes) {
    out.push_back(media_problem(p, "image", "size", "file too small to be an image"));
    return;
  }
  std::array<unsigned char, 33> head{};
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  const auto& sig = media::kPngSignature;
  if (std::equal(sig.begin(), sig.end(), head.begin())) {
    if (size < media::kMinPngBytes || be32(&head[8]) != media::kPngIhdrLength ||
        std::string(reinterpret_cast<const char*>(&head[12]), 4) != "IHDR" ||
        be32(&head[16]) == 0 || be32(&head[20]) == 0) {
      out.push_back(media_problem(p, "image", "IHDR", "PNG header (IHDR) missing or invalid"));
      return;
    }
    std::uint64_t off = 8;
    while (off + media::kPngChunkOverhead <= size) {
      std::array<unsigned char, 8> chunk{};
      in.seekg(static_cast<std::streamoff>(off));
      if (!in.read(reinterpret_cast<char*>(chunk.data()), 8)) break;
      const std::uint64_t len = be32(chunk.data());
      const std::string type(reinterpret_cast<const char*>(&chunk[4]), 4);
      off += media::kPngChunkOverhead + len;
      if (off > size) break;
      if (type == "IEND") {
        if (off != size)
          out.push_back(media_problem(p, "image", "IEND", "PNG has data after IEND"));
        return;
      }
    }
    out.push_back(media_problem(p, "image", "data",
                                "PNG is truncated or its chunk chain is broken (no IEND)"));
    return;
  }
  if (head[0] == media::kJpegStart[0] && head[1] == media::kJpegStart[1]) {  // SOI
    std::array<unsigned char, 2> tail{};
    in.seekg(static_cast<std::streamoff>(size - 2));
    in.read(reinterpret_cast<char*>(tail.data()), 2);
    if (tail != media::kJpegEnd)
      out.push_back(media_problem(p, "image", "data", "JPEG is truncated (no EOI marker)"));
    return;
  }
  out.push_back(media_problem(p, "image", "signature", "neither a PNG nor a JPEG signature"));
}

// A directory, fifo, socket or dangling link where a file is expected.
bool quick_check_regular(const fs::path& p, const std::string& modality,
                         std::vector<Problem>& out) {
  try {
    require_regular_file(p);
    return true;
  } catch (const ParseError& e) {
    add_problem(out, e.problem(), modality);
    return false;
  }
}

}  // namespace

void quick_check_media(const FrameFiles& files, std::vector<Problem>& out) {
  if (!files.velodyne.empty() && quick_check_regular(files.velodyne, "velodyne", out)) {
    if (scan_format_of(files.velodyne) == ScanFormat::Pcd)
      quick_check_pcd(files.velodyne, out);
    else
      quick_check_velodyne(files.velodyne, out);
  }
  if (!files.velodyne_ignored.empty()) {
    Problem p = media_problem(files.velodyne_ignored, "velodyne", "",
                              "ignored: " + files.velodyne.filename().string() +
                                  " holds this frame's scan (a .bin wins over a .pcd)");
    p.fatal = false;
    out.push_back(std::move(p));
  }
  if (!files.image.empty() && quick_check_regular(files.image, "image", out))
    quick_check_image(files.image, out);
}

// ============================================================================================
// [SECTION] Loading all annotations (threads)
// ============================================================================================
std::vector<FrameAnnotations> load_all_annotations(
    const DatasetIndex& ds, bool with_calib, unsigned threads,
    const std::function<void(std::size_t, std::size_t)>& progress,
    const std::atomic<bool>* cancel) {
  const std::size_t total = ds.frames.size();
  std::vector<FrameAnnotations> out(total);
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // Small chunks balance the load (frames differ in size); each chunk is ~100 us of work.
  constexpr std::size_t kChunk = 16;
  const std::size_t chunks = (total + kChunk - 1) / kChunk;
  const std::size_t workers = std::min<std::size_t>(threads, std::max<std::size_t>(chunks, 1));

  std::atomic<std::size_t> next{0};
  std::mutex progress_mutex;  // serialises progress calls so that `done` never goes backwards
  std::size_t done = 0;
  std::exception_ptr error;
  std::mutex error_mutex;

  auto work = [&] {
    try {
      while (true) {
        const std::size_t c = next.fetch_add(1, std::memory_order_relaxed);
        if (c >= chunks || (cancel && cancel->load(std::memory_order_relaxed))) break;
        const std::size_t begin = c * kChunk, end = std::min(total, begin + kChunk);
        for (std::size_t i = begin; i < end; ++i) {
          out[i] = load_annotations(ds, i, with_calib);
          quick_check_media(ds.frames[i], out[i].problems);
        }
        if (progress) {
          std::lock_guard<std::mutex> lock(progress_mutex);
          done += end - begin;
          progress(done, total);
        }
      }
    } catch (...) {  // only resource errors get here: load_annotations records data errors
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next.store(chunks);
    }
  };

  if (workers <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    try {
      for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
    } catch (const std::system_error&) {
      // Fewer threads than asked (resource limits): the ones running share the chunks.
    }
    work();
    for (auto& t : pool) t.join();
  }
  if (error) std::rethrow_exception(error);
  if (progress && total == 0) progress(0, 0);
  return out;
}

}  // namespace needle
