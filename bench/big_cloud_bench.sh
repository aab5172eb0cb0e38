#!/usr/bin/env bash
# The viewer bench on a ~10M-point scan: KITTI frame 000008's scan repeated COPIES times with 2 cm
# jitter (bench/big_cloud.py), written to a temporary one-frame dataset (image, calib and labels
# linked to the source), then `needle view --bench` under Xvfb/llvmpipe at 1600x900, every layer on.
#   bench/big_cloud_bench.sh [BUILD_DIR] [KITTI_DIR] [COPIES]   (defaults: build, ../shared/kitti, 80)
# Prints the bench report; its BENCH line has orbit_fps (with the level of detail), orbit_full_fps
# (every point every frame) and still_ms (from the last camera move to the full-detail picture).
# The dataset has one frame: the next-frame latencies of this run mean nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
kitti="${2:-${NEEDLE_KITTI_DIR:-../shared/kitti}}"
copies="${3:-80}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/big_cloud.py "$kitti" 000008 "$copies" "$tmp/big"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
xvfb-run -a -s "-screen 0 1600x900x24" "$build/app/needle" view "$tmp/big" --frame 000008 --bench \
  --size 1600x900
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
