#!/usr/bin/env bash
# Method comparison: needle's default method against the two published baselines it implements
# (FiftyOne mistakenness, cleanlab ObjectLab) on demo datasets with injected label errors.
# For each dataset and method: recall@K (K = number of truth frames) and average precision of
# the frame ranking, overall (label errors + invalid data), for label errors only, and per error
# kind, and by error size: per size bin (subtle/gross, the rule is in needle/demo.h) and per
# kind x bin, for the 1000-frame seeds pooled and for the 200-frame default demo.
# Seeds used by the benchmarks: 1, 2, 3 (here) and 1 (bench/engine_bench.sh); the ranking-quality
# test (tests/core/test_demo.cpp) uses seed 11, which no benchmark uses.
#
# Datasets (generated once under WORK_DIR, reused afterwards):
#   demo200-s1      needle demo defaults: 200 frames with images and lidar, seed 1
#   big1000-s1..s3  1000 frames, no images/lidar, seeds 1, 2, 3
#
# Usage: bench/methods.sh [BUILD_DIR=build] [WORK_DIR=/tmp/needle-methods]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
work="${2:-/tmp/needle-methods}"
needle="$build/app/needle"
[ -x "$needle" ] || { echo "build first: cmake --build $build --target needle" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 2; }
mkdir -p "$work"

declare -A gen=(
  [demo200-s1]="--seed 1"
  [big1000-s1]="--frames 1000 --no-images --no-lidar --seed 1"
  [big1000-s2]="--frames 1000 --no-images --no-lidar --seed 2"
  [big1000-s3]="--frames 1000 --no-images --no-lidar --seed 3"
)
datasets=(demo200-s1 big1000-s1 big1000-s2 big1000-s3)
methods=(needle mistakenness objectlab)

for d in "${datasets[@]}"; do
  dir="$work/$d"
  if [ ! -f "$dir/injected.json" ]; then
    # shellcheck disable=SC2086
    "$needle" demo "$dir" ${gen[$d]} >&2
  fi
  preds=()
  for p in "$dir"/pred/*/; do preds+=(--pred "$(basename "$p")=$p"); done
  for m in "${methods[@]}"; do
    "$needle" rank "$dir" "${preds[@]}" --method "$m" --format json --truth "$dir/injected.json" \
      --out "$work/$d.$m.json" 2>/dev/null
  done
done

python3 - "$work" "${datasets[*]}" "${methods[*]}" <<'PY'
import json, sys
work, datasets, methods = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
q = {(d, m): json.load(open(f"{work}/{d}.{m}.json"))["summary"]["quality"] for d in datasets for m in methods}

def cell(f):
    return f"{f['recall_at_k']:.3f} {f['average_precision']:.3f}"

print("recall@K and AP (pairs: R@K AP)")
print(f"{'dataset':<12} {'method':<13} {'K':>4}  {'all':<11}  {'label errors':<11}  {'invalid data':<11}")
for d in datasets:
    for m in methods:
        r = q[(d, m)]
        print(f"{d:<12} {m:<13} {r['all']['truth_frames']:>4}  {cell(r['all']):<11}  {cell(r['label_errors']):<11}  "
              f"{cell(r['invalid_data']):<11}")
print()
kinds = sorted({k for r in q.values() for k in r["per_kind"]})
print("per error kind, mean over datasets (R@K AP; K per kind summed over datasets in brackets)")
print(f"{'kind':<20} " + "  ".join(f"{m:<13}" for m in methods))
for k in kinds:
    row = []
    for m in methods:
        fs = [q[(d, m)]["per_kind"][k] for d in datasets if k in q[(d, m)]["per_kind"]]
        n = sum(f["truth_frames"] for f in fs)
        rec = sum(f["recall_at_k"] * f["truth_frames"] for f in fs) / max(n, 1)
        ap = sum(f["average_precision"] * f["truth_frames"] for f in fs) / max(n, 1)
        row.append(f"{rec:.3f} {ap:.3f}".ljust(13))
    print(f"{k + ' [' + str(n) + ']':<20} " + "  ".join(row))
print()

def pooled(groups, m, get):
    """K-weighted mean of recall@K and AP over datasets (None when no dataset has the scope)."""
    fs = [get(q[(d, m)]) for d in groups]
    fs = [f for f in fs if f]
    n = sum(f["truth_frames"] for f in fs)
    if n == 0:
        return None
    rec = sum(f["recall_at_k"] * f["truth_frames"] for f in fs) / n
    ap = sum(f["average_precision"] * f["truth_frames"] for f in fs) / n
    return n, rec, ap

groups = [("1000 frames, seeds 1-3 pooled", [d for d in datasets if d.startswith("big1000")]),
          ("200-frame default demo, seed 1", [d for d in datasets if d.startswith("demo200")])]
for title, group in groups:
    if not group:
        continue
    print(f"by size bin and kind x bin: {title} (R@K / AP, K-weighted; [K])")
    print("| kind | bin | " + " | ".join(methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    rows = [("label errors", b, (lambda b: lambda r: r.get("per_bin", {}).get(b))(b))
            for b in ("gross", "subtle")]
    kinds_b = sorted({k for d in group for m in methods for k in q[(d, m)].get("per_kind_bin", {})})
    for k in kinds_b:
        for b in ("gross", "subtle"):
            rows.append((k, b, (lambda k, b: lambda r: r.get("per_kind_bin", {}).get(k, {}).get(b))(k, b)))
    for name, b, get in rows:
        cells, kk = [], 0
        for m in methods:
            p = pooled(group, m, get)
            if p is None:
                cells.append("-")
            else:
                kk = p[0]
                cells.append(f"{p[1]:.3f} / {p[2]:.3f}")
        print(f"| {name} | {b} [{kk}] | " + " | ".join(cells) + " |")
    print()

print("mean over datasets")
for m in methods:
    rs = [q[(d, m)] for d in datasets]
    avg = lambda key, f: sum(r[key][f] for r in rs) / len(rs)
    print(f"{m:<13} all R@K {avg('all', 'recall_at_k'):.3f} AP {avg('all', 'average_precision'):.3f}   "
          f"label errors R@K {avg('label_errors', 'recall_at_k'):.3f} AP {avg('label_errors', 'average_precision'):.3f}")
PY
