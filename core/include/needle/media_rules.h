// needle/media_rules.h — the sanity rules that decide that a camera image or a lidar scan is
// invalid data, in one place. Two readers apply them: the dataset's quick checks
// (quick_check_media in dataset.cpp: file sizes and headers, no decoding, every frame at scan
// time) and the full loaders (decode_image / parse_velodyne in kitti_io.cpp, when a frame is
// opened). A file the quick checks pass can still fail to decode; a file they reject is never
// decoded. Calibration files have no quick check: parse_calib's field rules are their sanity rules.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace needle::media {

// ---- Lidar scans (KITTI .bin) ----------------------------------------------------------------
// A point is four little-endian float32: x, y, z, reflectance (KITTI devkit, readme of the
// velodyne data). A scan file is a non-empty whole number of points.
constexpr std::uint64_t kVelodynePointBytes = 16;
constexpr bool velodyne_size_ok(std::uint64_t bytes) {
  return bytes != 0 && bytes % kVelodynePointBytes == 0;
}

// ---- Images (PNG, JPEG) ----------------------------------------------------------------------
// The PNG signature (PNG specification, section 5.2).
inline constexpr std::array<unsigned char, 8> kPngSignature = {0x89, 'P',  'N',  'G',
                                                               '\r', '\n', 0x1a, '\n'};
// A PNG chunk: 4-byte length, 4-byte type, data, 4-byte CRC (PNG spec 5.3); IHDR's data is 13
// bytes and comes first (5.6, 11.2.2).
constexpr std::uint64_t kPngChunkOverhead = 12;
constexpr std::uint32_t kPngIhdrLength = 13;
// Smallest possible PNG: signature + IHDR chunk (12 + 13) + IEND chunk (12).
constexpr std::uint64_t kMinPngBytes = 8 + kPngChunkOverhead + kPngIhdrLength + kPngChunkOverhead;
// JPEG: starts with SOI (FF D8) then a marker (FF), ends with EOI (FF D9) (ITU T.81, B.1.1.3).
inline constexpr std::array<unsigned char, 3> kJpegStart = {0xFF, 0xD8, 0xFF};
inline constexpr std::array<unsigned char, 2> kJpegEnd = {0xFF, 0xD9};
// Below this many bytes a file cannot hold an image header worth reading.
constexpr std::uint64_t kMinImageFileBytes = 16;
// KITTI images are ~1242x375; anything beyond these is corrupt or not a camera frame, and
// decoding it could allocate gigabytes.
constexpr int kMaxImageSide = 16384;
constexpr long long kMaxImagePixels = 40'000'000;

inline bool starts_with_bytes(std::string_view bytes, const unsigned char* sig, std::size_t n) {
  if (bytes.size() < n) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (static_cast<unsigned char>(bytes[i]) != sig[i]) return false;
  return true;
}
inline bool has_png_signature(std::string_view bytes) {
  return starts_with_bytes(bytes, kPngSignature.data(), kPngSignature.size());
}
// The full three-byte start (SOI + marker) that the decoder requires.
inline bool has_jpeg_signature(std::string_view bytes) {
  return starts_with_bytes(bytes, kJpegStart.data(), kJpegStart.size());
}
// Decoded size within the limits above.
constexpr bool image_size_ok(int w, int h) {
  return w > 0 && h > 0 && w <= kMaxImageSide && h <= kMaxImageSide &&
         static_cast<long long>(w) * h <= kMaxImagePixels;
}

}  // namespace needle::media
