// Tests for needle/scan_io.h: PCD decoding (ASCII, binary, binary_compressed, hand-written here
// byte by byte), the point checks (non-finite, > 200 m, zero-length, all-zero, field of view),
// structural errors (missing field, truncation at every length), .bin and .pcd giving one cloud,
// datasets with .pcd scans (scan_dataset, load_frame, quick_check_media), and the real KITTI
// scans. Expected values are hand-worked from the bytes written and the calibration's maths.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "needle/dataset.h"
#include "needle/demo.h"
#include "needle/kitti_io.h"
#include "needle/scan_io.h"
#include "support/test_support.h"

using namespace needle;
namespace fs = std::filesystem;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Little-endian bytes of values of type T (the host is little-endian, as KITTI's files are).
template <typename T>
std::string le(std::initializer_list<T> vals) {
  std::string out;
  for (T v : vals) out.append(reinterpret_cast<const char*>(&v), sizeof v);
  return out;
}
std::string f32(std::initializer_list<float> vals) {
  return le<float>(vals);
}

std::string header(const std::string& fields, const std::string& size, const std::string& type,
                   int points, const std::string& data, int height = 1) {
  return "# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS " + fields + "\nSIZE " +
         size + "\nTYPE " + type + "\nCOUNT " +
         [&] {
           std::string c;
           for (char ch : size)
             if (ch != ' ') c += c.empty() ? "1" : " 1";
           return c;
         }() +
         "\nWIDTH " + std::to_string(points / height) + "\nHEIGHT " + std::to_string(height) +
         "\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS " + std::to_string(points) + "\nDATA " + data + "\n";
}

// Three points, hand-picked: in front of the car, to the left, behind.
const std::vector<float> kThree = {10.0f, 1.0f, -1.5f, 0.25f,  //
                                   5.5f,  8.0f, 0.5f,  0.0f,   //
                                   -4.0f, 0.0f, -1.0f, 0.99f};

std::string ascii_three() {
  return header("x y z intensity", "4 4 4 4", "F F F F", 3, "ascii") +
         "10 1 -1.5 0.25\n5.5 8 0.5 0\n-4 0 -1 0.99\n";
}
std::string binary_three() {
  return header("x y z intensity", "4 4 4 4", "F F F F", 3, "binary") +
         f32({10, 1, -1.5f, 0.25f, 5.5f, 8, 0.5f, 0, -4, 0, -1, 0.99f});
}
// binary_compressed: u32 compressed size, u32 uncompressed size, then LZF data of the fields one
// after the other (all x, all y, all z, all intensity). LZF control byte L < 32 means "copy the
// next L+1 bytes literally", so a literal-only stream is 48 bytes in two runs of 32 and 16.
std::string compressed_three() {
  const std::string raw = f32({10, 5.5f, -4, 1, 8, 0, -1.5f, 0.5f, -1, 0.25f, 0, 0.99f});
  REQUIRE(raw.size() == 48);
  const std::string lzf =
      std::string(1, '\x1f') + raw.substr(0, 32) + std::string(1, '\x0f') + raw.substr(32);
  return header("x y z intensity", "4 4 4 4", "F F F F", 3, "binary_compressed") +
         le<std::uint32_t>({static_cast<std::uint32_t>(lzf.size()), 48}) + lzf;
}

const Problem* find_field(const ScanRead& r, const std::string& field) {
  for (const Problem& p : r.problems)
    if (p.field == field) return &p;
  return nullptr;
}
bool mentions(const ScanRead& r, const std::string& text) {
  return std::any_of(r.problems.begin(), r.problems.end(),
                     [&](const Problem& p) { return p.message.find(text) != std::string::npos; });
}
bool all_named(const ScanRead& r, const std::string& file) {
  return std::all_of(r.problems.begin(), r.problems.end(),
                     [&](const Problem& p) { return p.file == file && p.modality == "velodyne"; });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PCD decoding
// ---------------------------------------------------------------------------------------------
TEST_CASE("PCD: ascii, binary and binary_compressed hand-written files decode to the same points",
          "[scan_io]") {
  for (const std::string& bytes : {ascii_three(), binary_three(), compressed_three()}) {
    const ScanRead r = parse_pcd(bytes, "s.pcd");
    INFO(bytes.substr(bytes.find("DATA"), 24));
    CHECK(r.problems.empty());
    REQUIRE(r.usable);
    CHECK(r.cloud.xyzr == kThree);
    // The full reader with its checks keeps all three (finite, within 200 m, not all zero).
    const ScanRead checked = parse_scan(bytes, "s.pcd", ScanFormat::Pcd, nullptr);
    CHECK(checked.problems.empty());
    CHECK(checked.cloud.xyzr == kThree);
  }
}

TEST_CASE("PCD: field order, types and extra fields; integer intensity scaled to [0,1]",
          "[scan_io]") {
  // intensity U1, ring U2, x F8, y F4, z F4: 19 bytes a point, nothing aligned.
  std::string body;
  auto point = [&](std::uint8_t i, std::uint16_t ring, double x, float y, float z) {
    body += le<std::uint8_t>({i}) + le<std::uint16_t>({ring}) + le<double>({x}) + f32({y, z});
  };
  point(255, 7, 12.5, -3.0f, 0.75f);
  point(51, 8, -1.0, 2.0f, -1.75f);
  const std::string bin = header("intensity ring x y z", "1 2 8 4 4", "U U F F F", 2, "binary");
  ScanRead r = parse_pcd(bin + body, "typed.pcd");
  CHECK(r.problems.empty());
  CHECK(r.cloud.xyzr == std::vector<float>{12.5f, -3.0f, 0.75f, 1.0f, -1.0f, 2.0f, -1.75f, 0.2f});

  const std::string ascii = header("intensity ring x y z", "1 2 8 4 4", "U U F F F", 2, "ascii") +
                            "255 7 12.5 -3 0.75\r\n\n  51\t8 -1 +2 -1.75";  // CRLF, blank, tab, +
  r = parse_pcd(ascii, "typed.pcd");
  CHECK(r.problems.empty());
  CHECK(r.cloud.xyzr == std::vector<float>{12.5f, -3.0f, 0.75f, 1.0f, -1.0f, 2.0f, -1.75f, 0.2f});
}

TEST_CASE("PCD: no intensity field is a warning, reflectance 0", "[scan_io]") {
  const ScanRead r =
      parse_pcd(header("x y z", "4 4 4", "F F F", 1, "ascii") + "1 2 3\n", "xyz.pcd");
  REQUIRE(r.usable);
  CHECK(r.cloud.xyzr == std::vector<float>{1, 2, 3, 0});
  REQUIRE(r.problems.size() == 1);
  CHECK_FALSE(r.problems[0].fatal);
  CHECK(r.problems[0].field == "intensity");
}

TEST_CASE("PCD: a missing x, y or z is an error naming the file and the field", "[scan_io]") {
  const std::array<std::pair<const char*, const char*>, 3> cases = {
      {{"x", "q y z intensity"}, {"y", "x q z intensity"}, {"z", "x y q intensity"}}};
  for (const auto& [missing, fields] : cases) {
    const std::string bytes = header(fields, "4 4 4 4", "F F F F", 1, "binary") + f32({1, 2, 3, 4});
    const ScanRead r = parse_scan(bytes, "velodyne/000001.pcd", ScanFormat::Pcd, nullptr);
    INFO(missing);
    CHECK_FALSE(r.usable);
    CHECK(r.cloud.size() == 0);
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].fatal);
    CHECK(r.problems[0].modality == "velodyne");
    CHECK(r.problems[0].file == "velodyne/000001.pcd");
    CHECK(r.problems[0].field == missing);
    CHECK(r.problems[0].message.find(std::string("missing field '") + missing + "'") !=
          std::string::npos);
  }
}

