/// What a scheduler ranks results by when it promotes (successive halving, Hyperband) or stops
/// (median rule) a trial: `--promote-by`.
///
/// `reward` ranks by the reward the strategy maximises (MNasNet: accuracy times
/// `(LAT/T)^w`), so the fast candidates go on. `objective` ranks by the evaluator's objective
/// alone (accuracy on the default space; a minimised objective negated, so higher is better):
/// the top rung's budget goes to the candidates most likely to be accurate, and latency is
/// left to the strategy's selection and to the front. `Benchmarks/README.md` compares them.
public enum PromotionKey: String, Sendable, CaseIterable {
    case reward
    case objective

    /// The value a scheduler ranks (higher is better) of a result with this `reward` and
    /// objective `value`; nil when the one it needs is missing.
    public func score(reward: Double?, value: Double?, direction: Direction) -> Double? {
        switch self {
        case .reward: return reward
        case .objective: return value.map { direction == .maximize ? $0 : -$0 }
        }
    }

    /// What the scheduler's recorded name gains: nothing for the default (so studies recorded
    /// before the key existed resume), ` by=objective` otherwise.
    var nameSuffix: String { self == .reward ? "" : " by=\(rawValue)" }
}
