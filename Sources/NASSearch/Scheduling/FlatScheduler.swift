/// No scheduling: every proposal is evaluated once, at the evaluator's full budget (what
/// `nasctl search` did before multi-fidelity schedulers).
public struct FlatScheduler: Scheduler {
    public static let schedulerName = "none"
    public init() {}
    public var name: String { Self.schedulerName }
    public func startingFidelity(trial: Int) -> Fidelity? { nil }
    public func decide(trial: Int, evaluation: Evaluation, reward: Double, reports: [TrialReport]) -> SchedulerDecision { .complete }
}
