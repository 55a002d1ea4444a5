/// No scheduling: every proposal is evaluated once, at the evaluator's full budget (what
/// `nasctl search` did before multi-fidelity schedulers).
public struct FlatScheduler: Scheduler {
    public static let schedulerName = "none"
    public init() {}
    public var name: String { Self.schedulerName }
    public func decide(trial: Int, fidelity: Fidelity?, board: RungBoard) -> SchedulerDecision { .complete }
    public func nextJob(board: RungBoard) -> SchedulerJob { proposeWhileBudgetAllows(board, start: nil) }
    public var readsTrials: Bool { false }
}
