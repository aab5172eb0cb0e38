// partial.cpp — partial files of sharded runs (needle/partial.h): shard specs, the dataset's
// identity, the record layer (partial_internal.h) and the validation of a set of parts.
//
// Index
//   [SECTION] Shards
//   [SECTION] Identity
//   [SECTION] Records: writing
//   [SECTION] Records: reading
//   [SECTION] The set of parts of one run
#include "needle/partial.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>

#include "partial_internal.h"

namespace needle {

namespace fs = std::filesystem;
using cache_file::fnv1a;
using cache_file::Reader;
using cache_file::Writer;

// ============================================================================================
// [SECTION] Shards
// ============================================================================================
ShardSpec parse_shard_spec(const std::string& text) {
  const std::size_t slash = text.find('/');
  auto number = [&](const std::string& s, std::size_t& out) {
    if (s.empty() || s.size() > 9 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    out = static_cast<std::size_t>(std::stoul(s));
    return true;
  };
  ShardSpec s;
  if (slash == std::string::npos || !number(text.substr(0, slash), s.index) ||
      !number(text.substr(slash + 1), s.count))
    throw std::invalid_argument("--shard '" + text + "': expected I/N, e.g. 0/7");
  if (s.count == 0) throw std::invalid_argument("--shard '" + text + "': N must be at least 1");
  if (s.index >= s.count)
    throw std::invalid_argument("--shard '" + text + "': I must lie in 0.." +
                                std::to_string(s.count - 1) + " (shards are numbered from 0)");
  return s;
}

std::pair<std::size_t, std::size_t> shard_range(const ShardSpec& s, std::size_t total) {
  // floor(i * T / N) = i * (T / N) + floor(i * (T % N) / N): no overflow for N < 2^32.
  auto at = [&](std::size_t i) {
    const std::uint64_t q = total / s.count, r = total % s.count;
    return static_cast<std::size_t>(i * q + (static_cast<std::uint64_t>(i) * r) / s.count);
  };
  return {at(s.index), at(s.index + 1)};
}

// ============================================================================================
// [SECTION] Identity
// ============================================================================================
DatasetIdentity dataset_identity(const DatasetIndex& ds, const std::string& dataset_arg) {
  DatasetIdentity id;
  id.dataset_arg = dataset_arg;
  id.root = ds.root.string();
  id.frames = ds.frames.size();
  id.label_files = ds.label_files;
  id.pred_sets = ds.pred_sets;
  std::uint64_t h = fnv1a(nullptr, 0);
  auto add = [&](const std::string& s) {
    h = fnv1a(s.data(), s.size(), h);
    h = fnv1a("", 1, h);  // a separator: ("ab","c") differs from ("a","bc")
  };
  for (const FrameFiles& f : ds.frames) add(f.id);
  for (const PredictionSetSpec& s : ds.pred_sets) {
    add(s.name);
    add(s.dir.string());
  }
  const std::uint64_t n[2] = {id.frames, id.label_files};
  id.fingerprint = fnv1a(n, sizeof n, h);
  return id;
}

namespace partial_detail {

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
  throw PartialError(file.string() + ": " + what);
}

// ============================================================================================
// [SECTION] Records: writing
// ============================================================================================
constexpr char kMagic[8] = {'N', 'D', 'L', 'P', 'A', 'R', 'T', '1'};

PartialWriter::PartialWriter(const fs::path& path, PartialKind kind) : path_(path) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  tmp_ = path;
  tmp_ += ".tmp." + std::to_string(::getpid());
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) fail(path, "cannot write (" + tmp_.string() + ")");
  Writer w;
  w.pod(kMagic);
  w.pod(kPartialFormatVersion);
  w.pod(static_cast<std::uint32_t>(kind));
  out_.write(w.data().data(), static_cast<std::streamsize>(w.data().size()));
}

PartialWriter::~PartialWriter() {
  if (committed_) return;
  out_.close();
  std::error_code ec;
  fs::remove(tmp_, ec);
}

void PartialWriter::record(std::uint32_t tag, const std::string& payload) {
  Writer w;
  w.pod(tag);
  w.pod(static_cast<std::uint64_t>(payload.size()));
  out_.write(w.data().data(), static_cast<std::streamsize>(w.data().size()));
  out_.write(payload.data(), static_cast<std::streamsize>(payload.size()));
  const std::uint64_t sum = fnv1a(payload.data(), payload.size());
  out_.write(reinterpret_cast<const char*>(&sum), sizeof sum);
  if (!out_) fail(path_, "writing failed (disk full?)");
  ++records_;
}

