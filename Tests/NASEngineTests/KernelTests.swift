import Testing
@testable import NASEngine
@testable import NASKernels

/// Shapes chosen for edge cases: 1x1 spatial, odd sizes, stride 2 on odd heights, channels
/// that are not a multiple of the 16-lane vector, batch > 1.
let convolutionCases: [(Shape, Int, Int, Int)] = [  // input, kernel, stride, cout
    (Shape(n: 1, h: 1, w: 1, c: 3), 3, 1, 5),
    (Shape(n: 1, h: 7, w: 5, c: 3), 3, 2, 16),
    (Shape(n: 2, h: 9, w: 9, c: 17), 1, 1, 33),
    (Shape(n: 1, h: 9, w: 7, c: 8), 1, 2, 12),
    (Shape(n: 2, h: 11, w: 6, c: 5), 5, 1, 7),
    (Shape(n: 1, h: 13, w: 13, c: 4), 5, 2, 9),
    (Shape(n: 1, h: 8, w: 10, c: 3), 7, 1, 4),
    (Shape(n: 2, h: 15, w: 9, c: 6), 7, 2, 18),
    (Shape(n: 1, h: 2, w: 3, c: 40), 3, 2, 24),
    // The direct kernel (cin <= 4): a panel pair and a partial third panel, stride 2 and 1.
    (Shape(n: 2, h: 12, w: 14, c: 3), 3, 2, 40),
    (Shape(n: 1, h: 9, w: 17, c: 2), 5, 1, 33),
]

let depthwiseCases: [(Shape, Int, Int)] = [  // input, kernel, stride
    (Shape(n: 1, h: 1, w: 1, c: 16), 3, 1),
    (Shape(n: 1, h: 7, w: 7, c: 17), 3, 2),
    (Shape(n: 2, h: 9, w: 6, c: 32), 3, 1),
    (Shape(n: 1, h: 11, w: 11, c: 40), 5, 2),
    (Shape(n: 2, h: 6, w: 9, c: 5), 5, 1),
    (Shape(n: 1, h: 13, w: 8, c: 48), 7, 1),
    (Shape(n: 1, h: 9, w: 9, c: 33), 7, 2),
    (Shape(n: 1, h: 3, w: 2, c: 1), 7, 1),
    (Shape(n: 1, h: 5, w: 5, c: 8), 9, 1),
    (Shape(n: 1, h: 10, w: 10, c: 24), 5, 1),  // 16 + 8 channels: the 8-lane remainder
    (Shape(n: 2, h: 8, w: 9, c: 29), 3, 1),    // 16 + 8 + 5 scalar
    (Shape(n: 1, h: 12, w: 12, c: 8), 3, 1),   // only an 8-lane block, interior kernel
    (Shape(n: 1, h: 12, w: 11, c: 13), 5, 2),  // 8-lane interior, stride 2, + 5 scalar
]

@Suite struct ConvolutionKernelTests {
    @Test(arguments: convolutionCases.indices, Activation.allCases)
    func matchesReference(caseIndex: Int, activation: Activation) {
        check(caseIndex: caseIndex, activation: activation, backend: .openblas)
        // The native backend with every kernel family, not only the one this host picks.
        for family in KernelFamily.allCases { check(caseIndex: caseIndex, activation: activation, backend: .native, family: family) }
    }

    /// Larger layers with a residual, at 1-3 threads, against the reference: on OpenBLAS, im2col
    /// chunks split across the threads; natively, with every kernel family, the implicit GEMM
    /// (its padded copy split by rows, its row blocks by tiles that span image rows). The
    /// scratch starts as NaN, so a border the padding misses shows.
    @Test(arguments: [1, 2, 3], ConvolutionKernelTests.engines)
    func acrossThreadsMatchReference(threads: Int, engine: (GEMMBackend, KernelFamily)) {
        let cases: [(Shape, Int, Int, Int)] = [  // input, kernel, stride, cout
            (Shape(n: 2, h: 20, w: 18, c: 32), 3, 1, 24),  // 15 chunks of 48 rows
            (Shape(n: 1, h: 28, w: 28, c: 40), 3, 2, 40),  // 9 chunks of 24 rows: uneven parts
            (Shape(n: 1, h: 9, w: 9, c: 24), 5, 2, 40),    // 2 chunks: split inside each
            (Shape(n: 1, h: 7, w: 7, c: 20), 5, 1, 8),     // tiles over several 7-pixel rows; an 8-column panel
        ]
        for (index, (input, k, s, cout)) in cases.enumerated() {
            var rng = SplitMix64(seed: 40 + UInt64(index))
            let layer = Convolution.random(inChannels: input.c, outChannels: cout, kernel: k, stride: s, activation: .relu6, rng: &rng)
            let x = Tensor(shape: input, values: randomValues(input.count, seed: 50 + UInt64(index)))
            let outShape = layer.outputShape(for: input)
            let residual = Tensor(shape: outShape, values: randomValues(outShape.count, seed: 60 + UInt64(index)))
            let y = Tensor(shape: outShape)
            var scratch = [Float](repeating: .nan, count: max(1, layer.scratchCount(for: input)))
            scratch.withUnsafeMutableBufferPointer {
                layer.forward(x.pointer, input: input, into: y.pointer, residual: residual.pointer, scratch: $0.baseAddress!,
                              context: ExecutionContext(threads: threads, gemm: engine.0, family: engine.1))
            }
            let expected = zip(Reference.convolution(layer, x.array, input), residual.array).map { $0 + $1 }
            #expect(maxRelativeError(y.array, expected) < 1e-4, "case \(index), \(threads) threads, \(engine)")
        }
    }

