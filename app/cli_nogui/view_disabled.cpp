// Built when NEEDLE_BUILD_APP=OFF (headless builds): the viewer is not available.
#include <cstdio>

#include "cli/commands.h"

namespace needle::cli {
int cmd_view(int, char**) {
  std::fprintf(stderr, "needle view: this build has no viewer (NEEDLE_BUILD_APP=OFF)\n");
  return 2;
}
}  // namespace needle::cli
