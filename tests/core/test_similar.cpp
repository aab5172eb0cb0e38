// "Find similar" (needle/similar.h): descriptor parts against hand-worked values and invariances
// on hand-built clouds, the k-d index against the test's own brute force, user embeddings and
// their errors, the descriptor cache, and `needle similar` end to end (JSON shape, exit codes) on
// a demo set and on the KITTI sample.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "needle/error.h"
#include "needle/similar.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace needle;

namespace {

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
  return ab / std::sqrt(aa * bb);
}

Object car_at(double z_cam, double ry = 0) {
  Object o;
  o.type = "Car";
  o.cls = ObjectClass::Car;
  o.h = 1.5, o.w = 1.6, o.l = 4.0;
  o.loc_cam = {0.0, 1.65, z_cam};
  o.rotation_y = ry;
  o.box2d = {0, 0, 10, 10};
  return o;
}

// Points on the sides and top of `o` (ry = 0: length along camera x), a grid of `spacing` metres
// with a small deterministic jitter, converted to the velodyne frame of simple_calib.
PointCloud box_surface(const Object& o, double spacing, bool only_front_face = false) {
  const Calib c = test::simple_calib();
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> jitter(-0.1 * spacing, 0.1 * spacing);
  PointCloud pc;
  auto add = [&](double x, double y, double z) {
    const Vec3 p_velo = c.rect_to_velo({x + jitter(rng), y + jitter(rng), z + jitter(rng)});
    pc.xyzr.insert(pc.xyzr.end(), {float(p_velo.x), float(p_velo.y), float(p_velo.z), 0.3f});
  };
  const double x0 = o.loc_cam.x - o.l / 2 + 0.01, x1 = o.loc_cam.x + o.l / 2 - 0.01;
  const double z0 = o.loc_cam.z - o.w / 2 + 0.01, z1 = o.loc_cam.z + o.w / 2 - 0.01;
  const double ytop = o.loc_cam.y - o.h + 0.01, ybot = o.loc_cam.y - 0.2;  // above the clearance
  for (double x = x0; x <= x1; x += spacing)
    for (double y = ytop; y <= ybot; y += spacing) add(x, y, z0);  // face towards the camera
  if (only_front_face) return pc;
  for (double z = z0; z <= z1; z += spacing)
    for (double y = ytop; y <= ybot; y += spacing) add(x0, y, z), add(x1, y, z);  // ends
  for (double x = x0; x <= x1; x += spacing)
    for (double z = z0; z <= z1; z += spacing) add(x, ytop, z);  // roof
  return pc;
}

struct Run {
  int rc = 0;
  std::string out, err;
};
Run run(const std::string& args, const std::string& env = "") {
  static int n = 0;
  const fs::path err_file = fs::path(NEEDLE_TEST_TMP) / ("similar_err_" + std::to_string(getpid()) +
                                                         "_" + std::to_string(n++) + ".txt");
  Run r;
  r.rc = test::run_command(
      env + " " + test::needle_binary() + " " + args + " 2>" + err_file.string(), &r.out);
  std::ifstream e(err_file);
  std::ostringstream s;
  s << e.rdbuf();
  r.err = s.str();
  fs::remove(err_file);
  return r;
}

// A two-frame dataset with labels only: 000000 (two cars, one DontCare), 000001 (a pedestrian).
fs::path tiny_dataset(const std::string& tag) {
  const fs::path d = test::temp_dir(tag);
  test::write_file(d / "training/label_2/000000.txt",
                   "Car 0.00 0 -1.57 100 100 200 200 1.5 1.6 4.0 1.0 1.65 10.0 0.0\n"
                   "Car 0.00 1 -1.57 300 100 350 150 1.4 1.7 4.2 -3.0 1.65 25.0 0.1\n"
                   "DontCare -1 -1 -10 500 100 520 120 -1 -1 -1 -1000 -1000 -1000 -10\n");
  test::write_file(d / "training/label_2/000001.txt",
                   "Pedestrian 0.00 0 0.0 600 100 620 160 1.8 0.6 0.8 2.0 1.65 12.0 0.0\n");
  return d;
}

