#!/usr/bin/env bash
# Mutation check: applies small deliberate bugs to core/ one at a time, rebuilds the core tests
# incrementally, runs them and reports which mutants the tests kill. Not part of CI (it takes
# a while: one incremental build + one test run per mutant).
#
#   scripts/mutate.sh [--build DIR] [--only ID[,ID...]] [--list]
#
# Each mutant is an exact text substitution that must match its file exactly once; a mutant whose
# text is no longer in the file is reported STALE (update the list), never silently skipped.
# The file is restored after each mutant (and on exit or Ctrl-C). A mutant is KILLED when the
# core tests fail (or time out), SURVIVED when they pass, BUILD-ERROR when it does not compile.
# Tests that need the KITTI sample read $NEEDLE_KITTI_DIR (default ../shared/kitti).
# Results: stdout, and DIR/mutants.tsv (id, result, seconds, first failing test, description).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
build="build-mutate"
only=""
list=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --list) list=1; shift ;;
    *) echo "usage: scripts/mutate.sh [--build DIR] [--only ID,...] [--list]" >&2; exit 2 ;;
  esac
done
export NEEDLE_KITTI_DIR="${NEEDLE_KITTI_DIR:-$(cd .. && pwd)/shared/kitti}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(cd .. && pwd)}"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
test_timeout="${NEEDLE_MUTATE_TIMEOUT:-900}"  # seconds per test run; a hang counts as killed

exec python3 - "$root" "$build" "$only" "$list" "$test_timeout" "${launcher[@]}" <<'PY'
import os, subprocess, sys, time, signal

root, build, only, list_only, test_timeout = sys.argv[1:6]
launcher = sys.argv[6:]
test_timeout = int(test_timeout)

