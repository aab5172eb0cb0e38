#include "support/test_support.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <unistd.h>

// The listener below needs Catch's reporter interfaces.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

// ============================================================================================
// Skip bookkeeping. A listener counts the assertions of the running test case, so that a skip
// can only be decided before the first one, and sets the process exit status at the end of the
// run: kSkipReturnCode when every test case that ran skipped and nothing failed; otherwise Catch's
// own status (the number of failed assertions, capped at 255; 77 failures become 1 so that they
// cannot read as a skip). ctest runs one test case per process (catch_discover_tests).
// ============================================================================================
namespace {

struct SkipState {
  long assertions_in_case = 0;
  bool case_skipped = false;
  long cases = 0, skipped_cases = 0;
};

SkipState& skip_state() {
  static SkipState s;
  return s;
}

class SkipListener : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseStarting(Catch::TestCaseInfo const& info) override {
    TestEventListenerBase::testCaseStarting(info);
    skip_state().assertions_in_case = 0;
    skip_state().case_skipped = false;
  }
  bool assertionEnded(Catch::AssertionStats const& stats) override {
    ++skip_state().assertions_in_case;
    return TestEventListenerBase::assertionEnded(stats);
  }
  void testCaseEnded(Catch::TestCaseStats const& stats) override {
    ++skip_state().cases;
    if (skip_state().case_skipped) ++skip_state().skipped_cases;
    TestEventListenerBase::testCaseEnded(stats);
  }
  void testRunEnded(Catch::TestRunStats const& stats) override {
    TestEventListenerBase::testRunEnded(stats);
    const SkipState& s = skip_state();
    const auto failed = stats.totals.assertions.failed;
    const bool all_skipped = s.cases > 0 && s.skipped_cases == s.cases;
    if ((failed == 0 && stats.totals.error == 0 && all_skipped) ||
        failed == static_cast<std::uint64_t>(needle::test::kSkipReturnCode)) {
      std::cout.flush();
      std::fflush(stdout);
      std::fflush(stderr);
      std::_Exit(failed == 0 ? needle::test::kSkipReturnCode : 1);
    }
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(SkipListener)

namespace needle::test {

bool skips_forbidden() {
  const char* ci = std::getenv("CI");
  const bool in_ci = ci && *ci && std::string(ci) != "0" && std::string(ci) != "false";
  const char* req = std::getenv("NEEDLE_REQUIRE_KITTI");
  return in_ci || (req && std::string(req) == "1");
}

bool skip_or_fail(const std::string& reason) {
  if (skips_forbidden()) FAIL(reason << " (skips are failures under CI / NEEDLE_REQUIRE_KITTI=1)");
  if (skip_state().assertions_in_case > 0)
    FAIL(reason << " (a skip after " << skip_state().assertions_in_case
                << " assertions: a test decides to skip before its first assertion)");
  skip_state().case_skipped = true;
  std::printf("NEEDLE-SKIPPED: %s\n", reason.c_str());
  std::fflush(stdout);
  return false;
}

std::optional<std::filesystem::path> kitti_dir() {
  const char* env = std::getenv("NEEDLE_KITTI_DIR");
  std::filesystem::path p =
      env && *env ? std::filesystem::path(env) : std::filesystem::path(NEEDLE_KITTI_DEFAULT);
  if (std::filesystem::is_directory(p / "training")) return p;
  skip_or_fail("KITTI sample folder not found at " + p.string() + " (set NEEDLE_KITTI_DIR)");
  return std::nullopt;
}

std::filesystem::path temp_dir(const std::string& tag) {
  // ctest runs test cases as separate processes in parallel: the process id keeps their folders
  // apart (an unseeded rand() gives every process the same sequence).
  static std::atomic<int> counter{0};
  std::filesystem::path p =
      std::filesystem::path(NEEDLE_TEST_TMP) /
      (tag + "_" + std::to_string(static_cast<long>(::getpid())) + "_" +
       std::to_string(counter++));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

std::string needle_binary() {
  const std::string bin = NEEDLE_BINARY;
  if (!std::filesystem::exists(bin)) skip_or_fail("needle binary not built: " + bin);
  return bin;
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
