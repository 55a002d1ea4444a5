/// Pointwise non-linearities applied in kernel epilogues.
public enum Activation: String, Sendable, CaseIterable {
    case none, relu, relu6, hswish, sigmoid

    /// Scalar definition (the reference every vector path is tested against).
    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .none: return x
        case .relu: return max(x, 0)
        case .relu6: return min(max(x, 0), 6)
        case .hswish: return x * min(max(x + 3, 0), 6) / 6
        case .sigmoid: return 1 / (1 + cExpf(-x))
        }
    }
}

/// An activation known at compile time; kernels are generic over it and switch on
/// `Activation` once per call (never per vector, and never through an existential, which
/// would leave the generic kernel unspecialised).
/// (Swift's `SIMD.clamped` compiles to a lane loop; `pointwiseMin/Max` to one instruction.)
protocol ActivationFunction {
    static func apply(_ x: SIMD16<Float>) -> SIMD16<Float>
    /// The 8-lane form (AVX2 tiles, depthwise remainders); by default the 16-lane one on the low half.
    static func apply(_ x: SIMD8<Float>) -> SIMD8<Float>
    static func apply(_ x: Float) -> Float
}

extension ActivationFunction {
    /// Runs the 16-lane form on the low half: one instruction per operation on AVX-512 and
    /// AVX2 alike. (A form generic over `SIMD` was measured 2.4x slower on an 8-lane depthwise
    /// layer: `pointwiseMax` on a generic 8-lane vector was not vectorised.)
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        apply(SIMD16(lowHalf: x, highHalf: .zero)).lowHalf
    }
}

enum IdentityActivation: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { x }
    @inline(__always) static func apply(_ x: Float) -> Float { x }
}

enum ReLUActivation: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { pointwiseMax(x, .zero) }
    @inline(__always) static func apply(_ x: Float) -> Float { max(x, 0) }
}

enum ReLU6Activation: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { pointwiseMin(pointwiseMax(x, .zero), SIMD16(repeating: 6)) }
    @inline(__always) static func apply(_ x: Float) -> Float { min(max(x, 0), 6) }
}

enum HardSwishActivation: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
        x * pointwiseMin(pointwiseMax(x + 3, .zero), SIMD16(repeating: 6)) * (1.0 / 6.0)
    }
    @inline(__always) static func apply(_ x: Float) -> Float { x * min(max(x + 3, 0), 6) / 6 }
}

enum SigmoidActivation: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
        var out = SIMD16<Float>()
        for i in 0..<16 { out[i] = 1 / (1 + cExpf(-x[i])) }
        return out
    }
    @inline(__always) static func apply(_ x: Float) -> Float { 1 / (1 + cExpf(-x)) }
}

/// Codable outside Embedded Swift, where the ARM cross-check (`scripts/arm-cross-check.sh`)
/// compiles this file and Codable does not exist.
#if !hasFeature(Embedded)
extension Activation: Codable {}
#endif
