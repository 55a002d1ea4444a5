import NASEngine

/// Batch normalisation over the channels of NHWC input, then `activation` fused into the same
/// pass: in training, batch mean and biased variance over n·h·w, running statistics updated
/// with `momentum`; in inference, the running statistics. `γ`, `β` learnable (no weight decay).
///
/// Fused, a training step reads the input twice and writes the output once forward, and reads
/// the input and the output gradient twice and writes one gradient backward; batch norm and a
/// separate activation layer take 9 reads and 5 writes of the tensor between them (the
/// normalised input and the pre-activation kept for backward, an intermediate gradient). The
/// backward pass recomputes `x̂ = (x − μ)/σ` and `z = γ·x̂ + β` from the kept input with the
/// forward pass's operations, so it equals the separate layers' backward bit for bit.
public final class BatchNormLayer: TrainingLayer {
    public let channels: Int
    /// Applied after the affine transform (`.none`: plain batch norm).
    public let activation: Activation
    public let gamma: Parameter, beta: Parameter
    public let runningMean: Buffer, runningVariance: Buffer
    public let momentum: Float, epsilon: Float
    /// The last training forward's input and batch statistics, for `backward`.
    private var input: [Float] = []
    private var batchMean: [Float] = []
    private var inverseStd: [Float] = []
    private var shape = Shape(h: 1, w: 1, c: 1)

    public init(channels: Int, activation: Activation = .none, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.channels = channels; self.activation = activation; self.momentum = momentum; self.epsilon = epsilon
        gamma = Parameter([Float](repeating: 1, count: channels), decays: false, name: "bn.gamma")
        beta = Parameter([Float](repeating: 0, count: channels), decays: false, name: "bn.beta")
        runningMean = Buffer([Float](repeating: 0, count: channels), name: "bn.running_mean")
        runningVariance = Buffer([Float](repeating: 1, count: channels), name: "bn.running_variance")
    }

    public var parameters: [Parameter] { [gamma, beta] }
    public var buffers: [Buffer] { [runningMean, runningVariance] }
    public func outputShape(for input: Shape) -> Shape { input }

