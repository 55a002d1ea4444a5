// The ARM cross-check: NASKernels' native kernels, every kernel family, compiled for aarch64
// (Embedded Swift) and run under qemu-user by `scripts/arm-cross-check.sh`, against the plain
// loops of `Reference.swift`. The shapes are the engine tests' edge cases (1x1 images, odd
// sizes, stride 2 on odd heights, channel counts off the vector width, batch 2, every tile
// ladder). Prints one line per group and exits 1 if any element is off.

/// SplitMix64: seeded, so every run checks the same numbers.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `count` values uniform in [-1, 1).
func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(state: seed)
    return (0..<count).map { _ in Float(rng.next() >> 40) / Float(1 << 23) - 1 }
}

/// Counts checks and failures of one group; prints the first few failures.
struct Group {
    let name: String
    var elements = 0
    var failures = 0

    /// `got[i]` within `1e-4·(1 + scale[i])` of `expected[i]` (scale: the sum of the absolute
    /// products, so cancellation does not shrink the tolerance below float32 rounding).
    mutating func expectClose(_ got: UnsafePointer<Float>, _ expected: [Double], scale: [Double]? = nil, _ label: String) {
        for i in 0..<expected.count {
            elements += 1
            let tolerance = 1e-4 * (1 + (scale?[i] ?? abs(expected[i])))
            let value = Double(got[i])
            if !(abs(value - expected[i]) <= tolerance) { fail("\(label): element \(i) off by \(microunits(value - expected[i])) millionths") }
        }
    }

    mutating func expect(_ condition: Bool, _ label: String) {
        elements += 1
        if !condition { fail(label) }
    }

    mutating func fail(_ message: String) {
        failures += 1
        if failures <= 5 { print("  FAIL \(name) \(message)") }
    }

    /// `x·10⁶` rounded, for messages (Embedded Swift prints integers, not floats).
    func microunits(_ x: Double) -> Int { x.isFinite ? Int((x * 1e6).rounded()) : Int.max }
}

let convolutionCases: [(n: Int, h: Int, w: Int, c: Int, k: Int, s: Int, cout: Int)] = [
    (1, 1, 1, 3, 3, 1, 5), (1, 7, 5, 3, 3, 2, 16), (2, 9, 9, 17, 1, 1, 33), (1, 9, 7, 8, 1, 2, 12),
    (2, 11, 6, 5, 5, 1, 7), (1, 13, 13, 4, 5, 2, 9), (1, 8, 10, 3, 7, 1, 4), (2, 15, 9, 6, 7, 2, 18),
    (1, 2, 3, 40, 3, 2, 24), (2, 12, 14, 3, 3, 2, 40), (1, 9, 17, 2, 5, 1, 33),
    // Larger, with a residual: many row blocks and tiles spanning image rows, 8-column panels.
    (2, 20, 18, 32, 3, 1, 24), (1, 28, 28, 40, 3, 2, 40), (1, 9, 9, 24, 5, 2, 40), (1, 7, 7, 20, 5, 1, 8),
    (2, 25, 20, 24, 1, 1, 56),
]

let depthwiseCases: [(n: Int, h: Int, w: Int, c: Int, k: Int, s: Int)] = [
    (1, 1, 1, 16, 3, 1), (1, 7, 7, 17, 3, 2), (2, 9, 6, 32, 3, 1), (1, 11, 11, 40, 5, 2), (2, 6, 9, 5, 5, 1),
    (1, 13, 8, 48, 7, 1), (1, 9, 9, 33, 7, 2), (1, 3, 2, 1, 7, 1), (1, 5, 5, 8, 9, 1), (1, 10, 10, 24, 5, 1),
    (2, 8, 9, 29, 3, 1), (1, 12, 12, 8, 3, 1), (1, 12, 11, 13, 5, 2),
]

/// GEMM shapes `(m, n, k)`: the tile ladders of every family, partial and half panels.
let gemmShapes: [(m: Int, n: Int, k: Int)] = [
    (1, 1, 1), (7, 5, 3), (13, 17, 33), (25, 64, 16), (9, 40, 100), (11, 48, 20), (23, 16, 7),
    (19, 24, 9), (14, 8, 12), (5, 120, 4), (49, 40, 200),
]