TEST_CASE("PCD: malformed headers and bodies are errors, never crashes", "[scan_io]") {
  struct Case {
    std::string bytes, field, text;
  };
  const std::string good = header("x y z intensity", "4 4 4 4", "F F F F", 1, "ascii");
  const std::vector<Case> cases = {
      {"", "size", "empty file"},
      {"hello world\n", "", "not a PCD header line"},
      {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\n", "DATA", "no DATA line"},
      {header("x y z", "4 4", "F F F", 1, "ascii"), "SIZE", "2 values for 3 FIELDS"},
      {header("x y z", "4 4 3", "F F F", 1, "ascii"), "SIZE", "expected 1, 2, 4 or 8"},
      {header("x y z", "4 4 2", "F F F", 1, "ascii"), "SIZE", "a float (F) has 4 or 8 bytes"},
      {header("x y z", "4 4 4", "F F D", 1, "ascii"), "TYPE", "expected I, U or F"},
      {header("x y z", "4 4 4", "F F F", 1, "jpeg"), "DATA", "got 'jpeg'"},
      {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 4\nHEIGHT 1\nPOINTS 5\nDATA ascii\n", "POINTS",
       "WIDTH x HEIGHT"},
      {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH -3\nDATA ascii\n", "WIDTH", "expected an"},
      {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 4000000000\nHEIGHT 4000000000\nDATA binary\n",
       "POINTS", "exceed"},
      {"FIELDS x y z\nSIZE 8 8 8\nTYPE F F F\nWIDTH 100000000\nDATA binary\n", "POINTS", "exceed"},
      {good + "1 2 3\n", "point 0", "expected 4 values, got 3"},
      {good + "1 2 abc 4\n", "point 0", "expected a number, got 'abc'"},
      {good + "1 2 3 4\n5 6 7 8\n", "point 1", "more point lines than POINTS"},
      {header("x y z _", "4 4 4 4", "F F F F", 1, "binary_compressed") +
           le<std::uint32_t>({17, 16}) + std::string(1, '\x0f') + std::string(16, '\0'),
       "DATA", "padding fields"},
      {header("x y z", "4 4 4", "F F F", 1, "binary_compressed") + le<std::uint32_t>({13, 16}) +
           std::string(1, '\x0b') + std::string(12, '\0'),
       "DATA", "uncompressed size 16 bytes, but 1 points x 12 bytes = 12"},
      {header("x y z", "4 4 4", "F F F", 1, "binary_compressed") + le<std::uint32_t>({4, 12}) +
           "\x1f\x01\x02\x03",  // a literal run of 32 bytes with 3 present
       "DATA", "corrupt binary_compressed data"},
  };
  for (const Case& c : cases) {
    INFO(c.bytes.substr(0, 160));
    const ScanRead r = parse_scan(c.bytes, "bad.pcd", ScanFormat::Pcd, nullptr);
    CHECK_FALSE(r.usable);
    CHECK(r.cloud.size() == 0);
    CHECK(all_named(r, "bad.pcd"));
    // One fatal problem (a header without intensity also gets its warning).
    std::vector<Problem> fatal;
    for (const Problem& p : r.problems)
      if (p.fatal) fatal.push_back(p);
    REQUIRE(fatal.size() == 1);
    CHECK(fatal[0].field == c.field);
    CHECK(fatal[0].message.find(c.text) != std::string::npos);
  }
  // The ascii body's lines are numbered as in the file (the DATA line is line 11 of `good`).
  const ScanRead r = parse_pcd(good + "1 2 3 4 5\n", "bad.pcd");
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].line == 12);
}

