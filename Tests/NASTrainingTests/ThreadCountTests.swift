import Foundation
import NASEngine
import Testing
@testable import NASTraining

/// One engine backend (native GEMM), any thread count: bit-identical results, since the
/// engine's kernels split work over rows and pixels, never over a reduction.
@Suite struct ThreadCountTests {
    static let specs = [
        LayerSpec(op: .conv, inChannels: 3, outChannels: 16, kernel: 3, stride: 2, activation: .relu6),
        LayerSpec(op: .mbconv, inChannels: 16, outChannels: 16, kernel: 3, stride: 1, expansion: 3, seRatio: 0.25, skip: true, activation: .hswish),
        LayerSpec(op: .sepconv, inChannels: 16, outChannels: 24, kernel: 5, stride: 2, seRatio: 0, skip: false, activation: .relu6),
        LayerSpec(op: .conv, inChannels: 24, outChannels: 48, kernel: 1, stride: 1, activation: .relu6),
        LayerSpec(op: .gap, inChannels: 48, outChannels: 48),
        LayerSpec(op: .fc, inChannels: 48, outChannels: 10),
    ]

    /// Logits, input-side gradients and every parameter's gradient after one step at `threads`.
    static func step(threads: Int) -> (logits: [Float], gradients: [[Float]]) {
        let network = TrainingNetwork(inputShape: Shape(h: 20, w: 20, c: 3), specs: specs, seed: 5, context: ExecutionContext(threads: threads))
        var rng = SplitMix64(seed: 6)
        let batch = 6
        let x = rng.uniform(count: batch * 20 * 20 * 3, scale: 1)
        let labels = (0..<batch).map { $0 % 10 }
        for p in network.parameters { p.zeroGradient() }
        let logits = network.forward(x, batch: batch, training: true)
        let (_, dLogits) = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, classes: 10, smoothing: 0)
        network.backward(dLogits)
        return (logits, network.parameters.map(\.gradient))
    }

    @Test(arguments: 2...8)
    func logitsAndGradientsAreBitIdenticalToOneThread(threads: Int) {
        let one = Self.step(threads: 1), many = Self.step(threads: threads)
        #expect(one.logits == many.logits, "pre-softmax logits differ at \(threads) threads")
        #expect(one.gradients == many.gradients, "gradients differ at \(threads) threads")
    }

    @Test func creatingContextsLeavesOpenBLASThreadsAlone() {
        let before = ExecutionContext.openBLASThreads
        for threads in 1...8 { _ = ExecutionContext(threads: threads, gemm: .openblas) }
        #expect(ExecutionContext.openBLASThreads == before)
    }
}
