// needle/partial.h — exact sharding of `needle rank` and `needle eval`: the map step's partial
// files and their merge (the reduce step).
//
// A shard `I/N` (I in 0..N-1, numbered from 0 as Slurm array task ids are) covers the frames
// [floor(I*T/N), floor((I+1)*T/N)) of the T frames of the scanned dataset, in the dataset's frame
// order. The map step writes what the whole run needs of those frames to a partial file; the
// merge reads every part of one run (in any order) and produces exactly the single run's output.
//
// Partial file, format version kPartialFormatVersion (integers and doubles as in memory, i.e.
// little-endian on every platform needle builds for; strings as u32 length + bytes):
//   8 bytes  magic "NDLPART1"
//   u32      format version
//   u32      kind (1 rank, 2 eval)
//   records  u32 tag, u64 payload length, payload, u64 FNV-1a 64 of the payload
//     "HEAD"   once, first: the header (PartialHeader below)
//     "FRMS"   rank: a run of frames: u32 count, per frame its FrameAnnotations as loaded (every
//              field, doubles bit-exact), u8 lidar flag and, when the lidar takes part, the
//              frame's lidar pass result in the lidar cache's codec
//     "EVCH"   eval: a run of frames as the devkit needs them (per class: ground truth, detections
//              and the overlaps above the class's minimum), plus the counts of the run
//     "TAIL"   once, last: records before it, frames written, and the run's summed statistics
// A file without its TAIL, with a record running past the end, or whose checksum differs is
// refused with a message naming it.
//
// Identity: the dataset as given (DATASET argument and the scanned root, which is what the
// output's summary.dataset shows), a fingerprint of the whole index (FNV-1a of every frame id,
// every prediction set's name and folder and the label file count) and the frame count; every
// shard of one dataset carries the same. Options: what changes the result (rank: method,
// evidence, compare, min-score; eval: the prediction set), as "key=value" lines. Merging parts
// whose identity or options differ, a missing shard, a duplicate one, or parts of another N is
// an error naming the files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "needle/dataset.h"
#include "needle/eval.h"
#include "needle/lidar.h"
#include "needle/lidar_pass.h"
#include "needle/pipeline.h"