TEST_CASE(
    "PCD: every truncation of a valid file is an error or the complete cloud, never a "
    "crash or an over-read",
    "[scan_io]") {
  for (const std::string& full : {ascii_three(), binary_three(), compressed_three()}) {
    const bool ascii = full.find("DATA ascii") != std::string::npos;
    for (std::size_t n = 0; n < full.size(); ++n) {
      // A copy of exactly n bytes on the heap: ASan/valgrind flag any read past it.
      const std::string cut = full.substr(0, n);
      const ScanRead r = parse_scan(cut, "cut.pcd", ScanFormat::Pcd, nullptr);
      INFO("ascii " << ascii << " cut at " << n << " of " << full.size());
      CHECK(all_named(r, "cut.pcd"));
      if (r.usable) {
        // Only an ascii file cut inside its last number still reads as three points.
        CHECK(ascii);
        CHECK(n >= full.size() - 4);
        CHECK(r.cloud.size() == 3);
      } else {
        CHECK(r.cloud.size() == 0);
        CHECK_FALSE(r.problems.empty());
        CHECK(r.problems[0].fatal);
      }
    }
  }
  const std::string bin = binary_three();
  const ScanRead r = parse_pcd(bin.substr(0, bin.size() - 5), "cut.pcd");
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].field == "DATA");
  CHECK(r.problems[0].message.find("needs 48 bytes after the header, the file has 43") !=
        std::string::npos);
  const std::string asc = ascii_three();
  const ScanRead ra = parse_pcd(asc.substr(0, asc.find("-4 0")), "cut.pcd");
  REQUIRE(ra.problems.size() == 1);
  CHECK(ra.problems[0].message.find("truncated: 2 point lines for POINTS 3") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Point checks (the same for .bin and .pcd)
// ---------------------------------------------------------------------------------------------
TEST_CASE("scan checks: non-finite points are dropped and reported with the first index",
          "[scan_io]") {
  const std::string bin = f32({1, 2, 3, 0.1f, 4, 5, 6, 0.2f, 7, kNaN, 9,     0.3f,  //
                               1, 1, 1, 0.4f, 2, 2, 2, 0.5f, 3, 3,    -kInf, 0.6f,  //
                               4, 4, 4, kInf});
  const ScanRead r = parse_scan(bin, "v/000007.bin", ScanFormat::KittiBin, nullptr);
  REQUIRE(r.usable);
  CHECK(r.cloud.xyzr ==
        std::vector<float>{1, 2, 3, 0.1f, 4, 5, 6, 0.2f, 1, 1, 1, 0.4f, 2, 2, 2, 0.5f});
  REQUIRE(r.problems.size() == 1);
  const Problem& p = r.problems[0];
  CHECK(p.fatal);
  CHECK(p.modality == "velodyne");
  CHECK(p.file == "v/000007.bin");
  CHECK(p.field == "point 2");
  CHECK(p.message.find("3 of 7 points are not finite") != std::string::npos);
  CHECK(p.message.find("y = nan") != std::string::npos);

  // The same in a PCD: "nan" and "inf" are numbers in ascii.
  const std::string pcd = header("x y z intensity", "4 4 4 4", "F F F F", 3, "ascii") +
                          "1 2 3 0\ninf 1 1 0\nnan nan nan 0\n";
  const ScanRead rp = parse_scan(pcd, "a.pcd", ScanFormat::Pcd, nullptr);
  CHECK(rp.cloud.xyzr == std::vector<float>{1, 2, 3, 0});
  REQUIRE(find_field(rp, "point 1") != nullptr);
  CHECK(find_field(rp, "point 1")->fatal);
  CHECK(find_field(rp, "point 1")->message.find("2 of 3 points") != std::string::npos);
}

TEST_CASE("scan checks: NaN in an organized PCD (HEIGHT > 1) is a warning", "[scan_io]") {
  const std::string pcd = header("x y z intensity", "4 4 4 4", "F F F F", 4, "binary", 2) +
                          f32({1, 2, 3, 0, kNaN, kNaN, kNaN, 0, 4, 5, 6, 0, kNaN, kNaN, kNaN, 0});
  const ScanRead r = parse_scan(pcd, "o.pcd", ScanFormat::Pcd, nullptr);
  CHECK(r.usable);
  CHECK(r.cloud.size() == 2);
  REQUIRE(r.problems.size() == 1);
  CHECK_FALSE(r.problems[0].fatal);
  CHECK(r.problems[0].field == "point 1");
}

TEST_CASE("scan checks: points beyond 200 m are dropped and reported", "[scan_io]") {
  // Point 1 at (150, 150, 0): 212.1 m. Point 3 at (0, 0, 199.9): kept. Point 4: (-300, 0, 0).
  const std::string bin =
      f32({10, 0, 0, 0, 150, 150, 0, 0, 5, 5, 5, 0, 0, 0, 199.9f, 0, -300, 0, 0, 0});
  const ScanRead r = parse_scan(bin, "far.bin", ScanFormat::KittiBin, nullptr);
  CHECK(r.usable);
  CHECK(r.cloud.xyzr == std::vector<float>{10, 0, 0, 0, 5, 5, 5, 0, 0, 0, 199.9f, 0});
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].fatal);
  CHECK(r.problems[0].field == "point 1");
  CHECK(r.problems[0].message.find("2 of 5 points are farther than 200.0 m") != std::string::npos);
  CHECK(r.problems[0].message.find("212.1 m") != std::string::npos);
}

