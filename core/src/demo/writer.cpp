// demo/writer.cpp — generate_demo(): plans which frames get label errors and broken files, runs
// the per-frame pipeline on worker threads and writes the dataset; read_injected().
//
// Determinism: every frame draws from its own streams seeded by (seed, frame index, stage), the
// plan is drawn from (seed, frames), and files are written per frame, so the bytes do not depend on
// the thread count or on which stages are switched off (--no-lidar leaves the labels unchanged).
//
// Index
//   [SECTION] Plan
//   [SECTION] One frame
//   [SECTION] generate_demo
//   [SECTION] read_injected
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "needle/demo.h"
#include "needle/error.h"
#include "needle/kitti_io.h"
#include "pipeline.h"

namespace needle {

namespace fs = std::filesystem;
using namespace demo;

std::array<std::uint8_t, 3> demo_class_color(ObjectClass c) {
  const Rgb k = class_rgb(c);
  return {static_cast<std::uint8_t>(k.r), static_cast<std::uint8_t>(k.g),
          static_cast<std::uint8_t>(k.b)};
}

namespace {

// =============================================================================================
// [SECTION] Plan
// =============================================================================================
enum class Invalid { None, TruncatedBin, CorruptPng, BadLabelLine };

const char* invalid_name(Invalid k) {
  switch (k) {
    case Invalid::TruncatedBin:
      return "truncated_bin";
    case Invalid::CorruptPng:
      return "corrupt_png";
    case Invalid::BadLabelLine:
      return "bad_label_line";
    default:
      return "none";
  }
}

struct FramePlan {
  int error = -1;  // ErrorKind, -1 for none
  Invalid invalid = Invalid::None;
  std::string shift;  // a demo_shift_kinds() name, "" for none
};

constexpr int kDriveLength = 40;  // frames per "drive" (one camera preset)

std::vector<FramePlan> make_plan(const DemoOptions& opt) {
  const int n = opt.frames;
  std::vector<FramePlan> plan(static_cast<std::size_t>(n));
  int n_err = static_cast<int>(std::lround(std::clamp(opt.error_fraction, 0.0, 1.0) * n));
  int n_inv = static_cast<int>(std::lround(std::clamp(opt.invalid_fraction, 0.0, 1.0) * n));
  if (opt.invalid_fraction > 0 && n >= 20) n_inv = std::max(n_inv, 1);
  n_err = std::min(n_err, n);
  n_inv = std::min(n_inv, n - n_err);
  std::vector<int> order(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  Rng rng(stream_seed(opt.seed, static_cast<std::uint64_t>(n), 0xD1CE));
  rng.shuffle(order);
  const int offset = rng.uniform_int(0, kErrorKinds - 1);
  for (int j = 0; j < n_err; ++j)
    plan[static_cast<std::size_t>(order[static_cast<std::size_t>(j)])].error =
        (j + offset) % kErrorKinds;
  std::vector<Invalid> kinds;
  if (opt.lidar) kinds.push_back(Invalid::TruncatedBin);
  if (opt.images) kinds.push_back(Invalid::CorruptPng);
  kinds.push_back(Invalid::BadLabelLine);
  for (int j = 0; j < n_inv; ++j)
    plan[static_cast<std::size_t>(order[static_cast<std::size_t>(n_err + j)])].invalid =
        kinds[static_cast<std::size_t>(j) % kinds.size()];
  // Shifted frames: drawn from their own stream (so the plan above does not change with --shift)
  // among the frames without broken files; kinds dealt in turn.
  if (!opt.shifts.empty()) {
    std::vector<int> eligible;
    for (int i = 0; i < n; ++i)
      if (plan[static_cast<std::size_t>(i)].invalid == Invalid::None) eligible.push_back(i);
    Rng srng(stream_seed(opt.seed, static_cast<std::uint64_t>(n), 0x5A1F7));
    srng.shuffle(eligible);
    const auto n_shift = std::min<std::size_t>(
        eligible.size(),
        static_cast<std::size_t>(std::lround(std::clamp(opt.shift_fraction, 0.0, 1.0) * n)));
    for (std::size_t j = 0; j < n_shift; ++j)
      plan[static_cast<std::size_t>(eligible[j])].shift = opt.shifts[j % opt.shifts.size()];
  }
  return plan;
}

// What each shift does (needle/demo.h).
struct ShiftEffect {
  SceneShift scene;
  LidarShift lidar;
  double brightness = 1;
  bool camera = false;
  std::string detail;
};
ShiftEffect shift_effect(const std::string& kind) {
  ShiftEffect e;
  char buf[160];
  if (kind == "dark") {
    e.brightness = kShiftDarkFactor;
    std::snprintf(buf, sizeof buf, "image brightness x%.2f", kShiftDarkFactor);
  } else if (kind == "sparse") {
    e.lidar.beam_stride = kShiftSparseBeamStride;
    std::snprintf(buf, sizeof buf, "lidar keeps every %d-th beam (%d beams)",
                  kShiftSparseBeamStride, 64 / kShiftSparseBeamStride);
  } else if (kind == "noisy") {
    e.lidar.range_sigma_m = kShiftNoisyRangeSigmaM;
    std::snprintf(buf, sizeof buf, "lidar range noise %.2f m (normally 0.02 m)",
                  kShiftNoisyRangeSigmaM);
  } else if (kind == "size") {
    e.scene.size_factor = kShiftSizeFactor;
    std::snprintf(buf, sizeof buf, "objects x%.2f in every dimension", kShiftSizeFactor);
  } else if (kind == "mix") {
    e.scene.person_factor = kShiftMixPersonFactor;
    e.scene.vehicle_factor = kShiftMixVehicleFactor;
    std::snprintf(buf, sizeof buf, "pedestrians and cyclists x%.2f, vehicles x%.2f",
                  kShiftMixPersonFactor, kShiftMixVehicleFactor);
  } else if (kind == "camera") {
    e.camera = true;
    std::snprintf(buf, sizeof buf, "camera %dx%d, focal %.0f px", kShiftCameraWidth,
                  kShiftCameraHeight, kShiftCameraFocal);
  } else {
    throw std::runtime_error("unknown shift kind '" + kind + "'");
  }
  e.detail = buf;
  return e;
}

int camera_preset(std::uint64_t seed, int frame) {
  Rng rng(stream_seed(seed, static_cast<std::uint64_t>(frame / kDriveLength), 0xCA11));
  return rng.pick(std::array{0.6, 0.2, 0.2});
}

std::string frame_id(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06d", i);
  return buf;
}

// =============================================================================================
// [SECTION] One frame
// =============================================================================================
struct FrameResult {
  long labels = 0, dontcare = 0, points = 0;
  std::vector<long> preds;
  std::vector<InjectedError> injected;
  std::vector<InjectedShift> shifts;
};

std::string dontcare_text(const Object& d) {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "DontCare -1 -1 -10 %.2f %.2f %.2f %.2f -1 -1 -1 -1000 -1000 -1000 -10\n",
                d.box2d.x1, d.box2d.y1, d.box2d.x2, d.box2d.y2);
  return buf;
}

// Inserts a line that no KITTI parser accepts; returns a description.
std::string add_bad_line(std::vector<std::string>& lines, Rng& rng) {
  const int at = rng.uniform_int(0, static_cast<int>(lines.size()));
  std::string line;
  std::string why;
  if (rng.chance(0.5)) {
    line = "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64";
    why = "only 11 fields (15 expected)";
  } else {
    line =
        "Pedestrian 0.00 0 0.21 423.17 173.67 433.14 202.52 1.6x 0.38 0.30 -5.19 1.75 18.48 -0.06";
    why = "height field '1.6x' is not a number";
  }
  lines.insert(lines.begin() + at, line + "\n");
  return "line " + std::to_string(at + 1) + ": " + why;
}

FrameResult make_frame(const fs::path& root, const DemoOptions& opt, int index,
                       const Camera& normal_cam, const Camera& shifted_cam, const FramePlan& plan) {
  const std::string id = frame_id(index);
  const auto frame = static_cast<std::uint64_t>(index);
  const fs::path train = root / "training";
  FrameResult res;
  const ShiftEffect shift = plan.shift.empty() ? ShiftEffect{} : shift_effect(plan.shift);
  if (!plan.shift.empty()) res.shifts.push_back({id, plan.shift, shift.detail});
  const Camera& cam = shift.camera ? shifted_cam : normal_cam;

  Rng scene_rng(opt.seed, frame, Stream::Scene);
  const Scene sc = build_scene(cam, scene_rng, shift.scene);
  FrameTruth truth = annotate(sc, scene_rng);

  const auto& profiles = detector_profiles();
  for (std::size_t k = 0; k < profiles.size(); ++k) {
    Rng rng(opt.seed, frame,
            static_cast<Stream>(static_cast<std::uint64_t>(Stream::DetectorA) + k));
    const std::vector<Object> preds = simulate_detector(sc, truth, profiles[k], rng);
    write_text_file(root / "pred" / profiles[k].name / (id + ".txt"), format_objects(preds, true));
    res.preds.push_back(static_cast<long>(preds.size()));
  }

  if (plan.error >= 0) {
    Rng rng(opt.seed, frame, Stream::Inject);
    if (auto e = inject_error(sc, truth, static_cast<ErrorKind>(plan.error), rng)) {
      e->frame = id;
      e->size_bin = error_size_bin(e->kind, e->magnitude, e->range_m, e->occlusion);
      res.injected.push_back(std::move(*e));
    }
  }

  std::vector<std::string> lines;
  for (const LabelledObject& lo : truth.objects) lines.push_back(format_objects({lo.label}, false));
  for (const Object& d : truth.dontcare) lines.push_back(dontcare_text(d));
  res.labels = static_cast<long>(truth.objects.size());
  res.dontcare = static_cast<long>(truth.dontcare.size());
  Rng bad_rng(opt.seed, frame, Stream::Invalid);
  if (plan.invalid == Invalid::BadLabelLine)
    res.injected.push_back({id, invalid_name(plan.invalid), -1, add_bad_line(lines, bad_rng)});
  std::string label_text;
  for (const auto& l : lines) label_text += l;
  write_text_file(train / "label_2" / (id + ".txt"), label_text);
  write_text_file(train / "calib" / (id + ".txt"), cam.calib_text);

  if (opt.lidar) {
    Rng rng(opt.seed, frame, Stream::Lidar);
    const PointCloud cloud = scan_lidar(sc, rng, shift.lidar);
    const fs::path p = train / "velodyne" / (id + ".bin");
    if (plan.invalid == Invalid::TruncatedBin) {
      // Cut a third of the way in, mid-point: the size is no longer a multiple of 16 bytes.
      const std::size_t keep = cloud.xyzr.size() * sizeof(float) / 3 / 16 * 16 + 7;
      write_text_file(p, std::string(reinterpret_cast<const char*>(cloud.xyzr.data()), keep));
      res.injected.push_back({id, invalid_name(plan.invalid), -1,
                              "velodyne file cut to " + std::to_string(keep) + " bytes"});
    } else {
      write_velodyne(p, cloud);
      res.points = static_cast<long>(cloud.size());
    }
  }
  if (opt.images) {
    const fs::path p = train / "image_2" / (id + ".png");
    Image img = render_image(sc);
    if (shift.brightness != 1)
      for (std::uint8_t& c : img.rgb)
        c = static_cast<std::uint8_t>(std::lround(c * shift.brightness));
    write_png(p, img);
    if (plan.invalid == Invalid::CorruptPng) {
      // Truncated inside the compressed image data, as an interrupted copy leaves it.
      const std::string bytes = read_file_bytes(p);
      const std::size_t keep = std::max<std::size_t>(bytes.size() / 4, 64);
      write_text_file(p, bytes.substr(0, keep));
      res.injected.push_back({id, invalid_name(plan.invalid), -1,
                              "PNG cut to " + std::to_string(keep) + " of " +
                                  std::to_string(bytes.size()) + " bytes"});
    }
  }
  return res;
}

// Removes files this generator writes (6-digit ids) from a previous run, so a smaller or
// differently configured run leaves no stale frames behind. Nothing else is touched.
void clear_previous(const fs::path& dir, const std::string& ext) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  std::vector<fs::path> stale;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() == 6 + ext.size() && name.compare(6, ext.size(), ext) == 0 &&
        std::all_of(name.begin(), name.begin() + 6, [](char c) { return c >= '0' && c <= '9'; }))
      stale.push_back(e.path());
  }
  for (const auto& p : stale) fs::remove(p, ec);
}

}  // namespace