// Writes a C-order float32 .npy of `rows` x `cols` values by hand (NumPy format 1.0).
void write_npy(const fs::path& p, std::size_t rows, std::size_t cols, const std::vector<float>& v) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::ofstream out(p, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const auto n = static_cast<std::uint16_t>(header.size());
  const char len[2] = {static_cast<char>(n & 0xff), static_cast<char>(n >> 8)};
  out.write(len, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
}

}  // namespace

// ---- Descriptor parts --------------------------------------------------------------------------
TEST_CASE("similar: colour histogram and grey patch of a hand-made image", "[similar]") {
  Image img;
  img.width = 2, img.height = 1;
  img.rgb = {255, 0, 0, 0, 0, 255};  // red, blue
  const std::vector<float> h = colour_histogram(img, {0, 0, 2, 1});
  REQUIRE(h.size() == kColourDims);
  // R: half in bin 0, half in bin 7; G: all in bin 0; B like R. Unit length: norm sqrt(2).
  const double r2 = 1 / std::sqrt(2.0);
  CHECK(h[0] == Approx(0.5 * r2));
  CHECK(h[7] == Approx(0.5 * r2));
  CHECK(h[8] == Approx(1.0 * r2));
  CHECK(h[16] == Approx(0.5 * r2));
  CHECK(h[23] == Approx(0.5 * r2));
  CHECK(colour_histogram(img, {5, 5, 9, 9}).empty());  // outside the image

  Image g;
  g.width = 2, g.height = 2;
  g.rgb = {0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255};  // left column black, right white
  const std::vector<float> p = grey_patch(g, {0, 0, 2, 2}, 2, 1);
  REQUIRE(p.size() == 2);
  CHECK(p[0] == Approx(-r2));  // zero mean, unit length: (-127.5, 127.5) / 180.3
  CHECK(p[1] == Approx(r2));
}

TEST_CASE("similar: one shape at two ranges gives a near-identical shape part", "[similar]") {
  const Calib calib = test::simple_calib();
  // Same car at 10 m sampled every 3 cm and at 30 m every 10 cm (about 1/r of the spacing of a
  // spinning lidar: 11x fewer points).
  const Object near = car_at(10), far = car_at(30);
  const PointCloud pn = box_surface(near, 0.03), pf = box_surface(far, 0.10);
  REQUIRE(pn.size() > 8 * pf.size());
  const ObjectRawParts rn = object_raw_parts(near, &pn, &calib, nullptr);
  const ObjectRawParts rf = object_raw_parts(far, &pf, &calib, nullptr);
  REQUIRE(rn.shape.size() == kShapeDims);
  REQUIRE(rf.shape.size() == kShapeDims);
  const double same = cosine(rn.shape, rf.shape);
  CHECK(same > 0.97);
  // A different shape in the same box (only the face towards the camera: a wall) is farther.
  const PointCloud pw = box_surface(near, 0.03, true);
  const ObjectRawParts rw = object_raw_parts(near, &pw, &calib, nullptr);
  REQUIRE(rw.shape.size() == kShapeDims);
  CHECK(cosine(rn.shape, rw.shape) < same - 0.02);
  // Reflectance statistics of points all at 0.3.
  REQUIRE(rn.intensity.size() == kIntensityDims);
  CHECK(rn.intensity[0] == Approx(0.3));
  CHECK(rn.intensity[1] == Approx(0.0).margin(1e-6));
  // Too few points: no shape part, but reflectance.
  PointCloud few;
  few.xyzr.assign(pf.xyzr.begin(), pf.xyzr.begin() + 4 * 3);
  const ObjectRawParts r3 = object_raw_parts(far, &few, &calib, nullptr);
  CHECK(r3.shape.empty());
  CHECK(r3.n_points == 3);
}