func checkFamilySelection() -> Group {
    var group = Group(name: "family selection")
    #if arch(arm64)
    group.expect(KernelFamily.host == .neon, "host family on aarch64 without cpuinfo is not neon")
    #else
    group.fail("not compiled for aarch64")
    #endif
    group.expect(KernelFamily.preferred(features: ["neon", "fma", "dotprod"]) == .neon, "NEON features do not pick neon")
    group.expect(KernelFamily.neon.runsNatively(features: ["neon", "fma"]), "neon not native on NEON")
    group.expect(!KernelFamily.avx2.runsNatively(features: ["neon", "fma"]), "avx2 claims native on NEON")
    return group
}

func checkGEMM(_ family: KernelFamily) -> Group {
    var group = Group(name: "gemm \(family.rawValue)")
    for (index, shape) in gemmShapes.enumerated() {
        let (m, n, k) = shape
        let lda = k + 3, ldc = n + 5, ldr = n + 2
        let a = randomFloats(m * lda, seed: 100 + UInt64(index)), w = randomFloats(k * n, seed: 200 + UInt64(index))
        let bias = randomFloats(n, seed: 300 + UInt64(index)), residual = randomFloats(m * ldr, seed: 400 + UInt64(index))
        let weights = GEMMWeights(k: k, n: n, weights: w, bias: bias)
        for threads in [1, 3] {
            for withResidual in [false, true] {
                var c = [Float](repeating: -7, count: m * ldc)
                a.withUnsafeBufferPointer { a in
                    residual.withUnsafeBufferPointer { r in
                        c.withUnsafeMutableBufferPointer {
                            Kernels.gemm(a.baseAddress!, lda: lda, rows: m, weights: weights, activation: .hswish, into: $0.baseAddress!, ldc: ldc,
                                         residual: withResidual ? r.baseAddress! : nil, ldr: ldr, context: ExecutionContext(threads: threads, family: family))
                        }
                    }
                }
                var expected = [Double](), scale = [Double](), got = [Float]()
                for row in 0..<m {
                    for j in 0..<ldc where j >= n {
                        group.expect(c[row * ldc + j] == -7, "\(m)x\(n)x\(k): padding column \(j) of row \(row) written")
                    }
                    for j in 0..<n {
                        var acc = Double(bias[j]), magnitude = abs(Double(bias[j]))
                        for q in 0..<k {
                            let product = Double(a[row * lda + q]) * Double(w[q * n + j])
                            acc += product; magnitude += abs(product)
                        }
                        expected.append(referenceActivation(.hswish, acc) + (withResidual ? Double(residual[row * ldr + j]) : 0))
                        scale.append(magnitude)
                        got.append(c[row * ldc + j])
                    }
                }
                got.withUnsafeBufferPointer { group.expectClose($0.baseAddress!, expected, scale: scale, "\(m)x\(n)x\(k) threads \(threads) residual \(withResidual)") }
            }
        }
    }
    return group
}

func checkGatheredRows(_ family: KernelFamily) -> Group {
    var group = Group(name: "gathered rows \(family.rawValue)")
    for (index, shape) in [(1, 3, 4, 7), (13, 40, 3, 5), (49, 24, 5, 3), (30, 17, 1, 9)].enumerated() {
        let (m, n, segments, length) = shape
        let k = segments * length, stride = 37
        var rng = SplitMix64(state: 500 + UInt64(index))
        let offsets = (0..<m).map { _ in Int(rng.next() % 200) }
        let a = randomFloats(200 + segments * stride + length, seed: 600 + UInt64(index))
        let w = randomFloats(k * n, seed: 700 + UInt64(index)), bias = randomFloats(n, seed: 800 + UInt64(index))
        let residual = randomFloats(m * n, seed: 900 + UInt64(index))
        let weights = GEMMWeights(k: k, n: n, weights: w, bias: bias)
        var c = [Float](repeating: 0, count: m * n)
        offsets.withUnsafeBytes { table in
            a.withUnsafeBufferPointer { a in
                residual.withUnsafeBufferPointer { r in
                    c.withUnsafeMutableBufferPointer {
                        Kernels.packedGEMM(a.baseAddress!, lda: 0, rows: m, weights: weights.packed, activation: .relu, into: $0.baseAddress!, ldc: n,
                                           residual: r.baseAddress!, ldr: n,
                                           gathered: GatheredRows(offsets: table.baseAddress!, segments: segments, segmentStride: stride),
                                           context: ExecutionContext(family: family))
                    }
                }
            }
        }
        var expected = [Double](), scale = [Double]()
        for row in 0..<m {
            for j in 0..<n {
                var acc = Double(bias[j]), magnitude = abs(Double(bias[j]))
                for q in 0..<k {
                    let product = Double(a[offsets[row] + (q / length) * stride + q % length]) * Double(w[q * n + j])
                    acc += product; magnitude += abs(product)
                }
                expected.append(referenceActivation(.relu, acc) + Double(residual[row * n + j]))
                scale.append(magnitude)
            }
        }
        c.withUnsafeBufferPointer { group.expectClose($0.baseAddress!, expected, scale: scale, "\(m) rows, \(segments) segments of \(length), n \(n)") }
    }
    return group
}

