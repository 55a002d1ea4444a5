#!/usr/bin/env bash
# The main job on a fresh machine: install system packages (OpenBLAS, cpuinfo, SQLite, zlib,
# Fashion-MNIST), build nasctl (release, tuned for this CPU) and run it. Arguments go to
# nasctl; with none it runs the default search: `nasctl search --target-ms 30`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-packages.sh
swift build -c release --product nasctl >&2
if [ $# -eq 0 ]; then set -- search --target-ms 30; fi
exec .build/release/nasctl "$@"
