#!/usr/bin/env bash
# Fleet-scale memory benchmark (issue #13 section 1): wall time and peak RSS of `needle rank` and
# `needle eval` on demo sets of 7,481 / 100,000 / 1,000,000 frames (labels, calib and two
# prediction sets; no images, no lidar), for a NEW binary (this tree) and an OLD one (the code
# before bounded memory, e.g. /work/main/build/app/needle), and a check that both rankings are
# byte-identical.
#
# Usage: bench/fleet_memory.sh [DATA_DIR=/tmp] [SIZES="7481 100000"] [RUNS=3]
#   env NEW=build/app/needle OLD=/work/main/build/app/needle (OLD empty: only the new binary)
#   env OLD_MAX_FRAMES=100000: the old binary is not run above this size (at 1,000,000 frames it
#   would need ~16 GB of memory); EVAL_MAX_FRAMES=100000 likewise for `needle eval` (not bounded
#   yet: ~8.5 KB a frame). env KEEP=1 keeps the generated sets (default: a set larger than
#   100,000 frames is deleted after its runs: ~16 GB and ~3M files). env REPLICATE_FROM=DIR builds
#   a missing set instead from the demo set DIR, its frames hard-linked cyclically under new ids
#   (frame i = frame i mod |DIR| of DIR; seconds instead of ~40 min of `needle demo` at 1,000,000
#   frames on a loaded machine; its files share DIR's page cache, so reading them is cheaper than
#   reading a generated set).
# Output: one line per (binary, command, size) with the median wall time and the median peak RSS
# of RUNS runs (/usr/bin/time -f "%e %M"), then "identical" or "DIFFERENT" per size.
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir="${1:-/tmp}"
sizes="${2:-7481 100000}"
runs="${3:-3}"
new="${NEW:-build/app/needle}"
old="${OLD-/work/main/build/app/needle}"
old_max="${OLD_MAX_FRAMES:-100000}"
eval_max="${EVAL_MAX_FRAMES:-100000}"
[ -x "$new" ] || { echo "build first: cmake --build build --target needle" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
tmp=$(mktemp -d /tmp/fleet_memory.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# measure LABEL BINARY ARGS...: RUNS runs, median wall (s) and peak RSS (MB)
measure() {
  local label="$1" bin="$2"
  shift 2
  local walls="" rss=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$tmp/time.txt" "$bin" "$@" >/dev/null 2>"$tmp/err.txt" ||
      { echo "FAILED: $bin $*" >&2; cat "$tmp/err.txt" >&2; return 1; }
    read -r w m < <(tail -1 "$tmp/time.txt")
    walls+="$w"$'\n'
    rss+="$m"$'\n'
  done
  local mw mr
  mw=$(printf '%s' "$walls" | median)
  mr=$(printf '%s' "$rss" | median)
  printf '%-5s %-5s %9s frames  wall %8.2f s  peak RSS %8.1f MB   (%s)\n' "$label" "$cmd_name" \
    "$n" "$mw" "$(awk -v k="$mr" 'BEGIN {print k / 1024}')" "$*"
}

for n in $sizes; do
  set_dir="$data_dir/needle-fleet-$n"
  if [ ! -f "$set_dir/injected.json" ] && [ -n "${REPLICATE_FROM:-}" ]; then
    echo "replicating $REPLICATE_FROM into $set_dir ($n frames, hard links) ..." >&2
    python3 - "$REPLICATE_FROM" "$set_dir" "$n" <<'PY'
import os, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
subdirs = ["training/label_2", "training/calib"] + ["pred/" + p for p in sorted(os.listdir(os.path.join(src, "pred")))]
ids = sorted(f[:-4] for f in os.listdir(os.path.join(src, "training/label_2")) if f.endswith(".txt"))
width = max(6, len(str(n - 1)))
for d in subdirs:
    os.makedirs(os.path.join(dst, d), exist_ok=True)
    have = set(os.listdir(os.path.join(src, d)))
    for i in range(n):
        name = ids[i % len(ids)] + ".txt"
        if name in have:
            os.link(os.path.join(src, d, name), os.path.join(dst, d, str(i).zfill(width) + ".txt"))
open(os.path.join(dst, "injected.json"), "w").write('{"errors": []}\n')
PY
  fi
  if [ ! -f "$set_dir/injected.json" ]; then
    echo "generating $set_dir ($n frames) ..." >&2
    t0=$(date +%s)
    "$new" demo "$set_dir" --frames "$n" --no-images --no-lidar --seed 1 >/dev/null
    echo "generated in $(( $(date +%s) - t0 )) s, $(du -sh "$set_dir" | cut -f1) on disk" >&2
  fi
  for which in new old; do
    bin="$new"
    [ "$which" = old ] && bin="$old"
    [ -n "$bin" ] && [ -x "$bin" ] || continue
    if [ "$which" = old ] && [ "$n" -gt "$old_max" ]; then
      echo "old   rank/eval at $n frames: not run (above OLD_MAX_FRAMES=$old_max)"
      continue
    fi
    cmd_name=rank
    measure "$which" "$bin" rank "$set_dir" --format json --out "$tmp/$which.json"
    cmd_name=eval
    if [ "$n" -le "$eval_max" ]; then
      measure "$which" "$bin" eval "$set_dir" --pred "$set_dir/pred/sim_a" --format json
    else
      echo "$which  eval at $n frames: not run (above EVAL_MAX_FRAMES=$eval_max)"
    fi
  done
  if [ -f "$tmp/old.json" ] && [ -n "$old" ] && [ "$n" -le "$old_max" ]; then
    if cmp -s "$tmp/new.json" "$tmp/old.json"; then
      echo "rank json at $n frames: identical (new == old, $(stat -c %s "$tmp/new.json") bytes)"
    else
      echo "rank json at $n frames: DIFFERENT"
    fi
  fi
  rm -f "$tmp/old.json" "$tmp/new.json"
  if [ "$n" -gt 100000 ] && [ -z "${KEEP:-}" ]; then rm -rf "$set_dir"; fi
done
