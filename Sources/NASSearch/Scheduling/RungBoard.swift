/// What a scheduler sees of a study: every scheduled trial (evaluated, not cached) in number
/// order with its results per fidelity and where it stands, and whether the budget allows
/// another proposal. Built by the worker loop from the study's records and reports.
public struct RungBoard: Sendable {
    /// One result of a trial: what the scheduler ranks (`PromotionKey`: the reward, or the
    /// objective alone; higher is better) at a fidelity.
    public struct Result: Sendable, Equatable {
        public var fidelity: Fidelity
        public var score: Double
        public init(_ fidelity: Fidelity, _ score: Double) { self.fidelity = fidelity; self.score = score }
    }

    public enum State: Sendable, Equatable {
        /// Being trained to this fidelity.
        case running(Fidelity?)
        /// Waiting at its last result for a promotion.
        case paused
        /// Complete, pruned or failed: it never continues.
        case finished
    }

    public struct Trial: Sendable, Equatable {
        public var number: Int
        /// Results in increasing fidelity (one per rung reached).
        public var results: [Result]
        public var state: State
        public init(number: Int, results: [Result], state: State) { self.number = number; self.results = results; self.state = state }

        /// The score at exactly `fidelity`, if the trial reached it.
        public func score(at fidelity: Fidelity) -> Double? { results.last { $0.fidelity == fidelity }?.score }
        public var highest: Result? { results.last }
        public var isRunning: Bool { if case .running = state { return true } else { return false } }
    }

    public var trials: [Trial]
    /// A new trial may be proposed (the budget of architectures is not used up).
    public var canPropose: Bool
    /// The search's budget of architectures (`--cycles`).
    public var budget: Int

    public init(trials: [Trial], canPropose: Bool, budget: Int) {
        self.trials = trials.sorted { $0.number < $1.number }
        self.canPropose = canPropose; self.budget = budget
    }

    public subscript(trial number: Int) -> Trial? { trials.first { $0.number == number } }
    public var anyRunning: Bool { trials.contains(where: \.isRunning) }
}
