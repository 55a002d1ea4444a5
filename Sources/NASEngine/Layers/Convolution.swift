/// Regular convolution (groups = 1) with folded batch norm and an activation: conv-BN-act.
///
/// Weights `[k, k, cin, cout]` (HWIO), bias `[cout]`. A 1x1 stride-1 instance is a pointwise
/// convolution: one GEMM. Output `[n, ceil(h/s), ceil(w/s), cout]`.
public struct Convolution: Layer {
    public let inChannels: Int, outChannels: Int
    public let geometry: WindowGeometry
    public let activation: Activation
    /// Identity skip: `y = act(conv(x)) + x` (needs stride 1 and `cin == cout`).
    public let skip: Bool
    /// `[k·k·cin × cout]` weights and `[cout]` bias, plain and prepacked.
    public let parameters: GEMMWeights
    public var weights: FloatBuffer { parameters.weights }
    public var bias: FloatBuffer { parameters.bias }

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, activation: Activation,
                skip: Bool = false, weights: [Float], bias: [Float]) {
        precondition(!skip || (stride == 1 && inChannels == outChannels), "Convolution: identity skip needs stride 1 and cin == cout")
        self.skip = skip
        precondition(weights.count == kernel * kernel * inChannels * outChannels,
                     "Convolution: \(weights.count) weights for k=\(kernel) cin=\(inChannels) cout=\(outChannels)")
        precondition(bias.count == outChannels, "Convolution: \(bias.count) biases for \(outChannels) channels")
        self.inChannels = inChannels; self.outChannels = outChannels
        self.geometry = WindowGeometry(kernel: kernel, stride: stride)
        self.activation = activation
        self.parameters = GEMMWeights(k: kernel * kernel * inChannels, n: outChannels, weights: weights, bias: bias)
    }

    /// He-uniform random weights followed by random batch-norm statistics, folded.
    public static func random(inChannels: Int, outChannels: Int, kernel: Int, stride: Int,
                              activation: Activation, skip: Bool = false, rng: inout SplitMix64) -> Convolution {
        let fanIn = Float(kernel * kernel * inChannels)
        let raw = rng.uniform(count: kernel * kernel * inChannels * outChannels, scale: (6 / fanIn).squareRoot())
        let (w, b) = BatchNorm.random(channels: outChannels, rng: &rng).fold(weights: raw, bias: nil)
        return Convolution(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride,
                           activation: activation, skip: skip, weights: w, bias: b)
    }

    public var summary: String {
        let k = geometry.kernel
        return (k == 1 && geometry.stride == 1 ? "pointwise" : "conv \(k)x\(k)") + (geometry.stride > 1 ? " /\(geometry.stride)" : "") + (skip ? " +skip" : "")
    }

    public func inputProblem(for input: Shape) -> String? { channelProblem(input, expected: inChannels) }

    public func outputShape(for input: Shape) -> Shape {
        precondition(input.c == inChannels, "\(summary): input has \(input.c) channels, expected \(inChannels)")
        return geometry.output(input, channels: outChannels)
    }

    public func scratchCount(for input: Shape) -> Int { Kernels.convolutionScratchCount(input: input, geometry: geometry) }

    public func macs(for input: Shape) -> Int {
        outputShape(for: input).count * geometry.kernel * geometry.kernel * inChannels
    }

    public var parameterCount: Int { weights.count + bias.count }

    public func forward(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        forward(x, input: input, into: y, residual: skip ? x : nil, scratch: scratch, context: context)
    }

    /// `y = act(conv(x) + bias) + residual`; the residual (same shape as `y`) is fused into the
    /// GEMM's store, as the projection of an MBConv with identity skip uses it.
    public func forward(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
                        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        precondition(input.c == inChannels, "\(summary): input has \(input.c) channels, expected \(inChannels)")
        Kernels.convolution(x, input: input, geometry: geometry, weights: parameters, activation: activation, into: y,
                            residual: residual, scratch: scratch, context: context)
    }
}
