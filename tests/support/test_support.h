// Shared helpers for the Catch2 tests.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "needle/calib.h"

namespace needle::test {

// A simple KITTI-like calibration for hand-built frames: f = 720 px, principal point (620, 180),
// velodyne x forward / y left / z up = camera z / -x / -y, no rectification, no offsets.
Calib simple_calib();

// Skipping (the only way a test may skip; see the listener in test_support.cpp):
//  * A test skips by calling skip_or_fail(reason) BEFORE its first assertion and returning when
//    it gives false. The test process then exits with kSkipReturnCode (ctest's SKIP_RETURN_CODE)
//    unless an assertion failed, so a failure is never reported as a skip.
//  * skip_or_fail() after an assertion is itself a FAILURE (a test that already checked something
//    must not vanish).
//  * Under CI (env CI set, not "0"/"false") or NEEDLE_REQUIRE_KITTI=1 every skip is a FAILURE:
//    a missing KITTI sample, Xvfb or needle binary fails the test instead.
// Prints "NEEDLE-SKIPPED: <reason>" when it skips.
constexpr int kSkipReturnCode = 77;
bool skip_or_fail(const std::string& reason);
// Whether skipping is forbidden (CI or NEEDLE_REQUIRE_KITTI=1).
bool skips_forbidden();

// The KITTI sample folder: $NEEDLE_KITTI_DIR, default ../shared/kitti next to the source tree.
// When absent: skip_or_fail() (skipped locally, a FAILURE under CI) and nullopt.
std::optional<std::filesystem::path> kitti_dir();

// A fresh, empty temporary folder under the build tree, unique per call.
std::filesystem::path temp_dir(const std::string& tag);

// Path of the built `needle` executable. When it does not exist: skip_or_fail() (the calling test
// is skipped locally, FAILS under CI, and fails anyway when it had asserted something).
std::string needle_binary();

// Runs a shell command, returns its exit status; stdout+stderr captured into *output if given.
int run_command(const std::string& cmd, std::string* output = nullptr);

// Writes text to a file, creating parent folders.
void write_file(const std::filesystem::path& p, const std::string& text);

}  // namespace needle::test

// Use at the top of a test: NEEDLE_KITTI_OR_SKIP(kitti); then `kitti` is the folder path.
#define NEEDLE_KITTI_OR_SKIP(var)                     \
  const auto var##_opt = ::needle::test::kitti_dir(); \
  if (!var##_opt) return;                             \
  const std::filesystem::path var = *var##_opt
