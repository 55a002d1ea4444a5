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
        var dx = uninitialisedFloats(dy.count)
        // One switch per call, then a tight loop the compiler can vectorise.
        dy.withUnsafeBufferPointer { d in x.withUnsafeBufferPointer { xs in dx.withUnsafeMutableBufferPointer { out in
            let n = dy.count
            switch activation {
            case .none: for i in 0..<n { out[i] = d[i] }
            case .relu: for i in 0..<n { out[i] = xs[i] > 0 ? d[i] : 0 }
            case .relu6: for i in 0..<n { out[i] = xs[i] > 0 && xs[i] < 6 ? d[i] : 0 }
            case .hswish, .sigmoid: for i in 0..<n { out[i] = d[i] * Self.derivative(activation, xs[i]) }
            }
        } } }
        return dx
    }

    /// d act(x) / dx (0 at the kinks' right-closed side, as frameworks do).
    public static func derivative(_ activation: Activation, _ x: Float) -> Float {
        switch activation {
        case .none: return 1
        case .relu: return x > 0 ? 1 : 0
        case .relu6: return x > 0 && x < 6 ? 1 : 0
        case .hswish: return x <= -3 ? 0 : x >= 3 ? 1 : (2 * x + 3) / 6
        case .sigmoid: let s = activation.apply(x); return s * (1 - s)
        }
    }
}