/// Every convolution case with every activation (the larger ones also with a residual and at
/// 1-3 threads), through `Kernels.convolution` on the native backend: pointwise, the direct
/// kernel (cin ≤ 4) and the implicit GEMM. The scratch starts as NaN so a missed border shows.
func checkConvolution(_ family: KernelFamily) -> Group {
    var group = Group(name: "convolution \(family.rawValue)")
    for (index, t) in convolutionCases.enumerated() {
        let large = index >= 11
        let input = Shape(n: t.n, h: t.h, w: t.w, c: t.c), geometry = WindowGeometry(kernel: t.k, stride: t.s)
        let out = geometry.output(input, channels: t.cout)
        let depth = t.k * t.k * t.c
        let x = Tensor(shape: input, values: randomFloats(input.count, seed: 1000 + UInt64(index)))
        let w = randomFloats(depth * t.cout, seed: 1100 + UInt64(index)), bias = randomFloats(t.cout, seed: 1200 + UInt64(index))
        let weights = GEMMWeights(k: depth, n: t.cout, weights: w, bias: bias)
        let residual = Tensor(shape: out, values: randomFloats(out.count, seed: 1300 + UInt64(index)))
        let scratch = FloatBuffer(count: max(1, Kernels.convolutionScratchCount(input: input, geometry: geometry)))
        let activations: [Activation] = large ? [.relu6] : Activation.allCases
        for activation in activations {
            for threads in large ? [1, 2, 3] : [1] {
                let y = Tensor(shape: out)
                scratch.pointer.update(repeating: .nan, count: scratch.count)
                Kernels.convolution(x.pointer, input: input, geometry: geometry, weights: weights, activation: activation, into: y.pointer,
                                    residual: large ? residual.pointer : nil, scratch: scratch.pointer,
                                    context: ExecutionContext(threads: threads, family: family))
                let reference = referenceConvolution(x.array, n: t.n, h: t.h, w: t.w, cin: t.c, kernel: t.k, stride: t.s, weights: w, bias: bias,
                                                     cout: t.cout, activation: activation, residual: large ? residual.array : nil)
                group.expectClose(y.pointer, reference.values, scale: reference.scale,
                                  "case \(index) \(t.n)x\(t.h)x\(t.w)x\(t.c) k\(t.k) s\(t.s) -> \(t.cout), \(activation.rawValue), \(threads) threads")
            }
        }
    }
    return group
}

/// The implicit GEMM reads each pixel's window in place; im2col copies it first. Same tiles,
/// same order of multiply-adds: equal bit for bit.
func checkImplicitEqualsIm2col(_ family: KernelFamily) -> Group {
    var group = Group(name: "implicit = im2col \(family.rawValue)")
    for (index, (k, s)) in [(3, 1), (3, 2), (5, 1), (5, 2)].enumerated() {
        let input = Shape(n: 2, h: 9, w: 11, c: 6), geometry = WindowGeometry(kernel: k, stride: s)
        let out = geometry.output(input, channels: 20), depth = k * k * input.c
        let x = Tensor(shape: input, values: randomFloats(input.count, seed: 1400 + UInt64(index)))
        let weights = GEMMWeights(k: depth, n: 20, weights: randomFloats(depth * 20, seed: 1500 + UInt64(index)), bias: randomFloats(20, seed: 1600 + UInt64(index)))
        let context = ExecutionContext(family: family)
        let implicit = Tensor(shape: out), viaIm2col = Tensor(shape: out)
        let scratch = FloatBuffer(count: Kernels.implicitConvolutionScratchCount(input: input, geometry: geometry))
        Kernels.implicitConvolution(x.pointer, input: input, geometry: geometry, weights: weights, activation: .relu6, into: implicit.pointer,
                                    scratch: scratch.pointer, context: context)
        let patches = FloatBuffer(count: out.pixels * depth)
        Kernels.im2col(x.pointer, input: input, geometry: geometry, output: out, firstPixel: 0, rows: out.pixels, into: patches.pointer)
        Kernels.gemm(patches.pointer, lda: depth, rows: out.pixels, weights: weights, activation: .relu6, into: viaIm2col.pointer, ldc: 20, context: context)
        group.expect(implicit.array == viaIm2col.array, "k\(k) s\(s): implicit and im2col differ")
    }
    return group
}

