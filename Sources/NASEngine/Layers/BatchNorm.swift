/// Inference batch-norm statistics for `channels` channels, folded into the preceding
/// convolution before inference: `bn(conv(x)) = conv'(x)` with
/// `w'[..., o] = w[..., o]·γ_o/√(σ²_o+ε)` and `b'_o = β_o + (b_o − μ_o)·γ_o/√(σ²_o+ε)`.
public struct BatchNorm: Sendable {
    public var gamma: [Float], beta: [Float], mean: [Float], variance: [Float]
    public var epsilon: Float

    public init(gamma: [Float], beta: [Float], mean: [Float], variance: [Float], epsilon: Float = 1e-5) {
        precondition(Set([gamma.count, beta.count, mean.count, variance.count]).count == 1,
                     "BatchNorm: gamma, beta, mean, variance must have one value per channel")
        self.gamma = gamma; self.beta = beta; self.mean = mean; self.variance = variance; self.epsilon = epsilon
    }

    public var channels: Int { gamma.count }

    /// Random but plausible statistics (γ ≈ 1, β ≈ 0, σ² ≈ 1), for random-weight networks.
    public static func random(channels: Int, rng: inout SplitMix64) -> BatchNorm {
        BatchNorm(gamma: (0..<channels).map { _ in 1 + rng.uniform(0.2) },
                  beta: (0..<channels).map { _ in rng.uniform(0.1) },
                  mean: (0..<channels).map { _ in rng.uniform(0.1) },
                  variance: (0..<channels).map { _ in 1 + rng.uniform(0.2) })
    }

    /// `y = γ (x − μ)/√(σ²+ε) + β` on the last (channel) axis, for reference and tests.
    public func apply(_ x: Float, channel o: Int) -> Float {
        gamma[o] * (x - mean[o]) / (variance[o] + epsilon).squareRoot() + beta[o]
    }

    /// Folds into weights whose last axis is the output channel (`[..., channels]`) and a bias.
    public func fold(weights: [Float], bias: [Float]?) -> (weights: [Float], bias: [Float]) {
        precondition(weights.count % channels == 0, "BatchNorm.fold: \(weights.count) weights not a multiple of \(channels) channels")
        let scale = (0..<channels).map { gamma[$0] / (variance[$0] + epsilon).squareRoot() }
        var folded = weights
        folded.withUnsafeMutableBufferPointer { w in
            for row in stride(from: 0, to: w.count, by: channels) {
                for c in 0..<channels { w[row + c] *= scale[c] }
            }
        }
        let b = (0..<channels).map { beta[$0] + ((bias?[$0] ?? 0) - mean[$0]) * scale[$0] }
        return (folded, b)
    }
}
