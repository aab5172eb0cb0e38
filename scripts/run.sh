#!/usr/bin/env bash
# Set-up command 1: install what is missing, build (Release), run the main job: the viewer on the
# demo dataset (generated on first use into ~/.cache/needle/demo). Extra arguments go to `needle`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
needle_install_deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNEEDLE_BUILD_TESTS=OFF >/dev/null
cmake --build build --target needle -j"$(nproc)"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "needle: no display; running under xvfb-run" >&2
  exec xvfb-run -a -s "-screen 0 1600x900x24" ./build/app/needle "$@"
fi
exec ./build/app/needle "$@"