/// Depthwise (the 16-lane, 8-lane and scalar paths; interior and border kernels; k = 9 takes
/// the generic loop) at 1 and 2 threads, and `depthwiseBand` over two bands equal to the whole.
func checkDepthwise() -> Group {
    var group = Group(name: "depthwise")
    for (index, t) in depthwiseCases.enumerated() {
        let input = Shape(n: t.n, h: t.h, w: t.w, c: t.c), geometry = WindowGeometry(kernel: t.k, stride: t.s)
        let out = geometry.output(input, channels: t.c)
        let x = Tensor(shape: input, values: randomFloats(input.count, seed: 2000 + UInt64(index)))
        let w = FloatBuffer(randomFloats(t.k * t.k * t.c, seed: 2100 + UInt64(index))), bias = FloatBuffer(randomFloats(t.c, seed: 2200 + UInt64(index)))
        for activation in Activation.allCases {
            let reference = referenceDepthwise(x.array, n: t.n, h: t.h, w: t.w, c: t.c, kernel: t.k, stride: t.s, weights: w.array, bias: bias.array, activation: activation)
            for threads in [1, 2] {
                let y = Tensor(shape: out)
                Kernels.depthwise(x.pointer, input: input, geometry: geometry, weights: w.pointer, bias: bias.pointer, activation: activation,
                                  into: y.pointer, context: ExecutionContext(threads: threads))
                group.expectClose(y.pointer, reference.values, scale: reference.scale, "case \(index) k\(t.k) s\(t.s) c\(t.c) \(activation.rawValue) \(threads) threads")
                if threads == 1 && t.n == 1 {
                    let banded = Tensor(shape: out), split = out.h / 2
                    for rows in [0..<split, split..<out.h] {
                        Kernels.depthwiseBand(x.pointer, firstRow: 0, image: input, geometry: geometry, weights: w.pointer, bias: bias.pointer,
                                              activation: activation, rows: rows, into: banded.pointer + rows.lowerBound * out.w * out.c)
                    }
                    group.expect(banded.array == y.array, "case \(index) \(activation.rawValue): bands differ from the whole")
                }
            }
        }
    }
    return group
}

