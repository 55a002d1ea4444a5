/// A small, fast, seedable generator (SplitMix64): the same seed gives the same weights on
/// every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform float in `[-scale, scale)`.
    public mutating func uniform(_ scale: Float) -> Float {
        let unit = Float(next() >> 40) / Float(1 << 24)
        return (unit * 2 - 1) * scale
    }

    /// `count` uniform floats in `[-scale, scale)`.
    public mutating func uniform(count: Int, scale: Float) -> [Float] {
        (0..<count).map { _ in uniform(scale) }
    }
}