TEST_CASE("similar: object vector layout, weights and unit length", "[similar]") {
  Object o = car_at(40);
  o.occluded = 3;
  o.truncated = 0.5;
  ObjectRawParts raw;  // no scan, no image
  std::vector<float> f(kFindingDims, 0.0f);
  f[3] = 0.8f;  // poor_overlap
  const std::vector<float> v = object_vector(o, raw, f);
  REQUIRE(v.size() == kObjectVectorDims);
  // Before the final scaling: dims log(1.5)/ln4, log(1.6)/ln4, log(4)/ln4 = 1 (weight 1);
  // class one-hot (weight 1); range 40/80 * 0.35; occlusion 1 * 0.35, truncation 0.5 * 0.35;
  // finding 0.8 (weight 1).
  const double dims[3] = {std::log(1.5) / std::log(4.0), std::log(1.6) / std::log(4.0), 1.0};
  const double parts[] = {dims[0], dims[1], dims[2], 1.0, 0.5 * 0.35, 0.35, 0.5 * 0.35, 0.8};
  double n2 = 0;
  for (double x : parts) n2 += x * x;
  const double s = 1 / std::sqrt(n2);
  CHECK(v[kOffsetDims + 2] == Approx(1.0 * s));
  CHECK(v[kOffsetClass + static_cast<std::size_t>(ObjectClass::Car)] == Approx(s));
  CHECK(v[kOffsetRange] == Approx(0.5 * 0.35 * s));
  CHECK(v[kOffsetOcclusion] == Approx(0.35 * s));
  CHECK(v[kOffsetOcclusion + 1] == Approx(0.5 * 0.35 * s));
  CHECK(v[kOffsetFindings + 3] == Approx(0.8 * s));
  CHECK(v[kOffsetShape] == 0.0f);
  // The two findings slots by hand: the highest score per kind, other kinds share the last.
  Finding a, b, c;
  a.kind = "poor_overlap", a.score = 0.4;
  b.kind = "poor_overlap", b.score = 0.7;
  c.kind = "lidar_empty_box", c.score = 0.2;
  const std::vector<float> slots = finding_slots({&a, &b, &c});
  CHECK(slots[3] == Approx(0.7));
  CHECK(slots[kFindingDims - 1] == Approx(0.2));
}

// ---- Index -------------------------------------------------------------------------------------
TEST_CASE("similar: the k-d index returns the brute-force neighbours", "[similar]") {
  std::mt19937 rng(42);
  std::normal_distribution<float> g(0, 1);
  SimilarSpace sp;
  sp.dim = 24;
  const std::size_t n = 1500;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<float> v(sp.dim);
    double n2 = 0;
    for (float& x : v) x = g(rng), n2 += double(x) * x;
    for (float& x : v) x = static_cast<float>(x / std::sqrt(n2));
    sp.vectors.insert(sp.vectors.end(), v.begin(), v.end());
    sp.items.push_back({ObjectRef{std::to_string(i), "label", 0}, "Car"});
  }
  const SimilarIndex index(sp);
  REQUIRE(index.size() == n);
  for (std::size_t q = 0; q < n; q += 37) {
    std::vector<std::pair<double, std::size_t>> brute;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == q) continue;
      double d2 = 0;
      for (std::size_t d = 0; d < sp.dim; ++d) {
        const double e = double(sp.row(q)[d]) - sp.row(j)[d];
        d2 += e * e;
      }
      brute.emplace_back(d2, j);
    }
    std::sort(brute.begin(), brute.end());
    const auto hits = index.query(sp.row(q), 10, q);
    REQUIRE(hits.size() == 10);
    for (std::size_t k = 0; k < 10; ++k) {
      CHECK(hits[k].item == brute[k].second);
      CHECK(hits[k].similarity == Approx(1 - brute[k].first / 2).margin(1e-5));
    }
  }
  CHECK(SimilarIndex().query(sp.row(0), 5).empty());
}

