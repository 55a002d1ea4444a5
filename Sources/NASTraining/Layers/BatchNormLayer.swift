import NASEngine

/// Batch normalisation over the channels of NHWC input: in training, batch mean and biased
/// variance over n·h·w, running statistics updated with `momentum`; in inference, the running
/// statistics. `γ`, `β` learnable (no weight decay).
public final class BatchNormLayer: TrainingLayer {
    public let channels: Int
    public let gamma: Parameter, beta: Parameter
    public let runningMean: Buffer, runningVariance: Buffer
    public let momentum: Float, epsilon: Float
    private var xHat: [Float] = []
    private var inverseStd: [Float] = []
    private var shape = Shape(h: 1, w: 1, c: 1)

    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.channels = channels; self.momentum = momentum; self.epsilon = epsilon
        gamma = Parameter([Float](repeating: 1, count: channels), decays: false, name: "bn.gamma")
        beta = Parameter([Float](repeating: 0, count: channels), decays: false, name: "bn.beta")
        runningMean = Buffer([Float](repeating: 0, count: channels), name: "bn.running_mean")
        runningVariance = Buffer([Float](repeating: 1, count: channels), name: "bn.running_variance")
    }

    public var parameters: [Parameter] { [gamma, beta] }
    public var buffers: [Buffer] { [runningMean, runningVariance] }
    public func outputShape(for input: Shape) -> Shape { input }

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
        // Inference: y = x·scale + shift with scale = γ/σ, shift = β − μ·γ/σ. Training also keeps
        // x̂ = (x − μ)/σ for backward.
        let scale = (0..<c).map { gamma.value[$0] * inv[$0] }
        let shift = (0..<c).map { beta.value[$0] - mean[$0] * scale[$0] }
        var y = uninitialisedFloats(x.count)
        var xh = training ? uninitialisedFloats(x.count) : []
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            if training {
                // One pass: x̂ = (x − μ)/σ, y = γ·x̂ + β.
                mean.withUnsafeBufferPointer { mu in inv.withUnsafeBufferPointer { iv in xh.withUnsafeMutableBufferPointer { hp in
                    gamma.value.withUnsafeBufferPointer { g in beta.value.withUnsafeBufferPointer { b in
                        for p in 0..<m {
                            let row = p &* c
                            for ch in 0..<c {
                                let h = (xp[row &+ ch] - mu[ch]) * iv[ch]
                                hp[row &+ ch] = h
                                yp[row &+ ch] = h * g[ch] + b[ch]
                            }
                        }
                    } }
                } } }
                return
            }
            scale.withUnsafeBufferPointer { sc in shift.withUnsafeBufferPointer { sh in
                for p in 0..<m {
                    let row = p &* c
                    for ch in 0..<c { yp[row &+ ch] = xp[row &+ ch] * sc[ch] + sh[ch] }
                }
            } }
        } }
        if training { xHat = xh; inverseStd = inv }
        return y
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

    /// `dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂))` per channel.
    public func backward(_ dy: [Float]) -> [Float] {
        let c = channels, m = shape.pixels
        precondition(dy.count == m * c && xHat.count == m * c, "BatchNormLayer.backward: call forward(training: true) first")
        var sumDy = [Float](repeating: 0, count: c), sumDyXh = [Float](repeating: 0, count: c)
        var dx = uninitialisedFloats(dy.count)
        dy.withUnsafeBufferPointer { d in xHat.withUnsafeBufferPointer { h in
            sumDy.withUnsafeMutableBufferPointer { s1 in sumDyXh.withUnsafeMutableBufferPointer { s2 in
                for p in 0..<m {
                    let row = p &* c
                    for ch in 0..<c { s1[ch] += d[row &+ ch]; s2[ch] += d[row &+ ch] * h[row &+ ch] }
                }
            } }
            for ch in 0..<c { beta.gradient[ch] += sumDy[ch]; gamma.gradient[ch] += sumDyXh[ch] }
            let inverseM = 1 / Float(m)
            let k = (0..<c).map { gamma.value[$0] * inverseStd[$0] }
            let meanDy = sumDy.map { $0 * inverseM }, meanDyXh = sumDyXh.map { $0 * inverseM }
            k.withUnsafeBufferPointer { kp in meanDy.withUnsafeBufferPointer { a in meanDyXh.withUnsafeBufferPointer { b in
                dx.withUnsafeMutableBufferPointer { out in
                    for p in 0..<m {
                        let row = p &* c
                        for ch in 0..<c { out[row &+ ch] = kp[ch] * (d[row &+ ch] - a[ch] - h[row &+ ch] * b[ch]) }
                    }
                }
            } } }
        } }
        return dx
    }
}
