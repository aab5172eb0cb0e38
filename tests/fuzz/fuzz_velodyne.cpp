// Fuzzes parse_velodyne. Invariants: either ParseError, or size()*16 == input size with every
// value finite.
#include <cstdint>

#include "fuzz_common.h"
#include "needle/kitti_io.h"

using namespace needle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const PointCloud pc = parse_velodyne(fuzz::as_view(data, size), "fuzz.bin");
    NEEDLE_FUZZ_ASSERT(pc.size() * 16 == size);
    NEEDLE_FUZZ_ASSERT(pc.xyzr.size() == pc.size() * 4);
    for (float v : pc.xyzr) NEEDLE_FUZZ_ASSERT(std::isfinite(v));
  } catch (const ParseError& e) {
    fuzz::check_error(e, "fuzz.bin");
  }
  return 0;
}
