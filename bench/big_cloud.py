#!/usr/bin/python3
"""Writes a one-frame KITTI-layout dataset whose scan is a source frame's scan repeated N times,
each copy moved by Gaussian jitter (sigma 2 cm a coordinate, seeded) so no two points coincide:
a stand-in for a dense or aggregated cloud (~10M points for 80 copies of a 122k-point sweep).
Image, calibration and labels are symlinks to the source frame's.

  /usr/bin/python3 bench/big_cloud.py KITTI_DIR FRAME_ID COPIES OUT_DIR
"""
import os
import sys

import numpy as np


def main():
    root, frame, copies, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    xyzr = np.fromfile(f"{root}/training/velodyne/{frame}.bin", dtype=np.float32).reshape(-1, 4)
    rng = np.random.default_rng(8)
    big = np.tile(xyzr, (copies, 1))
    big[:, :3] += rng.normal(0.0, 0.02, size=(big.shape[0], 3)).astype(np.float32)
    for sub in ("velodyne", "image_2", "calib", "label_2"):
        os.makedirs(f"{out}/training/{sub}", exist_ok=True)
    big.astype(np.float32).tofile(f"{out}/training/velodyne/{frame}.bin")
    for sub, ext in (("image_2", "png"), ("calib", "txt"), ("label_2", "txt")):
        dst = f"{out}/training/{sub}/{frame}.{ext}"
        if not os.path.exists(dst):
            os.symlink(os.path.abspath(f"{root}/training/{sub}/{frame}.{ext}"), dst)
    print(f"wrote {out}: frame {frame}, {big.shape[0]} points ({copies} x {xyzr.shape[0]})")


if __name__ == "__main__":
    main()