// =============================================================================================
// [SECTION] generate_demo
// =============================================================================================
DemoSummary generate_demo(const fs::path& out_dir, const DemoOptions& opt) {
  if (opt.frames < 0) throw std::runtime_error("the frame count must not be negative");
  const fs::path train = out_dir / "training";
  const auto& profiles = detector_profiles();
  std::vector<fs::path> dirs = {train / "calib", train / "label_2"};
  for (const auto& p : profiles) dirs.push_back(out_dir / "pred" / p.name);
  if (opt.lidar) dirs.push_back(train / "velodyne");
  if (opt.images) dirs.push_back(train / "image_2");
  for (const auto& d : dirs) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec || !fs::is_directory(d))
      throw std::runtime_error("cannot create folder " + d.string() + ": " + ec.message());
  }
  clear_previous(train / "calib", ".txt");
  clear_previous(train / "label_2", ".txt");
  clear_previous(train / "velodyne", ".bin");
  clear_previous(train / "image_2", ".png");
  for (const auto& p : profiles) clear_previous(out_dir / "pred" / p.name, ".txt");

  for (const std::string& k : opt.shifts) (void)shift_effect(k);  // unknown kinds fail early
  std::array<Camera, kCameraPresets> cams;
  for (int i = 0; i < kCameraPresets; ++i) cams[static_cast<std::size_t>(i)] = make_camera(i);
  const Camera shifted_cam = make_shifted_camera();
  const std::vector<FramePlan> plan = make_plan(opt);
  std::vector<FrameResult> results(static_cast<std::size_t>(opt.frames));

  unsigned threads = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, static_cast<unsigned>(std::max(opt.frames, 1)));
  std::atomic<int> next{0};
  std::atomic<std::size_t> done{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    for (int i = next++; i < opt.frames; i = next++) {
      try {
        const Camera& cam = cams[static_cast<std::size_t>(camera_preset(opt.seed, i))];
        results[static_cast<std::size_t>(i)] =
            make_frame(out_dir, opt, i, cam, shifted_cam, plan[static_cast<std::size_t>(i)]);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = opt.frames;  // stop the others early
        return;
      }
      const std::size_t d = ++done;
      if (opt.progress) opt.progress(d, static_cast<std::size_t>(opt.frames));
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);

  DemoSummary sum;
  sum.frames = opt.frames;
  for (const auto& p : profiles) sum.detectors.push_back(p.name);
  sum.predictions_by_detector.assign(profiles.size(), 0);
  for (const FrameResult& r : results) {
    sum.labels += r.labels;
    sum.dontcare += r.dontcare;
    sum.points += r.points;
    for (std::size_t k = 0; k < r.preds.size(); ++k) {
      sum.predictions += r.preds[k];
      sum.predictions_by_detector[k] += r.preds[k];
    }
    for (const auto& e : r.shifts) sum.shifts.push_back(e);
    for (const auto& e : r.injected) {
      sum.injected.push_back(e);
      if (e.kind == "truncated_bin" || e.kind == "corrupt_png" || e.kind == "bad_label_line")
        ++sum.invalid_frames;
    }
  }

  nlohmann::ordered_json j;
  j["seed"] = opt.seed;
  j["frames"] = opt.frames;
  j["error_fraction"] = opt.error_fraction;
  j["invalid_fraction"] = opt.invalid_fraction;
  j["detectors"] = sum.detectors;
  j["errors"] = nlohmann::ordered_json::array();
  for (const auto& e : sum.injected) {
    nlohmann::ordered_json je = {
        {"frame", e.frame}, {"kind", e.kind}, {"label", e.label}, {"detail", e.detail}};
    if (!e.unit.empty()) {
      je["magnitude"] = e.magnitude;
      je["unit"] = e.unit;
      je["range_m"] = e.range_m;
      je["occlusion"] = e.occlusion;
      je["size_bin"] = e.size_bin;
    }
    j["errors"].push_back(std::move(je));
  }
  if (!opt.shifts.empty()) {
    j["shift_fraction"] = opt.shift_fraction;
    j["shifts"] = nlohmann::ordered_json::array();
    for (const auto& e : sum.shifts)
      j["shifts"].push_back({{"frame", e.frame}, {"kind", e.kind}, {"detail", e.detail}});
  }
  write_text_file(out_dir / "injected.json", j.dump(1) + "\n");
  return sum;
}