namespace needle {

inline constexpr std::uint32_t kPartialFormatVersion = 1;

// A partial file that cannot be used, or parts that do not belong together. what() names the
// file(s).
class PartialError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ShardSpec {
  std::size_t index = 0, count = 1;  // I, N: 0 <= I < N
};
// "I/N" with 0 <= I < N (N >= 1). Throws std::invalid_argument with a message for the user.
ShardSpec parse_shard_spec(const std::string& text);
// Frames [first, second) of shard `s` among `total` frames.
std::pair<std::size_t, std::size_t> shard_range(const ShardSpec& s, std::size_t total);

enum class PartialKind : std::uint32_t { Rank = 1, Eval = 2 };

struct DatasetIdentity {
  std::string dataset_arg;  // DATASET as given on the command line
  std::string root;         // DatasetIndex::root as a string (summary.dataset)
  std::uint64_t fingerprint = 0;
  std::uint64_t frames = 0;                  // frames of the whole index
  std::uint64_t label_files = 0;             // DatasetIndex::label_files
  std::vector<PredictionSetSpec> pred_sets;  // the sets read, as scanned (name, folder)
};
// The identity of `ds` (the index the run reads), with `dataset_arg` as given.
DatasetIdentity dataset_identity(const DatasetIndex& ds, const std::string& dataset_arg);

struct PartialHeader {
  PartialKind kind = PartialKind::Rank;
  DatasetIdentity identity;
  std::vector<std::string> options;  // "key=value", in a fixed order
  ShardSpec shard;
  std::uint64_t begin = 0, end = 0;  // frames [begin, end) of the index
};

// ---- rank --------------------------------------------------------------------------------------

// The options of a rank run as header lines, and back (throws PartialError on lines it cannot
// read). The min-score is kept bit-exact (hexadecimal floating point).
std::vector<std::string> rank_option_lines(const PipelineOptions& opt);
PipelineOptions rank_options_from_lines(const std::vector<std::string>& lines);

struct RankMapStats {
  std::size_t frames = 0;
  std::size_t begin = 0, end = 0;  // the shard's frames [begin, end) (write_rank_partial)
  LidarPassStats lidar;
  bool lidar_ran = false;  // the lidar takes part (the partial holds lidar results)
};

// The map step of `needle rank --shard`: loads frames of shard `shard` of `ds` exactly as
// run_pipeline does (calibration, quick media checks), runs the lidar pass over them when the
// lidar takes part (cached as usual) and writes the partial file `out` (atomically). Throws
// PartialError (options it cannot honour, an unwritable file). progress: "loading", "lidar".
RankMapStats write_rank_partial(const DatasetIndex& ds, const std::string& dataset_arg,
                                const PipelineOptions& opt, const ShardSpec& shard,
                                const std::filesystem::path& out,
                                const PipelineProgress& progress = {});

// ---- the set of parts of one run -------------------------------------------------------------

// The validated parts of one run, ordered by shard. Frames are read on demand, in chunks: at no
// time does it hold more than the frames asked for.
class PartialSet {
 public:
  // Opens every file, checks each one's structure and header, and that they are the N parts of
  // one run of `kind` (same identity, options and N; none missing, none twice). Throws
  // PartialError naming the files.
  static PartialSet open(const std::vector<std::filesystem::path>& files, PartialKind kind);
  PartialSet(PartialSet&&) noexcept;
  PartialSet& operator=(PartialSet&&) noexcept;
  ~PartialSet();

  const PartialHeader& header() const;  // the first part's (identity and options are shared)
  std::size_t size() const;             // frames of the whole run
  // Rank: frames [begin, end) of the whole run, decoded (checksums verified); their lidar pass
  // results appended to *lidar when given and the lidar takes part. FrameSource-shaped: the
  // streaming engine can call it chunk by chunk. Throws PartialError.
  std::vector<FrameAnnotations> load_frames(std::size_t begin, std::size_t end,
                                            std::vector<FrameLidar>* lidar = nullptr) const;
  // Rank: the summed map statistics of every part.
  RankMapStats rank_stats() const;
  // A DatasetIndex carrying the identity: root, prediction sets, label file count; no frames
  // (they come from load_frames) and no file paths.
  DatasetIndex index() const;
  // Eval: the summed counts of every part.
  EvalRunCounts eval_counts() const;

  struct Impl;  // core/src/partial_internal.h
  const Impl& impl() const { return *impl_; }

 private:
  explicit PartialSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The reduce step of `needle rank --merge`: the pipeline on the merged frames (see
// run_pipeline_on_frames). opt carries the partials' options plus the caller's post_rank.
PipelineResult merge_rank_partials(const PartialSet& parts, const PipelineOptions& opt,
                                   const PipelineProgress& progress = {});

// ---- eval --------------------------------------------------------------------------------------

// The map step of `needle eval --shard`: the frames of shard `shard` with a prediction file of
// set 0 of `ds`, loaded and filtered as load_eval_dataset does, prepared for the devkit and
// written to `out`. Throws PartialError.
EvalRunCounts write_eval_partial(const DatasetIndex& ds, const std::string& dataset_arg,
                                 const ShardSpec& shard, const std::filesystem::path& out,
                                 unsigned threads = 0, const PipelineProgress& progress = {});

// The reduce step of `needle eval --merge`: the streaming evaluation's two passes over the
// parts' records. Same report as evaluate_kitti on the whole run's frames.
EvalReport merge_eval_partials(const PartialSet& parts, EvalRunCounts& counts,
                               const EvalOptions& opt = {}, const PipelineProgress& progress = {});

}  // namespace needle
