#!/usr/bin/env bash
# The test suite on a fresh machine: install system packages, build the release binary users
# run (the process-level tests, interrupts, study ownership, kill -9, run it), then swift test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-packages.sh
swift build -c release --product nasctl
NASCTL_BINARY="$PWD/.build/release/nasctl" swift test "$@"
