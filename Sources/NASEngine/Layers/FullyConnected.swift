/// Fully connected layer over the flattened `h·w·c` features of each image:
/// `[n, h, w, c]` → `[n, 1, 1, cout]`. Weights `[h·w·c × cout]`, bias `[cout]`.
public struct FullyConnected: Layer {
    public let inFeatures: Int, outFeatures: Int
    public let activation: Activation
    /// `[inFeatures × outFeatures]` weights and bias, plain and prepacked.
    public let parameters: GEMMWeights
    public var weights: FloatBuffer { parameters.weights }
    public var bias: FloatBuffer { parameters.bias }

    public init(inFeatures: Int, outFeatures: Int, activation: Activation = .none, weights: [Float], bias: [Float]) {
        precondition(weights.count == inFeatures * outFeatures && bias.count == outFeatures,
                     "FullyConnected: weight sizes do not match \(inFeatures)→\(outFeatures)")
        self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.activation = activation
        self.parameters = GEMMWeights(k: inFeatures, n: outFeatures, weights: weights, bias: bias)
    }

    public static func random(inFeatures: Int, outFeatures: Int, activation: Activation = .none, rng: inout SplitMix64) -> FullyConnected {
        FullyConnected(inFeatures: inFeatures, outFeatures: outFeatures, activation: activation,
                       weights: rng.uniform(count: inFeatures * outFeatures, scale: (6 / Float(inFeatures)).squareRoot()),
                       bias: rng.uniform(count: outFeatures, scale: 0.01))
    }

    public var summary: String { "fully connected \(inFeatures)→\(outFeatures)" }

    public func inputProblem(for input: Shape) -> String? {
        let features = input.h * input.w * input.c
        return features == inFeatures ? nil : "takes \(inFeatures) features, gets \(features)"
    }

    public func outputShape(for input: Shape) -> Shape {
        precondition(input.h * input.w * input.c == inFeatures, "\(summary): input \(input) has \(input.h * input.w * input.c) features, expected \(inFeatures)")
        return Shape(n: input.n, h: 1, w: 1, c: outFeatures)
    }

    public func macs(for input: Shape) -> Int { input.n * inFeatures * outFeatures }
    public var parameterCount: Int { weights.count + bias.count }

    public func forward(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        _ = outputShape(for: input)
        Kernels.fullyConnected(x, batch: input.n, weights: parameters, activation: activation, into: y, context: context)
    }
}

/// Softmax over the channels of each pixel (over classes after a fully connected layer).
public struct Softmax: Layer {
    public init() {}
    public var summary: String { "softmax" }
    public func outputShape(for input: Shape) -> Shape { input }
    public func macs(for input: Shape) -> Int { 0 }
    public var parameterCount: Int { 0 }

    public func forward(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        Kernels.softmax(x, rows: input.pixels, cols: input.c, into: y)
    }
}
