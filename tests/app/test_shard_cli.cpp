// `needle rank` and `needle eval` sharded end to end (issue 13 §2): the binary's map steps
// (--shard I/N --partial-out) and merge (--merge, files in any order) print byte for byte what a
// single run prints, on a demo set with injected label errors and broken files (N = 1, 3, 7; JSON
// and CSV for rank, JSON and text for eval) and on a small demo with lidar scans; the refusals
// exit with 1 or 2 and name the files.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "support/test_support.h"

namespace fs = std::filesystem;

namespace {

struct Run {
  int rc = 0;
  std::string out, err;
};

Run run(const std::string& args) {
  static int n = 0;
  const fs::path err_file =
      fs::path(NEEDLE_TEST_TMP) /
      ("shard_cli_err_" + std::to_string(getpid()) + "_" + std::to_string(n++) + ".txt");
  Run r;
  r.rc = needle::test::run_command(
      needle::test::needle_binary() + " " + args + " 2>" + err_file.string(), &r.out);
  std::ifstream e(err_file);
  std::ostringstream s;
  s << e.rdbuf();
  r.err = s.str();
  fs::remove(err_file);
  return r;
}

fs::path demo(const std::string& tag, const std::string& options) {
  const fs::path dir = needle::test::temp_dir(tag) / "demo";
  const Run r = run("demo " + dir.string() + " " + options + " --threads 2");
  REQUIRE(r.rc == 0);
  return dir;
}

// The map steps of N shards (written in reverse order, merged in a shuffled order).
std::string map_steps(const std::string& command, const std::string& args, std::size_t n,
                      const fs::path& dir) {
  std::vector<std::string> files;
  for (std::size_t i = n; i-- > 0;) {
    char name[32];
    std::snprintf(name, sizeof name, "part%zu.npt", i);
    files.push_back((dir / name).string());
    const Run r = run(command + " " + args + " --shard " + std::to_string(i) + "/" +
                      std::to_string(n) + " --partial-out " + files.back());
    INFO(r.err);
    REQUIRE(r.rc == 0);
    REQUIRE(r.out.empty());  // the map step prints no ranking
  }
  std::rotate(files.begin(), files.begin() + static_cast<long>(n / 2), files.end());
  std::string list;
  for (const std::string& f : files) list += " " + f;
  return list;
}

}  // namespace

TEST_CASE("needle rank --merge prints the single run's ranking byte for byte", "[shard][cli]") {
  if (needle::test::needle_binary().empty()) return;
  const fs::path ds = demo("shard_rank", "--frames 70 --no-images --no-lidar");
  for (const char* format : {"json", "csv"}) {
    const Run single = run("rank " + ds.string() + " --threads 2 --format " + format);
    REQUIRE(single.rc == 0);
    REQUIRE(single.out.find("invalid_data") != std::string::npos);  // broken files take part
    for (std::size_t n : {1u, 3u, 7u}) {
      INFO(format << " N=" << n);
      const std::string files =
          map_steps("rank", ds.string() + " --threads 2", n, needle::test::temp_dir("shard_r"));
      const Run merged = run("rank --format " + std::string(format) + " --merge" + files);
      INFO(merged.err);
      REQUIRE(merged.rc == 0);
      CHECK(merged.out == single.out);
    }
  }
  // A streaming merge (bounded memory, as `needle rank` streams above 16,384 frames; forced here
  // with chunks of 16 frames) prints the same bytes, and names the broken frames as the single
  // run does on stderr.
  {
    const Run single = run("rank " + ds.string() + " --threads 2 --format json");
    const std::string files =
        map_steps("rank", ds.string() + " --threads 2", 3, needle::test::temp_dir("shard_s"));
    const std::string env = "env NEEDLE_RANK_CHUNK=16 " + needle::test::needle_binary();
    const fs::path err_file = needle::test::temp_dir("shard_s") / "err.txt";
    std::string out;
    const int rc = needle::test::run_command(
        env + " rank --format json --merge" + files + " 2>" + err_file.string(), &out);
    REQUIRE(rc == 0);
    CHECK(out == single.out);
    std::ifstream e(err_file);
    std::ostringstream es;
    es << e.rdbuf();
    const std::size_t at = single.err.find("needle rank: frame ");
    REQUIRE(at != std::string::npos);
    const std::string first_problem = single.err.substr(at, single.err.find('\n', at) - at);
    CHECK(es.str().find(first_problem) != std::string::npos);
  }
  // --top and --out are the reduce step's own.
  const std::string files = map_steps("rank", ds.string(), 3, needle::test::temp_dir("shard_r"));
  const Run top = run("rank " + ds.string() + " --format text --top 5");
  const Run merged_top = run("rank --format text --top 5 --merge" + files);
  CHECK(merged_top.out == top.out);
}

