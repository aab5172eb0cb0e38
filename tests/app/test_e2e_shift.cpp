// End-to-end test of training vs production in the viewer (issue 12 §3): `needle view PROD
// --reference TRAIN` on a private Xvfb computes the shift report in the background; a script waits
// for it, orders the frame list by novelty (opening the most novel frame), picks the brightness
// histogram and takes a screenshot. The layout report's novelty order must put the demo's shifted
// frames (injected.json "shifts") first.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "needle/demo.h"
#include "support/test_support.h"
#include "support/viewer_run.h"

namespace fs = std::filesystem;

TEST_CASE("e2e shift: novelty order and the Shift window against a reference", "[e2e][shift]") {
  if (!needle::test::have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_shift");
  needle::DemoOptions o;
  o.frames = 40;
  o.seed = 31;
  o.threads = 2;
  needle::generate_demo(tmp / "train", o);
  o.frames = 30;
  o.seed = 32;
  o.shifts = {"dark", "sparse", "camera"};
  o.shift_fraction = 0.3;
  needle::generate_demo(tmp / "prod", o);
  std::vector<needle::InjectedShift> shifts;
  needle::read_injected(tmp / "prod" / "injected.json", &shifts);
  REQUIRE(shifts.size() == 9);

  needle::test::write_file(tmp / "shift.txt",
                           "order novelty\n"
                           "wait-loaded\n"
                           "shift attribute brightness\n"
                           "wait-frames 10\n"
                           "screenshot shift.png\n"
                           "quit\n");
  std::string args = "'";
  args.append((tmp / "prod").string()).append("' --reference '");
  args.append((tmp / "train").string()).append("' --script '");
  args.append((tmp / "shift.txt").string()).append("'");
  const auto run = needle::test::run_view(args, tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(fs::exists(tmp / "shift.png"));
  REQUIRE(run.layouts.size() == 1);
  const nlohmann::json& layout = run.layouts[0];
  REQUIRE(layout.contains("shift"));
  const auto& order = layout["shift"]["order"];
  REQUIRE(order.size() == 10);
  std::set<std::string> shifted;
  for (const auto& s : shifts) shifted.insert(s.frame);
  // The nine shifted frames are the nine most novel.
  for (std::size_t i = 0; i < 9; ++i) CHECK(shifted.count(order[i].get<std::string>()) == 1);
  CHECK(shifted.count(order[9].get<std::string>()) == 0);
  // The most novel frame is open, with its reason.
  CHECK(layout["shift"]["reason"].get<std::string>().size() > 0);
}
