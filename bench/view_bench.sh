#!/usr/bin/env bash
# Viewer benchmark: FPS with every layer on (still and while orbiting) and the latency from a
# next-frame key press to the first fully drawn new frame (prefetched and cold), in the real app
# under Xvfb with Mesa llvmpipe at 1600x900 on KITTI frame 000008 (122k points).
#   bench/view_bench.sh [BUILD_DIR] [KITTI_DIR]      (defaults: build, ../shared/kitti)
# Prints medians; the last line is machine-readable:
#   BENCH fps=... orbit_fps=... prefetched_ms=... cold_ms=... frame_ms=... orbit_full_fps=...
#         orbit_points=... still_ms=... cold_full_ms=... points=...
# (orbit_fps with the level of detail, orbit_full_fps drawing every point; still_ms: from the last
# camera move to the full-detail picture). bench/open3d_compare.sh runs it against Open3D.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
kitti="${2:-${NEEDLE_KITTI_DIR:-../shared/kitti}}"
exec xvfb-run -a -s "-screen 0 1600x900x24" "$build/app/needle" view "$kitti" --frame 000008 --bench --size 1600x900