# (id, file, original text, mutated text, what the bug is)
MUTANTS = [
    ("clip-endpoint", "core/src/box3d.cpp", "(ia ? b : a) = p;", "(ia ? a : b) = p;",
     "near-plane clipping writes the clipped point into the end in front"),
    ("clip-drop", "core/src/box3d.cpp", "if (!ia && !ib) return false;",
     "if (!ia || !ib) return false;", "edges crossing the near plane are dropped"),
    ("clip-t", "core/src/box3d.cpp", "const double t = (near - a.z) / (b.z - a.z);",
     "const double t = (near - b.z) / (a.z - b.z);", "clip parameter measured from the wrong end"),
    ("points-in-box-height", "core/src/box3d.cpp", "p_rect.y < o.loc_cam.y - o.h)",
     "p_rect.y < o.loc_cam.y - 2 * o.h)", "points up to 2h above the bottom count as inside"),
    ("iou-bev-union", "core/src/iou.cpp", "return inter / (a.l * a.w + b.l * b.w - inter);",
     "return inter / (a.l * a.w + b.l * b.w);", "BEV IoU over the sum of areas"),
    ("iou-3d-height", "core/src/iou.cpp",
     "const double ymin = std::max(a.loc_cam.y - a.h, b.loc_cam.y - b.h);",
     "const double ymin = std::min(a.loc_cam.y - a.h, b.loc_cam.y - b.h);",
     "3D height overlap from the lower top"),
    ("iou-footprint-mirror", "core/src/iou.cpp",
     "-s * local[i].x + c * local[i].z + o.loc_cam.z};",
     "s * local[i].x + c * local[i].z + o.loc_cam.z};",
     "footprint rotated the wrong way (mirrored heading)"),
    ("iou-clip-side", "core/src/iou.cpp", "const bool in_c = dc >= 0, in_p = dp >= 0;",
     "const bool in_c = dc > 0, in_p = dp >= 0;",
     "Sutherland-Hodgman: a vertex on a clip edge counts as outside for one end only"),
    ("iou2d-over-a", "core/src/iou.cpp", "return area_a > 0 ? w * h / area_a : 0;",
     "return area_a > 0 ? w * h / (area_a + 1) : 0;", "overlap over own area off by one pixel^2"),
    ("devkit-min-height", "core/src/eval_stats.cpp",
     "constexpr int kMinHeight[kEvalDifficulties] = {40, 25, 25};",
     "constexpr int kMinHeight[kEvalDifficulties] = {40, 25, 20};",
     "hard difficulty min box height 20 px instead of 25"),
    ("devkit-max-trunc", "core/src/eval_stats.cpp",
     "constexpr double kMaxTruncation[kEvalDifficulties] = {0.15, 0.3, 0.5};",
     "constexpr double kMaxTruncation[kEvalDifficulties] = {0.15, 0.5, 0.5};",
     "moderate difficulty max truncation 0.5 instead of 0.3"),
    ("devkit-max-occ", "core/src/eval_stats.cpp",
     "constexpr int kMaxOcclusion[kEvalDifficulties] = {0, 1, 2};",
     "constexpr int kMaxOcclusion[kEvalDifficulties] = {0, 1, 3};",
     "hard difficulty admits occlusion 3"),
    ("devkit-overlap", "core/src/eval_stats.cpp",
     "constexpr double kMinOverlap[kEvalClasses] = {0.7, 0.5, 0.5};",
     "constexpr double kMinOverlap[kEvalClasses] = {0.5, 0.5, 0.5};",
     "Car overlap threshold 0.5 instead of 0.7"),
    ("devkit-height-strict", "core/src/eval_stats.cpp", "height <= kMinHeight[d]);",
     "height < kMinHeight[d]);", "a box exactly at the min height counts"),
    ("devkit-r40", "core/src/eval_stats.cpp",
     "for (int i = 1; i < kEvalRecallPoints; ++i) s40 +=",
     "for (int i = 0; i < kEvalRecallPoints - 1; ++i) s40 +=", "R40 averages points 0..39"),
    ("match-order", "core/src/matching.cpp",
     "[&](std::size_t a, std::size_t b) { return score_of(a) > score_of(b); });",
     "[&](std::size_t a, std::size_t b) { return score_of(a) < score_of(b); });",
     "greedy matching takes the least confident prediction first"),
    ("match-car-overlap", "core/src/matching.cpp",
     "m[class_index(ObjectClass::Car)] = 0.7;", "m[class_index(ObjectClass::Car)] = 0.5;",
     "Car matched at 0.5 instead of 0.7"),
    ("dontcare-absorb", "core/src/matching.cpp",
     "if (overlap_2d_over_a(preds[j].box2d, dc.box2d) >= cfg.dontcare_min_overlap) {",
     "if (overlap_2d_over_a(dc.box2d, preds[j].box2d) >= cfg.dontcare_min_overlap) {",
     "DontCare overlap over the DontCare's area instead of the prediction's"),
    ("neighbour-classes", "core/src/matching.cpp",
     "return is(ObjectClass::Car, ObjectClass::Van) ||",
     "return is(ObjectClass::Car, ObjectClass::Truck) ||", "Truck instead of Van neighbours Car"),
    ("isotonic-monotone", "core/src/confidence.cpp",
     "running = std::max(running, v);", "running = v;",
     "confidence map no longer forced monotone after shrinkage"),
    ("isotonic-pool", "core/src/confidence.cpp",
     "if (a.sum_y / a.n < b.sum_y / b.n) break;", "if (a.sum_y / a.n > b.sum_y / b.n) break;",
     "pool-adjacent-violators merges the wrong blocks"),
    ("noisy-or", "core/src/ranking.cpp",
     "for (const Finding& f : findings) keep *= 1 - std::clamp(f.score, 0.0, 1.0);",
     "for (const Finding& f : findings) keep = std::min(keep, 1 - std::clamp(f.score, 0.0, 1.0));",
     "frame score = max finding instead of noisy-or"),
    ("pred-empty-is-missing", "core/src/dataset.cpp",
     "pf.status = PredStatus::Empty;\n        return;",
     "pf.status = PredStatus::Missing;\n        return;",
     "an empty prediction file reads as Missing (frame not predicted)"),
    ("frame-id-order", "core/src/dataset.cpp", "if (la != lb) return la < lb;",
     "if (la != lb) return la > lb;", "longer numeric ids sort first"),
    ("frame-id-digits", "core/src/dataset.cpp", "if (da != db) return da;",
     "if (da != db) return db;", "non-numeric ids sort before numeric ones"),
    ("label-occluded-range", "core/src/kitti_io.cpp", "v[2] < -1 || v[2] > 3)",
     "v[2] < -1 || v[2] > 4)", "occlusion 4 accepted"),
    ("label-dim-zero", "core/src/kitti_io.cpp", "if (v[i] > 0) continue;",
     "if (v[i] >= 0) continue;", "a zero dimension accepted"),
    ("geometry-limit-sign", "core/src/kitti_io.cpp", "if (std::abs(xyz[i]) > L::kMaxCoordinate) {",
     "if (xyz[i] > L::kMaxCoordinate) {", "a position 600 m behind / left / above passes"),
    ("geometry-alpha", "core/src/kitti_io.cpp", "if (std::abs(o.alpha) > L::kMaxAngle) {",
     "if (o.alpha > L::kMaxAngle) {", "alpha far below -pi passes"),
    ("nonfile-ignored", "core/src/dataset.cpp",
     "if (stem.empty() || stem[0] == '.' || !ext_is(p, exts)) continue;\n    f(stem, p);",
     "if (stem.empty() || stem[0] == '.' || !ext_is(p, exts)) continue;\n"
     "    if (!e.is_regular_file()) continue;\n    f(stem, p);",
     "a directory named like a data file is silently ignored again"),
    ("zero-label-alone", "core/src/dataset.cpp", "if (text.empty() && ds.label_files > 1) {",
     "if (text.empty() && ds.label_files > 0) {",
     "a dataset's only label file warns when empty"),
    ("calib-no-rect", "core/src/calib.cpp", "return compose(rot33_as_34(R0_rect), Tr_velo_to_cam);",
     "return Tr_velo_to_cam;", "velodyne -> rectified camera skips R0_rect"),
]

