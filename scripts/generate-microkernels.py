#!/usr/bin/env python3
"""Writes the engine's generated microkernels, one file per kernel family (vector ISA):

  Sources/NASKernels/Kernels/Microkernels/Microkernels+AVX512.swift  16 lanes, 32 registers
  Sources/NASKernels/Kernels/Microkernels/Microkernels+AVX2.swift    8 lanes, 16 registers
  Sources/NASKernels/Kernels/Microkernels/Microkernels+NEON.swift    4 lanes, 32 registers
  Sources/NASKernels/Kernels/Microkernels/DepthwiseMicrokernels.swift

Each family is a set of register-blocked GEMM tiles (MR rows x 16 or 32 columns of the packed
weight panels, and MR x 8 for a last panel with at most 8 valid columns) with the fused
bias/activation/residual epilogue, generic over where A's rows lie (`RowLayout`: a strided
matrix, or the gathered rows of an implicit convolution). The blocking is chosen for the
family's register file: accumulators + B vectors + one broadcast must fit without spilling
(AVX-512 8x32: 16 + 2 + 1 of 32 zmm; AVX2 6x16: 12 + 2 + 1 of 16 ymm; NEON 6x16: 24 + 4 + 1 of
32 q). The depthwise interior kernels (k = 3, 5) keep all k*k taps in registers and compute 4
output pixels per step, one channel block at a time; they are generic over the block's width
(`DepthwiseVector`: 16 lanes, or 8 for the block left when c = 8..15 mod 16).

Swift cannot keep an indexed array of SIMD values in registers, so each shape is spelled out
with named variables. Re-run after changing the template (CI runs it with --check):
    python3 scripts/generate-microkernels.py
"""
import os
import sys

DIR = os.path.join(os.path.dirname(__file__), "..", "Sources", "NASKernels", "Kernels", "Microkernels")

# name, type prefix, lanes, rows of the two-panel (32-column) tiles, rows of the one-panel (16-column) tiles.
FAMILIES = [
    ("AVX512", "avx512", 16, [8, 4, 2, 1], [12, 8, 4, 2, 1]),
    ("AVX2", "avx2", 8, [], [6, 4, 2, 1]),
    ("NEON", "neon", 4, [], [6, 4, 2, 1]),
]


def widen(names, lanes):
    """Swift expression joining `names` (vectors of `lanes`) into one SIMD16."""
    while lanes < 16:
        names = [f"SIMD{lanes * 2}(lowHalf: {names[i]}, highHalf: {names[i + 1]})" for i in range(0, len(names), 2)]
        lanes *= 2
    return names[0]


def tile_setup(mr, nv, vt):
    """A tile's row pointers and zeroed accumulators (`nv` vectors of type `vt` per row)."""
    return ([f"        var a{r} = R.row(t, {r})" for r in range(mr)]
            + ["        " + "; ".join(f"var c{r}_{v} = {vt}()" for v in range(nv)) for r in range(mr)])


def k_loop(mr, body):
    """The loop over k around `body` (lines of one step, indented for a plain loop). A row's k
    values lie in `R.segments` runs of `R.segmentLength` floats, `R.segmentStride` apart: one run
    of k for a plain GEMM (`StridedRows`: the outer loop folds away), one per kernel row for an
    implicit convolution (`GatheredRowLayout`)."""
    return (["        for _ in 0..<R.segments(t) {", "            for k in 0..<R.segmentLength(t) {"]
            + ["    " + line for line in body]
            + ["            }", "            " + "; ".join(f"a{r} += R.segmentStride(t)" for r in range(mr)), "        }"])


def tile_products(mr, nv, vt):
    """One step of k: broadcast A's value of each row and multiply-add it into the row's accumulators."""
    lines = []
    for r in range(mr):
        lines.append(f"            let x{r} = {vt}(repeating: a{r}[k])")
        lines.append("            " + "; ".join(f"c{r}_{v}.addProduct(x{r}, b{v})" for v in range(nv)))
    return lines


