#!/usr/bin/env bash
# The ARM cross-check: NASKernels' native kernels, every kernel family (NEON's native 4 lanes,
# AVX2's and AVX-512's split), compiled for aarch64 with Embedded Swift (the toolchain has no
# aarch64 Linux SDK, but it has Embedded Swift's aarch64 standard library), linked statically
# against Debian's aarch64 glibc and run under qemu-user, against the plain loops of
# Tests/ARMCrossCheck/Reference.swift; and the NEON tiles' k loops in the aarch64 disassembly
# must keep their accumulators in registers. Correctness and code shape only: emulated timings
# mean nothing.
#
# Compiled: Sources/NASKernels except BLAS.swift, CPUInfo.swift and ThreadPool.swift
# (OpenBLAS, cpuinfo and Foundation threads are not in Embedded Swift), which
# Tests/ARMCrossCheck/PlatformSubstitutes.swift replaces.
#
# Needs the Debian packages qemu-user-static, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross (only
# recommended by the compiler) and binutils-aarch64-linux-gnu (.ci/run installs them).
# Usage: bash scripts/arm-cross-check.sh [build directory, default .build-arm]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.build-arm}
mkdir -p "$out"
packages="qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu"
for tool in swiftc aarch64-linux-gnu-gcc aarch64-linux-gnu-objdump qemu-aarch64-static; do
    command -v "$tool" > /dev/null || { echo "arm-cross-check: $tool not found (apt-get install -y $packages)" >&2; exit 2; }
done
[ -f /usr/aarch64-linux-gnu/lib/libc.a ] || { echo "arm-cross-check: no static aarch64 glibc (apt-get install -y libc6-dev-arm64-cross)" >&2; exit 2; }
toolchain_lib="$(dirname "$(readlink -f "$(command -v swiftc)")")/../lib/swift/embedded/aarch64-none-none-elf"
[ -d "$toolchain_lib" ] || { echo "arm-cross-check: this Swift toolchain has no Embedded Swift library for aarch64 ($toolchain_lib)" >&2; exit 2; }

kernels=Sources/NASKernels
sources=("$kernels"/Kernels/*.swift "$kernels"/Kernels/Microkernels/*.swift "$kernels"/Tensor/*.swift
         "$kernels"/Threading/ExecutionContext.swift "$kernels"/Internals/Math.swift Tests/ARMCrossCheck/*.swift)
echo "arm-cross-check: compiling ${#sources[@]} files for aarch64 (Embedded Swift, -O)"
swiftc -target aarch64-none-none-elf -enable-experimental-feature Embedded -wmo -parse-as-library -O \
    -module-name NASKernels -package-name nasctl -import-objc-header Tests/ARMCrossCheck/libc.h \
    "${sources[@]}" -c -o "$out/arm-cross-check.o"
aarch64-linux-gnu-gcc -static-pie "$out/arm-cross-check.o" "$toolchain_lib/libswiftUnicodeDataTables.a" -lm -o "$out/arm-cross-check"
status=0
# The NEON tiles' register blocking: no k loop spills (Tests/ARMCrossCheck/check_tile_registers.py).
aarch64-linux-gnu-objdump -d --no-show-raw-insn "$out/arm-cross-check" > "$out/arm-cross-check.dis"
python3 Tests/ARMCrossCheck/check_tile_registers.py "$out/arm-cross-check.dis" || status=1
echo "arm-cross-check: running under $(qemu-aarch64-static --version | head -1)"
qemu-aarch64-static "$out/arm-cross-check" || status=1
exit $status