    func check(caseIndex: Int, activation: Activation, backend: GEMMBackend, family: KernelFamily = .host) {
        let (input, k, s, cout) = convolutionCases[caseIndex]
        var rng = SplitMix64(seed: UInt64(caseIndex))
        let layer = Convolution.random(inChannels: input.c, outChannels: cout, kernel: k, stride: s, activation: activation, rng: &rng)
        let x = Tensor(shape: input, values: randomValues(input.count, seed: 100 + UInt64(caseIndex)))
        let y = layer(x, context: ExecutionContext(gemm: backend, family: family))
        #expect(y.shape == Shape(n: input.n, h: (input.h + s - 1) / s, w: (input.w + s - 1) / s, c: cout))
        #expect(maxRelativeError(y.array, Reference.convolution(layer, x.array, input)) < 1e-4, "\(backend) \(family)")
    }

    /// A 3x3 convolution with an identity skip (the MNasNet "conv" op with skip) against the
    /// reference, which adds the input.
    /// 12 channels take the implicit GEMM (im2col + sgemm on OpenBLAS), 4 the direct kernel
    /// (4-pixel blocks and borders).
    @Test(arguments: GEMMBackend.allCases, [(Activation.relu6, 12), (.hswish, 12), (.relu6, 4), (.none, 3)])
    func convolutionWithIdentitySkipMatchesReference(backend: GEMMBackend, testCase: (Activation, Int)) {
        let (activation, channels) = testCase
        let input = Shape(n: 2, h: 7, w: 13, c: channels)
        var rng = SplitMix64(seed: 41)
        let layer = Convolution.random(inChannels: channels, outChannels: channels, kernel: 3, stride: 1, activation: activation, skip: true, rng: &rng)
        let x = Tensor(shape: input, values: randomValues(input.count, seed: 42))
        let y = layer(x, context: ExecutionContext(gemm: backend)).array
        let reference = Reference.convolution(layer, x.array, input)
        #expect(maxRelativeError(y, reference) < 1e-4)
        // The skip really is in both: without it they would differ by the input.
        let plain = Convolution(inChannels: channels, outChannels: channels, kernel: 3, stride: 1, activation: activation, weights: layer.weights.array, bias: layer.bias.array)
        #expect(maxRelativeError(plain(x, context: ExecutionContext(gemm: backend)).array, reference) > 0.1)
    }

    /// Every GEMM backend and native kernel family.
    static let engines: [(GEMMBackend, KernelFamily)] = [(.openblas, .host)] + KernelFamily.allCases.map { (.native, $0) }

    @Test(arguments: engines, [1, 2])
    func largePointwiseWithResidualMatchesReference(engine: (GEMMBackend, KernelFamily), threads: Int) {
        // 5,000 pixels: several OpenBLAS chunks and native row blocks; the residual is fused
        // into the store. 40 = 32 + 8 columns: a full panel pair then a half-full panel (8-column
        // tiles); 24 and 56: a last pair or panel with 24 or 8 valid columns (partial stores).
        let input = Shape(n: 2, h: 50, w: 50, c: 24)
        for cout in [40, 24, 56] {
            var rng = SplitMix64(seed: 9)
            let layer = Convolution.random(inChannels: 24, outChannels: cout, kernel: 1, stride: 1, activation: .relu6, rng: &rng)
            let x = Tensor(shape: input, values: randomValues(input.count, seed: 10))
            let residual = Tensor(shape: layer.outputShape(for: input), values: randomValues(input.pixels * cout, seed: 11))
            let y = Tensor(shape: residual.shape)
            layer.forward(x.pointer, input: input, into: y.pointer, residual: residual.pointer, scratch: y.pointer,
                          context: ExecutionContext(threads: threads, gemm: engine.0, family: engine.1))
            let expected = zip(Reference.convolution(layer, x.array, input), residual.array).map { $0 + $1 }
            #expect(maxRelativeError(y.array, expected) < 1e-4, "\(cout) output channels")
        }
    }

