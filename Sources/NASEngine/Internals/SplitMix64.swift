/// A small, fast, seedable generator (SplitMix64): the same seed gives the same weights on
/// every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    private static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform float in `[-scale, scale)`.
    public mutating func uniform(_ scale: Float) -> Float {
        let unit = Float(next() >> 40) / Float(1 << 24)
        return (unit * 2 - 1) * scale
    }

    /// `count` uniform floats in `[-scale, scale)`: the same values as `count` calls of
    /// `uniform(_:)`. The i-th draw mixes `state + (i + 1) · increment`, so the draws do not
    /// wait on each other and the loop vectorises (network builds in `profile` spend their
    /// time here).
    public mutating func uniform(count: Int, scale: Float) -> [Float] {
        guard count > 0 else { return [] }
        let base = state
        let result = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                let draw = Self.mix(base &+ UInt64(i + 1) &* Self.increment)
                buffer[i] = (Float(draw >> 40) / Float(1 << 24) * 2 - 1) * scale
            }
            initialized = count
        }
        state = base &+ UInt64(count) &* Self.increment
        return result
    }
}
