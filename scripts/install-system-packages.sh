#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages nasctl builds against, only when one is missing.
#   libopenblas-dev  GEMM for every convolution      libcpuinfo-dev  device identity
#   libsqlite3-dev   the search study store      zlib1g-dev      gzip'd IDX data sets
#   dataset-fashion-mnist  the default training data    pkg-config  finds the libraries for SwiftPM
#   libpng-dev, libjpeg62-turbo-dev  image-folder data sets (PNG, JPEG)
#   libxnnpack-dev, libpthreadpool-dev  the XNNPACK backend (--backend xnnpack)
# Usage: scripts/install-system-packages.sh [extra-package ...]
set -euo pipefail
packages=(pkg-config libopenblas-dev libcpuinfo-dev libsqlite3-dev zlib1g-dev dataset-fashion-mnist libpng-dev libjpeg62-turbo-dev libxnnpack-dev libpthreadpool-dev "$@")
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