    /// Every kernel family is portable SIMD code, so each runs here; one wider than this CPU's
    /// registers runs split in two (correct, slower), which the test says rather than skips.
    @Test(arguments: KernelFamily.allCases, [(1, 1, 1), (7, 5, 3), (13, 17, 33), (25, 64, 16), (9, 40, 100), (11, 48, 20), (23, 16, 7), (19, 24, 9), (14, 8, 12), (5, 120, 4), (49, 40, 200)])
    func packedGEMMCoversEveryTileShape(family: KernelFamily, shape: (Int, Int, Int)) {
        if !family.runsNatively(features: KernelFamily.hostFeatures) {
            print("note: kernel family \(family) is wider than this CPU's vectors; testing it with each vector split in two")
        }
        let (m, n, k) = shape
        // Row counts that exercise the 8/4/2/1, 12/8/4/2/1 and 6/4/2/1 tile ladders (and, at
        // 49 x 200, row blocks of 24 + 24 + 1 in one thread), column
        // counts with one partial panel (at most half full: the 8-column tiles), strided A/C
        // rows, and the epilogue with and without a (strided) residual.
        let lda = k + 3, ldc = n + 5, ldr = n + 2
        let a = randomValues(m * lda, seed: 12), w = randomValues(k * n, seed: 13), bias = randomValues(n, seed: 14)
        let residual = randomValues(m * ldr, seed: 15)
        let weights = GEMMWeights(k: k, n: n, weights: w, bias: bias)
        for withResidual in [false, true] {
            var c = [Float](repeating: -7, count: m * ldc)
            residual.withUnsafeBufferPointer { r in
                c.withUnsafeMutableBufferPointer {
                    Kernels.gemm(a, lda: lda, rows: m, weights: weights, activation: .hswish, into: $0.baseAddress!, ldc: ldc,
                                 residual: withResidual ? r.baseAddress! : nil, ldr: ldr, context: ExecutionContext(family: family))
                }
            }
            for r in 0..<m {
                for j in 0..<ldc {
                    if j >= n { #expect(c[r * ldc + j] == -7, "padding column \(j) written"); continue }
                    var acc = Double(bias[j])
                    for q in 0..<k { acc += Double(a[r * lda + q]) * Double(w[q * n + j]) }
                    let expected = Reference.activate(.hswish, Float(acc)) + (withResidual ? residual[r * ldr + j] : 0)
                    #expect(abs(c[r * ldc + j] - expected) < 1e-4 * (1 + Float(abs(acc))), "row \(r) column \(j), residual \(withResidual)")
                }
            }
        }
    }

    /// Packing a row-major `S[n × k]` as `Sᵀ` (training's input gradient) gives the same panels,
    /// zero padding included, as transposing `S` first and packing that: full panels, a partial
    /// one, one column, one row.
    @Test(arguments: [(1, 1), (3, 16), (7, 17), (24, 40), (33, 8), (5, 129)])
    func packingATransposedSourceEqualsPackingTheTranspose(shape: (k: Int, n: Int)) {
        let (k, n) = shape
        let source = randomValues(n * k, seed: 31)
        var transposed = [Float](repeating: 0, count: k * n)
        for row in 0..<n { for column in 0..<k { transposed[column * n + row] = source[row * k + column] } }
        let direct = source.withUnsafeBufferPointer { PackedWeights(transposing: $0.baseAddress!, k: k, n: n) }
        let viaCopy = transposed.withUnsafeBufferPointer { PackedWeights(weights: $0.baseAddress!, k: k, n: n, bias: nil) }
        #expect(direct.k == k && direct.n == n && direct.data.count == viaCopy.data.count)
        #expect(Array(direct.data.storage) == Array(viaCopy.data.storage))
        #expect(Array(direct.bias.storage) == [Float](repeating: 0, count: direct.panels * 16))
        // And the packed layout itself: panel p, row r, lane j holds B[r][16p + j] (0 past n).
        for p in 0..<direct.panels { for r in 0..<k { for j in 0..<16 {
            let expected: Float = p * 16 + j < n ? source[(p * 16 + j) * k + r] : 0
            #expect(direct.data.pointer[(p * k + r) * 16 + j] == expected)
        } } }
    }

    /// Gathered rows (the implicit convolution's A): each row at its own offset, in segments a
    /// stride apart, against a plain loop over the same addresses, for every family and tile
    /// ladder (rows 1-49), panel pairs and a half panel (n = 40), with a residual.
    @Test(arguments: KernelFamily.allCases, [(1, 3, 4, 7), (13, 40, 3, 5), (49, 24, 5, 3), (30, 17, 1, 9)])
    func packedGEMMReadsGatheredRows(family: KernelFamily, shape: (Int, Int, Int, Int)) {
        let (m, n, segments, segmentLength) = shape
        let k = segments * segmentLength, segmentStride = 37
        var rng = SplitMix64(seed: 21)
        // Offsets in any order, overlapping windows allowed (as neighbouring output pixels do).
        let offsets = (0..<m).map { _ in Int(rng.next() % 200) }
        let a = randomValues(200 + segments * segmentStride + segmentLength, seed: 22)
        let w = randomValues(k * n, seed: 23), bias = randomValues(n, seed: 24), residual = randomValues(m * n, seed: 25)
        let weights = GEMMWeights(k: k, n: n, weights: w, bias: bias)
        var c = [Float](repeating: .nan, count: m * n)
        offsets.withUnsafeBytes { table in
            residual.withUnsafeBufferPointer { r in
                c.withUnsafeMutableBufferPointer {
                    Kernels.packedGEMM(a, lda: 0, rows: m, weights: weights.packed, activation: .relu, into: $0.baseAddress!, ldc: n,
                                       residual: r.baseAddress!, ldr: n,
                                       gathered: GatheredRows(offsets: table.baseAddress!, segments: segments, segmentStride: segmentStride),
                                       context: ExecutionContext(family: family))
                }
            }
        }
        for r in 0..<m {
            for j in 0..<n {
                var acc = Double(bias[j])
                for q in 0..<k {
                    let value = a[offsets[r] + (q / segmentLength) * segmentStride + q % segmentLength]
                    acc += Double(value) * Double(w[q * n + j])
                }
                let expected = max(0, Float(acc)) + residual[r * n + j]
                #expect(abs(c[r * n + j] - expected) < 1e-4 * (1 + Float(abs(acc))), "row \(r) column \(j)")
            }
        }
    }

    @Test func familyFollowsTheCPUFeatures() {
        #expect(KernelFamily.preferred(features: ["sse4.2", "avx", "avx2", "fma3", "avx512f"]) == .avx512)
        #expect(KernelFamily.preferred(features: ["sse4.2", "avx", "avx2", "fma3"]) == .avx2)
        #expect(KernelFamily.preferred(features: ["sse4.2", "avx", "avx2"]) == .neon)  // AVX2 without FMA: 4 lanes
        #expect(KernelFamily.preferred(features: ["neon", "fma", "dotprod"]) == .neon)
        #expect(KernelFamily.avx2.runsNatively(features: ["avx2", "fma3", "avx512f"]))
        #expect(!KernelFamily.avx512.runsNatively(features: ["avx2", "fma3"]))
        #expect(ExecutionContext().family == KernelFamily.host)
    }

    /// The implicit GEMM reads the same k values in the same order as im2col + the same
    /// microkernels, so the two agree bit for bit (every family, strides 1 and 2, k = 3 and 5,
    /// a batch of two).
    @Test(arguments: KernelFamily.allCases)
    func implicitConvolutionEqualsIm2colBitForBit(family: KernelFamily) {
        let cases: [(Shape, Int, Int, Int)] = [(Shape(n: 2, h: 9, w: 7, c: 12), 3, 1, 40), (Shape(n: 1, h: 11, w: 10, c: 20), 5, 2, 24)]
        for (index, (input, k, s, cout)) in cases.enumerated() {
            var rng = SplitMix64(seed: 70 + UInt64(index))
            let layer = Convolution.random(inChannels: input.c, outChannels: cout, kernel: k, stride: s, activation: .relu6, rng: &rng)
            let g = layer.geometry, out = layer.outputShape(for: input)
            let x = Tensor(shape: input, values: randomValues(input.count, seed: 80 + UInt64(index)))
            let context = ExecutionContext(family: family)
            let patches = Tensor(shape: Shape(n: 1, h: 1, w: out.pixels, c: layer.parameters.k))
            Kernels.im2col(x.pointer, input: input, geometry: g, output: out, firstPixel: 0, rows: out.pixels, into: patches.pointer)
            let viaIm2col = Tensor(shape: out), implicit = Tensor(shape: out)
            Kernels.packedGEMM(patches.pointer, lda: layer.parameters.k, rows: out.pixels, weights: layer.parameters.packed,
                               activation: .relu6, into: viaIm2col.pointer, ldc: cout, context: context)
            let scratch = Tensor(shape: Shape(n: 1, h: 1, w: 1, c: Kernels.implicitConvolutionScratchCount(input: input, geometry: g)))
            Kernels.implicitConvolution(x.pointer, input: input, geometry: g, weights: layer.parameters, activation: .relu6,
                                        into: implicit.pointer, scratch: scratch.pointer, context: context)
            #expect(implicit.array == viaIm2col.array, "case \(index), \(family)")
        }
    }

    /// OpenBLAS's path: im2col in chunks (the native one has no im2col).
    @Test func im2colSpansSeveralChunks() {
        let input = Shape(n: 1, h: 40, w: 40, c: 64)  // depth 576 → 455 rows per chunk < 1600 pixels
        var rng = SplitMix64(seed: 11)
        let layer = Convolution.random(inChannels: 64, outChannels: 8, kernel: 3, stride: 1, activation: .none, rng: &rng)
        #expect(Kernels.convolutionChunkRows(depth: 576, pixels: 1600) < 1600)
        let x = Tensor(shape: input, values: randomValues(input.count, seed: 12))
        let y = layer(x, context: ExecutionContext(gemm: .openblas))
        #expect(maxRelativeError(y.array, Reference.convolution(layer, x.array, input)) < 1e-4)
    }
}

@Suite struct DepthwiseKernelTests {
    @Test(arguments: depthwiseCases.indices, [Activation.none, .relu6, .hswish])
    func matchesReference(caseIndex: Int, activation: Activation) {
        let (input, k, s) = depthwiseCases[caseIndex]
        var rng = SplitMix64(seed: 50 + UInt64(caseIndex))
        let layer = DepthwiseConvolution.random(channels: input.c, kernel: k, stride: s, activation: activation, rng: &rng)
        let x = Tensor(shape: input, values: randomValues(input.count, seed: 200 + UInt64(caseIndex)))
        let y = layer(x)
        #expect(y.shape == Shape(n: input.n, h: (input.h + s - 1) / s, w: (input.w + s - 1) / s, c: input.c))
        #expect(maxRelativeError(y.array, Reference.depthwise(layer, x.array, input)) < 1e-5)
    }

