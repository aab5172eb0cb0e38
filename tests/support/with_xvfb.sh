#!/usr/bin/env bash
# Runs "$@" on a private Xvfb (1600x900x24) and exits with the command's status.
# Xvfb picks a free display number itself (-displayfd), so parallel tests never race for one the
# way `xvfb-run -a` can; and the command's exit status is never replaced by a clean-up error.
set -u
tmp="$(mktemp -d "${TMPDIR:-/tmp}/needle-xvfb.XXXXXX")"
Xvfb -displayfd 3 -screen 0 1600x900x24 -nolisten tcp 3>"$tmp/display" 2>"$tmp/log" &
xvfb_pid=$!
for _ in $(seq 200); do
  [ -s "$tmp/display" ] && break
  kill -0 "$xvfb_pid" 2>/dev/null || break
  sleep 0.05
done
if [ ! -s "$tmp/display" ]; then
  echo "with_xvfb.sh: Xvfb did not start:" >&2
  cat "$tmp/log" >&2
  rm -rf "$tmp"
  exit 125
fi
DISPLAY=":$(cat "$tmp/display")" "$@"
rc=$?
kill "$xvfb_pid" 2>/dev/null
wait "$xvfb_pid" 2>/dev/null
rm -rf "$tmp"
exit "$rc"
