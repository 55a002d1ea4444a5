#!/usr/bin/env bash
# The test suite on a fresh machine: install system packages, then swift test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-packages.sh
swift test "$@"
