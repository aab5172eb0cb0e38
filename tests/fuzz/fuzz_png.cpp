// Fuzzes decode_image and image_size (PNG/JPEG through stb_image). Invariants: either ParseError,
// or an image whose size matches the header's and whose RGB buffer is width*height*3 bytes.
#include <cstdint>

#include "fuzz_common.h"
#include "needle/kitti_io.h"

using namespace needle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_view(data, size);
  std::array<int, 2> wh{-1, -1};
  try {
    wh = image_size(bytes, "fuzz.png");
    NEEDLE_FUZZ_ASSERT(wh[0] > 0 && wh[1] > 0);
  } catch (const ParseError& e) {
    fuzz::check_error(e, "fuzz.png");
  }
  try {
    const Image img = decode_image(bytes, "fuzz.png");
    NEEDLE_FUZZ_ASSERT(img.width == wh[0] && img.height == wh[1]);  // decodable => header readable
    NEEDLE_FUZZ_ASSERT(img.rgb.size() == static_cast<std::size_t>(img.width) *
                                             static_cast<std::size_t>(img.height) * 3);
  } catch (const ParseError& e) {
    fuzz::check_error(e, "fuzz.png");
  }
  return 0;
}
