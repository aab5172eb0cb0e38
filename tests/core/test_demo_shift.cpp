// demo --shift: frames made under shifted conditions, listed in injected.json's "shifts"; every
// other frame, the label errors and the broken files stay exactly as in a run without --shift.
// Expected values come from the shift definitions in needle/demo.h applied by the test's own
// maths to the same frame of an unshifted run (the same scene).
#include <unistd.h>

#include <cmath>
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "needle/demo.h"
#include "needle/error.h"
#include "needle/kitti_io.h"
#include "support/test_support.h"

using namespace needle;
namespace fs = std::filesystem;

namespace {

struct ShiftFixture {
  fs::path plain, shifted;
};

// Two 12-frame runs of one seed, with and without `--shift all --shift-fraction 0.5`.
const ShiftFixture& shift_fixture() {
  static const ShiftFixture f = [] {
    ShiftFixture r;
    const fs::path base = fs::path(NEEDLE_TEST_TMP) / ("demo_shift_" + std::to_string(getpid()));
    r.plain = base / "plain";
    r.shifted = base / "shifted";
    fs::remove_all(base);
    DemoOptions o;
    o.frames = 12;
    o.seed = 77;
    o.error_fraction = 0.25;
    o.invalid_fraction = 0.1;
    o.threads = 2;
    generate_demo(r.plain, o);
    o.shifts = demo_shift_kinds();
    o.shift_fraction = 0.5;
    generate_demo(r.shifted, o);
    return r;
  }();
  return f;
}

fs::path file(const fs::path& root, const std::string& dir, const std::string& id,
              const std::string& ext) {
  return root / "training" / dir / (id + ext);
}

}  // namespace

TEST_CASE("demo shift: one frame of each kind, listed; the rest unchanged", "[demo][shift]") {
  const ShiftFixture& f = shift_fixture();
  std::vector<InjectedShift> shifts, none;
  const auto errors_shifted = read_injected(f.shifted / "injected.json", &shifts);
  const auto errors_plain = read_injected(f.plain / "injected.json", &none);
  CHECK(none.empty());
  // 12 frames * 0.5 = 6 shifted frames, the six kinds dealt in turn: one each.
  REQUIRE(shifts.size() == 6);
  std::set<std::string> kinds, frames;
  for (const auto& s : shifts) {
    kinds.insert(s.kind);
    frames.insert(s.frame);
    CHECK_FALSE(s.detail.empty());
  }
  CHECK(kinds == std::set<std::string>(demo_shift_kinds().begin(), demo_shift_kinds().end()));
  CHECK(frames.size() == 6);
  // The error list is the same (frames, kinds, labels) as without --shift, and no shifted frame is
  // one with broken files.
  REQUIRE(errors_shifted.size() == errors_plain.size());
  for (std::size_t i = 0; i < errors_plain.size(); ++i) {
    CHECK(errors_shifted[i].frame == errors_plain[i].frame);
    CHECK(errors_shifted[i].kind == errors_plain[i].kind);
    if (errors_plain[i].label < 0 && errors_plain[i].unit.empty())
      CHECK(frames.count(errors_plain[i].frame) == 0);
  }
  // Every unshifted frame is byte-identical.
  for (int i = 0; i < 12; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "%06d", i);
    if (frames.count(id)) continue;
    for (const auto& [dir, ext] : std::map<std::string, std::string>{
             {"label_2", ".txt"}, {"velodyne", ".bin"}, {"image_2", ".png"}, {"calib", ".txt"}})
      CHECK(read_file_bytes(file(f.plain, dir, id, ext)) ==
            read_file_bytes(file(f.shifted, dir, id, ext)));
  }
}

