// The dataset argument of the subcommands that rank or analyse a whole dataset (rank, report,
// lidar): index it, or say on stderr why not, in the one wording those commands share.
#pragma once

#include <filesystem>
#include <vector>

#include "needle/dataset.h"

namespace needle::cli {

// scan_dataset(root, specs) into `out`. On an unreadable dataset or one with no frames, prints
// "<command>: <reason>" on stderr and returns false (the caller exits with status 1).
bool open_dataset(const char* command, const std::filesystem::path& root,
                  const std::vector<PredictionSetSpec>& specs, DatasetIndex& out);

}  // namespace needle::cli
