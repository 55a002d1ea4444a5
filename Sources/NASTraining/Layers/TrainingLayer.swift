import NASEngine

/// A learnable tensor, its gradient (accumulated by `backward`) and its optimiser state.
public final class Parameter: @unchecked Sendable {
    public var value: [Float]
    public var gradient: [Float]
    /// Momentum buffer of SGD.
    public var velocity: [Float]
    /// Weight decay applies (convolution and linear weights; not biases or batch-norm scales).
    public let decays: Bool
    public let name: String

    public init(_ value: [Float], decays: Bool, name: String) {
        self.value = value
        self.gradient = [Float](repeating: 0, count: value.count)
        self.velocity = [Float](repeating: 0, count: value.count)
        self.decays = decays
        self.name = name
    }

    public func zeroGradient() { gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
}

/// Non-learned state a layer carries from step to step and saves with its weights (batch
/// norm's running statistics).
public final class Buffer: @unchecked Sendable {
    public var value: [Float]
    public let name: String
    public init(_ value: [Float], name: String) { self.value = value; self.name = name }
}

/// A layer that trains: a batched forward pass that keeps what its backward pass needs, and a
/// backward pass that returns the input gradient and accumulates parameter gradients.
/// Tensors are NHWC `[Float]` with an explicit `Shape`.
public protocol TrainingLayer: AnyObject {
    func outputShape(for input: Shape) -> Shape
    /// `training` selects batch statistics (batch norm) and caches activations for `backward`.
    func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float]
    /// Gradient of the loss with respect to the last `forward`'s input, given the gradient
    /// with respect to its output; parameter gradients are added to `Parameter.gradient`.
    func backward(_ dy: [Float]) -> [Float]
    var parameters: [Parameter] { get }
    /// Non-learned state, in a fixed order (empty for most layers).
    var buffers: [Buffer] { get }
}

extension TrainingLayer {
    public var buffers: [Buffer] { [] }
}

/// He-uniform initialisation for `fanIn` inputs (ReLU-family networks).
func heUniform(count: Int, fanIn: Int, rng: inout SplitMix64) -> [Float] {
    rng.uniform(count: count, scale: (6 / Float(max(fanIn, 1))).squareRoot())
}

/// A `[Float]` of `count` elements left uninitialised, for a buffer whose every element is
/// written next (saves the zero-fill pass, ~7% of a training step).
@inline(__always)
func uninitialisedFloats(_ count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
}

/// Every one of `rows` rows of `y` set to `values` (a bias before a `beta = 1` GEMM).
func fillRows(_ y: inout [Float], rows: Int, with values: [Float]) {
    let n = values.count
    precondition(y.count == rows * n)
    values.withUnsafeBufferPointer { v in y.withUnsafeMutableBufferPointer { yp in
        for r in 0..<rows { (yp.baseAddress! + r * n).update(from: v.baseAddress!, count: n) }
    } }
}

/// `parameter.gradient[j] += Σ_r dy[r·columns + j]`, rows in order (a bias gradient).
func addColumnSums(of dy: [Float], rows: Int, columns: Int, into parameter: Parameter) {
    precondition(dy.count == rows * columns && parameter.gradient.count == columns)
    dy.withUnsafeBufferPointer { d in parameter.gradient.withUnsafeMutableBufferPointer { g in
        for r in 0..<rows {
            let row = d.baseAddress! + r * columns
            for j in 0..<columns { g[j] += row[j] }
        }
    } }
}
