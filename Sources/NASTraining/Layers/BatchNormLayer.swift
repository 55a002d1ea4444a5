import NASEngine

/// Batch normalisation over the channels of NHWC input: in training, batch mean and biased
/// variance over n·h·w, running statistics updated with `momentum`; in inference, the running
/// statistics. `γ`, `β` learnable (no weight decay).
public final class BatchNormLayer: TrainingLayer {
    public let channels: Int
    public let gamma: Parameter, beta: Parameter
    public private(set) var runningMean: [Float], runningVariance: [Float]
    public let momentum: Float, epsilon: Float
    private var xHat: [Float] = []
    private var inverseStd: [Float] = []
    private var shape = Shape(h: 1, w: 1, c: 1)

    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.channels = channels; self.momentum = momentum; self.epsilon = epsilon
        gamma = Parameter([Float](repeating: 1, count: channels), decays: false, name: "bn.gamma")
        beta = Parameter([Float](repeating: 0, count: channels), decays: false, name: "bn.beta")
        runningMean = [Float](repeating: 0, count: channels)
        runningVariance = [Float](repeating: 1, count: channels)
    }

    public var parameters: [Parameter] { [gamma, beta] }
    public func outputShape(for input: Shape) -> Shape { input }

    public func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float] {
        precondition(shape.c == channels && x.count == shape.count, "BatchNormLayer: input \(shape) for c \(channels)")
        self.shape = shape
        let c = channels, m = shape.pixels
        var mean = runningMean, variance = runningVariance
        if training {
            mean = [Float](repeating: 0, count: c)
            variance = [Float](repeating: 0, count: c)
            var sum = [Double](repeating: 0, count: c), squares = [Double](repeating: 0, count: c)
            for p in 0..<m { for ch in 0..<c { let v = Double(x[p * c + ch]); sum[ch] += v; squares[ch] += v * v } }
            for ch in 0..<c {
                let mu = sum[ch] / Double(m)
                mean[ch] = Float(mu)
                variance[ch] = Float(max(squares[ch] / Double(m) - mu * mu, 0))
                let unbiased = m > 1 ? variance[ch] * Float(m) / Float(m - 1) : variance[ch]
                runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mean[ch]
                runningVariance[ch] = (1 - momentum) * runningVariance[ch] + momentum * unbiased
            }
        }
        let inv = variance.map { 1 / ($0 + epsilon).squareRoot() }
        var y = [Float](repeating: 0, count: x.count)
        var xh = training ? [Float](repeating: 0, count: x.count) : []
        for p in 0..<m {
            for ch in 0..<c {
                let i = p * c + ch
                let n = (x[i] - mean[ch]) * inv[ch]
                if training { xh[i] = n }
                y[i] = gamma.value[ch] * n + beta.value[ch]
            }
        }
        if training { xHat = xh; inverseStd = inv }
        return y
    }

    /// `dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂))` per channel.
    public func backward(_ dy: [Float]) -> [Float] {
        let c = channels, m = shape.pixels
        precondition(dy.count == m * c && xHat.count == m * c, "BatchNormLayer.backward: call forward(training: true) first")
        var sumDy = [Float](repeating: 0, count: c), sumDyXh = [Float](repeating: 0, count: c)
        for p in 0..<m { for ch in 0..<c { let i = p * c + ch; sumDy[ch] += dy[i]; sumDyXh[ch] += dy[i] * xHat[i] } }
        for ch in 0..<c { beta.gradient[ch] += sumDy[ch]; gamma.gradient[ch] += sumDyXh[ch] }
        var dx = [Float](repeating: 0, count: dy.count)
        let inverseM = 1 / Float(m)
        for p in 0..<m {
            for ch in 0..<c {
                let i = p * c + ch
                dx[i] = gamma.value[ch] * inverseStd[ch] * (dy[i] - sumDy[ch] * inverseM - xHat[i] * sumDyXh[ch] * inverseM)
            }
        }
        return dx
    }
}