void PartialWriter::commit() {
  out_.close();
  if (!out_) fail(path_, "writing failed (disk full?)");
  std::error_code ec;
  fs::rename(tmp_, path_, ec);
  if (ec) fail(path_, "cannot rename " + tmp_.string() + " onto it: " + ec.message());
  committed_ = true;
}

std::string tail_payload(std::uint64_t records, std::uint64_t frames, const std::string& extra) {
  Writer w;
  w.pod(records);
  w.pod(frames);
  return w.take() + extra;
}

std::string header_payload(const PartialHeader& h) {
  Writer w;
  w.pod(static_cast<std::uint32_t>(h.kind));
  w.str(h.identity.dataset_arg);
  w.str(h.identity.root);
  w.pod(h.identity.fingerprint);
  w.pod(h.identity.frames);
  w.pod(h.identity.label_files);
  w.pod(static_cast<std::uint32_t>(h.identity.pred_sets.size()));
  for (const PredictionSetSpec& s : h.identity.pred_sets) {
    w.str(s.name);
    w.str(s.dir.string());
  }
  w.pod(static_cast<std::uint32_t>(h.options.size()));
  for (const std::string& o : h.options) w.str(o);
  w.pod(static_cast<std::uint64_t>(h.shard.index));
  w.pod(static_cast<std::uint64_t>(h.shard.count));
  w.pod(h.begin);
  w.pod(h.end);
  return w.take();
}

// ============================================================================================
// [SECTION] Records: reading
// ============================================================================================
namespace {

bool decode_header(const std::string& bytes, PartialHeader& h) {
  Reader r(bytes);
  std::uint32_t kind = 0, n = 0;
  std::uint64_t si = 0, sc = 0;
  if (!r.pod(kind) || !r.str(h.identity.dataset_arg) || !r.str(h.identity.root) ||
      !r.pod(h.identity.fingerprint) || !r.pod(h.identity.frames) ||
      !r.pod(h.identity.label_files) || !r.pod(n) || n > r.remaining())
    return false;
  h.kind = static_cast<PartialKind>(kind);
  h.identity.pred_sets.resize(n);
  for (PredictionSetSpec& s : h.identity.pred_sets) {
    std::string dir;
    if (!r.str(s.name) || !r.str(dir)) return false;
    s.dir = dir;
  }
  if (!r.pod(n) || n > r.remaining()) return false;
  h.options.resize(n);
  for (std::string& o : h.options)
    if (!r.str(o)) return false;
  if (!r.pod(si) || !r.pod(sc) || !r.pod(h.begin) || !r.pod(h.end) || !r.done()) return false;
  h.shard = {static_cast<std::size_t>(si), static_cast<std::size_t>(sc)};
  return sc > 0 && si < sc && h.begin <= h.end && h.end <= h.identity.frames;
}

const char* kind_name(PartialKind k) {
  return k == PartialKind::Rank ? "rank" : k == PartialKind::Eval ? "eval" : "unknown";
}

}  // namespace

std::string read_payload(const PartFile& f, const RecordRef& r) {
  std::ifstream in(f.path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(r.length), '\0');
  std::uint64_t sum = 0;
  in.seekg(static_cast<std::streamoff>(r.offset));
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())) ||
      !in.read(reinterpret_cast<char*>(&sum), sizeof sum))
    fail(f.path, "cannot read the record at byte " + std::to_string(r.offset) +
                     " (file changed or truncated since it was opened?)");
  if (sum != fnv1a(bytes.data(), bytes.size()))
    fail(f.path, "corrupt: the checksum of the record at byte " + std::to_string(r.offset) +
                     " differs (the file was damaged after the map step wrote it)");
  return bytes;
}

