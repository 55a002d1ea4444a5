import NASKernels
import Testing
@testable import NASEngine

/// The banded MBConv (expand, depthwise and project a band of rows at a time) against the
/// layer-by-layer path and the composed reference.
@Suite struct BandedMBConvTests {
    /// (input, cout, kernel, stride, expansion, se ratio, skip, output rows per chunk)
    static let cases: [(Shape, Int, Int, Int, Int, Double, Bool, Int)] = [
        (Shape(n: 1, h: 13, w: 11, c: 8), 8, 3, 1, 6, 0, true, 1),
        (Shape(n: 1, h: 13, w: 11, c: 8), 8, 3, 1, 6, 0, true, 4),
        (Shape(n: 2, h: 12, w: 9, c: 8), 16, 3, 2, 6, 0, false, 2),
        (Shape(n: 1, h: 15, w: 10, c: 16), 16, 5, 1, 6, 0.25, true, 3),   // squeeze-excite: depthwise output whole
        (Shape(n: 2, h: 11, w: 7, c: 8), 24, 5, 2, 4, 0, false, 1),
        (Shape(n: 1, h: 10, w: 10, c: 8), 8, 7, 1, 3, 0, true, 2),
        (Shape(n: 1, h: 21, w: 9, c: 5), 24, 7, 2, 5, 0.25, false, 2),     // 25 channels: a scalar channel tail
        (Shape(n: 2, h: 3, w: 4, c: 8), 8, 5, 1, 6, 0, true, 2),          // window taller than the image
    ]

    @Test(arguments: cases.indices)
    func bandedEqualsLayerByLayerAtEveryThreadCount(index: Int) {
        let (input, cout, k, s, e, se, skip, chunk) = Self.cases[index]
        var rng = SplitMix64(seed: 500 + UInt64(index))
        let block = MBConv.random(inChannels: input.c, outChannels: cout, kernel: k, stride: s, expansion: e, seRatio: se,
                                  skip: skip, activation: .relu6, rng: &rng)
        let x = Tensor(shape: input, values: randomValues(input.count, seed: 600 + UInt64(index)))
        let out = block.outputShape(for: input)
        let reference = Reference.mbconv(block, x.array, input)
        var maxParts = 0
        defer { #expect(maxParts >= 2, "case \(index): never split over threads") }
        for threads in [1, 2, 3] {
            let context = ExecutionContext(threads: threads)
            guard let plan = block.bandPlan(for: input, context: context, rowsPerChunk: chunk) else {
                Issue.record("case \(index): no banded plan at \(threads) threads"); continue
            }
            // Parts: one per thread, fewer when the scratch cannot hold more windows.
            #expect(plan.rowsPerChunk == min(chunk, out.h) && plan.parts >= 1 && plan.parts <= min(threads, out.n * out.h))
            maxParts = max(maxParts, plan.parts)
            // Scratch exactly as the executor sizes it, plus a guard band that must stay untouched.
            let need = block.scratchCount(for: input), guardCount = 256
            let scratch = FloatBuffer(count: need + guardCount)
            for i in 0..<(need + guardCount) { scratch.pointer[i] = .nan }
            let banded = Tensor(shape: out)
            block.forwardBanded(x.pointer, input: input, into: banded.pointer, scratch: scratch.pointer, plan: plan, context: context)
            #expect((need..<(need + guardCount)).allSatisfy { scratch.pointer[$0].isNaN }, "case \(index): scratch overrun at \(threads) threads")
            let layered = Tensor(shape: out)
            let scratch2 = FloatBuffer(count: need)
            block.forwardLayerByLayer(x.pointer, input: input, into: layered.pointer, scratch: scratch2.pointer, context: context)
            #expect(banded.array == layered.array, "case \(index): banded differs from layer by layer at \(threads) threads")
            #expect(maxRelativeError(banded.array, reference) < 1e-4)
        }
    }

    /// Which blocks can band: the native GEMM only, never a block without expansion; the plan
    /// fits the scratch the executor gives the block and its window the requested size.
    @Test func bandPlanFitsItsWindowAndScratch() {
        var rng = SplitMix64(seed: 700)
        let block = MBConv.random(inChannels: 16, outChannels: 24, kernel: 3, stride: 2, expansion: 6, seRatio: 0,
                                  skip: false, activation: .relu6, rng: &rng)
        let large = Shape(h: 112, w: 112, c: 16)  // MobileNetV2's second block: 112x112x96 expanded, 4.8 MB
        for threads in [1, 2, 8] {
            for kib in [96, 160, 640] {
                let plan = block.bandPlan(for: large, context: ExecutionContext(threads: threads), windowBytes: kib * 1024)
                #expect(plan != nil)
                if let plan {
                    // One window per thread while the scratch holds them (8 windows of 640 KiB do not).
                    #expect(plan.parts == min(threads, block.scratchCount(for: large) / plan.floatsPerPart) && plan.parts >= 1)
                    #expect(plan.parts * plan.floatsPerPart <= block.scratchCount(for: large))
                    #expect(plan.windowRows == 3 || plan.windowRows * 112 * 96 * 4 <= kib * 1024)  // at least one kernel's rows
                    #expect(plan.windowRows == (plan.rowsPerChunk - 1) * 2 + 3)
                }
            }
        }
        #expect(block.bandPlan(for: large, context: ExecutionContext(threads: 1, gemm: .openblas)) == nil)
        let separable = MBConv.separable(inChannels: 32, outChannels: 16, kernel: 3, stride: 1, seRatio: 0, skip: false,
                                         activation: .relu6, rng: &rng)
        #expect(separable.bandPlan(for: Shape(h: 112, w: 112, c: 32), context: ExecutionContext()) == nil)
    }
}