    /// - Complexity: O(n·h·w·c); training reads `x` twice (statistics, then the output pass).
    public func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float] {
        precondition(shape.c == channels && x.count == shape.count, "BatchNormLayer: input \(shape) for c \(channels)")
        self.shape = shape
        let c = channels, m = shape.pixels
        var mean = runningMean.value, variance = runningVariance.value
        if training {
            let (sum, squares) = Self.channelSums(x, pixels: m, channels: c)
            for ch in 0..<c {
                let mu = sum[ch] / Double(m)
                mean[ch] = Float(mu)
                variance[ch] = Float(max(squares[ch] / Double(m) - mu * mu, 0))
                let unbiased = m > 1 ? variance[ch] * Float(m) / Float(m - 1) : variance[ch]
                runningMean.value[ch] = (1 - momentum) * runningMean.value[ch] + momentum * mean[ch]
                runningVariance.value[ch] = (1 - momentum) * runningVariance.value[ch] + momentum * unbiased
            }
        }
        let inv = variance.map { 1 / ($0 + epsilon).squareRoot() }
        var y = uninitialisedFloats(x.count)
        switch activation {
        case .none: Self.normalise(IdentityElementwise.self, x, pixels: m, mean: mean, inverseStd: inv, gamma: gamma.value, beta: beta.value, training: training, into: &y)
        case .relu: Self.normalise(ReLUElementwise.self, x, pixels: m, mean: mean, inverseStd: inv, gamma: gamma.value, beta: beta.value, training: training, into: &y)
        case .relu6: Self.normalise(ReLU6Elementwise.self, x, pixels: m, mean: mean, inverseStd: inv, gamma: gamma.value, beta: beta.value, training: training, into: &y)
        case .hswish: Self.normalise(HardSwishElementwise.self, x, pixels: m, mean: mean, inverseStd: inv, gamma: gamma.value, beta: beta.value, training: training, into: &y)
        case .sigmoid: Self.normalise(SigmoidElementwise.self, x, pixels: m, mean: mean, inverseStd: inv, gamma: gamma.value, beta: beta.value, training: training, into: &y)
        }
        if training { input = x; batchMean = mean; inverseStd = inv }
        return y
    }

    /// `y = act(γ·(x − μ)/σ + β)` over `pixels` rows of `mean.count` channels. Training computes
    /// `x̂` first, as `backward` recomputes it; inference folds to `x·scale + shift`.
    private static func normalise<A: ElementwiseActivation>(_: A.Type, _ x: [Float], pixels m: Int, mean: [Float], inverseStd: [Float],
                                                           gamma: [Float], beta: [Float], training: Bool, into y: inout [Float]) {
        let c = mean.count
        if training {
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                mean.withUnsafeBufferPointer { mu in inverseStd.withUnsafeBufferPointer { iv in
                    gamma.withUnsafeBufferPointer { g in beta.withUnsafeBufferPointer { b in
                        for p in 0..<m {
                            let row = p &* c
                            for ch in 0..<c {
                                let h = (xp[row &+ ch] - mu[ch]) * iv[ch]
                                yp[row &+ ch] = A.apply(h * g[ch] + b[ch])
                            }
                        }
                    } }
                } }
            } }
            return
        }
        let scale = (0..<c).map { gamma[$0] * inverseStd[$0] }
        let shift = (0..<c).map { beta[$0] - mean[$0] * scale[$0] }
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            scale.withUnsafeBufferPointer { sc in shift.withUnsafeBufferPointer { sh in
                for p in 0..<m {
                    let row = p &* c
                    for ch in 0..<c { yp[row &+ ch] = A.apply(xp[row &+ ch] * sc[ch] + sh[ch]) }
                }
            } }
        } }
    }

    /// Per-channel sums of `x` and `x²` over `pixels` rows: Float partial sums over blocks of
    /// 64 rows (vectorisable), accumulated in Double.
    static func channelSums(_ x: [Float], pixels m: Int, channels c: Int) -> (sum: [Double], squares: [Double]) {
        var sum = [Double](repeating: 0, count: c), squares = [Double](repeating: 0, count: c)
        var partial = [Float](repeating: 0, count: c), partialSquares = [Float](repeating: 0, count: c)
        x.withUnsafeBufferPointer { xp in
            partial.withUnsafeMutableBufferPointer { ps in partialSquares.withUnsafeMutableBufferPointer { pq in
                var start = 0
                while start < m {
                    let end = min(m, start + 64)
                    for ch in 0..<c { ps[ch] = 0; pq[ch] = 0 }
                    for p in start..<end {
                        let row = p &* c
                        for ch in 0..<c { let v = xp[row &+ ch]; ps[ch] += v; pq[ch] += v * v }
                    }
                    for ch in 0..<c { sum[ch] += Double(ps[ch]); squares[ch] += Double(pq[ch]) }
                    start = end
                }
            } }
        }
        return (sum, squares)
    }

    /// With `g = dy · act′(z)`: `dx = γ/σ · (g − mean(g) − x̂·mean(g·x̂))` per channel; `x̂` and
    /// `z` recomputed from the kept input.
    /// - Complexity: O(n·h·w·c); two passes over the input and `dy`.
    public func backward(_ dy: [Float]) -> [Float] {
        let c = channels, m = shape.pixels
        precondition(dy.count == m * c && input.count == m * c, "BatchNormLayer.backward: call forward(training: true) first")
        switch activation {
        case .none: return backward(IdentityElementwise.self, dy)
        case .relu: return backward(ReLUElementwise.self, dy)
        case .relu6: return backward(ReLU6Elementwise.self, dy)
        case .hswish: return backward(HardSwishElementwise.self, dy)
        case .sigmoid: return backward(SigmoidElementwise.self, dy)
        }
    }

    private func backward<A: ElementwiseActivation>(_: A.Type, _ dy: [Float]) -> [Float] {
        let c = channels, m = shape.pixels
        var sumG = [Float](repeating: 0, count: c), sumGXh = [Float](repeating: 0, count: c)
        var dx = uninitialisedFloats(dy.count)
        dy.withUnsafeBufferPointer { d in input.withUnsafeBufferPointer { xp in
            batchMean.withUnsafeBufferPointer { mu in inverseStd.withUnsafeBufferPointer { iv in
                gamma.value.withUnsafeBufferPointer { g in beta.value.withUnsafeBufferPointer { b in
                    sumG.withUnsafeMutableBufferPointer { s1 in sumGXh.withUnsafeMutableBufferPointer { s2 in
                        for p in 0..<m {
                            let row = p &* c
                            for ch in 0..<c {
                                let h = (xp[row &+ ch] - mu[ch]) * iv[ch]
                                let grad = A.backward(d[row &+ ch], at: h * g[ch] + b[ch])
                                s1[ch] += grad; s2[ch] += grad * h
                            }
                        }
                    } }
                    for ch in 0..<c { beta.gradient[ch] += sumG[ch]; gamma.gradient[ch] += sumGXh[ch] }
                    let inverseM = 1 / Float(m)
                    let k = (0..<c).map { g[$0] * iv[$0] }
                    let meanG = sumG.map { $0 * inverseM }, meanGXh = sumGXh.map { $0 * inverseM }
                    k.withUnsafeBufferPointer { kp in meanG.withUnsafeBufferPointer { a in meanGXh.withUnsafeBufferPointer { bb in
                        dx.withUnsafeMutableBufferPointer { out in
                            for p in 0..<m {
                                let row = p &* c
                                for ch in 0..<c {
                                    let h = (xp[row &+ ch] - mu[ch]) * iv[ch]
                                    let grad = A.backward(d[row &+ ch], at: h * g[ch] + b[ch])
                                    out[row &+ ch] = kp[ch] * (grad - a[ch] - h * bb[ch])
                                }
                            }
                        }
                    } } }
                } }
            } }
        } }
        return dx
    }
}