PartFile open_part(const fs::path& path) {
  PartFile f;
  f.path = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open");
  std::error_code ec;
  const std::uint64_t size = fs::file_size(path, ec);
  if (ec) fail(path, "cannot read its size: " + ec.message());
  char magic[8] = {};
  std::uint32_t version = 0, kind = 0;
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0)
    fail(path, "not a needle partial file (no NDLPART1 magic)");
  if (!in.read(reinterpret_cast<char*>(&version), 4) || !in.read(reinterpret_cast<char*>(&kind), 4))
    fail(path, "truncated (in the file header)");
  if (version != kPartialFormatVersion)
    fail(path, "partial format version " + std::to_string(version) +
                   ", this needle reads version " + std::to_string(kPartialFormatVersion) +
                   " (write the parts again)");
  std::uint64_t pos = 16;
  bool tail_seen = false;
  std::size_t records = 0;
  std::uint64_t frames_indexed = 0;
  while (pos < size) {
    if (tail_seen) fail(path, "corrupt: data after the TAIL record");
    std::uint32_t tag = 0;
    std::uint64_t len = 0;
    in.seekg(static_cast<std::streamoff>(pos));
    if (size - pos < 12 || !in.read(reinterpret_cast<char*>(&tag), 4) ||
        !in.read(reinterpret_cast<char*>(&len), 8))
      fail(path, "truncated (a record header at byte " + std::to_string(pos) + " is cut off)");
    RecordRef r{tag, pos + 12, len, 0, 0};
    if (len > size || r.offset + len + 8 > size)
      fail(path, "truncated (the record at byte " + std::to_string(pos) +
                     " runs past the end of the file)");
    pos = r.offset + len + 8;
    if (records == 0 && tag != kHead) fail(path, "corrupt: the first record is not HEAD");
    if (tag == kHead) {
      if (records != 0) fail(path, "corrupt: a second HEAD record");
      if (!decode_header(read_payload(f, r), f.header))
        fail(path, "corrupt: the header cannot be read");
      if (static_cast<std::uint32_t>(f.header.kind) != kind)
        fail(path, "corrupt: the header's kind differs from the file's");
    } else if (tag == kTail) {
      std::string t = read_payload(f, r);
      Reader rd(t);
      std::uint64_t before = 0;
      if (!rd.pod(before) || !rd.pod(f.frames) || before != records)
        fail(path, "corrupt: the TAIL record does not match the records before it");
      f.tail = t.substr(16);
      tail_seen = true;
    } else if (tag == kFrames || tag == kEvalChunk) {
      if (tag == kFrames) {
        std::uint32_t count = 0;
        in.seekg(static_cast<std::streamoff>(r.offset));
        if (len < 4 || !in.read(reinterpret_cast<char*>(&count), 4))
          fail(path, "corrupt: a FRMS record without its frame count");
        r.first = frames_indexed;
        r.count = count;
        frames_indexed += count;
      }
      f.body.push_back(r);
    } else {
      fail(path, "corrupt: unknown record tag at byte " + std::to_string(r.offset - 12));
    }
    ++records;
  }
  if (!tail_seen) fail(path, "truncated (no TAIL record: the map step did not finish writing it)");
  if (f.header.end - f.header.begin != f.frames)
    fail(path, "corrupt: the TAIL counts " + std::to_string(f.frames) + " frames, the header " +
                   std::to_string(f.header.end - f.header.begin));
  if (f.header.kind == PartialKind::Rank && frames_indexed != f.frames)
    fail(path, "corrupt: the FRMS records hold " + std::to_string(frames_indexed) +
                   " frames, the TAIL counts " + std::to_string(f.frames));
  return f;
}

}  // namespace partial_detail

// ============================================================================================
// [SECTION] The set of parts of one run
// ============================================================================================
namespace {

using partial_detail::PartFile;

std::string shard_name(const ShardSpec& s) {
  return std::to_string(s.index) + "/" + std::to_string(s.count);
}

std::string sets_text(const std::vector<PredictionSetSpec>& sets) {
  std::string s;
  for (const PredictionSetSpec& p : sets)
    s += (s.empty() ? "" : ", ") + p.name + "=" + p.dir.string();
  return s.empty() ? "none" : s;
}

// "" when a and b are parts of the same dataset, else what differs.
std::string identity_difference(const DatasetIdentity& a, const DatasetIdentity& b) {
  if (a.dataset_arg != b.dataset_arg)
    return "dataset '" + a.dataset_arg + "' vs '" + b.dataset_arg + "'";
  if (a.root != b.root) return "dataset root '" + a.root + "' vs '" + b.root + "'";
  if (a.pred_sets.size() != b.pred_sets.size() ||
      !std::equal(a.pred_sets.begin(), a.pred_sets.end(), b.pred_sets.begin(),
                  [](const PredictionSetSpec& x, const PredictionSetSpec& y) {
                    return x.name == y.name && x.dir == y.dir;
                  }))
    return "prediction sets " + sets_text(a.pred_sets) + " vs " + sets_text(b.pred_sets);
  if (a.frames != b.frames)
    return std::to_string(a.frames) + " vs " + std::to_string(b.frames) + " frames";
  if (a.fingerprint != b.fingerprint || a.label_files != b.label_files)
    return "the index fingerprint (frame ids or files changed between the runs)";
  return "";
}

std::string options_difference(const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string x = i < a.size() ? a[i] : "(none)", y = i < b.size() ? b[i] : "(none)";
    if (x != y) return x + " vs " + y;
  }
  return "";
}

}  // namespace

