#!/bin/bash
# usage: bench/refactor_check.sh OUTDIR: writes the outputs a pure refactor must keep byte-identical
# (demos regenerated under $T, default /tmp/h11). Compare two runs with `diff -r OUT_A OUT_B`.
#   NEEDLE_BIN  the binary to run (default build/app/needle)
#   T           prefix of the scratch folders (demos, lidar cache), so two checks can run at once
#   SEEDS       extra demo seeds ranked with every method and evidence mode (default "5 11 23")
set -e
O=$1; mkdir -p $O; N=${NEEDLE_BIN:-build/app/needle}; T=${T:-/tmp/h11}
export XDG_CACHE_HOME=${T}cache NEEDLE_KITTI_DIR=/work/shared/kitti
rm -rf ${T}demo ${T}d1k ${T}cache
$N demo ${T}demo --seed 5 > $O/demo200.log 2>&1
$N demo ${T}d1k --frames 1000 --seed 2 --no-images > $O/demo1k.log 2>&1
(cd ${T}demo && find . -type f ! -name '*.png' | sort | xargs md5sum) > $O/demo200.md5
(cd ${T}demo && find . -name '*.png' | sort | xargs md5sum) > $O/demo200png.md5
(cd ${T}d1k && find . -type f | sort | xargs md5sum) > $O/demo1k.md5
for d in demo d1k; do
  $N rank ${T}$d --format json --no-cache > $O/$d.rank.json 2>$O/$d.rank.err
  $N rank ${T}$d --compare sim_a,sim_b --format json > $O/$d.cmp.json 2>$O/$d.cmp.err
done
$N rank /work/shared/kitti --format json --no-cache > $O/kitti.rank.json 2>$O/kitti.rank.err
# Every method and evidence mode, on further demo seeds and on the real sample.
for s in ${SEEDS-5 11 23}; do
  rm -rf ${T}s$s; $N demo ${T}s$s --frames 120 --seed $s --no-images > /dev/null 2>&1
  for m in needle mistakenness objectlab; do
    $N rank ${T}s$s --method $m --format json --no-cache > $O/s$s.$m.json 2>$O/s$s.$m.err || true
  done
  for e in lidar predictions; do
    $N rank ${T}s$s --evidence $e --format json --no-cache > $O/s$s.ev_$e.json 2>$O/s$s.ev_$e.err || true
  done
  $N rank ${T}s$s --compare sim_b,sim_a --format csv > $O/s$s.cmp_ba.csv 2>$O/s$s.cmp_ba.err || true
  rm -rf ${T}s$s
done
for m in mistakenness objectlab; do
  $N rank /work/shared/kitti --method $m --format json --no-cache > $O/kitti.$m.json 2>$O/kitti.$m.err || true
done
for e in lidar predictions; do
  $N rank /work/shared/kitti --evidence $e --format json --no-cache > $O/kitti.ev_$e.json 2>$O/kitti.ev_$e.err || true
done
$N rank /work/shared/kitti --compare frustum_pointnets_v1,point_gnn --format json > $O/kitti.cmp.json 2>$O/kitti.cmp.err || true
# Outputs name the scratch folders and the demo logs their wall-clock seconds: normalised so that
# two runs with different T compare byte for byte.
sed -i "s|${T}|\$T|g" $O/*
sed -i -E 's/, [0-9.]+ s$/, (seconds) s/' $O/demo200.log $O/demo1k.log
