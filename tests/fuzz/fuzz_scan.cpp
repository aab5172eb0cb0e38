// Fuzzes parse_scan on PCD (header parser + PCL's body decoders) and KITTI .bin bytes, with a
// calibration so that the field-of-view check runs too. Invariants: nothing throws; usable iff
// the cloud has points; every kept point is finite and within kScanMaxRangeM; an unusable scan
// has a fatal problem; every problem names the file, says "velodyne" and prints cleanly.
#include <cmath>
#include <cstdint>

#include "fuzz_common.h"
#include "needle/scan_io.h"

using namespace needle;

namespace {

Calib fuzz_calib() {
  Calib c;
  for (auto& p : c.P) p = {720, 0, 620, 0, 0, 720, 180, 0, 0, 0, 1, 0};
  c.R0_rect = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  c.Tr_velo_to_cam = {0, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0};
  c.Tr_imu_to_velo = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
  return c;
}

void check(const ScanRead& r, const std::string& file) {
  NEEDLE_FUZZ_ASSERT(r.usable == (r.cloud.size() > 0));
  NEEDLE_FUZZ_ASSERT(r.cloud.xyzr.size() == r.cloud.size() * 4);
  bool fatal = false;
  for (const Problem& p : r.problems) {
    fatal = fatal || p.fatal;
    NEEDLE_FUZZ_ASSERT(p.modality == "velodyne");
    NEEDLE_FUZZ_ASSERT(p.file == file);
    NEEDLE_FUZZ_ASSERT(!p.message.empty());
    for (char c : p.to_string())
      NEEDLE_FUZZ_ASSERT(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  }
  if (!r.usable) NEEDLE_FUZZ_ASSERT(fatal);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Calib calib = fuzz_calib();
  const std::string_view bytes = fuzz::as_view(data, size);
  for (ScanFormat f : {ScanFormat::Pcd, ScanFormat::KittiBin}) {
    const std::string file = f == ScanFormat::Pcd ? "fuzz.pcd" : "fuzz.bin";
    const ScanRead r = parse_scan(bytes, file, f, &calib);
    check(r, file);
    for (std::size_t i = 0; i < r.cloud.size(); ++i) {
      const float* p = &r.cloud.xyzr[4 * i];
      for (int k = 0; k < 4; ++k) NEEDLE_FUZZ_ASSERT(std::isfinite(p[k]));
      NEEDLE_FUZZ_ASSERT(std::sqrt(double{p[0]} * p[0] + double{p[1]} * p[1] +
                                   double{p[2]} * p[2]) <= kScanMaxRangeM);
    }
  }
  const ScanRead raw = parse_pcd(bytes, "fuzz.pcd");
  NEEDLE_FUZZ_ASSERT(raw.usable == (raw.cloud.size() > 0));
  return 0;
}
