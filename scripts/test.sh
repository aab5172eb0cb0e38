#!/usr/bin/env bash
# Set-up command 2: install what is missing, build everything and run every test:
#   1. Release build (warnings as errors when CI is set), all tests (unit + end-to-end under Xvfb);
#   2. ASan+UBSan build of the tests, all tests again.
# Tests read the KITTI sample from $NEEDLE_KITTI_DIR (default ../shared/kitti); they report
# themselves skipped without it unless NEEDLE_REQUIRE_KITTI=1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
needle_install_deps
jobs="$(nproc)"
werror=OFF
if [ -n "${CI:-}" ]; then werror=ON; fi

echo "== Release build + tests" >&2
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Release -DNEEDLE_WERROR=$werror >/dev/null
cmake --build build-test -j"$jobs"
(cd build-test && ctest --output-on-failure -j"$jobs")

echo "== ASan+UBSan build + tests" >&2
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEEDLE_SANITIZE=ON -DNEEDLE_WERROR=$werror >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j"$jobs")
