#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages nasctl builds against, only when one is missing.
#   libopenblas-dev  GEMM for every convolution      libcpuinfo-dev  device identity
#   libsqlite3-dev   the search study store      pkg-config  finds them for SwiftPM
# Usage: scripts/install-system-packages.sh [extra-package ...]
set -euo pipefail
packages=(pkg-config libopenblas-dev libcpuinfo-dev libsqlite3-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "nasctl: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