if list_only == "1":
    for m in MUTANTS:
        print(f"{m[0]:24s} {m[1]:28s} {m[4]}")
    sys.exit(0)
if only:
    wanted = set(only.split(","))
    unknown = wanted - {m[0] for m in MUTANTS}
    if unknown:
        sys.exit(f"unknown mutant id(s): {', '.join(sorted(unknown))}")
    MUTANTS = [m for m in MUTANTS if m[0] in wanted]

os.chdir(root)
originals = {}

def restore():
    for path, text in originals.items():
        with open(path, "w") as f:
            f.write(text)
    originals.clear()

def on_signal(sig, frame):
    restore()
    sys.exit(130)

signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)

def run(cmd, timeout=None, log=None):
    with open(log, "w") if log else open(os.devnull, "w") as out:
        try:
            return subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return "timeout"

subprocess.run(["cmake", "-S", ".", "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                "-DNEEDLE_WERROR=OFF", *launcher], check=True, stdout=subprocess.DEVNULL)
targets = ["--target", "needle_core_tests", "--target", "needle"]
jobs = str(os.cpu_count() or 2)
tests = os.path.join(build, "tests", "needle_core_tests")
logdir = os.path.join(build, "mutants")
os.makedirs(logdir, exist_ok=True)

def build_and_test(tag):
    t0 = time.time()
    if run(["cmake", "--build", build, "-j", jobs, *targets], log=f"{logdir}/{tag}.build.log") != 0:
        return "BUILD-ERROR", time.time() - t0, ""
    # --abort: the first failing assertion ends the run (a killed mutant costs little).
    rc = run([tests, "--abort", "--reporter", "compact"], timeout=test_timeout,
             log=f"{logdir}/{tag}.test.log")
    first = ""
    if rc != 0:
        with open(f"{logdir}/{tag}.test.log", errors="replace") as f:
            for line in f:
                if "failed" in line.lower() or "error" in line.lower():
                    first = line.strip()[:160]
                    break
    return ("PASS" if rc == 0 else "FAIL" if rc != "timeout" else "TIMEOUT"), time.time() - t0, first

print(f"baseline: building and running {tests} ...", flush=True)
status, secs, first = build_and_test("baseline")
if status != "PASS":
    sys.exit(f"baseline does not pass ({status}, {first}); see {logdir}/baseline.*.log")
print(f"baseline passes ({secs:.0f} s)", flush=True)

results = []
try:
    for mid, path, old, new, what in MUTANTS:
        with open(path) as f:
            text = f.read()
        n = text.count(old)
        if n != 1:
            results.append((mid, "STALE", 0.0, f"original text found {n} times in {path}", what))
            print(f"{mid:24s} STALE (original text found {n} times in {path})", flush=True)
            continue
        originals[path] = text
        with open(path, "w") as f:
            f.write(text.replace(old, new))
        status, secs, first = build_and_test(mid)
        restore()
        result = {"PASS": "SURVIVED", "FAIL": "KILLED", "TIMEOUT": "KILLED",
                  "BUILD-ERROR": "BUILD-ERROR"}[status]
        results.append((mid, result, secs, first, what))
        print(f"{mid:24s} {result:11s} {secs:5.0f} s  {first}", flush=True)
finally:
    restore()
    # Rebuild the restored tree so that the build folder matches the sources again.
    run(["cmake", "--build", build, "-j", jobs, *targets])

with open(os.path.join(build, "mutants.tsv"), "w") as f:
    for r in results:
        f.write("\t".join([r[0], r[1], f"{r[2]:.0f}", r[3], r[4]]) + "\n")
valid = [r for r in results if r[1] in ("KILLED", "SURVIVED")]
killed = sum(1 for r in valid if r[1] == "KILLED")
print(f"\nmutants: {len(results)}, killed {killed} / {len(valid)} valid"
      f" ({100.0 * killed / max(1, len(valid)):.0f}%), survived "
      f"{sum(1 for r in valid if r[1] == 'SURVIVED')}, stale "
      f"{sum(1 for r in results if r[1] == 'STALE')}, build errors "
      f"{sum(1 for r in results if r[1] == 'BUILD-ERROR')}")
for r in results:
    if r[1] != "KILLED":
        print(f"  {r[1]}: {r[0]} ({r[4]})")
sys.exit(0)
PY
