/// The MNasNet reward (Tan et al. 2019): `ACC · (LAT/T)^w` with `w = alpha` when `LAT <= T`,
/// else `beta`. Soft constraint: alpha = beta = −0.07; hard: alpha = 0, beta = −1; `w = 0`
/// ranks by accuracy alone.
public struct Reward: Codable, Sendable, Equatable {
    public var targetMs: Double
    public var alpha: Double
    public var beta: Double

    public init(targetMs: Double, alpha: Double, beta: Double) {
        precondition(targetMs > 0, "Reward: target latency must be positive")
        self.targetMs = targetMs; self.alpha = alpha; self.beta = beta
    }

    public static func soft(targetMs: Double, w: Double = -0.07) -> Reward { Reward(targetMs: targetMs, alpha: w, beta: w) }
    public static func hard(targetMs: Double) -> Reward { Reward(targetMs: targetMs, alpha: 0, beta: -1) }

    /// The reward; with no latency (a categorical space without a latency column) it is the
    /// accuracy.
    public func callAsFunction(accuracy: Double, latencyMs: Double?) -> Double {
        guard let latency = latencyMs, latency > 0 else { return accuracy }
        let w = latency <= targetMs ? alpha : beta
        return accuracy * pow(latency / targetMs, w)
    }

    enum CodingKeys: String, CodingKey { case targetMs = "target_ms", alpha, beta }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
