/// Squeeze-and-excite: global average → FC (c→r) + ReLU → FC (r→c) + sigmoid → scale channels.
///
/// Weights `w1 [c × r]`, `b1 [r]`, `w2 [r × c]`, `b2 [c]`. Output shape equals input shape.
public struct SqueezeExcite: Layer {
    public let channels: Int, reduced: Int
    /// `[c × r]` reduce and `[r × c]` expand fully connected weights with biases.
    public let reduce: GEMMWeights, expand: GEMMWeights
    public var w1: FloatBuffer { reduce.weights }
    public var b1: FloatBuffer { reduce.bias }
    public var w2: FloatBuffer { expand.weights }
    public var b2: FloatBuffer { expand.bias }

    public init(channels: Int, reduced: Int, w1: [Float], b1: [Float], w2: [Float], b2: [Float]) {
        precondition(channels >= 1 && reduced >= 1, "SqueezeExcite: channels and reduced must be >= 1")
        precondition(w1.count == channels * reduced && b1.count == reduced && w2.count == reduced * channels && b2.count == channels,
                     "SqueezeExcite: weight sizes do not match c=\(channels) r=\(reduced)")
        self.channels = channels; self.reduced = reduced
        self.reduce = GEMMWeights(k: channels, n: reduced, weights: w1, bias: b1)
        self.expand = GEMMWeights(k: reduced, n: channels, weights: w2, bias: b2)
    }

    public static func random(channels: Int, reduced: Int, rng: inout SplitMix64) -> SqueezeExcite {
        SqueezeExcite(channels: channels, reduced: reduced,
                      w1: rng.uniform(count: channels * reduced, scale: (6 / Float(channels)).squareRoot()),
                      b1: rng.uniform(count: reduced, scale: 0.1),
                      w2: rng.uniform(count: reduced * channels, scale: (6 / Float(reduced)).squareRoot()),
                      b2: rng.uniform(count: channels, scale: 0.1))
    }

    public var summary: String { "squeeze-excite \(channels)→\(reduced)" }

    public func inputProblem(for input: Shape) -> String? { channelProblem(input, expected: channels) }

    public func outputShape(for input: Shape) -> Shape {
        precondition(input.c == channels, "\(summary): input has \(input.c) channels, expected \(channels)")
        return input
    }

    public func scratchCount(for input: Shape) -> Int { input.n * (2 * channels + reduced) }
    public func macs(for input: Shape) -> Int { input.count * 2 + input.n * 2 * channels * reduced }
    public var parameterCount: Int { w1.count + b1.count + w2.count + b2.count }

    /// Applies the gate to `x` in place.
    public func applyInPlace(_ x: UnsafeMutablePointer<Float>, shape: Shape, scratch: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        Kernels.squeezeExcite(x, shape: shape, reduce: reduce, expand: expand, scratch: scratch, context: context)
    }

    public func forward(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        _ = outputShape(for: input)
        y.update(from: x, count: input.count)
        applyInPlace(y, shape: input, scratch: scratch, context: context)
    }
}