// ---- User embeddings ---------------------------------------------------------------------------
TEST_CASE("similar: embeddings from CSV and .npy, and errors that name file and line",
          "[similar]") {
  const fs::path d = tiny_dataset("similar_emb");
  const DatasetIndex ds = scan_dataset(d, {});
  const auto ann = load_all_annotations(ds, false, 1);

  const fs::path ok = d / "ok.csv";
  test::write_file(ok,
                   "ref,v0,v1\n000000/label/0,1,0\n000000/label/1,0.8,0.6\n"
                   "000001/label/0,0,2\n000000,1,1\n000001,3,4\n");
  const SimilarSpaces s = load_embeddings(ok, std::nullopt, ds, ann);
  REQUIRE(s.objects.items.size() == 3);
  REQUIRE(s.frames.items.size() == 2);
  CHECK(s.objects.items[2].cls == "Pedestrian");
  CHECK(s.frames.row(1)[0] == Approx(0.6));  // (3, 4) / 5
  const SimilarIndex idx(s.objects);
  const auto hits = idx.query(s.objects.row(0), 1, 0);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].item == 1);                  // (0.8, 0.6) is nearer (1, 0) than (0, 1)
  CHECK(hits[0].similarity == Approx(0.8));  // the cosine

  auto error_of = [&](const fs::path& f, const std::optional<fs::path>& keys) {
    try {
      load_embeddings(f, keys, ds, ann);
    } catch (const ParseError& e) {
      return e.problem();
    }
    FAIL("no error for " << f);
    return Problem{};
  };
  const fs::path bad_frame = d / "bad_frame.csv";
  test::write_file(bad_frame, "000000/label/0,1,0\n\n000009/label/0,1,0\n");
  Problem p = error_of(bad_frame, std::nullopt);
  CHECK(p.file == bad_frame.string());
  CHECK(p.line == 3);
  CHECK_THAT(p.message, Catch::Contains("000009") && Catch::Contains("not in the dataset"));

  const fs::path past = d / "past.csv";
  test::write_file(past, "000000/label/0,1,0\n000000/label/3,1,0\n");
  p = error_of(past, std::nullopt);
  CHECK(p.line == 2);
  CHECK_THAT(p.message, Catch::Contains("past the end") && Catch::Contains("3 objects"));

  const fs::path width = d / "width.csv";
  test::write_file(width, "000000/label/0,1,0\n000000/label/1,1,0,5\n");
  CHECK(error_of(width, std::nullopt).line == 2);
  const fs::path nan = d / "nan.csv";
  test::write_file(nan, "000000/label/0,1,abc\n");
  p = error_of(nan, std::nullopt);
  CHECK(p.line == 1);
  CHECK(p.field == "v1");
  const fs::path dup = d / "dup.csv";
  test::write_file(dup, "000000,1,0\n000001,1,0\n000000,0,1\n");
  CHECK(error_of(dup, std::nullopt).line == 3);
  const fs::path badset = d / "badset.csv";
  test::write_file(badset, "000000/pred/nope/0,1,0\n");
  CHECK_THAT(error_of(badset, std::nullopt).message,
             Catch::Contains("'nope' is not in the dataset"));

  // .npy (float32 3 x 2) with a key file.
  const fs::path npy = d / "emb.npy";
  write_npy(npy, 3, 2, {1, 0, 0, 1, 0.6f, 0.8f});
  const fs::path keys = d / "keys.txt";
  test::write_file(keys, "000000/label/0\n000001/label/0\n000000/label/1\n");
  const SimilarSpaces sn = load_embeddings(npy, keys, ds, ann);
  REQUIRE(sn.objects.items.size() == 3);
  CHECK(sn.objects.items[1].ref.to_string() == "000001/label/0");
  CHECK(sn.objects.row(2)[1] == Approx(0.8));
  const fs::path bad_keys = d / "bad_keys.txt";
  test::write_file(bad_keys, "000000/label/0\n000000/label/2x\n000000/label/1\n");
  p = error_of(npy, bad_keys);
  CHECK(p.file == bad_keys.string());
  CHECK(p.line == 2);
  const fs::path short_keys = d / "short_keys.txt";
  test::write_file(short_keys, "000000/label/0\n000001/label/0\n");
  CHECK_THAT(error_of(npy, short_keys).message,
             Catch::Contains("2 keys") && Catch::Contains("3 rows"));
  CHECK_THAT(error_of(npy, std::nullopt).message, Catch::Contains("key file"));
  const fs::path truncated = d / "trunc.npy";
  write_npy(truncated, 4, 2, {1, 0, 0, 1});
  CHECK(error_of(truncated, keys).field == "data");
}