def kernel(prefix, lanes, mr, panels):
    vectors = 16 // lanes  # vectors per panel row
    nv = vectors * panels
    width = 16 * panels
    vt = f"SIMD{lanes}<Float>"
    L = []
    L.append(f"    /// C[{mr} x {width}] tile: `act(A[{mr} x k] * Bpanels[k x {width}] + bias) + residual`, {nv} x {lanes}-lane accumulators per row.")
    L.append("    @inline(__always)")
    L.append(f"    static func tile{mr}x{width}<A: ActivationFunction, R: RowLayout>(_: A.Type, _: R.Type, _ t: TileArguments) {{")
    L += tile_setup(mr, nv, vt)
    for p in range(panels):
        L.append(f"        var b{p}p = t.b{p}")
    body = []
    for p in range(panels):
        for v in range(vectors):
            body.append(f"            let b{p * vectors + v} = Kernels.load{lanes}(b{p}p{f' + {v * lanes}' if v else ''})")
    body += tile_products(mr, nv, vt)
    for p in range(panels):
        body.append(f"            b{p}p += 16")
    L += k_loop(mr, body)
    for r in range(mr):
        if lanes == 8 and panels == 1:
            # Two 8-lane halves stored as they are: joining them into a SIMD16 costs lane shuffles.
            L.append(f"        t.store(A.self, row: {r}, c{r}_0, c{r}_1)")
            continue
        first = widen([f"c{r}_{v}" for v in range(vectors)], lanes)
        second = widen([f"c{r}_{v}" for v in range(vectors, 2 * vectors)], lanes) if panels == 2 else "nil"
        L.append(f"        t.store(A.self, row: {r}, {first}, {second})")
    L.append("    }")
    return "\n".join(L)


def half_kernel(lanes, mr):
    """An 8-column tile over the first half of one panel: the last panel when it holds at most
    8 valid columns (a layer with n = 8 mod 16), which a 16-column tile would half waste."""
    lanes = min(lanes, 8)
    nv = 8 // lanes
    vt = f"SIMD{lanes}<Float>"
    L = []
    L.append(f"    /// C[{mr} x 8] tile over the first 8 columns of a panel, {nv} x {lanes}-lane accumulators per row.")
    L.append("    @inline(__always)")
    L.append(f"    static func tile{mr}x8<A: ActivationFunction, R: RowLayout>(_: A.Type, _: R.Type, _ t: TileArguments) {{")
    L += tile_setup(mr, nv, vt)
    L.append("        var bp = t.b0")
    body = [f"            let b{v} = Kernels.load{lanes}(bp{f' + {v * lanes}' if v else ''})" for v in range(nv)]
    body += tile_products(mr, nv, vt)
    body.append("            bp += 16")
    L += k_loop(mr, body)
    for r in range(mr):
        names = [f"c{r}_{v}" for v in range(nv)]
        width = lanes
        while width < 8:
            names = [f"SIMD{width * 2}(lowHalf: {names[i]}, highHalf: {names[i + 1]})" for i in range(0, len(names), 2)]
            width *= 2
        L.append(f"        t.storeHalf(A.self, row: {r}, {names[0]})")
    L.append("    }")
    return "\n".join(L)


def tile_ladder(heights, suffix, indent):
    """Runs the tallest tile while it fits, then each smaller one at most once (after the
    tallest tile's loop fewer than its rows are left)."""
    return [f"{indent}{'while' if i == 0 else 'if'} left >= {mr} {{ tile{mr}{suffix}(A.self, R.self, t); t.advance(R.self, rows: {mr}); left -= {mr} }}"
            for i, mr in enumerate(heights)]


