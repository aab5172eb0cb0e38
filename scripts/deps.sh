#!/usr/bin/env bash
# Installs the Debian 12 packages needle needs, only those that are missing (idempotent, fast when
# all are present). Sourced by scripts/run.sh and scripts/test.sh.
set -euo pipefail
NEEDLE_PACKAGES=(
  build-essential cmake pkg-config
  libimgui-dev libglfw3-dev libstb-dev libgl-dev
  catch2 nlohmann-json3-dev libcli11-dev
  libpcl-dev
  xvfb xauth libgl1-mesa-dri
  chromium
)
needle_install_deps() {
  local missing=()
  for p in "${NEEDLE_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  echo "needle: installing missing packages: ${missing[*]}" >&2
  local SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
