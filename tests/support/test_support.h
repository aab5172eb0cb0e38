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

// The KITTI sample folder: $NEEDLE_KITTI_DIR, default ../shared/kitti next to the source tree.
// When absent: if $NEEDLE_REQUIRE_KITTI=1 the calling test FAILs; otherwise it prints
// "NEEDLE-SKIPPED: <reason>" (ctest reports the test as skipped) and returns nullopt.
std::optional<std::filesystem::path> kitti_dir();

// A fresh, empty temporary folder under the build tree, unique per call.
std::filesystem::path temp_dir(const std::string& tag);

// Path of the built `needle` executable.
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
