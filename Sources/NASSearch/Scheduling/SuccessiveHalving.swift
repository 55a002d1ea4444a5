/// `--scheduler sha`: synchronous successive halving (Jamieson & Talwalkar 2016) over one
/// bracket holding every architecture of the budget: all start at the ladder's lowest rung;
/// when a rung is complete the best `max(1, ⌊n/η⌋)` continue from their checkpoints to the
/// next. Workers wait while a rung is unfinished and nothing else can run (use `asha` to keep
/// them busy). Trials left below the top when the search ends are `pruned`.
public struct SuccessiveHalving: Scheduler {
    public let ladder: FidelityLadder
    public let promoteBy: PromotionKey
    public init(ladder: FidelityLadder, promoteBy: PromotionKey = .reward) { self.ladder = ladder; self.promoteBy = promoteBy }
    public var name: String { "sha \(ladder)\(promoteBy.nameSuffix)" }
    var bracket: SuccessiveHalvingBracket { SuccessiveHalvingBracket(rungs: ladder.rungs, eta: ladder.eta, capacity: nil) }

    /// Exact for a bracket of `trials` members (none cached or failed).
    public func plannedFidelity(trials: Int) -> Double? { bracket.plannedFidelity(trials) }

    public func decide(trial: Int, fidelity: Fidelity?, board: RungBoard) -> SchedulerDecision {
        (fidelity ?? ladder.top) >= ladder.top ? .complete : .pause
    }

    public func nextJob(board: RungBoard) -> SchedulerJob {
        if let (trial, to) = bracket.nextPromotion(board.trials, acceptsMembers: board.canPropose) { return .promote(trial: trial, to: to) }
        if board.canPropose { return .propose(ladder.rungs[0]) }
        return board.anyRunning ? .wait : .finished
    }
}
