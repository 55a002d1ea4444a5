import NASEngine

/// Elementwise activation with its derivative (ReLU, ReLU6, h-swish, sigmoid, identity).
public final class ActivationLayer: TrainingLayer {
    public let activation: Activation
    private var x: [Float] = []

    public init(_ activation: Activation) { self.activation = activation }
    public var parameters: [Parameter] { [] }
    public func outputShape(for input: Shape) -> Shape { input }

    public func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float] {
        if training { self.x = x }
        var y = uninitialisedFloats(x.count)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            Kernels.activate(xp.baseAddress!, into: yp.baseAddress!, count: x.count, activation: activation)  // vectorised
        } }
        return y
    }

    public func backward(_ dy: [Float]) -> [Float] {
        precondition(dy.count == x.count, "ActivationLayer.backward: call forward(training: true) first")
        // One switch per call, then a loop specialised per activation that the compiler vectorises.
        switch activation {
        case .none: return dy
        case .relu: return Self.backward(ReLUElementwise.self, dy, at: x)
        case .relu6: return Self.backward(ReLU6Elementwise.self, dy, at: x)
        case .hswish: return Self.backward(HardSwishElementwise.self, dy, at: x)
        case .sigmoid: return Self.backward(SigmoidElementwise.self, dy, at: x)
        }
    }

    /// `dx[i] = A.backward(dy[i], at: x[i])`, O(n).
    private static func backward<A: ElementwiseActivation>(_: A.Type, _ dy: [Float], at x: [Float]) -> [Float] {
        var dx = uninitialisedFloats(dy.count)
        dy.withUnsafeBufferPointer { d in x.withUnsafeBufferPointer { xs in dx.withUnsafeMutableBufferPointer { out in
            for i in 0..<d.count { out[i] = A.backward(d[i], at: xs[i]) }
        } } }
        return dx
    }
}
