/// Depthwise convolution (one `k×k` filter per channel) with folded batch norm and activation.
///
/// Weights `[k, k, c]`, bias `[c]`. Output `[n, ceil(h/s), ceil(w/s), c]`.
public struct DepthwiseConvolution: Layer {
    public let channels: Int
    public let geometry: WindowGeometry
    public let activation: Activation
    public let weights: FloatBuffer
    public let bias: FloatBuffer

    public init(channels: Int, kernel: Int, stride: Int, activation: Activation, weights: [Float], bias: [Float]) {
        precondition(weights.count == kernel * kernel * channels, "DepthwiseConvolution: \(weights.count) weights for k=\(kernel) c=\(channels)")
        precondition(bias.count == channels, "DepthwiseConvolution: \(bias.count) biases for \(channels) channels")
        self.channels = channels
        self.geometry = WindowGeometry(kernel: kernel, stride: stride)
        self.activation = activation
        self.weights = FloatBuffer(weights); self.bias = FloatBuffer(bias)
    }

    /// He-uniform random weights followed by random batch-norm statistics, folded.
    public static func random(channels: Int, kernel: Int, stride: Int, activation: Activation,
                              rng: inout SplitMix64) -> DepthwiseConvolution {
        let raw = rng.uniform(count: kernel * kernel * channels, scale: (6 / Float(kernel * kernel)).squareRoot())
        let (w, b) = BatchNorm.random(channels: channels, rng: &rng).fold(weights: raw, bias: nil)
        return DepthwiseConvolution(channels: channels, kernel: kernel, stride: stride, activation: activation, weights: w, bias: b)
    }

    public var summary: String { "depthwise \(geometry.kernel)x\(geometry.kernel)" + (geometry.stride > 1 ? " /\(geometry.stride)" : "") }

    public func inputProblem(for input: Shape) -> String? { channelProblem(input, expected: channels) }

    public func outputShape(for input: Shape) -> Shape {
        precondition(input.c == channels, "\(summary): input has \(input.c) channels, expected \(channels)")
        return geometry.output(input, channels: channels)
    }

    public func macs(for input: Shape) -> Int { outputShape(for: input).count * geometry.kernel * geometry.kernel }

    public var parameterCount: Int { weights.count + bias.count }

    public func forward(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        precondition(input.c == channels, "\(summary): input has \(input.c) channels, expected \(channels)")
        Kernels.depthwise(x, input: input, geometry: geometry, weights: weights.pointer, bias: bias.pointer,
                          activation: activation, into: y, context: context)
    }
}
