// End-to-end tests of the viewer's review workflow (issue 11 §3): the real `needle view` on a
// private Xvfb drives tags, an issue with triage and verdicts from a script, then `needle review
// --format json` reads the store it wrote; and a second process (the CLI) tags a frame while the
// viewer runs, which the viewer shows without a restart.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "support/viewer_run.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// 'TEXT' for the shell, built by appending (GCC 12 reports a false -Wrestrict on chained
// operator+ that starts with a string literal).
std::string q(const std::string& text) {
  std::string s("'");
  s.append(text).append("'");
  return s;
}

fs::path write_script(const fs::path& dir, const std::string& name, const std::string& text) {
  const fs::path p = dir / name;
  needle::test::write_file(p, text);
  return p;
}

json review_json(const fs::path& demo, const std::string& args) {
  std::string out;
  std::string cmd = q(needle::test::needle_binary());
  cmd.append(" review ").append(q(demo.string())).append(" --format json ").append(args);
  cmd.append(" 2>/dev/null");
  const int code = needle::test::run_command(cmd, &out);
  INFO("needle review " << args << "\n" << out);
  REQUIRE(code == 0);
  return json::parse(out);
}

fs::path make_demo(const fs::path& tmp) {
  const fs::path demo = tmp / "demo";
  std::string cmd = q(needle::test::needle_binary());
  cmd.append(" demo ").append(q(demo.string())).append(" --frames 30 >/dev/null 2>&1");
  REQUIRE(needle::test::run_command(cmd) == 0);
  return demo;
}

std::string frame_of(const std::string& ref) {
  return ref.substr(0, ref.find('/'));
}

}  // namespace

