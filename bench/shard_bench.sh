#!/usr/bin/env bash
# Issue 13 §2: the cost of sharded runs on one machine, on a demo set made with
#   needle demo DIR --frames 100000 --no-images --no-lidar
# Usage: bench/shard_bench.sh NEEDLE DATASET WORKDIR [N...]   (default N: 1 3 7 16)
# For each N: the N map steps of `needle rank` and `needle eval` (one after the other, timed each;
# partial files under WORKDIR), then the merge, timed; the merged output is compared with a single
# run's (cmp). Prints one line per step: wall seconds, user+sys CPU seconds, peak RSS (KB).
# Under load, CPU seconds are the steadier figure. Partial files are deleted after each N.
set -euo pipefail
NEEDLE=$1 DATASET=$2 WORK=$3
shift 3
NS=("$@")
[ $# -eq 0 ] && NS=(1 3 7 16)
PRED=$(ls "$DATASET/pred" | head -1)
mkdir -p "$WORK"
timed() {  # label, command...: prints label, wall, user+sys CPU, peak RSS
  local label=$1 tf
  shift
  tf=$(mktemp)
  /usr/bin/time -o "$tf" -f '%e\t%U\t%S\t%M' "$@" >/dev/null 2>&1 || echo "$label failed"
  awk -v l="$label" -F'\t' '{printf "%-20s %8.2f s wall %8.2f s cpu %8d KB\n", l, $1, $2 + $3, $4}' "$tf"
  rm -f "$tf"
}
$NEEDLE rank "$DATASET" --format json --out "$WORK/single_rank.json" 2>/dev/null
$NEEDLE eval "$DATASET" --pred "$DATASET/pred/$PRED" --format json >"$WORK/single_eval.json" 2>/dev/null
for n in "${NS[@]}"; do
  for i in $(seq 0 $((n - 1))); do
    timed "rank map $i/$n" $NEEDLE rank "$DATASET" --shard "$i/$n" --partial-out "$WORK/r.$i.npt"
    timed "eval map $i/$n" $NEEDLE eval "$DATASET" --pred "$DATASET/pred/$PRED" --shard "$i/$n" \
      --partial-out "$WORK/e.$i.npt"
  done
  echo "partial bytes N=$n: rank $(cat "$WORK"/r.*.npt | wc -c) eval $(cat "$WORK"/e.*.npt | wc -c)"
  timed "rank merge N=$n" $NEEDLE rank --merge "$WORK"/r.*.npt --format json --out "$WORK/merged_rank.json"
  cmp "$WORK/merged_rank.json" "$WORK/single_rank.json" && echo "rank N=$n: merged == single"
  timed "eval merge N=$n" sh -c "$NEEDLE eval --merge $WORK/e.*.npt --format json >$WORK/merged_eval.json"
  cmp "$WORK/merged_eval.json" "$WORK/single_eval.json" && echo "eval N=$n: merged == single"
  rm -f "$WORK"/r.*.npt "$WORK"/e.*.npt
done