    @Test func twoThreadsGiveTheSameResultAsOne() {
        let input = Shape(n: 2, h: 17, w: 13, c: 40)
        var rng = SplitMix64(seed: 7)
        let layer = DepthwiseConvolution.random(channels: 40, kernel: 5, stride: 1, activation: .relu6, rng: &rng)
        let x = Tensor(shape: input, values: randomValues(input.count, seed: 8))
        let one = layer(x, context: ExecutionContext(threads: 1)).array
        let two = layer(x, context: ExecutionContext(threads: 2)).array
        #expect(one == two)
    }
}

@Suite struct PoolingKernelTests {
    @Test(arguments: [PoolKind.average, .max], [(Shape(n: 1, h: 1, w: 1, c: 3), 3, 1), (Shape(n: 2, h: 7, w: 9, c: 17), 3, 2),
                                                 (Shape(n: 1, h: 8, w: 8, c: 16), 5, 1), (Shape(n: 1, h: 5, w: 3, c: 2), 3, 2)])
    func windowPoolingMatchesReference(kind: PoolKind, testCase: (Shape, Int, Int)) {
        let (input, k, s) = testCase
        let x = Tensor(shape: input, values: randomValues(input.count, seed: 31))
        let y = Pooling(kind, kernel: k, stride: s)(x)
        #expect(maxRelativeError(y.array, Reference.pool(kind, x.array, input, kernel: k, stride: s)) < 1e-6)
    }

