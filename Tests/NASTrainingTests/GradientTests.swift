import NASEngine
import Testing
@testable import NASTraining

@Suite struct GradientTests {
    @Test(arguments: [(1, 1, true), (3, 2, false), (5, 1, true), (3, 1, false)])
    func convolution(kernel: Int, stride: Int, bias: Bool) {
        var rng = SplitMix64(seed: 1)
        let layer = ConvolutionLayer(inChannels: 3, outChannels: 5, kernel: kernel, stride: stride, bias: bias, rng: &rng)
        checkGradientsInDouble(layer, input: Shape(n: 2, h: 5, w: 6, c: 3), seed: UInt64(kernel * 10 + stride))
    }

    /// The native GEMM path (default) and the OpenBLAS path give the same forward pass, input
    /// gradient and weight gradient; 37 output channels cover full and partial 16-wide panels.
    @Test(arguments: [(1, 1, true), (3, 2, false)])
    func convolutionBackendsAgree(kernel: Int, stride: Int, bias: Bool) {
        let shape = Shape(n: 3, h: 6, w: 5, c: 19)
        var results: [[Float]] = []
        for gemm in GEMMBackend.allCases {
            var rng = SplitMix64(seed: 4)
            let layer = ConvolutionLayer(inChannels: 19, outChannels: 37, kernel: kernel, stride: stride, bias: bias,
                                         context: gemm == .native ? .engineSerial : ExecutionContext(threads: 1, gemm: gemm), rng: &rng)
            if let b = layer.bias { b.value = rng.uniform(count: b.value.count, scale: 1) }
            let x = rng.uniform(count: shape.count, scale: 1)
            let y = layer.forward(x, shape: shape, training: true)
            let dx = layer.backward(rng.uniform(count: y.count, scale: 1))
            results.append(y + dx + layer.weight.gradient + (layer.bias?.gradient ?? []))
        }
        #expect(results[0].count == results[1].count)
        let worst = zip(results[0], results[1]).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
        #expect(worst < 1e-4, "largest relative difference \(worst)")
    }

    @Test(arguments: [(3, 1), (3, 2), (5, 2)])
    func depthwise(kernel: Int, stride: Int) {
        var rng = SplitMix64(seed: 2)
        checkGradientsInDouble(DepthwiseLayer(channels: 4, kernel: kernel, stride: stride, rng: &rng), input: Shape(n: 2, h: 7, w: 5, c: 4), seed: 3)
    }

    @Test(arguments: [(PoolKind.average, 3, 2), (.average, 5, 1), (.max, 3, 2), (.max, 3, 1)])
    func pooling(kind: PoolKind, kernel: Int, stride: Int) {
        let shape = Shape(n: 2, h: 5, w: 6, c: 3)
        // Distinct values 0.05 apart: no two window elements tie within the finite-difference step.
        var rng = SplitMix64(seed: 31)
        let values = (0..<shape.count).map { Float($0) * 0.05 - 4 }.shuffled(using: &rng)
        checkGradientsInDouble(PoolingLayer(kind, kernel: kernel, stride: stride), input: shape, seed: 32, samples: 60, inputValues: values)
    }

    @Test func batchNormInTraining() {
        let layer = BatchNormLayer(channels: 3)
        var rng = SplitMix64(seed: 4)
        layer.gamma.value = rng.uniform(count: 3, scale: 1).map { $0 + 1.5 }
        layer.beta.value = rng.uniform(count: 3, scale: 1)
        checkGradientsInDouble(layer, input: Shape(n: 2, h: 3, w: 3, c: 3), seed: 5)
    }

    /// Batch norm with each activation fused: against Double finite differences. One channel's
    /// β = 5 and γ = 2 put some of its values past ReLU6's and h-swish's upper kinks.
    @Test(arguments: [Activation.relu, .relu6, .hswish, .sigmoid])
    func batchNormWithFusedActivation(_ activation: Activation) {
        let layer = BatchNormLayer(channels: 4, activation: activation)
        var rng = SplitMix64(seed: 12)
        layer.gamma.value = [1.2, 0.7, 2, 1.5]
        layer.beta.value = [0.3, -0.4, 5, 1]
        let shape = Shape(n: 2, h: 3, w: 3, c: 4)
        checkGradientsInDouble(layer, input: shape, seed: 13, samples: 72, inputValues: rng.uniform(count: shape.count, scale: 1))
    }

