#include "cli/open_dataset.h"

#include <cstdio>
#include <exception>

namespace needle::cli {

bool open_dataset(const char* command, const std::filesystem::path& root,
                  const std::vector<PredictionSetSpec>& specs, DatasetIndex& out) {
  try {
    out = scan_dataset(root, specs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", command, e.what());
    return false;
  }
  if (out.frames.empty()) {
    std::fprintf(stderr, "%s: no frames found in %s\n", command, out.root.string().c_str());
    return false;
  }
  return true;
}

}  // namespace needle::cli
