// needle/dataset.h — a KITTI-style dataset on disk: which frames exist, which modalities and
// prediction sets each has, and loading them into plain CPU data.
//
// A dataset root holds image_2/ velodyne/ calib/ label_2/ directly or in a training/ child.
// Frame ids are the union of the ids seen in any modality (file stem, any length), prediction
// files included; all-digit ids sort numerically first, others in byte order after them.
// Prediction sets are folders of KITTI label files with a score column; for each frame a set
// distinguishes Missing (no file: frame not predicted) from Empty (file present, no detections).
// Files: image_2/*.png|jpg|jpeg, velodyne/*.bin|pcd (.bin wins), calib/*.txt, label_2/*.txt,
// <pred dir>/*.txt; hidden files and other extensions are ignored. An entry with such a name that
// is not a regular file (a directory named 000002.txt ...) is an error of that frame's modality
// when loaded. velodyne_reduced/ is deliberately not read.
#pragma once

#include <atomic>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "needle/calib.h"
#include "needle/enum_names.h"
#include "needle/types.h"

namespace needle {

struct PredictionSetSpec {
  std::string name;  // "NAME" of NAME=DIR, default: the folder's name
  std::filesystem::path dir;
};
// Parses "NAME=DIR" or "DIR". Throws std::invalid_argument on an empty name or path.
// A '=' after the first '/' is part of the path ("runs/lr=0.1" is a DIR).
PredictionSetSpec parse_prediction_spec(const std::string& arg);

// Problem::field of the warning for a zero-byte label file among labelled frames. It may be a
// failed export or an empty scene, so the ranking gives it a low score (see ranking.h).
inline constexpr const char* kEmptyLabelFileField = "size";

struct FrameFiles {
  std::string id;
  std::filesystem::path image, velodyne, calib, label;  // empty path = modality absent
  std::filesystem::path velodyne_ignored;  // a .pcd not read: a .bin of the same id exists
  std::vector<std::filesystem::path> preds;             // per prediction set; empty = Missing
};

struct DatasetIndex {
  std::filesystem::path root;  // the folder holding image_2/ etc.
  std::vector<PredictionSetSpec> pred_sets;
  std::vector<FrameFiles> frames;  // sorted by id
  std::size_t label_files = 0;     // frames with a label_2 entry (for the empty-label warning)
  std::optional<std::size_t> find(const std::string& id) const;
};

// Scans the folders (no file is opened). Throws std::runtime_error when root has none of the
// modality folders, or a prediction folder does not exist; two sets with one name are an error.
// A prediction folder holding no .txt file but a data/ child is read from data/ (the layout of
// KITTI result folders); DatasetIndex::pred_sets then names the data/ folder.
DatasetIndex scan_dataset(const std::filesystem::path& root,
                          const std::vector<PredictionSetSpec>& pred_sets);

// The prediction sets a dataset carries itself: every sub-folder of ROOT/pred/, named after the
// folder, in name order (the layout `needle demo` writes). Empty when there is no pred/ folder.
std::vector<PredictionSetSpec> default_prediction_sets(const std::filesystem::path& root);

enum class PredStatus : std::uint8_t { Missing, Empty, Present, Invalid };
inline constexpr EnumName<PredStatus> kPredStatusTable[] = {{PredStatus::Missing, "missing"},
                                                           {PredStatus::Empty, "empty"},
                                                           {PredStatus::Present, "present"},
                                                           {PredStatus::Invalid, "invalid"}};
// "missing" | "empty" | "present" | "invalid" (for reports and the UI).
const char* pred_status_name(PredStatus s);

struct PredictionFrame {
  PredStatus status = PredStatus::Missing;
  std::vector<Object> objects;
};

// What the engine needs of a frame: labels, predictions, calibration. No pixels, no points.
struct FrameAnnotations {
  std::string id;
  bool has_labels = false;  // label file present and parsed
  std::vector<Object> labels;
  std::optional<Calib> calib;
  std::vector<PredictionFrame> preds;  // one per prediction set, same order as DatasetIndex
  std::vector<Problem> problems;       // fatal ones make the frame (or the modality) invalid
  bool valid() const;                  // no fatal problem
};

// Everything for the viewer: annotations plus image and point cloud (each optional).
struct FrameData {
  FrameAnnotations ann;
  std::optional<Image> image;
  std::optional<PointCloud> cloud;
};

struct LoadOptions {
  bool calib = true;
  bool image = true;
  bool cloud = true;
};

// Never throws on bad data: problems are recorded in the frame and the rest loads. The scan is
// read with read_scan (scan_io.h; with the calib when loaded, without the image size, as the
// ranking does): a scan with a few bad points
// keeps its good ones; cloud is absent when no usable point remains.
FrameAnnotations load_annotations(const DatasetIndex& ds, std::size_t frame,
                                  bool with_calib = true);
FrameData load_frame(const DatasetIndex& ds, std::size_t frame, const LoadOptions& opt = {});

// Cheap structural checks of a frame's image and scan without decoding them (a few bytes read
// per file): a zero-byte file, a .bin whose size is not a multiple of 16 bytes, a PNG without its
// signature and IHDR, whose chunk chain does not fit the file or lacks IEND last (a truncated
// file), a JPEG without SOI/EOI markers. Appends fatal problems with
// modality "image" / "velodyne". A .pcd gets quick_check_pcd (header and size); a .pcd ignored
// for a .bin of the same id is a warning. A NaN point or a corrupt deflate stream inside a
// complete PNG is found only by the full loaders (load_frame, read_scan).
void quick_check_media(const FrameFiles& files, std::vector<Problem>& out);

// Loads annotations for all frames using `threads` workers (0 = hardware concurrency), plus
// quick_check_media() on each frame, so that a ranking sees broken images and scans.
// progress(done, total) may be called from worker threads. When *cancel becomes true the workers
// stop after the chunk in hand (~16 frames) and the frames not read stay default (empty id):
// callers that cancel discard the result.
std::vector<FrameAnnotations> load_all_annotations(
    const DatasetIndex& ds, bool with_calib = false, unsigned threads = 0,
    const std::function<void(std::size_t, std::size_t)>& progress = {},
    const std::atomic<bool>* cancel = nullptr);

}  // namespace needle
