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
        return x.map(activation.apply)
    }

    public func backward(_ dy: [Float]) -> [Float] {
        precondition(dy.count == x.count, "ActivationLayer.backward: call forward(training: true) first")
        return zip(dy, x).map { $0 * Self.derivative(activation, $1) }
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
