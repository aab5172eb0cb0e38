// The sharding options of `needle rank` and `needle eval` (issue 13 §2; needle/partial.h):
//   --shard I/N --partial-out FILE   the map step over shard I (0-based) of N
//   --merge FILE...                  the reduce step: exactly the output of a single run
// With --merge the dataset and the options that change the result come from the partial files:
// giving them again is a usage error (they could disagree with the files).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "needle/dataset.h"
#include "needle/partial.h"
#include "needle/pipeline.h"

namespace needle::cli {

struct ShardOptions {
  std::string shard;        // "I/N"
  std::string partial_out;  // FILE
  std::vector<std::string> merge;
  bool map() const { return !shard.empty(); }
  bool merging() const { return !merge.empty(); }
};

// Registers --shard, --partial-out and --merge on `app`.
void add_shard_options(CLI::App& app, ShardOptions& o);

// After parsing: "" when the combination is fine, else a usage message. `result_options` are the
// option names that change the result (refused with --merge); DATASET is required unless merging.
std::string check_shard_options(const CLI::App& app, const ShardOptions& o,
                                const std::string& dataset,
                                const std::vector<std::string>& result_options);

// ---- needle rank ------------------------------------------------------------------------------
// The map step on an opened dataset; prints a one-line summary on stderr. Returns the exit code.
int rank_map_step(const DatasetIndex& ds, const std::string& dataset_arg,
                  const PipelineOptions& opt, const ShardOptions& o);
// Opens the parts (`parts`), takes their options into `opt` (threads and caches kept) and their
// identity into `ds`. Returns 0, or the exit code after printing why on stderr.
int rank_merge_open(const ShardOptions& o, std::optional<PartialSet>& parts, PipelineOptions& opt,
                    DatasetIndex& ds);
// The reduce step; the review store's verdicts (store_path, else the dataset's own store) are
// applied as a single run applies them, to the objects of the partial files.
PipelineResult rank_merge_run(const PartialSet& parts, PipelineOptions opt,
                              const std::string& store_path, bool show_suppressed,
                              const PipelineProgress& progress);

// ---- needle eval ------------------------------------------------------------------------------
int eval_map_step(const DatasetIndex& ds, const std::string& dataset_arg, unsigned threads,
                  const ShardOptions& o);

}  // namespace needle::cli