PartialSet::PartialSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PartialSet::PartialSet(PartialSet&&) noexcept = default;
PartialSet& PartialSet::operator=(PartialSet&&) noexcept = default;
PartialSet::~PartialSet() = default;

PartialSet PartialSet::open(const std::vector<fs::path>& files, PartialKind kind) {
  if (files.empty()) throw PartialError("no partial file to merge");
  auto impl = std::make_unique<Impl>();
  impl->kind = kind;
  std::vector<PartFile> parts;
  for (const fs::path& p : files) {
    PartFile f = partial_detail::open_part(p);
    if (f.header.kind != kind)
      partial_detail::fail(p, std::string("a partial file of needle ") +
                                  partial_detail::kind_name(f.header.kind) + ", not of needle " +
                                  partial_detail::kind_name(kind));
    parts.push_back(std::move(f));
  }
  const PartFile& first = parts.front();
  const std::size_t n = first.header.shard.count;
  std::map<std::size_t, const PartFile*> by_shard;
  for (const PartFile& f : parts) {
    const PartialHeader& h = f.header;
    if (std::string d = identity_difference(first.header.identity, h.identity); !d.empty())
      throw PartialError(first.path.string() + " and " + f.path.string() +
                         " are parts of different datasets: " + d);
    if (std::string d = options_difference(first.header.options, h.options); !d.empty())
      throw PartialError(first.path.string() + " and " + f.path.string() +
                         " were run with different options: " + d);
    if (h.shard.count != n)
      throw PartialError(first.path.string() + " is shard " + shard_name(first.header.shard) +
                         " but " + f.path.string() + " is shard " + shard_name(h.shard) +
                         ": parts of runs with different shard counts");
    const auto [b, e] = shard_range(h.shard, static_cast<std::size_t>(h.identity.frames));
    if (h.begin != b || h.end != e)
      partial_detail::fail(f.path, "shard " + shard_name(h.shard) + " should cover frames [" +
                                       std::to_string(b) + ", " + std::to_string(e) +
                                       ") but covers [" + std::to_string(h.begin) + ", " +
                                       std::to_string(h.end) + ")");
    const auto [it, inserted] = by_shard.emplace(h.shard.index, &f);
    if (!inserted)
      throw PartialError("shard " + shard_name(h.shard) +
                         " given twice: " + it->second->path.string() + " and " + f.path.string());
  }
  if (by_shard.size() != n) {
    std::string missing;
    std::size_t listed = 0;
    constexpr std::size_t kListed = 10;  // a readable message even for N = 1000
    for (std::size_t i = 0; i < n; ++i) {
      if (by_shard.count(i)) continue;
      if (listed++ < kListed) {
        const auto [b, e] =
            shard_range({i, n}, static_cast<std::size_t>(first.header.identity.frames));
        missing += (missing.empty() ? "" : ", ") + shard_name({i, n}) + " (frames " +
                   std::to_string(b) + "-" + std::to_string(e) + ")";
      }
    }
    if (listed > kListed) missing += " and " + std::to_string(listed - kListed) + " more";
    throw PartialError("missing shard" + std::string(n - by_shard.size() > 1 ? "s " : " ") +
                       missing + ": " + std::to_string(by_shard.size()) + " of " +
                       std::to_string(n) + " parts given (first: " + first.path.string() + ")");
  }
  impl->total = static_cast<std::size_t>(first.header.identity.frames);
  for (const auto& [i, f] : by_shard) impl->parts.push_back(std::move(*const_cast<PartFile*>(f)));
  return PartialSet(std::move(impl));
}

const PartialHeader& PartialSet::header() const {
  return impl_->parts.front().header;
}

std::size_t PartialSet::size() const {
  return impl_->total;
}

DatasetIndex PartialSet::index() const {
  const DatasetIdentity& id = header().identity;
  DatasetIndex ds;
  ds.root = id.root;
  ds.pred_sets = id.pred_sets;
  ds.label_files = static_cast<std::size_t>(id.label_files);
  return ds;
}

}  // namespace needle