    /// Fused batch norm + activation against batch norm followed by `ActivationLayer`: outputs,
    /// running statistics, input and parameter gradients. ReLU and ReLU6 compute the same
    /// operations in the same order, so they must agree bit for bit; h-swish and sigmoid's
    /// forward forms differ in rounding (the engine's vector kernel) and agree within 1e-6.
    /// 19 channels leave a remainder after any vector width; two steps check that nothing
    /// of the first step's state leaks into the second.
    @Test(arguments: [Activation.none, .relu, .relu6, .hswish, .sigmoid])
    func fusedBatchNormEqualsSeparateLayers(_ activation: Activation) {
        let shape = Shape(n: 3, h: 5, w: 4, c: 19)
        let fused = BatchNormLayer(channels: 19, activation: activation)
        let plain = BatchNormLayer(channels: 19), separate = ActivationLayer(activation)
        var rng = SplitMix64(seed: 14)
        let gamma = rng.uniform(count: 19, scale: 1).map { $0 + 1.5 }, beta = rng.uniform(count: 19, scale: 2)
        fused.gamma.value = gamma; plain.gamma.value = gamma
        fused.beta.value = beta; plain.beta.value = beta
        let exact = activation == .none || activation == .relu || activation == .relu6
        func agree(_ a: [Float], _ b: [Float], _ what: String) {
            #expect(a.count == b.count, "\(what): count")
            if exact {
                #expect(a == b, "\(what): not bit for bit")
            } else {
                let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
                #expect(worst < 1e-6, "\(what): largest relative difference \(worst)")
            }
        }
        for step in 0..<2 {
            let x = rng.uniform(count: shape.count, scale: 3), dy = rng.uniform(count: shape.count, scale: 1)
            let y = fused.forward(x, shape: shape, training: true)
            let reference = separate.forward(plain.forward(x, shape: shape, training: true), shape: shape, training: true)
            agree(y, reference, "forward, step \(step)")
            for p in fused.parameters + plain.parameters { p.zeroGradient() }
            agree(fused.backward(dy), plain.backward(separate.backward(dy)), "input gradient, step \(step)")
            agree(fused.gamma.gradient, plain.gamma.gradient, "γ gradient, step \(step)")
            agree(fused.beta.gradient, plain.beta.gradient, "β gradient, step \(step)")
            #expect(fused.runningMean.value == plain.runningMean.value && fused.runningVariance.value == plain.runningVariance.value)
        }
        let x = rng.uniform(count: shape.count, scale: 3)
        agree(fused.forward(x, shape: shape, training: false),
              separate.forward(plain.forward(x, shape: shape, training: false), shape: shape, training: false), "inference")
    }

    @Test(arguments: [Activation.relu, .relu6, .hswish, .sigmoid, .none])
    func activation(_ activation: Activation) {
        // Inputs kept away from the kinks (0, ±3, 6).
        var rng = SplitMix64(seed: 6)
        let values = (0..<40).map { i -> Float in
            let v = rng.uniform(4) * 2
            return [0, 3, -3, 6].contains { abs(v - $0) < 0.05 } ? v + 0.1 : v
        }
        checkGradientsInDouble(ActivationLayer(activation), input: Shape(n: 2, h: 2, w: 2, c: 5), seed: 7, inputValues: values)
    }

    @Test func linearAndGlobalPool() {
        var rng = SplitMix64(seed: 8)
        checkGradientsInDouble(LinearLayer(inFeatures: 12, outFeatures: 4, rng: &rng), input: Shape(n: 3, h: 2, w: 2, c: 3), seed: 9)
        checkGradientsInDouble(GlobalAveragePoolLayer(), input: Shape(n: 2, h: 3, w: 4, c: 5), seed: 10)
    }

    @Test(arguments: [Float(0), 0.1])
    func softmaxCrossEntropy(smoothing: Float) {
        var rng = SplitMix64(seed: 11)
        var logits = rng.uniform(count: 3 * 5, scale: 3)
        let labels = [1, 4, 0]
        let (loss, gradient) = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, classes: 5, smoothing: smoothing)
        #expect(loss > 0)
        for i in logits.indices {
            let saved = logits[i]
            logits[i] = saved + 1e-2
            let plus = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, classes: 5, smoothing: smoothing).loss
            logits[i] = saved - 1e-2
            let minus = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, classes: 5, smoothing: smoothing).loss
            logits[i] = saved
            #expect(abs((plus - minus) / 2e-2 - Double(gradient[i])) < 1e-3)
        }
        // Perfectly confident and right: loss near 0 without smoothing.
        let sure = SoftmaxCrossEntropy.lossAndGradient(logits: [50, 0, 0], labels: [0], classes: 3)
        #expect(sure.loss < 1e-6)
    }
}