TEST_CASE("demo shift: each kind changes what it says", "[demo][shift]") {
  const ShiftFixture& f = shift_fixture();
  std::vector<InjectedShift> shifts;
  read_injected(f.shifted / "injected.json", &shifts);
  std::map<std::string, std::string> frame_of;
  for (const auto& s : shifts) frame_of[s.kind] = s.frame;
  REQUIRE(frame_of.size() == 6);

  SECTION("dark: every channel of the same scene's picture times 0.35, rounded") {
    const std::string id = frame_of.at("dark");
    const Image a = load_image(file(f.plain, "image_2", id, ".png"));
    const Image b = load_image(file(f.shifted, "image_2", id, ".png"));
    REQUIRE(a.width == b.width);
    REQUIRE(a.rgb.size() == b.rgb.size());
    std::size_t off = 0;
    for (std::size_t i = 0; i < a.rgb.size(); ++i)
      if (std::abs(static_cast<int>(b.rgb[i]) - std::lround(a.rgb[i] * 0.35)) > 0) ++off;
    CHECK(off == 0);
    // Lidar and labels of a dark frame are untouched.
    CHECK(read_file_bytes(file(f.plain, "velodyne", id, ".bin")) ==
          read_file_bytes(file(f.shifted, "velodyne", id, ".bin")));
  }
  SECTION("sparse: a quarter of the beams, so about a quarter of the points") {
    const std::string id = frame_of.at("sparse");
    const double a = static_cast<double>(load_velodyne(file(f.plain, "velodyne", id, ".bin")).size());
    const double b =
        static_cast<double>(load_velodyne(file(f.shifted, "velodyne", id, ".bin")).size());
    CHECK(b / a > 0.15);
    CHECK(b / a < 0.35);
  }
  SECTION("noisy: same point count within drop noise, ranges differ") {
    const std::string id = frame_of.at("noisy");
    const PointCloud a = load_velodyne(file(f.plain, "velodyne", id, ".bin"));
    const PointCloud b = load_velodyne(file(f.shifted, "velodyne", id, ".bin"));
    CHECK(std::abs(static_cast<double>(b.size()) / static_cast<double>(a.size()) - 1.0) < 0.05);
    CHECK(read_file_bytes(file(f.plain, "label_2", id, ".txt")) ==
          read_file_bytes(file(f.shifted, "label_2", id, ".txt")));
  }
  SECTION("size: objects 1.3x their class's KITTI mean height on average") {
    const std::string id = frame_of.at("size");
    const ParsedObjects labels = load_objects(file(f.shifted, "label_2", id, ".txt"), LabelKind::GroundTruth);
    // KITTI class mean heights (demo/scene.cpp's table, from KITTI's training labels).
    const std::map<ObjectClass, double> mean_h = {{ObjectClass::Car, 1.53}, {ObjectClass::Van, 2.21},
                                                  {ObjectClass::Truck, 3.25},
                                                  {ObjectClass::Pedestrian, 1.76},
                                                  {ObjectClass::Cyclist, 1.74}};
    double sum = 0;
    int n = 0;
    for (const Object& o : labels.objects)
      if (mean_h.count(o.cls)) sum += o.h / mean_h.at(o.cls), ++n;
    REQUIRE(n > 0);
    CHECK(sum / n > 1.15);
    CHECK(sum / n < 1.45);
  }
  SECTION("camera: 1024x512 image and focal length 480 px") {
    const std::string id = frame_of.at("camera");
    const Image b = load_image(file(f.shifted, "image_2", id, ".png"));
    CHECK(b.width == 1024);
    CHECK(b.height == 512);
    const Calib c = load_calib(file(f.shifted, "calib", id, ".txt"));
    CHECK(c.P[2][0] == Approx(480.0).margin(0.01));
  }
}

TEST_CASE("demo shift: an unknown kind is refused", "[demo][shift]") {
  DemoOptions o;
  o.frames = 2;
  o.images = o.lidar = false;
  o.shifts = {"foggy"};
  CHECK_THROWS(generate_demo(fs::path(NEEDLE_TEST_TMP) / "demo_shift_bad", o));
}