TEST_CASE("scan checks: zero-length, all-zero and all-bad scans leave nothing usable",
          "[scan_io]") {
  ScanRead r = parse_scan("", "e.bin", ScanFormat::KittiBin, nullptr);
  CHECK_FALSE(r.usable);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].message.find("zero-length scan") != std::string::npos);

  r = parse_scan(header("x y z", "4 4 4", "F F F", 0, "binary"), "e.pcd", ScanFormat::Pcd, nullptr);
  CHECK_FALSE(r.usable);
  CHECK(mentions(r, "zero-length scan: no points"));
  CHECK(all_named(r, "e.pcd"));

  r = parse_scan(std::string(16 * 1000, '\0'), "z.bin", ScanFormat::KittiBin, nullptr);
  CHECK_FALSE(r.usable);
  CHECK(r.cloud.size() == 0);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].fatal);
  CHECK(r.problems[0].message.find("all 1000 points are (0,0,0)") != std::string::npos);

  r = parse_scan(f32({kNaN, 0, 0, 0, 0, 0, 0, kNaN}), "n.bin", ScanFormat::KittiBin, nullptr);
  CHECK_FALSE(r.usable);
  CHECK(mentions(r, "2 of 2 points are not finite"));
  CHECK(mentions(r, "no usable point left"));

  r = parse_scan(std::string(17, '\0'), "t.bin", ScanFormat::KittiBin, nullptr);
  CHECK_FALSE(r.usable);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].field == "size");
  CHECK(r.problems[0].message.find("17 bytes is not a multiple of 16") != std::string::npos);

  r = read_scan("/nonexistent/velodyne/000000.bin", nullptr);
  CHECK_FALSE(r.usable);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].modality == "velodyne");
  CHECK(r.problems[0].file == "/nonexistent/velodyne/000000.bin");
}

