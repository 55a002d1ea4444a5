#!/usr/bin/env python3
"""Does the NEON family's register blocking fit AArch64's 32 vector registers?

Reads `aarch64-linux-gnu-objdump -d` of the ARM cross-check binary. In every function compiled
from a kernel family's tiles (its name holds `NEONMicrokernels`, `AVX2Microkernels` or
`AVX512Microkernels`: the tiles themselves and the GEMM drivers they are inlined into), it
finds the innermost loops with at least 8 `fmla` (the tiles' k loops) and counts those that
load or store off the stack pointer (spilled accumulators). The NEON family must have none;
the AVX2 and AVX-512 families, whose vectors are split into NEON registers, are reported only.
Exits 1 if a NEON loop spills or none is found.

Usage: check_tile_registers.py DISASSEMBLY
"""
import re
import sys

FUNCTION = re.compile(r"^([0-9a-f]+) <(.+)>:$")
INSTRUCTION = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$")
BRANCH = re.compile(r"^(b\.\w+|b|cbn?z|tbn?z)$")
TARGET = re.compile(r"\b([0-9a-f]+) <")
FAMILIES = ["NEONMicrokernels", "AVX2Microkernels", "AVX512Microkernels"]


def functions(lines):
    """(name, [(address, mnemonic, operands)]) per function, in order."""
    name, body = None, []
    for line in lines:
        header = FUNCTION.match(line)
        if header:
            if name:
                yield name, body
            name, body = header.group(2), []
            continue
        instruction = INSTRUCTION.match(line)
        if name and instruction:
            body.append((int(instruction.group(1), 16), instruction.group(2), instruction.group(3)))
    if name:
        yield name, body


def backward_branches(body):
    """(loop start, branch address) of every branch to an earlier address."""
    for address, mnemonic, operands in body:
        target = TARGET.search(operands) if BRANCH.match(mnemonic) else None
        if target and int(target.group(1), 16) < address:
            yield int(target.group(1), 16), address


def multiply_add_loops(body):
    """The innermost loops holding at least 8 fmla: (fmla count, stack operands)."""
    loops = list(backward_branches(body))
    for start, end in loops:
        if any(start <= s and e < end and (s, e) != (start, end) for s, e in loops):
            continue  # an inner loop lies inside: not innermost
        loop = [i for i in body if start <= i[0] <= end]
        multiply_adds = sum(m == "fmla" for _, m, _ in loop)
        if multiply_adds >= 8:
            yield multiply_adds, [f"{m} {o}" for _, m, o in loop if re.search(r"\[sp\b", o)]


def main():
    lines = open(sys.argv[1]).read().splitlines()
    counts = {family: [0, 0] for family in FAMILIES}  # loops, loops touching the stack
    example = None
    for name, body in functions(lines):
        family = next((f for f in FAMILIES if f in name), None)
        if family is None:
            continue
        for _, stack in multiply_add_loops(body):
            counts[family][0] += 1
            if stack:
                counts[family][1] += 1
                if family == "NEONMicrokernels" and example is None:
                    example = f"{'; '.join(stack[:3])} in {name[:90]}..."
    for family in FAMILIES:
        loops, spilling = counts[family]
        print(f"  {family}: {loops} multiply-add loops, {spilling} touching the stack")
    loops, spilling = counts["NEONMicrokernels"]
    ok = loops > 0 and spilling == 0
    print(f"{'ok  ' if ok else 'FAIL'} NEON tiles' k loops in registers: {loops} loops, {spilling} spilling"
          + (f" ({example})" if example else ""))
    sys.exit(0 if ok else 1)


main()
