/// One inference layer: a value holding its (folded) weights, run on raw NHWC buffers.
///
/// Layers never allocate in `forward`: the executor hands each one its input, an output
/// buffer of `outputShape(for:)` and `scratchCount(for:)` floats of scratch.
public protocol Layer: Sendable {
    /// Short human-readable kind, e.g. `mbconv k3 e6 /2`.
    var summary: String { get }
    /// Why the layer cannot take `input` (wrong channel or feature count), or nil if it can.
    func inputProblem(for input: Shape) -> String?
    /// Output shape for `input`; traps (precondition) on a shape the layer cannot take.
    func outputShape(for input: Shape) -> Shape
    /// Scratch floats `forward` needs for `input`.
    func scratchCount(for input: Shape) -> Int
    /// Multiply-accumulates of one forward pass over `input`.
    func macs(for input: Shape) -> Int
    /// Learnable parameters after batch-norm folding.
    var parameterCount: Int { get }
    /// `y = layer(x)`. `x` and `y` never alias.
    func forward(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                 scratch: UnsafeMutablePointer<Float>, context: ExecutionContext)
}

extension Layer {
    public func scratchCount(for input: Shape) -> Int { 0 }
    public func inputProblem(for input: Shape) -> String? { nil }

    /// The check every channel-typed layer makes.
    func channelProblem(_ input: Shape, expected: Int) -> String? {
        input.c == expected ? nil : "takes \(expected) channels, gets \(input.c)"
    }

    /// Convenience for tests and tools: runs the layer on a tensor, allocating output and scratch.
    public func callAsFunction(_ x: Tensor, context: ExecutionContext = ExecutionContext()) -> Tensor {
        let y = Tensor(shape: outputShape(for: x.shape))
        let scratch = FloatBuffer(count: scratchCount(for: x.shape))
        forward(x.pointer, input: x.shape, into: y.pointer, scratch: scratch.pointer, context: context)
        return y
    }
}
