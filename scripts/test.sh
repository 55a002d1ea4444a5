#!/usr/bin/env bash
# The test suite on a fresh machine: install system packages, build the release binary users
# run (the process-level tests, interrupts, study ownership, kill -9, run it), then swift test.
# A watchdog (NASCTL_TEST_WATCHDOG seconds, default 1800; the suite takes a few minutes) prints
# every thread's stack of a hung test process and the process tree, then stops the run with a
# failure, so a hang is diagnosed and costs minutes rather than the CI's whole time limit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-packages.sh
swift build -c release --product nasctl
limit="${NASCTL_TEST_WATCHDOG:-1800}"
NASCTL_BINARY="$PWD/.build/release/nasctl" swift test "$@" &
tests=$!
waited=0
while kill -0 "$tests" 2>/dev/null && [ "$waited" -lt "$limit" ]; do sleep 5; waited=$((waited + 5)); done
if kill -0 "$tests" 2>/dev/null; then
  echo "nasctl tests: still running after ${limit} s; the processes and the test process's stacks:" >&2
  ps -eo pid,ppid,stat,etime,time,args --forest >&2 || true
  for pid in $(pgrep -f 'PackageTests.xctest|swiftpm-testing-helper' || true); do
    echo "--- stacks of $pid: $(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null | cut -c1-200)" >&2
    if command -v gdb >/dev/null; then
      timeout 120 gdb -p "$pid" -batch -ex 'set pagination off' -ex 'thread apply all bt 25' 2>&1 | grep -E '^(Thread|#)' >&2 || true
    else
      for task in /proc/"$pid"/task/*; do echo "$task: $(cat "$task/stat" 2>/dev/null | cut -d' ' -f3) $(cat "$task/wchan" 2>/dev/null)" >&2; done
    fi
  done
  pkill -KILL -P "$tests" 2>/dev/null || true
  kill -KILL "$tests" 2>/dev/null || true
  pkill -KILL -f 'PackageTests.xctest' 2>/dev/null || true
  exit 1
fi
wait "$tests"
