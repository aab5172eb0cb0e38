#include "support/test_support.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <catch2/catch.hpp>

namespace needle::test {

std::optional<std::filesystem::path> kitti_dir() {
  const char* env = std::getenv("NEEDLE_KITTI_DIR");
  std::filesystem::path p =
      env && *env ? std::filesystem::path(env) : std::filesystem::path(NEEDLE_KITTI_DEFAULT);
  if (std::filesystem::is_directory(p / "training")) return p;
  const char* req = std::getenv("NEEDLE_REQUIRE_KITTI");
  if (req && std::string(req) == "1") {
    FAIL("KITTI sample folder not found at "
         << p.string() << " and NEEDLE_REQUIRE_KITTI=1 (set NEEDLE_KITTI_DIR)");
  }
  std::printf("NEEDLE-SKIPPED: KITTI sample folder not found at %s (set NEEDLE_KITTI_DIR)\n",
              p.string().c_str());
  return std::nullopt;
}

std::filesystem::path temp_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  std::filesystem::path p =
      std::filesystem::path(NEEDLE_TEST_TMP) / (tag + "_" + std::to_string(counter++) + "_" +
                                                std::to_string(static_cast<long>(std::rand())));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

std::string needle_binary() {
  return NEEDLE_BINARY;
}

int run_command(const std::string& cmd, std::string* output) {
  // A subshell, so that a redirection of stderr inside `cmd` (2>/dev/null) takes effect.
  std::string full = "(" + cmd + ") 2>&1";
  FILE* f = popen(full.c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  std::string out;
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int st = pclose(f);
  if (output) *output = out;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void write_file(const std::filesystem::path& p, const std::string& text) {
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::ofstream o(p, std::ios::binary);
  o << text;
}

Calib simple_calib() {
  Calib c;
  for (auto& p : c.P) p = {720, 0, 620, 0, 0, 720, 180, 0, 0, 0, 1, 0};
  c.R0_rect = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  c.Tr_velo_to_cam = {0, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0};
  c.Tr_imu_to_velo = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
  return c;
}

}  // namespace needle::test
