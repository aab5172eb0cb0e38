#!/usr/bin/env bash
# Set-up command 2: install what is missing, build everything and run every test:
#   1. Release build (warnings as errors when CI is set), all tests (unit + end-to-end under Xvfb);
#   2. ASan+UBSan build of the tests, all tests again.
# Tests read the KITTI sample from $NEEDLE_KITTI_DIR (default ../shared/kitti); without it (or
# without Xvfb, or the needle binary) they report themselves skipped, except under CI or with
# NEEDLE_REQUIRE_KITTI=1, where every skip is a failure. Skipped tests are listed by name at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
needle_install_deps
jobs="$(nproc)"
werror=OFF
if [ -n "${CI:-}" ] && [ "${CI}" != "0" ] && [ "${CI}" != "false" ]; then
  werror=ON
  export NEEDLE_REQUIRE_KITTI=1
fi
if [ "${NEEDLE_REQUIRE_KITTI:-}" = "1" ]; then
  kitti="${NEEDLE_KITTI_DIR:-$(cd .. && pwd)/shared/kitti}"
  if [ ! -d "$kitti/training" ]; then
    echo "error: the KITTI sample is required (CI / NEEDLE_REQUIRE_KITTI=1) but $kitti/training" \
      "does not exist (set NEEDLE_KITTI_DIR)" >&2
    exit 1
  fi
  export NEEDLE_KITTI_DIR="$kitti"
fi

# Runs ctest in build dir $1 (extra env before it), keeps its log, and lists skipped tests by name.
skipped_summary=""
run_ctest() {
  local dir="$1"; shift
  local rc=0
  (cd "$dir" && env "$@" ctest --output-on-failure -j"$jobs") 2>&1 | tee "$dir/ctest.log" || rc=$?
  local names
  # ctest ends with "The following tests did not run:" and lines "  12 - NAME (Skipped)".
  names="$(grep -E '^[[:space:]]+[0-9]+ - .* \(Skipped\)$' "$dir/ctest.log" |
    sed -E 's/^[[:space:]]+[0-9]+ - //; s/ \(Skipped\)$//' || true)"
  if [ -n "$names" ]; then
    skipped_summary+="$dir: $(printf '%s\n' "$names" | wc -l) skipped:"$'\n'"$names"$'\n'
  else
    skipped_summary+="$dir: no test skipped"$'\n'
  fi
  return $rc
}

echo "== Release build + tests" >&2
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Release -DNEEDLE_WERROR=$werror >/dev/null
cmake --build build-test -j"$jobs"
rc=0
run_ctest build-test || rc=$?
if [ $rc -ne 0 ]; then
  echo "== Skipped tests" >&2
  printf '%s' "$skipped_summary" >&2
  exit $rc
fi

echo "== ASan+UBSan build + tests" >&2
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEEDLE_SANITIZE=ON -DNEEDLE_WERROR=$werror >/dev/null
cmake --build build-asan -j"$jobs"
run_ctest build-asan ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 || rc=$?

echo "== Skipped tests" >&2
printf '%s' "$skipped_summary" >&2
exit $rc
