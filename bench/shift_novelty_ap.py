#!/usr/bin/env python3
"""Average precision of `needle shift`'s novelty ranking at putting a demo's shifted frames first.

usage: shift_novelty_ap.py SHIFT_JSON PROD_DIR/injected.json
SHIFT_JSON is `needle shift TRAIN PROD --format json`. For each shift kind K the ranking is cut to
PROD's unshifted frames plus the frames shifted by K, and AP = the mean, over K's frames, of the
precision at each one's rank (frames of other kinds are left out so each kind is measured alone).
Prints one line per kind: kind, frames, AP.
"""
import json
import sys

shift = json.load(open(sys.argv[1]))
inj = json.load(open(sys.argv[2]))
kind_of = {s["frame"]: s["kind"] for s in inj.get("shifts", [])}
order = [f["frame"] for f in shift["frames"]]  # most novel first
for kind in sorted(set(kind_of.values())):
    hits, ap, n_pos, rank = 0, 0.0, sum(1 for k in kind_of.values() if k == kind), 0
    for fr in order:
        k = kind_of.get(fr)
        if k is not None and k != kind:
            continue
        rank += 1
        if k == kind:
            hits += 1
            ap += hits / rank
    print(f"{kind} {n_pos} {ap / max(n_pos, 1):.4f}")
