#!/usr/bin/env bash
# Proves that a failing test is never reported as skipped: runs each probe case of
# needle_skip_probe (tests/support/skip_probe.cpp) and checks the exit status that ctest reads
# (SKIP_RETURN_CODE 77 = skipped, 0 = passed, anything else = failed).
# Usage: check_skip.sh PATH/TO/needle_skip_probe
set -uo pipefail
probe="$1"
bad=0
expect() {  # expect NAME WANT [ENV...]: WANT is skip, pass or fail
  local name="$1" want="$2"; shift 2
  local out rc
  out="$(env "$@" "$probe" "$name" 2>&1)"
  rc=$?
  if ! grep -q "probe" <<<"$out" || grep -q "No test cases matched" <<<"$out"; then
    echo "FAIL: '$name' did not run: $out"
    bad=1
    return
  fi
  local got=fail
  [ $rc -eq 0 ] && got=pass
  [ $rc -eq 77 ] && got=skip
  if [ "$got" != "$want" ]; then
    echo "FAIL: '$name' ($*): expected $want, got $got (exit $rc)"
    bad=1
  else
    echo "ok: '$name' ($*): $got (exit $rc)"
  fi
}
local_env=(CI= NEEDLE_REQUIRE_KITTI=)
expect "probe: skip before any assertion" skip "${local_env[@]}"
expect "probe: skip before any assertion" fail CI=true NEEDLE_REQUIRE_KITTI=
expect "probe: skip before any assertion" fail CI= NEEDLE_REQUIRE_KITTI=1
expect "probe: a failure then a skip" fail "${local_env[@]}"
expect "probe: a pass then a skip" fail "${local_env[@]}"
expect "probe: a skip then a failure" fail "${local_env[@]}"
expect "probe: 77 failed assertions" fail "${local_env[@]}"
expect "probe: passes" pass "${local_env[@]}"
expect "probe: passes" pass CI=true
exit $bad