@Suite struct TrainingForwardTests {
    /// The training layers compute the same function as the engine's inference layers.
    @Test func convolutionMatchesTheEngine() {
        var rng = SplitMix64(seed: 12)
        let layer = ConvolutionLayer(inChannels: 4, outChannels: 6, kernel: 3, stride: 2, bias: true, rng: &rng)
        layer.bias!.value = rng.uniform(count: 6, scale: 1)
        let engine = Convolution(inChannels: 4, outChannels: 6, kernel: 3, stride: 2, activation: .none,
                                 weights: layer.weight.value, bias: layer.bias!.value)
        let shape = Shape(n: 2, h: 7, w: 6, c: 4)
        let x = rng.uniform(count: shape.count, scale: 1)
        let ours = layer.forward(x, shape: shape, training: false)
        let theirs = engine(Tensor(shape: shape, values: x)).array
        #expect(zip(ours, theirs).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    /// Forward, input gradient and weight gradient against plain loops over every element;
    /// 29 channels run the 16-wide, 8-wide and scalar channel paths.
    @Test(arguments: [(3, 2), (5, 1)])
    func depthwiseMatchesPlainLoops(kernel k: Int, stride s: Int) {
        var rng = SplitMix64(seed: 13)
        let c = 29
        let layer = DepthwiseLayer(channels: c, kernel: k, stride: s, rng: &rng)
        let shape = Shape(n: 2, h: 6, w: 7, c: c)
        let out = layer.outputShape(for: shape)
        let x = rng.uniform(count: shape.count, scale: 1), dy = rng.uniform(count: out.count, scale: 1)
        var y = [Double](repeating: 0, count: out.count), dx = [Double](repeating: 0, count: shape.count)
        var dw = [Double](repeating: 0, count: k * k * c)
        let w = layer.weight.value
        for b in 0..<2 { for oy in 0..<out.h { for ox in 0..<out.w { for kh in 0..<k { for kw in 0..<k {
            let iy = oy * s - k / 2 + kh, ix = ox * s - k / 2 + kw
            guard iy >= 0, iy < shape.h, ix >= 0, ix < shape.w else { continue }
            for ch in 0..<c {
                let yi = ((b * out.h + oy) * out.w + ox) * c + ch, xi = ((b * shape.h + iy) * shape.w + ix) * c + ch, wi = (kh * k + kw) * c + ch
                y[yi] += Double(x[xi] * w[wi])
                dx[xi] += Double(dy[yi] * w[wi])
                dw[wi] += Double(dy[yi] * x[xi])
            }
        } } } } }
        let ours = layer.forward(x, shape: shape, training: true)
        layer.weight.zeroGradient()
        let oursDx = layer.backward(dy)
        func close(_ a: [Float], _ b: [Double]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) < 1e-4 * max(1, abs($1)) } }
        #expect(close(ours, y))
        #expect(close(oursDx, dx))
        #expect(close(layer.weight.gradient, dw))
    }

    @Test func batchNormUsesRunningStatisticsInInference() {
        let layer = BatchNormLayer(channels: 2, momentum: 1)  // running stats = last batch's
        let shape = Shape(n: 4, h: 1, w: 1, c: 2)
        let x: [Float] = [1, 10, 2, 20, 3, 30, 4, 40]
        let trained = layer.forward(x, shape: shape, training: true)
        #expect(abs(trained[0] + trained[2] + trained[4] + trained[6]) < 1e-5)  // zero mean per channel
        #expect(abs(layer.runningMean.value[0] - 2.5) < 1e-6 && abs(layer.runningMean.value[1] - 25) < 1e-5)
        #expect(abs(layer.runningVariance.value[0] - 1.6666666) < 1e-5)                 // unbiased: 5/3
        let inference = layer.forward([2.5, 25], shape: Shape(n: 1, h: 1, w: 1, c: 2), training: false)
        #expect(abs(inference[0]) < 1e-6 && abs(inference[1]) < 1e-5)
    }
}
