#!/usr/bin/env bash
# Set-up command 1: install what is missing, build (Release), run the main job: the viewer on the
# demo dataset (generated on first use under ~/.cache/needle/). Extra arguments go to `needle`.
# Without a display (ssh, CI) the viewer runs under Xvfb, opens the demo's top-ranked label error
# (not a broken file: those rank first in the list) with its finding selected, writes
# build/needle-demo.png and exits.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
needle_install_deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNEEDLE_BUILD_TESTS=OFF >/dev/null
cmake --build build --target needle -j"$(nproc)"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ $# -eq 0 ]; then
  # No screen to show a window on: run the same viewer under Xvfb, open the top-ranked label error
  # of the demo with its finding selected, save what it shows and exit (a window nobody can see
  # would wait forever).
  shot="$PWD/build/needle-demo.png"
  printf 'wait-loaded\nscreenshot %s\nquit\n' "$shot" >build/headless.script
  echo "needle: no display; running the viewer under xvfb-run, screenshot -> $shot" >&2
  exec xvfb-run -a -s "-screen 0 1600x900x24" ./build/app/needle view --open first-label-error \
    --script build/headless.script
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1600x900x24" ./build/app/needle "$@"
fi
exec ./build/app/needle "$@"
