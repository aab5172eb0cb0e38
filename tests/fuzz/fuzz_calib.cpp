// Fuzzes parse_calib and format_calib. Invariants: either ParseError, or a calibration whose 93
// numbers are finite and survive format_calib -> parse_calib to 12 significant digits.
#include <cstdint>

#include "fuzz_common.h"
#include "needle/kitti_io.h"

using namespace needle;

namespace {

template <std::size_t N>
void check_close(const std::array<double, N>& a, const std::array<double, N>& b) {
  for (std::size_t i = 0; i < N; ++i) {
    NEEDLE_FUZZ_ASSERT(std::isfinite(a[i]) && std::isfinite(b[i]));
    NEEDLE_FUZZ_ASSERT(std::abs(a[i] - b[i]) <= 1e-11 * std::abs(a[i]) + 1e-300);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Calib c;
  try {
    c = parse_calib(fuzz::as_view(data, size), "fuzz.txt");
  } catch (const ParseError& e) {
    fuzz::check_error(e, "fuzz.txt");
    return 0;
  }
  Calib r;
  try {
    r = parse_calib(format_calib(c), "roundtrip.txt");
  } catch (const ParseError& e) {
    std::fprintf(stderr, "format_calib output does not parse: %s\n", e.what());
    std::abort();
  }
  for (std::size_t k = 0; k < 4; ++k) check_close(c.P[k], r.P[k]);
  check_close(c.R0_rect, r.R0_rect);
  check_close(c.Tr_velo_to_cam, r.Tr_velo_to_cam);
  check_close(c.Tr_imu_to_velo, r.Tr_imu_to_velo);
  return 0;
}