/// Pooling, global average, residual add, channel scaling, softmax, the activation and
/// bias-activation epilogues, squeeze-and-excite: counts off the 16-lane width.
func checkElementwise() -> Group {
    var group = Group(name: "pooling and elementwise")
    for (index, (n, h, w, c, k, s)) in [(1, 7, 7, 17, 3, 2), (2, 6, 5, 16, 3, 1), (1, 9, 8, 40, 5, 2), (1, 1, 1, 3, 3, 1)].enumerated() {
        let input = Shape(n: n, h: h, w: w, c: c), geometry = WindowGeometry(kernel: k, stride: s)
        let x = Tensor(shape: input, values: randomFloats(input.count, seed: 3000 + UInt64(index)))
        for kind in [PoolKind.average, .max] {
            let y = Tensor(shape: geometry.output(input, channels: c))
            Kernels.pool(kind, x.pointer, input: input, geometry: geometry, into: y.pointer, context: ExecutionContext(threads: 2))
            group.expectClose(y.pointer, referencePool(kind, x.array, n: n, h: h, w: w, c: c, kernel: k, stride: s), "\(kind.rawValue) pool case \(index)")
        }
        let pooled = FloatBuffer(count: n * c)
        Kernels.globalAveragePool(x.pointer, input: input, into: pooled.pointer)
        var mean = [Double](repeating: 0, count: n * c)
        for b in 0..<n { for p in 0..<(h * w) { for ch in 0..<c { mean[b * c + ch] += Double(x.array[(b * h * w + p) * c + ch]) / Double(h * w) } } }
        group.expectClose(pooled.pointer, mean, "global average case \(index)")
    }
    for count in [1, 15, 16, 37, 100] {
        let a = randomFloats(count, seed: 3100 + UInt64(count)), b = randomFloats(count, seed: 3200 + UInt64(count))
        let sum = FloatBuffer(count: count)
        Kernels.add(a, b, into: sum.pointer, count: count)
        group.expectClose(sum.pointer, (0..<count).map { Double(a[$0]) + Double(b[$0]) }, "add \(count)")
        for activation in Activation.allCases {
            let y = FloatBuffer(count: count)
            let scaled = a.map { $0 * 8 }
            Kernels.activate(scaled, into: y.pointer, count: count, activation: activation)
            group.expectClose(y.pointer, scaled.map { referenceActivation(activation, Double($0)) }, "activate \(activation.rawValue) \(count)")
        }
    }
    for (rows, cols, ldc) in [(3, 17, 20), (5, 16, 16), (2, 40, 41)] {
        let bias = randomFloats(cols, seed: 3300), initial = randomFloats(rows * ldc, seed: 3400 + UInt64(cols)).map { $0 * 8 }
        for activation in Activation.allCases {
            let y = FloatBuffer(initial)
            Kernels.biasActivation(y.pointer, rows: rows, cols: cols, ldc: ldc, bias: bias, activation: activation)
            var expected = [Double]()
            for r in 0..<rows { for j in 0..<ldc { expected.append(j < cols ? referenceActivation(activation, Double(initial[r * ldc + j]) + Double(bias[j])) : Double(initial[r * ldc + j])) } }
            group.expectClose(y.pointer, expected, "bias + \(activation.rawValue) \(rows)x\(cols) ldc \(ldc)")
        }
    }
    let logits = randomFloats(3 * 10, seed: 3500).map { $0 * 20 }
    let probabilities = FloatBuffer(count: 30)
    Kernels.softmax(logits, rows: 3, cols: 10, into: probabilities.pointer)
    var softmax = [Double]()
    for r in 0..<3 {
        let row = logits[(r * 10)..<(r * 10 + 10)].map { Double($0) }
        let peak = row.max()!
        let exps = row.map { Double(expf(Float($0 - peak))) }
        let total = exps.reduce(0, +)
        softmax += exps.map { $0 / total }
    }
    group.expectClose(probabilities.pointer, softmax, "softmax 3x10")
    // Squeeze-and-excite: pool, reduce FC + ReLU, expand FC + sigmoid, scale.
    let shape = Shape(n: 2, h: 5, w: 4, c: 24), reduced = 6
    let x = randomFloats(shape.count, seed: 3600)
    let reduceW = randomFloats(24 * reduced, seed: 3700), reduceB = randomFloats(reduced, seed: 3800)
    let expandW = randomFloats(reduced * 24, seed: 3900), expandB = randomFloats(24, seed: 4000)
    for family in KernelFamily.allCases {
        let tensor = FloatBuffer(x), scratch = FloatBuffer(count: shape.n * (2 * shape.c + reduced))
        Kernels.squeezeExcite(tensor.pointer, shape: shape, reduce: GEMMWeights(k: 24, n: reduced, weights: reduceW, bias: reduceB),
                              expand: GEMMWeights(k: reduced, n: 24, weights: expandW, bias: expandB), scratch: scratch.pointer,
                              context: ExecutionContext(family: family))
        var expected = [Double]()
        for b in 0..<2 {
            var mean = [Double](repeating: 0, count: 24)
            for p in 0..<20 { for ch in 0..<24 { mean[ch] += Double(x[(b * 20 + p) * 24 + ch]) / 20 } }
            let hidden = (0..<reduced).map { j in referenceActivation(.relu, Double(reduceB[j]) + (0..<24).reduce(0.0) { $0 + mean[$1] * Double(reduceW[$1 * reduced + j]) }) }
            let gate = (0..<24).map { ch in referenceActivation(.sigmoid, Double(expandB[ch]) + (0..<reduced).reduce(0.0) { $0 + hidden[$1] * Double(expandW[$1 * 24 + ch]) }) }
            for p in 0..<20 { for ch in 0..<24 { expected.append(Double(x[(b * 20 + p) * 24 + ch]) * gate[ch]) } }
        }
        group.expectClose(tensor.pointer, expected, "squeeze-excite \(family.rawValue)")
    }
    return group
}

@main
struct ARMCrossCheck {
    static func main() {
        var groups = [checkFamilySelection()]
        for family in KernelFamily.allCases {
            groups.append(checkGEMM(family))
            groups.append(checkGatheredRows(family))
            groups.append(checkConvolution(family))
            groups.append(checkImplicitEqualsIm2col(family))
        }
        groups.append(checkDepthwise())
        groups.append(checkElementwise())
        var failures = 0, elements = 0
        for group in groups {
            print("\(group.failures == 0 ? "ok  " : "FAIL") \(group.name): \(group.elements) elements checked, \(group.failures) off")
            failures += group.failures
            elements += group.elements
        }
        print("ARM cross-check (aarch64): \(groups.count) groups, \(elements) elements, \(failures) off")
        exit(failures == 0 ? 0 : 1)
    }
}