// =============================================================================================
// [SECTION] read_injected
// =============================================================================================
std::string error_size_bin(const std::string& kind, double magnitude, double range_m,
                           int occlusion) {
  if (kind == "shifted_box") return magnitude < kSubtleShiftM ? "subtle" : "gross";
  if (kind == "wrong_size")
    return magnitude >= kSubtleFactorLo && magnitude <= kSubtleFactorHi ? "subtle" : "gross";
  if (kind == "rotated_box") return magnitude < kSubtleRotationDeg ? "subtle" : "gross";
  if (kind == "wrong_class") return magnitude <= 1 ? "subtle" : "gross";
  if (kind == "missing_label" || kind == "spurious_label")
    return range_m > kSubtleRangeM || occlusion >= 1 ? "subtle" : "gross";
  return "";
}

const std::vector<std::string>& demo_shift_kinds() {
  static const std::vector<std::string> kKinds = {"dark", "sparse", "noisy",
                                                  "size", "mix",    "camera"};
  return kKinds;
}

std::vector<InjectedError> read_injected(const fs::path& injected_json,
                                         std::vector<InjectedShift>* shifts) {
  const std::string file = injected_json.string();
  auto fail = [&](const std::string& field, const std::string& msg) {
    Problem p;
    p.modality = "injected";
    p.file = file;
    p.field = field;
    p.message = msg;
    throw ParseError(p);
  };
  const std::string text = read_file_bytes(injected_json);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) fail("", "not valid JSON");
  if (!j.is_object() || !j.contains("errors") || !j["errors"].is_array())
    fail("errors", "expected an object with an \"errors\" array");
  std::vector<InjectedError> out;
  int i = 0;
  for (const auto& e : j["errors"]) {
    const std::string where = "errors[" + std::to_string(i++) + "]";
    if (!e.is_object()) fail(where, "expected an object");
    if (!e.contains("frame") || !e["frame"].is_string())
      fail(where + ".frame", "expected a string");
    if (!e.contains("kind") || !e["kind"].is_string()) fail(where + ".kind", "expected a string");
    if (!e.contains("label") || !e["label"].is_number_integer())
      fail(where + ".label", "expected an integer");
    InjectedError r;
    r.frame = e["frame"].get<std::string>();
    r.kind = e["kind"].get<std::string>();
    r.label = e["label"].get<int>();
    if (e.contains("detail") && e["detail"].is_string()) r.detail = e["detail"].get<std::string>();
    // The size fields are optional (files of earlier versions lack them) but typed when present.
    auto number = [&](const char* key, double& value) {
      if (!e.contains(key)) return;
      if (!e[key].is_number()) fail(where + "." + key, "expected a number");
      value = e[key].get<double>();
    };
    auto string_field = [&](const char* key, std::string& value) {
      if (!e.contains(key)) return;
      if (!e[key].is_string()) fail(where + "." + key, "expected a string");
      value = e[key].get<std::string>();
    };
    number("magnitude", r.magnitude);
    string_field("unit", r.unit);
    number("range_m", r.range_m);
    if (e.contains("occlusion")) {
      if (!e["occlusion"].is_number_integer()) fail(where + ".occlusion", "expected an integer");
      r.occlusion = e["occlusion"].get<int>();
    }
    string_field("size_bin", r.size_bin);
    if (!r.size_bin.empty() && r.size_bin != "subtle" && r.size_bin != "gross")
      fail(where + ".size_bin", "expected \"subtle\" or \"gross\"");
    out.push_back(std::move(r));
  }
  if (shifts) {
    shifts->clear();
    if (j.contains("shifts")) {
      if (!j["shifts"].is_array()) fail("shifts", "expected an array");
      int k = 0;
      for (const auto& e : j["shifts"]) {
        const std::string where = "shifts[" + std::to_string(k++) + "]";
        if (!e.is_object()) fail(where, "expected an object");
        for (const char* key : {"frame", "kind"})
          if (!e.contains(key) || !e[key].is_string())
            fail(where + "." + key, "expected a string");
        InjectedShift r{e["frame"].get<std::string>(), e["kind"].get<std::string>(), ""};
        if (e.contains("detail") && e["detail"].is_string())
          r.detail = e["detail"].get<std::string>();
        shifts->push_back(std::move(r));
      }
    }
  }
  return out;
}

}  // namespace needle