TEST_CASE("scan checks: a scan with no point in the camera's field of view", "[scan_io]") {
  const Calib calib = test::simple_calib();  // f = 720 px, principal point (620, 180)
  // Velodyne (10, -8.75, 0) is camera (8.75, 0, 10): u = 720 * 0.875 + 620 = 1250, v = 180.
  // Without an image size the box is [0, 1240) x [0, 360) (twice the principal point): outside.
  const std::string right_edge = f32({10, -8.75f, 0, 0});
  const std::string behind = f32({-10, 0, 0, 0, -5, 3, 1, 0});  // camera z < 0
  const std::string ahead = f32({-10, 0, 0, 0, 10, 0, 0, 0});   // (10,0,0) projects to (620,180)

  ScanRead r = parse_scan(behind, "b.bin", ScanFormat::KittiBin, &calib);
  CHECK(r.usable);  // the points are kept: the problem is the frame's, not the points'
  CHECK(r.cloud.size() == 2);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].fatal);
  CHECK(r.problems[0].file == "b.bin");
  CHECK(r.problems[0].message.find("no point in the camera's field of view") != std::string::npos);

  CHECK(parse_scan(ahead, "a.bin", ScanFormat::KittiBin, &calib).problems.empty());
  CHECK(parse_scan(behind, "b.bin", ScanFormat::KittiBin, nullptr).problems.empty());
  r = parse_scan(right_edge, "r.bin", ScanFormat::KittiBin, &calib);
  CHECK(mentions(r, "twice P2's principal point: 1240.0 x 360.0 px"));
  r = parse_scan(right_edge, "r.bin", ScanFormat::KittiBin, &calib, std::array<int, 2>{1300, 375});
  CHECK(r.problems.empty());
  r = parse_scan(right_edge, "r.bin", ScanFormat::KittiBin, &calib, std::array<int, 2>{1242, 375});
  CHECK(mentions(r, "inside the 1242 x 375 image"));
}

// ---------------------------------------------------------------------------------------------
// .bin and .pcd, files, datasets
// ---------------------------------------------------------------------------------------------
TEST_CASE(".bin and .pcd of one scan read as the same cloud (hand-written and PCL-written)",
          "[scan_io]") {
  const fs::path dir = test::temp_dir("scan_io_same");
  PointCloud pc;
  pc.xyzr = kThree;
  write_velodyne(dir / "a.bin", pc);
  test::write_file(dir / "ascii.pcd", ascii_three());
  test::write_file(dir / "binary.pcd", binary_three());
  test::write_file(dir / "compressed.pcd", compressed_three());
  write_pcd(dir / "pcl_ascii.pcd", pc, PcdEncoding::Ascii);
  write_pcd(dir / "pcl_binary.pcd", pc, PcdEncoding::Binary);
  write_pcd(dir / "pcl_compressed.PCD", pc, PcdEncoding::BinaryCompressed);
  const Calib calib = test::simple_calib();
  const ScanRead bin = read_scan(dir / "a.bin", &calib);
  CHECK(bin.problems.empty());
  CHECK(bin.cloud.xyzr == kThree);
  for (const char* name : {"ascii.pcd", "binary.pcd", "compressed.pcd", "pcl_ascii.pcd",
                           "pcl_binary.pcd", "pcl_compressed.PCD"}) {
    INFO(name);
    const ScanRead r = read_scan(dir / name, &calib);
    CHECK(r.problems.empty());
    CHECK(r.usable);
    CHECK(r.cloud.xyzr == bin.cloud.xyzr);
  }
  CHECK(scan_format_of("x/000001.PCD") == ScanFormat::Pcd);
  CHECK(scan_format_of("x/000001.bin") == ScanFormat::KittiBin);
}

