#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for DURATION seconds, one at a
# time. Usage: scripts/fuzz.sh [DURATION_SECONDS=150] [TARGET...]
#   targets: objects calib velodyne png scan (default: all five)
# Environment: NEEDLE_FUZZ_BUILD (build folder, default build-fuzz), NEEDLE_FUZZ_JOBS (build jobs).
# The seed corpus in tests/fuzz/corpus/<target>/ is never modified: each run works on a copy in
# $NEEDLE_FUZZ_BUILD/corpus/<target>/ (kept between runs) and writes crash inputs to
# $NEEDLE_FUZZ_BUILD/artifacts/<target>/. Exit status 1 when any target found a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-150}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(objects calib velodyne png scan); fi
build="${NEEDLE_FUZZ_BUILD:-build-fuzz}"
jobs="${NEEDLE_FUZZ_JOBS:-$(nproc)}"

source scripts/deps.sh
needle_install_deps clang libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEEDLE_FUZZ=ON \
  -DNEEDLE_BUILD_APP=OFF -DNEEDLE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target $(printf 'fuzz_%s ' "${targets[@]}")

status=0
summary=""
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/fuzz_$t"
  work="$build/corpus/$t"
  art="$build/artifacts/$t"
  mkdir -p "$work" "$art"
  cp -n tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  dict=()
  if [ -f "tests/fuzz/$t.dict" ]; then dict=(-dict="tests/fuzz/$t.dict"); fi
  log="$build/fuzz_$t.log"
  echo "== fuzz_$t for ${duration}s (log: $log)" >&2
  set +e
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin" "$work" "${dict[@]}" -max_total_time="$duration" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
  crashes=$(find "$art" -type f | wc -l)
  corpus=$(find "$work" -type f | wc -l)
  line="fuzz_$t: ${execs:-?} executions, $crashes crash inputs, corpus $corpus files, exit $rc"
  echo "$line" >&2
  summary+="$line"$'\n'
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then status=1; fi
done
echo "== summary" >&2
printf '%s' "$summary"
exit $status