    @Test(arguments: [Shape(n: 1, h: 1, w: 1, c: 5), Shape(n: 2, h: 7, w: 7, c: 33), Shape(n: 3, h: 4, w: 5, c: 16)])
    func globalAverageMatchesReference(input: Shape) {
        let x = Tensor(shape: input, values: randomValues(input.count, seed: 32))
        let y = GlobalAveragePooling()(x)
        #expect(y.shape == Shape(n: input.n, h: 1, w: 1, c: input.c))
        #expect(maxRelativeError(y.array, Reference.globalAverage(x.array, input)) < 1e-5)
    }
}

@Suite struct DenseKernelTests {
    @Test(arguments: [(1, 7, 3), (3, 33, 17), (2, 1280, 10)])
    func fullyConnectedMatchesReference(batch: Int, inFeatures: Int, outFeatures: Int) {
        var rng = SplitMix64(seed: 41)
        let layer = FullyConnected.random(inFeatures: inFeatures, outFeatures: outFeatures, activation: .relu, rng: &rng)
        let x = Tensor(shape: Shape(n: batch, h: 1, w: 1, c: inFeatures), values: randomValues(batch * inFeatures, seed: 42))
        let expected = Reference.fullyConnected(x.array, batch: batch, inFeatures: inFeatures, weights: layer.weights.array,
                                                bias: layer.bias.array, outFeatures: outFeatures, activation: .relu)
        #expect(maxRelativeError(layer(x).array, expected) < 1e-4)
    }

