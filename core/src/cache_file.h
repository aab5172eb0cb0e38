// cache_file.h — the pieces the on-disk caches (the lidar pass's, core/src/lidar/lidar_pass.cpp,
// and find-similar's, core/src/similar/space.cpp) share: the FNV-1a hash, the per-dataset key,
// a little-endian-as-in-memory byte codec, whole-file reads and atomic writes. Internal to core.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace needle::cache_file {

// FNV-1a 64-bit (offset basis and prime from the FNV reference).
inline std::uint64_t fnv1a(const void* data, std::size_t n,
                           std::uint64_t h = 1469598103934665603ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

// The hex FNV-1a of the dataset's absolute, canonical path: one cache (folder) per dataset.
inline std::string dataset_key(const std::filesystem::path& root) {
  std::error_code ec;
  const std::filesystem::path abs =
      std::filesystem::weakly_canonical(std::filesystem::absolute(root, ec), ec);
  const std::string s = abs.string();
  char b[32];
  std::snprintf(b, sizeof b, "%016llx",
                static_cast<unsigned long long>(fnv1a(s.data(), s.size())));
  return b;
}

class Writer {
 public:
  template <typename T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    buf_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(const std::string& s) {
    pod(static_cast<std::uint32_t>(s.size()));
    buf_.append(s);
  }
  void vec(const std::vector<float>& v) {
    pod(static_cast<std::uint32_t>(v.size()));
    buf_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  }
  const std::string& data() const { return buf_; }
  std::string take() { return std::move(buf_); }

 private:
  std::string buf_;
};

// Every read checks the bounds; false means a short or corrupt file (the caller recomputes).
class Reader {
 public:
  explicit Reader(std::string_view s) : buf_(s) {}
  template <typename T>
  bool pod(T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (pos_ + sizeof v > buf_.size()) return false;
    std::memcpy(&v, buf_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return true;
  }
  bool str(std::string& s) {
    std::uint32_t n = 0;
    if (!pod(n) || pos_ + n > buf_.size()) return false;
    s.assign(buf_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool vec(std::vector<float>& v, std::size_t max_n) {
    std::uint32_t n = 0;
    if (!pod(n) || n > max_n || pos_ + std::size_t(n) * sizeof(float) > buf_.size()) return false;
    v.resize(n);
    // An empty vector's data() may be null, which memcpy must never get, even for zero bytes.
    if (n > 0) std::memcpy(v.data(), buf_.data() + pos_, std::size_t(n) * sizeof(float));
    pos_ += std::size_t(n) * sizeof(float);
    return true;
  }
  bool done() const { return pos_ == buf_.size(); }
  std::size_t remaining() const { return buf_.size() - pos_; }

 private:
  std::string_view buf_;  // not owned
  std::size_t pos_ = 0;
};

inline bool read_whole(const std::filesystem::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

// Written to a temporary name (process and thread in it: parallel writers never share one), then
// renamed: readers see the old file or the new one, never half of one. False when not written.
inline bool write_atomic(const std::filesystem::path& p, const std::string& bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ostringstream tmp_name;
  tmp_name << p.filename().string() << ".tmp." << ::getpid() << "." << std::this_thread::get_id();
  const fs::path tmp = p.parent_path() / tmp_name.str();
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      out.close();
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, p, ec);
  if (ec) fs::remove(tmp, ec);
  return !ec;
}

}  // namespace needle::cache_file
