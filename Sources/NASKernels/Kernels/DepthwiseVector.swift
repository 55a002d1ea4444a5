/// The channel block a depthwise kernel computes at once. Depthwise layers are vectorised over
/// channels: 16 lanes for the main blocks and 8 for the block left when `c ≡ 8..15 (mod 16)`
/// (c = 24, 40, 56, 72, ... are common in the search space). The kernels are generic over this
/// protocol, so each width gets the same register-blocked code, specialised at compile time.
protocol DepthwiseVector {
    associatedtype Vector: SIMD where Vector.Scalar == Float
    /// Channels per block: `Vector.scalarCount`.
    static var width: Int { get }
    /// `width` floats from `p` (unaligned).
    static func load(_ p: UnsafePointer<Float>) -> Vector
    /// `A` applied to `v`, stored as `width` floats at `p` (unaligned).
    static func store<A: ActivationFunction>(_: A.Type, _ v: Vector, _ p: UnsafeMutablePointer<Float>)
}

/// 16 channels (the engine's `Kernels.lanes`): one AVX-512 register, two AVX2, four NEON.
enum DepthwiseLanes16: DepthwiseVector {
    @inline(__always) static var width: Int { 16 }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> { Kernels.load16(p) }
    @inline(__always) static func store<A: ActivationFunction>(_: A.Type, _ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        Kernels.store16(A.apply(v), p)
    }
}

/// 8 channels: one AVX2 register (the low half of an AVX-512 one).
enum DepthwiseLanes8: DepthwiseVector {
    @inline(__always) static var width: Int { 8 }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { Kernels.load8(p) }
    @inline(__always) static func store<A: ActivationFunction>(_: A.Type, _ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: A.apply(v), as: SIMD8<Float>.self)
    }
}