// ---- Cache -------------------------------------------------------------------------------------
TEST_CASE("similar: the descriptor cache is reused, and never served for a changed file",
          "[similar]") {
  const fs::path d = tiny_dataset("similar_cache");
  const fs::path cache = test::temp_dir("similar_cache_dir");
  const DatasetIndex ds = scan_dataset(d, {});
  SimilarBuildOptions opt;
  opt.cache_dir = cache;
  opt.threads = 1;
  SimilarBuildStats st;
  const SimilarSpaces a = build_builtin_spaces(ds, opt, &st);
  CHECK(st.computed == 2);
  CHECK(st.cache_written);
  CHECK(a.objects.items.size() == 3);  // the DontCare line is not an item
  CHECK(a.frames.items.size() == 2);
  build_builtin_spaces(ds, opt, &st);
  CHECK(st.from_cache == 2);
  CHECK(st.computed == 0);
  // Rewriting a label file (new size and time) recomputes that frame only.
  test::write_file(d / "training/label_2/000001.txt",
                   "Pedestrian 0.00 0 0.0 600 100 620 160 1.8 0.6 0.8 2.0 1.65 12.0 0.0\n"
                   "Cyclist 0.00 0 0.0 700 100 720 160 1.7 0.6 1.8 4.0 1.65 14.0 0.0\n");
  const SimilarSpaces b = build_builtin_spaces(scan_dataset(d, {}), opt, &st);
  CHECK(st.computed == 1);
  CHECK(st.from_cache == 1);
  CHECK(b.objects.items.size() == 4);
  opt.use_cache = false;
  build_builtin_spaces(ds, opt, &st);
  CHECK(st.computed == 2);
  CHECK_FALSE(st.cache_written);
}

// ---- CLI ---------------------------------------------------------------------------------------
namespace {
void check_json_shape(const std::string& out, const std::string& query, std::size_t top) {
  const nlohmann::json j = nlohmann::json::parse(out);
  REQUIRE(j.is_object());
  CHECK(j.size() == 2);
  CHECK(j.at("query") == query);
  const auto& r = j.at("results");
  REQUIRE(r.is_array());
  CHECK(r.size() == top);
  double prev = 2;
  for (const auto& e : r) {
    CHECK(e.size() == 4);
    CHECK(e.at("ref").is_string());
    CHECK(e.at("frame").is_string());
    CHECK(e.at("class").is_string());
    CHECK(e.at("ref").get<std::string>().rfind(e.at("frame").get<std::string>(), 0) == 0);
    CHECK(e.at("ref") != query);
    const double s = e.at("similarity").get<double>();
    CHECK(s <= prev);
    CHECK(s <= 1.0);
    prev = s;
  }
}
}  // namespace

TEST_CASE("similar: needle similar on a demo set (JSON shape, exit codes)", "[similar][cli]") {
  const std::string bin = test::needle_binary();
  if (bin.empty()) return;
  const fs::path dir = test::temp_dir("similar_cli") / "demo";
  REQUIRE(run("demo " + dir.string() + " --frames 20").rc == 0);
  const std::string env = "XDG_CACHE_HOME=" + (dir.parent_path() / "cache").string();
  Run r = run("similar " + dir.string() + " 000000/label/0 --top 5", env);
  REQUIRE(r.rc == 0);
  check_json_shape(r.out, "000000/label/0", 5);
  // A frame query returns frames; a prediction query works as well.
  r = run("similar " + dir.string() + " 000003 --top 4", env);
  REQUIRE(r.rc == 0);
  check_json_shape(r.out, "000003", 4);
  const nlohmann::json frames = nlohmann::json::parse(r.out);  // kept alive for the loop
  for (const auto& e : frames["results"])
    CHECK(e["ref"].get<std::string>().find('/') == std::string::npos);
  r = run("similar " + dir.string() + " 000001/pred/sim_a/0 --top 3 --format csv", env);
  REQUIRE(r.rc == 0);
  CHECK(r.out.rfind("ref,frame,class,similarity\n", 0) == 0);
  // Usage errors: a bad reference, an index past the end of the file.
  r = run("similar " + dir.string() + " 000000/labels/0", env);
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("bad reference"));
  r = run("similar " + dir.string() + " 000000/label/999", env);
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("past the end"));
  // Data error: embeddings whose key does not match the dataset, named with its line.
  const fs::path emb = dir.parent_path() / "emb.csv";
  test::write_file(emb, "000000/label/0,1,0\n000777/label/0,0,1\n");
  r = run("similar " + dir.string() + " 000000/label/0 --embeddings " + emb.string(), env);
  CHECK(r.rc == 1);
  CHECK_THAT(r.err, Catch::Contains(emb.string() + ":2"));
  CHECK_THAT(r.err, Catch::Contains("000777"));
  // Embeddings searched instead of the built-in vectors.
  test::write_file(emb, "000000/label/0,1,0\n000000/label/1,0,1\n000001/label/0,0.9,0.1\n");
  r = run("similar " + dir.string() + " 000000/label/0 --top 1 --embeddings " + emb.string(), env);
  REQUIRE(r.rc == 0);
  CHECK(nlohmann::json::parse(r.out)["results"][0]["ref"] == "000001/label/0");
}

