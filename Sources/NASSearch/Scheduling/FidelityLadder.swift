import Foundation

/// The fidelities a multi-fidelity scheduler uses (`--min-epochs`, `--max-epochs`, `--eta`):
/// rungs `max·η^-k` for `k = K … 0`, `K = ⌊log_η(max/min)⌋`, so the top rung is exactly `max`
/// and the lowest is at least `min` (1, 3, 9 for min 1, max 9, η 3; 1 … 81 for min 1, max 81).
public struct FidelityLadder: Sendable, Equatable, CustomStringConvertible {
    public let minimum: Double
    public let maximum: Double
    public let eta: Double
    /// Increasing; the last is `maximum`.
    public let rungs: [Fidelity]

    /// Throws when the bounds or η make no ladder (min ≤ 0, max < min, η < 2, not finite).
    public init(minimum: Double, maximum: Double, eta: Double) throws {
        guard minimum.isFinite, maximum.isFinite, eta.isFinite, minimum > 0, maximum >= minimum else {
            throw SearchError.badScheduler("--min-epochs and --max-epochs must be finite with 0 < min <= max, got min \(minimum), max \(maximum)")
        }
        guard eta >= 2 else { throw SearchError.badScheduler("--eta must be at least 2, got \(eta)") }
        self.minimum = minimum; self.maximum = maximum; self.eta = eta
        // The tolerance keeps max/min = η^k exact despite rounding in log.
        let k = Int((log(maximum / minimum) / log(eta) + 1e-9).rounded(.down))
        rungs = (0...k).reversed().map { Fidelity(maximum / pow(eta, Double($0))) }
    }

    /// The rung above `fidelity` (nil at the top).
    public func rung(above fidelity: Fidelity) -> Fidelity? { rungs.first { $0 > fidelity } }
    public var top: Fidelity { rungs.last! }
    public var description: String { "min=\(minimum.shortText) max=\(maximum.shortText) eta=\(eta.shortText)" }
}

extension Double {
    /// `3` rather than `3.0`; other values as Swift prints them.
    public var shortText: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}
