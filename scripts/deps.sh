#!/usr/bin/env bash
# Installs the Debian 12 packages needle needs, only those that are missing (idempotent, fast when
# all are present). Sourced by scripts/run.sh and scripts/test.sh.
set -euo pipefail
NEEDLE_PACKAGES=(
  build-essential cmake pkg-config
  libimgui-dev libglfw3-dev libstb-dev libgl-dev
  catch2 nlohmann-json3-dev libcli11-dev
  libpcl-dev
  libsqlite3-dev sqlite3
  xvfb xauth libgl1-mesa-dri
  chromium
  slurmctld slurmd slurm-client munge  # tests/slurm: a one-node cluster the test starts itself
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
  # Packages with daemons (munge, slurmd) must not start them: a policy-rc.d that says no, if none.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy"
    own_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" || rc=$?
  if [ $own_policy = 1 ]; then $SUDO rm -f "$policy"; fi
  return $rc
}
