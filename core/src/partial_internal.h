// partial_internal.h — the record layer of the partial files (needle/partial.h): writing records
// to a temporary file renamed at the end, opening a file and indexing its records, reading one
// record back with its checksum verified. Internal to core (partial*.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cache_file.h"
#include "needle/partial.h"

namespace needle::partial_detail {

// Record tags: four ASCII characters read as a little-endian u32.
constexpr std::uint32_t tag_of(const char (&s)[5]) {
  return std::uint32_t(std::uint8_t(s[0])) | std::uint32_t(std::uint8_t(s[1])) << 8 |
         std::uint32_t(std::uint8_t(s[2])) << 16 | std::uint32_t(std::uint8_t(s[3])) << 24;
}
inline constexpr std::uint32_t kHead = tag_of("HEAD");
inline constexpr std::uint32_t kFrames = tag_of("FRMS");
inline constexpr std::uint32_t kEvalChunk = tag_of("EVCH");
inline constexpr std::uint32_t kTail = tag_of("TAIL");

// Frames per FRMS record: the unit a FrameSource-shaped reader decodes at a time.
inline constexpr std::size_t kFramesPerRecord = 256;

// Writes a partial file: magic, version, kind, then records; commit() renames the temporary file
// onto `path` (a killed map step leaves no half file under the final name).
class PartialWriter {
 public:
  PartialWriter(const std::filesystem::path& path, PartialKind kind);
  ~PartialWriter();
  void record(std::uint32_t tag, const std::string& payload);
  void commit();
  std::size_t records() const { return records_; }

 private:
  std::filesystem::path path_, tmp_;
  std::ofstream out_;
  std::size_t records_ = 0;
  bool committed_ = false;
};

struct RecordRef {
  std::uint32_t tag = 0;
  std::uint64_t offset = 0;  // of the payload
  std::uint64_t length = 0;
  std::uint64_t first = 0, count = 0;  // FRMS: frames [first, first + count) of the part
};

// One opened part: header and tail decoded (checksums verified), body records indexed.
struct PartFile {
  std::filesystem::path path;
  PartialHeader header;
  std::vector<RecordRef> body;  // FRMS / EVCH records in file order
  std::string tail;             // TAIL payload after its common fields
  std::uint64_t frames = 0;     // frames written (TAIL)
};
PartFile open_part(const std::filesystem::path& path);
// The payload of `r`, checksum verified (PartialError naming the file otherwise).
std::string read_payload(const PartFile& f, const RecordRef& r);

// The TAIL's common fields come first (records before it, frames); kind-specific bytes follow.
std::string tail_payload(std::uint64_t records, std::uint64_t frames, const std::string& extra);
std::string header_payload(const PartialHeader& h);

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what);

}  // namespace needle::partial_detail

namespace needle {
struct PartialSet::Impl {
  PartialKind kind = PartialKind::Rank;
  std::vector<partial_detail::PartFile> parts;  // by shard index
  std::size_t total = 0;
};
}  // namespace needle
