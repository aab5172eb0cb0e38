#!/usr/bin/python3
"""Open3D's legacy visualizer turning a KITTI scan with its label boxes: the reference for the
needle 3D view's orbit frame rate (bench/open3d_compare.sh runs both side by side).

  /usr/bin/python3 bench/open3d_orbit.py KITTI_DIR FRAME_ID [SECONDS] [WIDTHxHEIGHT]

Points coloured by height (as needle's default), label boxes as line sets in the velodyne frame,
the view turned a little every frame (ctr.rotate), as while dragging. Prints one line:
  OPEN3D orbit_fps=... frames=... points=... boxes=...
"""
import sys
import time

import numpy as np
import open3d as o3d


def read_calib(path):
    m = {}
    for line in open(path):
        if ":" not in line:
            continue
        k, v = line.split(":", 1)
        m[k.strip()] = np.array([float(x) for x in v.split()])
    r0 = np.eye(4)
    r0[:3, :3] = m["R0_rect"].reshape(3, 3)
    tr = np.eye(4)
    tr[:3, :4] = m["Tr_velo_to_cam"].reshape(3, 4)
    return np.linalg.inv(r0 @ tr)  # rectified camera -> velodyne


def box_lines(label_path, rect_to_velo):
    """The 12 edges of every non-DontCare label box (KITTI devkit corner convention)."""
    sets = []
    for line in open(label_path):
        f = line.split()
        if not f or f[0] == "DontCare":
            continue
        h, w, l = float(f[8]), float(f[9]), float(f[10])
        x, y, z, ry = float(f[11]), float(f[12]), float(f[13]), float(f[14])
        xs = [l / 2, l / 2, -l / 2, -l / 2, l / 2, l / 2, -l / 2, -l / 2]
        ys = [0, 0, 0, 0, -h, -h, -h, -h]
        zs = [w / 2, -w / 2, -w / 2, w / 2, w / 2, -w / 2, -w / 2, w / 2]
        c, s = np.cos(ry), np.sin(ry)
        rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
        p_rect = rot @ np.array([xs, ys, zs]) + np.array([[x], [y], [z]])
        p_velo = (rect_to_velo @ np.vstack([p_rect, np.ones((1, 8))]))[:3].T
        edges = [[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4],
                 [0, 4], [1, 5], [2, 6], [3, 7]]
        ls = o3d.geometry.LineSet(o3d.utility.Vector3dVector(p_velo),
                                  o3d.utility.Vector2iVector(edges))
        ls.paint_uniform_color([0.2, 1.0, 0.3])
        sets.append(ls)
    return sets


def main():
    root, frame = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 4.0
    width, height = (int(v) for v in (sys.argv[4] if len(sys.argv) > 4 else "1600x900").split("x"))
    xyzr = np.fromfile(f"{root}/training/velodyne/{frame}.bin", dtype=np.float32).reshape(-1, 4)
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(xyzr[:, :3].astype(np.float64)))
    t = np.clip((xyzr[:, 2] + 2.5) / 4.0, 0, 1)  # z -2.5 .. 1.5 m, as needle's height colours
    cloud.colors = o3d.utility.Vector3dVector(np.stack([t, 0.6 + 0.2 * t, 1 - t], axis=1))
    boxes = box_lines(f"{root}/training/label_2/{frame}.txt",
                      read_calib(f"{root}/training/calib/{frame}.txt"))
    vis = o3d.visualization.Visualizer()
    vis.create_window(width=width, height=height)
    vis.add_geometry(cloud)
    for b in boxes:
        vis.add_geometry(b)
    ctr = vis.get_view_control()
    for _ in range(10):  # warm up
        vis.poll_events()
        vis.update_renderer()
    times = []
    start = last = time.perf_counter()
    while last - start < seconds:
        ctr.rotate(10.0, 0.0)
        vis.poll_events()
        vis.update_renderer()
        now = time.perf_counter()
        times.append(now - last)
        last = now
    vis.destroy_window()
    med = float(np.median(times))
    print(f"OPEN3D orbit_fps={1.0 / med:.2f} frames={len(times)} points={len(xyzr)} "
          f"boxes={len(boxes)}")


if __name__ == "__main__":
    main()
