#!/usr/bin/env bash
# Fuzzes every reader of user files for SECONDS each (default 10) with the seeded mutation
# fuzzer (Fuzz/main.swift); exits non-zero on a crash, leaving the input in .fuzz/READER.current.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
swift build -c release --product nasctl-fuzz
.build/release/nasctl-fuzz all --seconds "$seconds" --seed "${FUZZ_SEED:-1}"
