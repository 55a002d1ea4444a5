import NASEngine

/// An activation known at compile time, for loops that fuse it into another elementwise pass
/// (batch norm). Generic loops specialised per activation vectorise across channels; a switch
/// per element would not. `apply` matches `Activation.apply` (the engine's inference kernels);
/// `backward` is the one place the derivatives live (0 on the right-closed side of a kink, as
/// frameworks do); `ActivationLayer` and the fused batch norm both use it.
protocol ElementwiseActivation {
    /// `act(z)`.
    static func apply(_ z: Float) -> Float
    /// The gradient with respect to `z` given the gradient `dy` with respect to `act(z)`.
    static func backward(_ dy: Float, at z: Float) -> Float
}

enum IdentityElementwise: ElementwiseActivation {
    @inline(__always) static func apply(_ z: Float) -> Float { z }
    @inline(__always) static func backward(_ dy: Float, at z: Float) -> Float { dy }
}

enum ReLUElementwise: ElementwiseActivation {
    @inline(__always) static func apply(_ z: Float) -> Float { max(z, 0) }
    @inline(__always) static func backward(_ dy: Float, at z: Float) -> Float { z > 0 ? dy : 0 }
}

enum ReLU6Elementwise: ElementwiseActivation {
    @inline(__always) static func apply(_ z: Float) -> Float { min(max(z, 0), 6) }
    @inline(__always) static func backward(_ dy: Float, at z: Float) -> Float { z > 0 && z < 6 ? dy : 0 }
}

enum HardSwishElementwise: ElementwiseActivation {
    @inline(__always) static func apply(_ z: Float) -> Float { z * min(max(z + 3, 0), 6) / 6 }
    @inline(__always) static func backward(_ dy: Float, at z: Float) -> Float {
        dy * (z <= -3 ? 0 : z >= 3 ? 1 : (2 * z + 3) / 6)
    }
}

enum SigmoidElementwise: ElementwiseActivation {
    @inline(__always) static func apply(_ z: Float) -> Float { Activation.sigmoid.apply(z) }
    @inline(__always) static func backward(_ dy: Float, at z: Float) -> Float {
        let s = apply(z)
        return dy * (s * (1 - s))
    }
}
