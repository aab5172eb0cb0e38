#!/usr/bin/env python3
"""Writes the fuzz seed corpus: small synthetic inputs made here, never KITTI files.

corpus/objects: label/prediction text in the dialects needle accepts, plus a few broken lines.
corpus/calib: a made-up calibration (all 7 keys), aliases, CRLF, broken variants.
corpus/velodyne: a few float32 x,y,z,r points (and a NaN, a short file).
corpus/scan: PCD files (ascii, binary, binary_compressed with a literal-only LZF stream, typed
and organized layouts, a missing field, truncated copies) and .bin scans for fuzz_scan.
corpus/png: tiny PNGs of several colour types made with zlib (RGB, grey, palette, RGBA, 16-bit,
interlaced) and a truncated one. corpus/png/tiny.jpg was made once with stbi_write_jpg from an 8x8
gradient (this script does not write JPEGs) and is kept as it is.
corpus/<target>/regress_*: inputs that once made a fuzzer fail, kept as they are (not written here).
Run from anywhere: python3 tests/fuzz/make_corpus.py
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- objects ---------------------------------------------------------------------------------
car = "Car 0.12 1 -1.50 600.00 170.00 700.00 230.00 1.50 1.60 3.90 1.00 1.70 20.00 -1.55"
dont = "DontCare -1 -1 -10 400.00 160.00 420.00 180.00 -1 -1 -1 -1000 -1000 -1000 -10"
ped = "Pedestrian 0.00 0 0.30 100.00 150.00 130.00 250.00 1.75 0.60 0.80 -5.00 1.60 12.00 0.20"
put("objects", "gt_basic.txt", "\n".join([car, ped, dont]) + "\n")
put("objects", "gt_crlf.txt", car + "\r\n" + dont + "\r\n\r\n")
put("objects", "pred_score_big.txt",
    "Car -1 -1 0 325.1805171 176.2540307 616.8116007 369.1304757 1.55 1.59 3.68 -1.20 1.59 7.86 1.86 130.9522 \n\n")
put("objects", "pred_int_box.txt",
    "Car -1 -1 -10 883.000000 179.000000 956.000000 239.000000 1.54 1.62 3.33 8.55 1.75 20.04 -1.22 0.999\n"
    "Cyclist -1 -1 -10 883 179 956 239 1.70 0.60 1.80 8.50 1.70 20.00 -1.20 0.0123\n")
put("objects", "empty.txt", "")
put("objects", "blank.txt", " \n\t\r\n")
put("objects", "unknown_class.txt", "Sign 0 0 0 1 2 3 4 1 1 1 1 2 8 0\n")
put("objects", "bad_nan.txt", "Car nan 0 0 1 2 3 4 1 1 1 1 2 8 0\n")
put("objects", "bad_count.txt", "Car 0 0 0 1 2 3 4 1 1 1 1 2 8\n")
put("objects", "bom_tabs.txt", "\ufeffVan\t0 1.00 +0.5 1 2 3 4 2 2 5 1 2 8 0 -3.5e-1")

# ---- calib -----------------------------------------------------------------------------------
def row(key, vals):
    return key + ": " + " ".join("%.12e" % v for v in vals)

P = [700.0, 0, 600.0, 0, 0, 700.0, 180.0, 0, 0, 0, 1, 0]
rows = [row("P%d" % i, P[:3] + [-380.0 * (i == 1)] + P[4:]) for i in range(4)]
rows += [row("R0_rect", [1, 0.01, 0, -0.01, 1, 0, 0, 0, 1]),
         row("Tr_velo_to_cam", [0, -1, 0, -0.02, 0, 0, -1, -0.06, 1, 0, 0, -0.3]),
         row("Tr_imu_to_velo", [1, 0, 0, -0.8, 0, 1, 0, 0.3, 0, 0, 1, -0.8])]
calib = "\n".join(rows) + "\n\n"
put("calib", "calib.txt", calib)
put("calib", "calib_crlf.txt", calib.replace("\n", "\r\n"))
put("calib", "calib_alias.txt", calib.replace("R0_rect:", "R_rect:").replace("Tr_velo_to_cam:", "Tr_velo_cam:")
    + "calib_time: 01-Jan-2020 00:00:00\n")
put("calib", "calib_missing.txt", "\n".join(rows[:6]) + "\n")
put("calib", "calib_short.txt", "P0: 1 2 3\n")

# ---- velodyne --------------------------------------------------------------------------------
pts = [(10.0, 1.0, -1.5, 0.3), (-4.0, 20.0, 0.5, 0.0), (0.0, 0.0, 0.0, 0.99)]
put("velodyne", "three_points.bin", b"".join(struct.pack("<4f", *p) for p in pts))
put("velodyne", "nan.bin", struct.pack("<4f", 1.0, float("nan"), 2.0, 0.1))
put("velodyne", "short.bin", struct.pack("<3f", 1.0, 2.0, 3.0))

# ---- scan (PCD and .bin) ---------------------------------------------------------------------
def pcd_header(fields, sizes, types, points, data, height=1):
    n = len(fields.split())
    return ("# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS %s\nSIZE %s\nTYPE %s\n"
            "COUNT %s\nWIDTH %d\nHEIGHT %d\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS %d\nDATA %s\n"
            % (fields, sizes, types, " ".join(["1"] * n), points // height, height, points, data)).encode()


def lzf_literal(raw):
    out = b""
    for i in range(0, len(raw), 32):
        part = raw[i:i + 32]
        out += bytes([len(part) - 1]) + part
    return out


xyzi = "x y z intensity"
put("scan", "ascii.pcd", pcd_header(xyzi, "4 4 4 4", "F F F F", 3, "ascii")
    + b"10 1 -1.5 0.25\n5.5 8 0.5 0\n-4 0 -1 0.99\n")
body = b"".join(struct.pack("<4f", *p) for p in pts)
put("scan", "binary.pcd", pcd_header(xyzi, "4 4 4 4", "F F F F", 3, "binary") + body)
planar = b"".join(struct.pack("<3f", *[p[k] for p in pts]) for k in range(4))
lz = lzf_literal(planar)
put("scan", "compressed.pcd", pcd_header(xyzi, "4 4 4 4", "F F F F", 3, "binary_compressed")
    + struct.pack("<II", len(lz), len(planar)) + lz)
typed = b"".join(struct.pack("<BHdff", i, r, x, y, z) for i, r, x, y, z in [(255, 7, 12.5, -3, 0.75), (51, 8, -1, 2, -1.75)])
put("scan", "typed.pcd", pcd_header("intensity ring x y z", "1 2 8 4 4", "U U F F F", 2, "binary") + typed)
nanp = struct.pack("<4f", float("nan"), float("nan"), float("nan"), 0.0)
put("scan", "organized.pcd", pcd_header(xyzi, "4 4 4 4", "F F F F", 4, "binary", height=2)
    + body[:16] + nanp + body[16:32] + nanp)
put("scan", "no_z.pcd", pcd_header("x y intensity", "4 4 4", "F F F", 1, "ascii") + b"1 2 3\n")
put("scan", "truncated.pcd", (pcd_header(xyzi, "4 4 4 4", "F F F F", 3, "binary") + body)[:-7])
put("scan", "far_nan.bin", struct.pack("<12f", 300.0, 0, 0, 0, 1, float("nan"), 2, 0, 10, 1, 0, 0.5))
put("scan", "three.bin", body)

# ---- png -------------------------------------------------------------------------------------
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)


def png(w, h, depth, ctype, rows_bytes, interlace=0, extra=b""):
    raw = b"".join(b"\x00" + r for r in rows_bytes)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))
            + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


rgb = png(3, 2, 8, 2, [bytes([10, 20, 30, 40, 50, 60, 70, 80, 90]), bytes([90, 80, 70, 60, 50, 40, 30, 20, 10])])
put("png", "rgb_3x2.png", rgb)
put("png", "grey_2x2.png", png(2, 2, 8, 0, [b"\x00\xff", b"\x80\x40"]))
put("png", "palette_2x1.png", png(2, 1, 8, 3, [b"\x00\x01"], extra=chunk(b"PLTE", b"\xff\x00\x00\x00\xff\x00")))
put("png", "rgba_1x1.png", png(1, 1, 8, 6, [b"\x01\x02\x03\x04"]))
put("png", "rgb16_1x1.png", png(1, 1, 16, 2, [b"\x01\x00\x02\x00\x03\x00"]))
put("png", "interlaced_2x2.png", png(2, 2, 8, 2, [b"\x01" * 3, b"\x02" * 3, b"\x03" * 6], interlace=1))
put("png", "truncated.png", rgb[: len(rgb) // 2])
# An unknown critical chunk with control bytes in its name (stb echoes the name in its error).
put("png", "unknown_chunk.png", rgb[:33] + chunk(b"\x01\x02XY", b"") + rgb[33:])