def family_file(name, prefix, lanes, two, one):
    parts = [
        "// Generated by scripts/generate-microkernels.py; edit the generator, not this file.",
        "",
        f"/// The {name} kernel family's GEMM tiles ({lanes}-lane vectors).",
        f"enum {name}Microkernels: MicrokernelSet {{",
        f"    static let pairsPanels = {'true' if two else 'false'}",
        "",
    ]
    for mr in two:
        parts.append(kernel(prefix, lanes, mr, 2))
        parts.append("")
    for mr in one:
        parts.append(kernel(prefix, lanes, mr, 1))
        parts.append("")
    for mr in one:
        parts.append(half_kernel(lanes, mr))
        parts.append("")
    parts.append("    /// Runs the tallest 8-column tiles that fit `rows` rows of a panel's first half.")
    parts.append("    @inline(__always)")
    parts.append("    static func halfTileRows<A: ActivationFunction, R: RowLayout>(_: A.Type, _: R.Type, _ t: TileArguments, rows: Int) {")
    parts.append("        var t = t")
    parts.append("        var left = rows")
    parts += tile_ladder(one, "x8", "        ")
    parts.append("    }")
    parts.append("")
    parts.append("    /// Runs the tallest tiles that fit `rows` rows of one panel pair (`twoPanels`, only when")
    parts.append("    /// `pairsPanels`) or one panel.")
    parts.append("    @inline(__always)")
    parts.append("    static func tileRows<A: ActivationFunction, R: RowLayout>(_: A.Type, _: R.Type, _ t: TileArguments, rows: Int, twoPanels: Bool) {")
    parts.append("        var t = t")
    parts.append("        var left = rows")
    if two:
        parts.append("        if twoPanels {")
        parts += tile_ladder(two, "x32", "            ")
        parts.append("            return")
        parts.append("        }")
    parts += tile_ladder(one, "x16", "        ")
    parts.append("    }")
    parts.append("}")
    parts.append("")
    return "\n".join(parts)


def depthwise(k):
    L = []
    L.append(f"    /// Depthwise {k}x{k} over `count` output pixels of one row whose windows lie wholly inside the")
    L.append(f"    /// image, for one block of `V.width` channels: taps stay in registers, 4 outputs per step.")
    L.append(f"    /// `src` is the window's top-left input of the first output; strides are in floats.")
    L.append(f"    @inline(__always)")
    L.append(f"    static func depthwiseInterior{k}<V: DepthwiseVector, A: ActivationFunction>(")
    L.append(f"        _: V.Type, _: A.Type, src: UnsafePointer<Float>, rowStride: Int, pixelStride ps: Int, stride s: Int,")
    L.append(f"        weights w: UnsafePointer<Float>, bias: V.Vector, dst: UnsafeMutablePointer<Float>, count: Int")
    L.append(f"    ) {{")
    for kh in range(k):
        for kw in range(k):
            L.append(f"        let w{kh}{kw} = V.load(w + {kh * k + kw} * ps)")
    L.append("        let step = s * ps")
    L.append("        var ox = 0")
    L.append("        while ox + 4 <= count {")
    L.append("            var acc0 = bias, acc1 = bias, acc2 = bias, acc3 = bias")
    for kh in range(k):
        L.append(f"            let r{kh} = src + {kh} * rowStride + ox * step")
        for kw in range(k):
            for o in range(4):
                L.append(f"            acc{o}.addProduct(V.load(r{kh} + {o} * step + {kw} * ps), w{kh}{kw})")
    for o in range(4):
        L.append(f"            V.store(A.self, acc{o}, dst + (ox + {o}) * ps)")
    L.append("            ox += 4")
    L.append("        }")
    L.append("        while ox < count {")
    L.append("            var acc = bias")
    for kh in range(k):
        L.append(f"            let r{kh} = src + {kh} * rowStride + ox * step")
        for kw in range(k):
            L.append(f"            acc.addProduct(V.load(r{kh} + {kw} * ps), w{kh}{kw})")
    L.append("            V.store(A.self, acc, dst + ox * ps)")
    L.append("            ox += 1")
    L.append("        }")
    L.append("    }")
    return "\n".join(L)


def depthwise_file():
    return "\n".join([
        "// Generated by scripts/generate-microkernels.py; edit the generator, not this file.",
        "",
        "extension Kernels {",
        depthwise(3),
        "",
        depthwise(5),
        "}",
        "",
    ])


def main():
    files = {os.path.join(DIR, f"Microkernels+{f[0]}.swift"): family_file(*f) for f in FAMILIES}
    files[os.path.join(DIR, "DepthwiseMicrokernels.swift")] = depthwise_file()
    if "--check" in sys.argv[1:]:
        for path, text in files.items():
            current = open(path).read() if os.path.exists(path) else None
            if current != text:
                sys.exit(f"{path} differs from what scripts/generate-microkernels.py writes: regenerate it and commit")
        print(f"microkernels: the {len(files)} committed files are what the generator writes")
        return
    os.makedirs(DIR, exist_ok=True)
    for path, text in files.items():
        with open(path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
