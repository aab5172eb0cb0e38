// Running the real `needle view` in end-to-end tests: on a private Xvfb (with_xvfb.sh), with GL
// errors fatal and the layout JSON (--print-layout) collected per screenshot. Shared by the
// viewer's e2e test files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace needle::test {

// Skips the test (a FAILURE under CI) when Xvfb is missing; call before the first assertion.
inline bool have_xvfb() {
  static const bool ok = std::system("command -v Xvfb >/dev/null 2>&1") == 0;
  return ok || skip_or_fail("Xvfb not installed");
}

struct ViewRun {
  int code = -1;
  std::string output;
  std::vector<nlohmann::json> layouts;  // one per screenshot, in order
};

// Runs `needle view ARGS` in `tmp` (its own XDG config folder) under Xvfb.
inline ViewRun run_view(const std::string& args, const std::filesystem::path& tmp) {
  ViewRun r;
  const std::string cmd = "cd '" + tmp.string() + "' && XDG_CONFIG_HOME='" +
                          (tmp / "config").string() + "' '" + std::string(NEEDLE_SOURCE_DIR) +
                          "/tests/support/with_xvfb.sh' '" + needle_binary() + "' view " + args +
                          " --check-gl --print-layout -";
  r.code = run_command(cmd, &r.output);
  std::istringstream in(r.output);
  const std::string tag = "NEEDLE-LAYOUT ";
  for (std::string line; std::getline(in, line);)
    if (line.rfind(tag, 0) == 0) r.layouts.push_back(nlohmann::json::parse(line.substr(tag.size())));
  return r;
}

}  // namespace needle::test