    @Test func fullyConnectedFlattensSpatialFeatures() {
        var rng = SplitMix64(seed: 43)
        let layer = FullyConnected.random(inFeatures: 2 * 3 * 4, outFeatures: 5, rng: &rng)
        let x = Tensor(shape: Shape(n: 2, h: 2, w: 3, c: 4), values: randomValues(48, seed: 44))
        let expected = Reference.fullyConnected(x.array, batch: 2, inFeatures: 24, weights: layer.weights.array, bias: layer.bias.array, outFeatures: 5, activation: .none)
        #expect(maxRelativeError(layer(x).array, expected) < 1e-5)
    }

    @Test(arguments: [(1, 10), (4, 1000), (2, 1)])
    func softmaxMatchesReferenceAndSumsToOne(rows: Int, cols: Int) {
        var values = randomValues(rows * cols, seed: 45)
        values[0] = 80  // large logits must not overflow
        let x = Tensor(shape: Shape(n: rows, h: 1, w: 1, c: cols), values: values)
        let y = Softmax()(x).array
        #expect(maxRelativeError(y, Reference.softmax(values, rows: rows, cols: cols)) < 1e-5)
        for r in 0..<rows { #expect(abs(y[(r * cols)..<((r + 1) * cols)].reduce(0, +) - 1) < 1e-4) }
    }

    @Test(arguments: Activation.allCases)
    func vectorActivationMatchesScalar(activation: Activation) {
        let values = (0..<37).map { Float($0) * 0.5 - 9 }  // covers both clamps of relu6/hswish
        var out = [Float](repeating: .nan, count: values.count)
        values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in Kernels.activate(x.baseAddress!, into: y.baseAddress!, count: values.count, activation: activation) }
        }
        #expect(maxRelativeError(out, values.map { Reference.activate(activation, $0) }) < 1e-6)
    }

    @Test func activationDefinitions() {
        #expect(Activation.relu6.apply(7) == 6 && Activation.relu6.apply(-1) == 0 && Activation.relu6.apply(2.5) == 2.5)
        #expect(Activation.hswish.apply(-4) == 0 && Activation.hswish.apply(4) == 4 && Activation.hswish.apply(0) == 0)
        #expect(abs(Activation.hswish.apply(1) - 1 * 4 / 6) < 1e-7)
        #expect(abs(Activation.sigmoid.apply(0) - 0.5) < 1e-7)
        #expect(Activation.relu.apply(-3) == 0 && Activation.none.apply(-3) == -3)
    }

    @Test func residualAddAndChannelScale() {
        let a = randomValues(37, seed: 1), b = randomValues(37, seed: 2)
        var y = [Float](repeating: 0, count: 37)
        y.withUnsafeMutableBufferPointer { Kernels.add(a, b, into: $0.baseAddress!, count: 37) }
        #expect(y == zip(a, b).map { $0 + $1 })

        // 2 images × 3 pixels × 19 channels
        var x = randomValues(2 * 3 * 19, seed: 3)
        let scale = randomValues(2 * 19, seed: 4)
        let expected = x.indices.map { x[$0] * scale[($0 / 57) * 19 + $0 % 19] }
        x.withUnsafeMutableBufferPointer { Kernels.scaleChannels($0.baseAddress!, batch: 2, pixels: 3, channels: 19, scale: scale) }
        #expect(x == expected)
    }
}
