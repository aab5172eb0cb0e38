#!/bin/bash
# usage: bench/refactor_check.sh OUTDIR: writes the outputs a pure refactor must keep byte-identical (demos regenerated in /tmp)
set -e
O=$1; mkdir -p $O; N=${NEEDLE_BIN:-build/app/needle}
export XDG_CACHE_HOME=/tmp/h11cache NEEDLE_KITTI_DIR=/work/shared/kitti
rm -rf /tmp/h11demo /tmp/h11d1k /tmp/h11cache
$N demo /tmp/h11demo --seed 5 > $O/demo200.log 2>&1
$N demo /tmp/h11d1k --frames 1000 --seed 2 --no-images > $O/demo1k.log 2>&1
(cd /tmp/h11demo && find . -type f ! -name '*.png' | sort | xargs md5sum) > $O/demo200.md5
(cd /tmp/h11demo && find . -name '*.png' | sort | xargs md5sum) > $O/demo200png.md5
(cd /tmp/h11d1k && find . -type f | sort | xargs md5sum) > $O/demo1k.md5
for d in h11demo h11d1k; do
  $N rank /tmp/$d --format json --no-cache > $O/$d.rank.json 2>$O/$d.rank.err
  $N rank /tmp/$d --compare sim_a,sim_b --format json > $O/$d.cmp.json 2>$O/$d.cmp.err
done
$N rank /work/shared/kitti --format json --no-cache > $O/kitti.rank.json 2>$O/kitti.rank.err
