// Shared by the fuzz targets: a violated invariant aborts, which libFuzzer reports as a crash.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "needle/error.h"

#define NEEDLE_FUZZ_ASSERT(cond)                                                         \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace needle::fuzz {

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A ParseError must name the file it was given and produce a printable message.
inline void check_error(const ParseError& e, const std::string& file) {
  const Problem& p = e.problem();
  NEEDLE_FUZZ_ASSERT(p.file == file);
  NEEDLE_FUZZ_ASSERT(p.fatal);
  NEEDLE_FUZZ_ASSERT(p.line >= 0);
  NEEDLE_FUZZ_ASSERT(!p.message.empty());
  for (char c : p.to_string()) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      std::fprintf(stderr, "non-printable byte in message: %s\n", p.to_string().c_str());
      std::abort();
    }
  }
}

}  // namespace needle::fuzz