TEST_CASE("similar: needle similar on the KITTI sample", "[similar][cli][kitti]") {
  NEEDLE_KITTI_OR_SKIP(kitti);
  const std::string bin = test::needle_binary();
  if (bin.empty()) return;
  const std::string env = "XDG_CACHE_HOME=" + test::temp_dir("similar_kitti_cache").string();
  const Run r = run("similar " + kitti.string() + " 000001/label/0 --top 5", env);
  REQUIRE(r.rc == 0);
  check_json_shape(r.out, "000001/label/0", 5);
  // Each result's class is the one its label or prediction line says (read here from the file).
  const nlohmann::json results = nlohmann::json::parse(r.out);  // kept alive for the loop
  for (const auto& e : results["results"]) {
    const ObjectRef ref = parse_object_ref(e["ref"].get<std::string>());
    const fs::path file = ref.is_label() ? kitti / "training/label_2" / (ref.frame + ".txt")
                                         : kitti / "pred" / ref.source / (ref.frame + ".txt");
    std::ifstream in(file);
    std::string line;
    for (int i = 0; i <= ref.index; ++i) std::getline(in, line);
    CHECK(line.substr(0, line.find(' ')) == e["class"].get<std::string>());
  }
}

TEST_CASE("similar: the background job builds the spaces and their indexes", "[similar]") {
  const fs::path d = tiny_dataset("similar_job");
  SimilarBuildOptions opt;
  opt.cache_dir = test::temp_dir("similar_job_cache");
  std::size_t calls = 0;
  opt.progress = [&](const char*, std::size_t, std::size_t) { ++calls; };
  SimilarBuildJob job(scan_dataset(d, {}), opt);
  SimilarBuildJob::Result r = job.take();  // waits
  CHECK(job.done());
  CHECK(calls > 0);
  CHECK(job.progress() == Approx(1.0));
  REQUIRE(r.spaces.objects.items.size() == 3);
  CHECK(r.objects.size() == 3);
  CHECK(r.frames.size() == 2);
  // The nearest object to the first car is the other car (same class, similar size).
  const auto hits = r.objects.query(r.spaces.objects.row(0), 1, 0);
  REQUIRE(hits.size() == 1);
  CHECK(r.spaces.objects.items[hits[0].item].ref.to_string() == "000000/label/1");
  // find_similar: the same answer by ref; frames for a frame; nothing for a DontCare line.
  const auto by_ref = r.query(ObjectRef{"000000", "label", 0}, 5);
  REQUIRE(by_ref);
  REQUIRE(by_ref->size() == 2);
  CHECK(by_ref->front().ref.to_string() == "000000/label/1");
  CHECK(by_ref->front().cls == "Car");
  const auto frames = r.query(ObjectRef{"000001", "", -1}, 5);
  REQUIRE(frames);
  REQUIRE(frames->size() == 1);
  CHECK(frames->front().ref.to_string() == "000000");
  CHECK_FALSE(r.query(ObjectRef{"000000", "label", 2}, 5));  // DontCare
}
