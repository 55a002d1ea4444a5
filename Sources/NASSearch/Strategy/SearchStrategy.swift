import NASEngine
import NASSpace

/// A finished trial as a strategy sees it.
public struct Member: Sendable {
    public var trial: Int
    public var arch: Architecture
    /// The scalar the single-objective strategies rank by (the MNasNet reward).
    public var reward: Double
    /// Each objective's value (accuracy, then latency when the study has one), for
    /// multi-objective strategies.
    public var objectives: [ObjectiveValue]
    /// The fidelity the result was evaluated at (nil: the evaluator's only one).
    public var fidelity: Fidelity?

    public init(trial: Int, arch: Architecture, reward: Double, objectives: [ObjectiveValue] = [], fidelity: Fidelity? = nil) {
        self.trial = trial; self.arch = arch; self.reward = reward; self.objectives = objectives; self.fidelity = fidelity
    }
}

/// What a strategy proposes: an architecture and the trial it was derived from (nil for a
/// fresh sample).
public struct Proposal: Sendable {
    public var arch: Architecture
    public var parent: Int?
    public init(arch: Architecture, parent: Int? = nil) { self.arch = arch; self.parent = parent }
}

/// Proposes the next architecture. Strategies are values without hidden state: everything they
/// know comes from the arguments, so a resumed study proposes as an uninterrupted one would.
public protocol SearchStrategy: Sendable {
    var name: String { get }
    /// `history` holds the successful trials in the order they finished; `pending` the
    /// architectures being evaluated right now (for strategies that must not propose the same
    /// region twice, such as TPE's constant liar). `rng` is seeded per proposal.
    func propose(history: [Member], pending: [Architecture], rng: inout SplitMix64) -> Proposal
    /// The same, also told the keys of every architecture a trial exists for (failed and
    /// pending ones included), for strategies that must never repeat one (grid). By default
    /// the three-argument form.
    func propose(history: [Member], pending: [Architecture], tried: Set<String>, rng: inout SplitMix64) -> Proposal
}

extension SearchStrategy {
    public func propose(history: [Member], pending: [Architecture], tried: Set<String>, rng: inout SplitMix64) -> Proposal {
        propose(history: history, pending: pending, rng: &rng)
    }
}
