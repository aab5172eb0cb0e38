#!/usr/bin/env bash
# Orbit frame rate of the needle 3D view against Open3D's legacy visualizer turning the same scan
# with its label boxes, side by side in one run: ROUNDS rounds, each running `needle view --bench`
# and then bench/open3d_orbit.py under the same xvfb-run settings (1600x900x24, Mesa llvmpipe), so
# both see the same machine load. Installs Debian's python3-open3d when missing (needs root).
#   bench/open3d_compare.sh [BUILD_DIR] [KITTI_DIR] [ROUNDS]   (defaults: build, ../shared/kitti, 3)
# Prints each round's BENCH and OPEN3D lines, the load average, then the medians and the ratio
# (needle orbit fps / Open3D orbit fps, median of the per-round ratios):
#   COMPARE needle_orbit_fps=... open3d_orbit_fps=... ratio=... needle_still_ms=... rounds=...
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
kitti="${2:-${NEEDLE_KITTI_DIR:-../shared/kitti}}"
rounds="${3:-3}"
frame=000008
if ! /usr/bin/python3 -c "import open3d" 2>/dev/null; then
  echo "installing python3-open3d (Debian package)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-open3d >&2
fi
xvfb=(xvfb-run -a -s "-screen 0 1600x900x24")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for ((i = 1; i <= rounds; i++)); do
  echo "round $i: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  "${xvfb[@]}" "$build/app/needle" view "$kitti" --frame "$frame" --bench --size 1600x900 |
    grep '^BENCH' | tee -a "$log"
  "${xvfb[@]}" /usr/bin/python3 bench/open3d_orbit.py "$kitti" "$frame" 6 1600x900 2>/dev/null |
    grep '^OPEN3D' | tee -a "$log"
done
echo "end: load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$log" <<'PY'
import re, statistics, sys
needle, o3d, still = [], [], []
for line in open(sys.argv[1]):
    kv = dict(re.findall(r"(\w+)=([0-9.]+)", line))
    if line.startswith("BENCH"):
        needle.append(float(kv["orbit_fps"])); still.append(float(kv["still_ms"]))
    elif line.startswith("OPEN3D"):
        o3d.append(float(kv["orbit_fps"]))
ratios = [n / o for n, o in zip(needle, o3d) if o > 0]
print(f"COMPARE needle_orbit_fps={statistics.median(needle):.2f} "
      f"open3d_orbit_fps={statistics.median(o3d):.2f} ratio={statistics.median(ratios):.2f} "
      f"(per round {', '.join(f'{r:.2f}' for r in ratios)}) "
      f"needle_still_ms={statistics.median(still):.2f} rounds={len(ratios)}")
PY
