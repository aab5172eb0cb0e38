#!/usr/bin/env bash
# Engine benchmark: a KITTI-scale demo set (7,481 frames, labels + calib + two prediction sets,
# no images/lidar) and whole-process timings of `needle eval` and `needle rank`
# (median of 5 with hyperfine), plus peak memory from /usr/bin/time -v.
# Usage: bench/engine_bench.sh [BUILD_DIR=build] [DATA_DIR=/tmp/needle-bench-7481]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
data="${2:-/tmp/needle-bench-7481}"
needle="$build/app/needle"
[ -x "$needle" ] || { echo "build first: cmake --build $build --target needle" >&2; exit 2; }
source scripts/deps.sh
needle_install_deps hyperfine time
if [ ! -f "$data/injected.json" ]; then
  "$needle" demo "$data" --frames 7481 --no-images --no-lidar
fi
labels=$(cat "$data"/training/label_2/*.txt | grep -vc '^DontCare' || true)
preds=$(cat "$data"/pred/sim_a/*.txt | grep -c . || true)
echo "dataset: $data  frames=$(ls "$data/training/label_2" | wc -l)  labels(non-DontCare)=$labels  sim_a predictions=$preds"
hyperfine -N --warmup 1 --runs 5 --export-json /tmp/needle-bench-hf.json \
  "$needle eval $data --pred $data/pred/sim_a --format json" \
  "$needle rank $data --pred $data/pred/sim_a --pred $data/pred/sim_b --format json --out /dev/null"
python3 - <<'PY'
import json
for r in json.load(open('/tmp/needle-bench-hf.json'))['results']:
    print(f"median {r['median']*1000:8.1f} ms  (min {r['min']*1000:.1f}, max {r['max']*1000:.1f})  {r['command']}")
PY
for cmd in "eval $data --pred $data/pred/sim_a --format json" \
           "rank $data --pred $data/pred/sim_a --pred $data/pred/sim_b --format json --out /dev/null"; do
  /usr/bin/time -v "$needle" $cmd 2>/tmp/needle-bench-time.txt >/dev/null
  echo "peak RSS $(grep 'Maximum resident' /tmp/needle-bench-time.txt | awk '{print $6}') kB  needle $cmd"
done