TEST_CASE("read_scan is safe from several threads at once (the lidar pass uses every core)",
          "[scan_io]") {
  const fs::path dir = test::temp_dir("scan_io_threads");
  test::write_file(dir / "a.pcd", ascii_three());
  test::write_file(dir / "b.pcd", binary_three());
  test::write_file(dir / "c.pcd", compressed_three());
  constexpr int kThreads = 4, kReads = 200;
  std::atomic<int> good{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < kReads; ++i) {
        const char* name = (i + t) % 3 == 0 ? "a.pcd" : (i + t) % 3 == 1 ? "b.pcd" : "c.pcd";
        const ScanRead r = read_scan(dir / name, nullptr);
        if (r.problems.empty() && r.cloud.xyzr == kThree) ++good;
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(good == kThreads * kReads);
}

TEST_CASE("datasets with .pcd scans: scan_dataset, load_frame, quick_check_media", "[scan_io]") {
  const fs::path root = test::temp_dir("scan_io_ds");
  const fs::path tr = root / "training";
  const Calib calib = test::simple_calib();
  for (const char* id : {"000000", "000001", "000002", "000003", "000004"}) {
    write_text_file(tr / "calib" / (std::string(id) + ".txt"), format_calib(calib));
    // One DontCare line: a zero-byte label file among labelled frames is a warning of its own.
    test::write_file(tr / "label_2" / (std::string(id) + ".txt"),
                     "DontCare -1 -1 -10 0 0 10 10 -1 -1 -1 -1000 -1000 -1000 -10\n");
  }
  PointCloud pc;
  pc.xyzr = kThree;
  test::write_file(tr / "velodyne" / "000000.pcd", binary_three());
  // 000001: both; the .bin (one point) wins and the .pcd is noted.
  PointCloud one;
  one.xyzr = {10, 0, 0, 0.5f};
  write_velodyne(tr / "velodyne" / "000001.bin", one);
  test::write_file(tr / "velodyne" / "000001.pcd", ascii_three());
  // 000002: a .bin with one NaN point among three.
  PointCloud nan = pc;
  nan.xyzr[5] = kNaN;
  write_velodyne(tr / "velodyne" / "000002.bin", nan);
  // 000003: a truncated binary PCD; 000004: a PCD without z.
  const std::string bin3 = binary_three();
  test::write_file(tr / "velodyne" / "000003.pcd", bin3.substr(0, bin3.size() - 10));
  test::write_file(tr / "velodyne" / "000004.pcd",
                   header("x y intensity", "4 4 4", "F F F", 1, "ascii") + "1 2 3\n");

  const DatasetIndex ds = scan_dataset(root, {});
  REQUIRE(ds.frames.size() == 5);
  CHECK(ds.frames[0].velodyne == tr / "velodyne" / "000000.pcd");
  CHECK(ds.frames[1].velodyne == tr / "velodyne" / "000001.bin");
  CHECK(ds.frames[1].velodyne_ignored == tr / "velodyne" / "000001.pcd");

  FrameData f = load_frame(ds, 0);
  CHECK(f.ann.problems.empty());
  REQUIRE(f.cloud.has_value());
  CHECK(f.cloud->xyzr == kThree);

  f = load_frame(ds, 1);
  REQUIRE(f.cloud.has_value());
  CHECK(f.cloud->xyzr == one.xyzr);

  f = load_frame(ds, 2);
  CHECK_FALSE(f.ann.valid());
  REQUIRE(f.cloud.has_value());  // the finite points still show
  CHECK(f.cloud->xyzr == std::vector<float>{10, 1, -1.5f, 0.25f, -4, 0, -1, 0.99f});
  REQUIRE(f.ann.problems.size() == 1);
  CHECK(f.ann.problems[0].field == "point 1");
  CHECK(f.ann.problems[0].file == (tr / "velodyne" / "000002.bin").string());

  f = load_frame(ds, 3);
  CHECK_FALSE(f.cloud.has_value());
  CHECK_FALSE(f.ann.valid());
  f = load_frame(ds, 4);
  CHECK_FALSE(f.cloud.has_value());
  REQUIRE(f.ann.problems.size() == 1);
  CHECK(f.ann.problems[0].field == "z");

  // The cheap checks (no decoding) see the header problems and the truncation, and the .pcd
  // ignored next to a .bin as a warning.
  const auto all = load_all_annotations(ds, false, 1);
  CHECK(all[0].valid());
  CHECK(all[0].problems.empty());
  CHECK(all[1].valid());
  REQUIRE(all[1].problems.size() == 1);
  CHECK_FALSE(all[1].problems[0].fatal);
  CHECK(all[1].problems[0].file == (tr / "velodyne" / "000001.pcd").string());
  CHECK(all[1].problems[0].message.find("000001.bin") != std::string::npos);
  CHECK(all[2].valid());  // a NaN point needs decoding: read_scan finds it, not the quick check
  CHECK_FALSE(all[3].valid());
  REQUIRE(all[3].problems.size() == 1);
  CHECK(all[3].problems[0].message.find("needs 48 bytes after the header, the file has 38") !=
        std::string::npos);
  CHECK_FALSE(all[4].valid());
  REQUIRE(all[4].problems.size() == 1);
  CHECK(all[4].problems[0].field == "z");
}

TEST_CASE("quick_check_pcd: ascii too short, compressed size past the end, not a PCD",
          "[scan_io]") {
  const fs::path dir = test::temp_dir("scan_io_quick");
  auto check = [&](const std::string& name, const std::string& bytes) {
    test::write_file(dir / name, bytes);
    std::vector<Problem> out;
    quick_check_pcd(dir / name, out);
    return out;
  };
  CHECK(check("ok_a.pcd", ascii_three()).empty());
  CHECK(check("ok_b.pcd", binary_three()).empty());
  CHECK(check("ok_c.pcd", compressed_three()).empty());
  // 3 points x 4 values need at least 23 bytes ("1 1 1 1\n" x 3 minus one).
  auto out = check("short_a.pcd",
                   header("x y z intensity", "4 4 4 4", "F F F F", 3, "ascii") + "1 2 3 4\n");
  REQUIRE(out.size() == 1);
  CHECK(out[0].message.find("need at least 23 bytes") != std::string::npos);
  const std::string c = compressed_three();
  out = check("short_c.pcd", c.substr(0, c.size() - 1));
  REQUIRE(out.size() == 1);
  CHECK(out[0].message.find("50 compressed bytes declared, 49 in the file") != std::string::npos);
  out = check("bin_as.pcd", f32({1, 2, 3, 4}));
  REQUIRE(out.size() == 1);
  CHECK(out[0].fatal);
  CHECK(out[0].modality == "velodyne");
  out = check("empty.pcd", "");
  REQUIRE(out.size() == 1);
  CHECK(out[0].message.find("empty file") != std::string::npos);
}

TEST_CASE("append_scan_problems: a scan the quick check already failed adds nothing", "[scan_io]") {
  const fs::path dir = test::temp_dir("scan_io_append");
  const std::string bin = binary_three();
  test::write_file(dir / "cut.pcd", bin.substr(0, bin.size() - 3));
  test::write_file(dir / "nan.bin", f32({1, 2, 3, 0, kNaN, 0, 0, 0}));
  FrameFiles cut;
  cut.velodyne = dir / "cut.pcd";
  std::vector<Problem> frame;
  quick_check_media(cut, frame);
  REQUIRE(frame.size() == 1);
  const ScanRead rc = read_scan(cut.velodyne, nullptr);
  REQUIRE(rc.problems.size() == 1);  // the same truncation, worded by the decoder
  append_scan_problems(frame, rc, cut.velodyne.string());
  CHECK(frame.size() == 1);

  FrameFiles nan;
  nan.velodyne = dir / "nan.bin";
  frame.clear();
  quick_check_media(nan, frame);
  CHECK(frame.empty());  // a NaN needs decoding
  append_scan_problems(frame, read_scan(nan.velodyne, nullptr), nan.velodyne.string());
  REQUIRE(frame.size() == 1);
  CHECK(frame[0].field == "point 1");
}

TEST_CASE("demo scans pass every check with their calibration", "[scan_io][demo]") {
  const fs::path root = test::temp_dir("scan_io_demo");
  DemoOptions opt;
  opt.frames = 40;  // one drive; seed not tuned on
  opt.seed = 4242;
  opt.images = false;
  opt.invalid_fraction = 0;
  generate_demo(root, opt);
  const DatasetIndex ds = scan_dataset(root, {});
  REQUIRE(ds.frames.size() == 40);
  for (const FrameFiles& f : ds.frames) {
    INFO(f.id);
    const Calib calib = load_calib(f.calib);
    const ScanRead r = read_scan(f.velodyne, &calib);
    CHECK(r.problems.empty());
    CHECK(r.cloud.size() * 16 == fs::file_size(f.velodyne));
  }
}

// ---------------------------------------------------------------------------------------------
// Real KITTI scans
// ---------------------------------------------------------------------------------------------
TEST_CASE("real KITTI scans pass every check, as .bin and converted to .pcd", "[scan_io][kitti]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  const fs::path dir = test::temp_dir("scan_io_kitti");
  for (const char* id : {"000000", "000006", "000008"}) {
    INFO(id);
    const fs::path bin = kitti / "training" / "velodyne" / (std::string(id) + ".bin");
    const Calib calib = load_calib(kitti / "training" / "calib" / (std::string(id) + ".txt"));
    const ScanRead r = read_scan(bin, &calib);
    CHECK(r.problems.empty());
    CHECK(r.usable);
    // Every point of a KITTI scan is finite and within 80 m (SOURCES.md lists the counts).
    CHECK(r.cloud.size() == fs::file_size(bin) / 16);
    CHECK(r.cloud.xyzr == load_velodyne(bin).xyzr);
    const fs::path pcd = dir / (std::string(id) + ".pcd");
    write_pcd(pcd, r.cloud, PcdEncoding::BinaryCompressed);
    const ScanRead rp = read_scan(pcd, &calib);
    CHECK(rp.problems.empty());
    CHECK(rp.cloud.xyzr == r.cloud.xyzr);
  }
}

// Not run by default (hidden tag): read_scan timings on a real scan, for bench/RESULTS.md.
TEST_CASE("bench: read_scan on a real KITTI scan as .bin and .pcd", "[.scan_bench]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  const fs::path dir = test::temp_dir("scan_io_bench");
  const fs::path bin = kitti / "training" / "velodyne" / "000008.bin";
  const Calib calib = load_calib(kitti / "training" / "calib" / "000008.txt");
  const PointCloud cloud = load_velodyne(bin);
  write_pcd(dir / "a.pcd", cloud, PcdEncoding::Ascii);
  write_pcd(dir / "b.pcd", cloud, PcdEncoding::Binary);
  write_pcd(dir / "c.pcd", cloud, PcdEncoding::BinaryCompressed);
  constexpr int kRuns = 21;
  for (const auto& [name, path] :
       std::vector<std::pair<std::string, fs::path>>{{".bin", bin},
                                                     {".pcd binary", dir / "b.pcd"},
                                                     {".pcd binary_compressed", dir / "c.pcd"},
                                                     {".pcd ascii", dir / "a.pcd"},
                                                     {".bin via load_velodyne (no checks)", bin}}) {
    std::vector<double> ms;
    std::size_t points = 0;
    for (int i = 0; i < kRuns; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      if (name.find("load_velodyne") != std::string::npos) {
        points = load_velodyne(path).size();
      } else {
        const ScanRead r = read_scan(path, &calib);
        REQUIRE(r.problems.empty());
        points = r.cloud.size();
      }
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf(
        "read_scan %-36s %zu points, %9ju bytes: median %.2f ms (min %.2f, max %.2f, %d runs)\n",
        name.c_str(), points, static_cast<std::uintmax_t>(fs::file_size(path)), ms[ms.size() / 2],
        ms.front(), ms.back(), kRuns);
  }
}