TEST_CASE("e2e review: a script tags, files an issue, triages and gives verdicts into the store",
          "[e2e][review]") {
  if (!needle::test::have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_review");
  const fs::path demo = make_demo(tmp);
  // Three elements: the top label error's selected finding (tagged, verdict label_error), the
  // next suspicious frame's first finding (verdict not_an_error) and the frame after that as a
  // whole (marked reviewed). Then triage: element 1 added, element 2 discarded.
  const std::string script =
      "first-label-error\n"
      "tag add occluded\n"
      "issue new wrong_box\n"
      "issue add\n"
      "verdict label_error\n"
      "screenshot s1.png\n"
      "next-suspicious\n"
      "select finding 0\n"
      "issue add\n"
      "verdict not_an_error\n"
      "screenshot s2.png\n"
      "next-suspicious\n"
      "issue add\n"
      "mark-reviewed\n"
      "element prev\n"
      "element added\n"
      "element discarded\n"
      "wait-frames 6\n"
      "screenshot issues.png\n"
      "filter tag occluded\n"
      "screenshot tag_filter.png\n"
      "filter tag any\n"
      "filter verdict not_an_error\n"
      "screenshot verdict_hidden.png\n"
      "filter suppressed on\n"
      "screenshot verdict_shown.png\n"
      "quit\n";
  std::string args = q(demo.string());
  args.append(" --script ").append(q(write_script(tmp, "review.txt", script).string()));
  const needle::test::ViewRun run = needle::test::run_view(args, tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 6);
  const json& s1 = run.layouts[0];
  const json& s2 = run.layouts[1];
  const json& end = run.layouts[2];
  const std::string f1 = s1.at("frame"), f2 = s2.at("frame"), f3 = end.at("frame");
  CHECK(f1 != f2);
  CHECK(f2 != f3);

  // The store, read by the CLI.
  const json issue = review_json(demo, "issue show wrong_box");
  REQUIRE(issue.at("elements").size() == 3);
  CHECK(frame_of(issue["elements"][0]["ref"]) == f1);
  CHECK(frame_of(issue["elements"][1]["ref"]) == f2);
  CHECK(issue["elements"][2]["ref"] == f3);  // the frame itself (nothing selected)
  CHECK(issue["elements"][0]["state"] == "unsorted");
  CHECK(issue["elements"][1]["state"] == "added");
  CHECK(issue["elements"][2]["state"] == "discarded");
  CHECK(issue.at("counts") == json{{"unsorted", 1}, {"added", 1}, {"discarded", 1}});

  const json tags = review_json(demo, "tags");
  REQUIRE(tags.size() == 1);
  CHECK(tags[0]["tag"] == "occluded");
  CHECK(tags[0]["ref"] == issue["elements"][0]["ref"]);  // the same object as the element

  // Verdicts: the history names each finding's kind and the verdict.
  const json history = review_json(demo, "history");
  std::vector<json> verdicts;
  bool reviewed_f3 = false;
  for (const json& h : history) {
    if (h["action"] == "verdict") verdicts.push_back(h);
    if (h["action"] == "reviewed" && h["ref"] == f3) reviewed_f3 = true;
  }
  CHECK(reviewed_f3);
  REQUIRE(verdicts.size() == 2);
  CHECK(frame_of(verdicts[0]["ref"]) == f1);
  CHECK(verdicts[0]["detail"] ==
        s1.at("selection").at("finding_kind").get<std::string>() + " label_error");
  CHECK(frame_of(verdicts[1]["ref"]) == f2);
  CHECK(verdicts[1]["detail"] ==
        s2.at("selection").at("finding_kind").get<std::string>() + " not_an_error");

  // `issue new` opened the issues panel (its gallery is in issues.png).
  // What the viewer showed: the reviewed count, the tag and verdict filters of the list.
  CHECK(end.at("review").at("status").get<std::string>().rfind("reviewed 1 of ", 0) == 0);
  CHECK(run.layouts[3].at("review").at("list_rows") == 1);  // only f1 has the tag
  CHECK(run.layouts[5].at("review").at("list_rows") == 1);  // f2, its finding suppressed
  CHECK(run.layouts[4].at("review").at("list_rows").get<int>() <= 1);
  CHECK(fs::exists(tmp / "issues.png"));
}

TEST_CASE("e2e review: a tag written by the CLI while the viewer runs shows without a restart",
          "[e2e][review]") {
  if (!needle::test::have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_review_two");
  const fs::path demo = make_demo(tmp);
  // The viewer waits after its first screenshot; meanwhile the CLI (a second process) tags the
  // frame; the second screenshot comes after more than one poll interval.
  const fs::path script = write_script(tmp, "two.txt",
                                       "frame 000005\n"
                                       "wait-loaded\n"
                                       "screenshot before.png\n"
                                       "wait-seconds 6\n"
                                       "wait-frames 3\n"
                                       "screenshot after.png\n"
                                       "quit\n");
  const std::string bin = needle::test::needle_binary();
  std::string cmd = "cd ";
  cmd.append(q(tmp.string())).append(" && (XDG_CONFIG_HOME=").append(q((tmp / "config").string()));
  cmd.append(" ").append(q(std::string(NEEDLE_SOURCE_DIR) + "/tests/support/with_xvfb.sh"));
  cmd.append(" ").append(q(bin)).append(" view ").append(q(demo.string()));
  cmd.append(" --script ").append(q(script.string()));
  cmd.append(" --check-gl --print-layout - > view.out 2>&1 & pid=$!; ");
  // Up to 120 s for the viewer to open, rank and draw the frame.
  cmd.append("for i in $(seq 1200); do [ -f before.png ] && break; sleep 0.1; done; ");
  cmd.append(q(bin)).append(" review ").append(q(demo.string()));
  cmd.append(" tag add 000005 from_cli > cli.out 2>&1; cli=$?; ");
  cmd.append("wait $pid; view=$?; echo \"cli=$cli view=$view\"; ");
  cmd.append("[ $cli -eq 0 ] && [ $view -eq 0 ])");
  std::string out;
  const int code = needle::test::run_command(cmd, &out);
  std::ifstream in(tmp / "view.out");
  std::stringstream text;
  text << in.rdbuf();
  INFO(out << "\n" << text.str());
  REQUIRE(code == 0);
  std::vector<json> layouts;
  std::istringstream lines(text.str());
  const std::string tag = "NEEDLE-LAYOUT ";
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(tag, 0) == 0) layouts.push_back(json::parse(line.substr(tag.size())));
  REQUIRE(layouts.size() == 2);
  CHECK(layouts[0].at("review").at("tags").empty());
  CHECK(layouts[1].at("review").at("tags") == json::array({"from_cli 000005"}));
}

TEST_CASE("e2e review: the review keys and dialogs (tag completion, new issue, add, verdict)",
          "[e2e][review]") {
  if (!needle::test::have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_review_keys");
  const fs::path demo = make_demo(tmp);
  // Frame 000003 tagged "occluded" by the script verb; on frame 000004 the tag dialog (T)
  // completes "occ" to it with Tab. Shift+I names a new issue, I adds the selected finding's
  // object, 1 gives it the verdict label_error, V marks the frame reviewed.
  const std::string script =
      "frame 000003\n"
      "tag add occluded\n"
      "frame 000004\n"
      "wait-loaded\n"
      "key T\n"
      "type occ\n"
      "key Tab\n"
      "wait-frames 2\n"
      "screenshot tag_dialog.png\n"
      "key Enter\n"
      "key Shift+I\n"
      "type keyed\n"
      "key Enter\n"
      "select finding 0\n"
      "key I\n"
      "key 1\n"
      "key V\n"
      "wait-frames 4\n"
      "screenshot keys.png\n"
      "frame 000006\n"
      "wait-loaded\n"
      "review dwell 0.5\n"
      "wait-seconds 1.5\n"
      "quit\n";
  std::string args = q(demo.string());
  args.append(" --script ").append(q(write_script(tmp, "keys.txt", script).string()));
  const needle::test::ViewRun run = needle::test::run_view(args, tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  REQUIRE(run.layouts.size() == 2);
  const std::string kind = run.layouts[1].at("selection").at("finding_kind");

  const json tags = review_json(demo, "tags");
  REQUIRE(tags.size() == 2);
  CHECK(tags[0]["ref"] == "000003");
  CHECK(tags[1]["ref"] == "000004");
  CHECK(tags[1]["tag"] == "occluded");  // completed from "occ"
  const json issue = review_json(demo, "issue show keyed");
  REQUIRE(issue.at("elements").size() == 1);
  CHECK(frame_of(issue["elements"][0]["ref"]) == "000004");
  bool verdict = false, reviewed = false, dwelt = false;
  for (const json& h : review_json(demo, "history")) {
    if (h["action"] == "verdict" && h["detail"] == kind + " label_error") verdict = true;
    if (h["action"] == "reviewed" && h["ref"] == "000004") reviewed = true;
    if (h["action"] == "reviewed" && h["ref"] == "000006") dwelt = true;
  }
  CHECK(verdict);
  CHECK(reviewed);
  CHECK(dwelt);  // shown for longer than the dwell time: reviewed without a key
  CHECK(run.layouts[1].at("review").at("tags") == json::array({"occluded 000004"}));
}

TEST_CASE("e2e review: --store at a file that is not a store shows the error, never writes it",
          "[e2e][review]") {
  if (!needle::test::have_xvfb()) return;
  const fs::path tmp = needle::test::temp_dir("e2e_review_bad_store");
  const fs::path demo = make_demo(tmp);
  const fs::path bad = tmp / "notes.sqlite";
  const std::string notes = "these are my notes, not a database\n";
  needle::test::write_file(bad, notes);
  // V (mark reviewed) through the key: a failed action is a message, not a script error.
  const std::string script =
      "frame 000002\nwait-loaded\nkey V\nwait-frames 3\nscreenshot bad.png\nquit\n";
  std::string args = q(demo.string());
  args.append(" --store ").append(q(bad.string()));
  args.append(" --script ").append(q(write_script(tmp, "bad.txt", script).string()));
  const needle::test::ViewRun run = needle::test::run_view(args, tmp);
  INFO(run.output);
  REQUIRE(run.code == 0);
  std::ifstream in(bad, std::ios::binary);
  std::stringstream now;
  now << in.rdbuf();
  CHECK(now.str() == notes);
  CHECK_FALSE(fs::exists(demo / ".needle"));  // the default store was not used either
  REQUIRE(run.layouts.size() == 1);
  CHECK(run.layouts[0].at("review").at("status") ==
        "reviewed 0 of " + std::to_string(run.layouts[0].at("review").at("list_rows").get<int>()) +
            " suspicious");
}