TEST_CASE("needle rank --merge with the lidar evidence equals the single run", "[shard][cli]") {
  if (needle::test::needle_binary().empty()) return;
  const fs::path ds = demo("shard_lidar", "--frames 12 --no-images");
  const std::string args = ds.string() + " --no-cache --threads 2";
  for (const char* evidence : {"all", "lidar"}) {
    INFO(evidence);
    const Run single = run("rank " + args + " --format json --evidence " + evidence);
    REQUIRE(single.rc == 0);
    const std::string files =
        map_steps("rank", args + " --evidence " + evidence, 3, needle::test::temp_dir("shard_l"));
    const Run merged = run("rank --format json --merge" + files);
    INFO(merged.err);
    REQUIRE(merged.rc == 0);
    CHECK(merged.out == single.out);
  }
}

TEST_CASE("needle eval --merge prints the single run's report byte for byte", "[shard][cli]") {
  if (needle::test::needle_binary().empty()) return;
  const fs::path ds = demo("shard_eval", "--frames 90 --no-images --no-lidar");
  const std::string args = ds.string() + " --pred " + (ds / "pred" / "sim_a").string();
  for (const char* format : {"json", "text"}) {
    const Run single = run("eval " + args + " --format " + format);
    REQUIRE(single.rc == 0);
    REQUIRE(single.err.find("skipped") != std::string::npos);  // broken frames are skipped
    for (std::size_t n : {1u, 3u, 7u}) {
      INFO(format << " N=" << n);
      const std::string files = map_steps("eval", args, n, needle::test::temp_dir("shard_e"));
      const Run merged = run("eval --format " + std::string(format) + " --merge" + files);
      REQUIRE(merged.rc == 0);
      CHECK(merged.out == single.out);
      CHECK(merged.err == single.err);  // the skipped frames, listed alike
    }
  }
}

TEST_CASE("sharding refusals name the files", "[shard][cli]") {
  if (needle::test::needle_binary().empty()) return;
  const fs::path ds = demo("shard_refuse", "--frames 25 --no-images --no-lidar");
  const fs::path tmp = needle::test::temp_dir("shard_refuse_parts");
  const std::string p0 = (tmp / "a.npt").string(), p1 = (tmp / "b.npt").string(),
                    p2 = (tmp / "c.npt").string(), o1 = (tmp / "o.npt").string();
  REQUIRE(run("rank " + ds.string() + " --shard 0/3 --partial-out " + p0).rc == 0);
  REQUIRE(run("rank " + ds.string() + " --shard 1/3 --partial-out " + p1).rc == 0);
  REQUIRE(run("rank " + ds.string() + " --shard 2/3 --partial-out " + p2).rc == 0);
  REQUIRE(run("rank " + ds.string() + " --method objectlab --shard 1/3 --partial-out " + o1).rc ==
          0);

  Run r = run("rank --merge " + p0 + " " + p2);
  CHECK(r.rc == 1);
  CHECK(r.err.find("missing shard 1/3") != std::string::npos);
  r = run("rank --merge " + p0 + " " + p1 + " " + p1 + " " + p2);
  CHECK(r.rc == 1);
  CHECK(r.err.find("given twice: " + p1 + " and " + p1) != std::string::npos);
  r = run("rank --merge " + p0 + " " + o1 + " " + p2);
  CHECK(r.rc == 1);
  CHECK(r.err.find("different options: method=needle vs method=objectlab") != std::string::npos);
  CHECK(r.err.find(o1) != std::string::npos);
  r = run("eval --merge " + p0 + " " + p1 + " " + p2);
  CHECK(r.rc == 1);
  CHECK(r.err.find(p0 + ": a partial file of needle rank, not of needle eval") !=
        std::string::npos);
  // Usage errors (exit 2).
  CHECK(run("rank " + ds.string() + " --shard 3/3 --partial-out " + p0).rc == 2);
  CHECK(run("rank " + ds.string() + " --shard 1/3").rc == 2);
  CHECK(run("rank --merge " + p0 + " --method objectlab").rc == 2);
  CHECK(run("rank " + ds.string() + " --merge " + p0).rc == 2);
  CHECK(run("rank").rc == 2);
  CHECK(run("eval " + ds.string()).rc == 2);  // --pred is required without --merge
}
