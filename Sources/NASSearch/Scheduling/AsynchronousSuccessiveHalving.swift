/// `--scheduler asha`: asynchronous successive halving (Li et al. 2020, promotion type). A new
/// trial starts at the lowest rung and pauses at each rung below the top. A free worker first
/// looks, from the second-highest rung down, for a paused trial among the best `⌊n/η⌋` of the
/// `n` results recorded at its rung so far and promotes it one rung; only when there is none
/// does it start a new trial. No rung is ever waited for. When nothing runs and nothing more
/// can be proposed, the rule becomes `max(1, ⌊n/η⌋)`, so the best reaches the top rung.
public struct AsynchronousSuccessiveHalving: Scheduler {
    public let ladder: FidelityLadder
    public let promoteBy: PromotionKey
    public init(ladder: FidelityLadder, promoteBy: PromotionKey = .reward) { self.ladder = ladder; self.promoteBy = promoteBy }
    public var name: String { "asha \(ladder)\(promoteBy.nameSuffix)" }

    /// Estimated as synchronous SHA's: ASHA promotes at least as many (more under evolution,
    /// whose later proposals keep landing in a rung's top third), so the progress line's total
    /// grows when it does.
    public func plannedFidelity(trials: Int) -> Double? {
        SuccessiveHalvingBracket(rungs: ladder.rungs, eta: ladder.eta, capacity: nil).plannedFidelity(trials)
    }

    public func decide(trial: Int, fidelity: Fidelity?, board: RungBoard) -> SchedulerDecision {
        (fidelity ?? ladder.top) >= ladder.top ? .complete : .pause
    }

    /// - Complexity: O(rungs · t log t) for t trials.
    public func nextJob(board: RungBoard) -> SchedulerJob {
        let settled = !board.canPropose && !board.anyRunning
        let rungs = ladder.rungs
        for k in stride(from: rungs.count - 2, through: 0, by: -1) {
            let ranked = board.trials.compactMap { t in t.score(at: rungs[k]).map { (t, $0) } }
                .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.number < $1.0.number }
            let share = Int(Double(ranked.count) / ladder.eta)
            let goOn = settled && !ranked.isEmpty ? max(1, share) : share
            for (trial, _) in ranked.prefix(goOn) where trial.state == .paused && trial.highest?.fidelity == rungs[k] {
                return .promote(trial: trial.number, to: rungs[k + 1])
            }
        }
        if board.canPropose { return .propose(rungs[0]) }
        return board.anyRunning ? .wait : .finished
    }
}
