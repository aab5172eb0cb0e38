#!/usr/bin/env python3
"""Scores a `needle rank --format json` result against a demo set's injected.json for the lidar
witness (issue 8): removed labels found as unlabeled_cluster (a finding in the frame whose
position, parsed from its reason "(x X, z Z)", lies within 2.5 m of the removed box in the
camera's x-z plane), and the precision of the unlabeled_cluster findings (scoring >= THRESHOLD).

usage: lidar_eval.py RANK.json INJECTED.json [THRESHOLD=0.1]
"""
import json
import re
import sys

rank = json.load(open(sys.argv[1]))
truth = json.load(open(sys.argv[2]))
thr = float(sys.argv[3]) if len(sys.argv) > 3 else 0.1
pos = re.compile(r"\(x (-?[0-9.]+), z (-?[0-9.]+)\)")

removed = {}  # frame -> [(x, z)]
for e in truth["errors"]:
    if e["kind"] != "missing_label":
        continue
    f = e["detail"].replace("removed: ", "").split()
    removed.setdefault(e["frame"], []).append((float(f[11]), float(f[13])))

clusters = []  # (frame, x, z, score)
for fr in rank["frames"]:
    for f in fr["findings"]:
        if f["kind"] != "unlabeled_cluster" or f["score"] < thr:
            continue
        m = pos.search(f["reason"])
        if m:
            clusters.append((fr["frame"], float(m.group(1)), float(m.group(2)), f["score"]))


def near(a, b):
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 <= 2.5 ** 2


found = sum(1 for fid, boxes in removed.items() for b in boxes
            if any(c[0] == fid and near((c[1], c[2]), b) for c in clusters))
true_pos = sum(1 for c in clusters if any(near((c[1], c[2]), b) for b in removed.get(c[0], [])))
n_removed = sum(len(v) for v in removed.values())
print(f"removed labels found as unlabeled_cluster (score >= {thr}): {found}/{n_removed} = "
      f"{found / max(n_removed, 1):.3f}; precision {true_pos}/{len(clusters)} = "
      f"{true_pos / max(len(clusters), 1):.3f}")
