/// What a scheduler says after a trial's result at some fidelity.
public enum SchedulerDecision: Sendable, Equatable {
    /// The result is the trial's final one.
    case complete
    /// Train the same trial further, to this fidelity (the result so far is kept as a report).
    case continueTo(Fidelity)
    /// Stop the trial here: its result so far is recorded and the trial marked `pruned`.
    case prune(reason: String)
}

/// Decides how much fidelity each proposal gets: where a new trial starts and, after each
/// result, whether it continues, stops early or is done. It never proposes (the strategy's job)
/// and never stores (the study's); everything it needs arrives as arguments, so a resumed study
/// schedules as an uninterrupted one would.
public protocol Scheduler: Sendable {
    /// Recorded in the study (`none`, later `sha`, `asha`, `hyperband`, `median`).
    var name: String { get }
    /// The fidelity trial `trial` is first evaluated at (nil: the evaluator's full budget).
    func startingFidelity(trial: Int) -> Fidelity?
    /// After `evaluation` of `trial` (with `reward`), given every intermediate result recorded so
    /// far (`reports`: earlier rungs of this and other trials, not this result).
    func decide(trial: Int, evaluation: Evaluation, reward: Double, reports: [TrialReport]) -> SchedulerDecision
}
