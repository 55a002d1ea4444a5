/// What a scheduler says after a trial's result at some fidelity.
public enum SchedulerDecision: Sendable, Equatable {
    /// The result is the trial's final one.
    case complete
    /// Train the same trial further, now, to this fidelity (the result so far is kept as a report).
    case continueTo(Fidelity)
    /// Stop here for now: the trial waits at this rung (status `paused`) until the scheduler
    /// promotes it (`SchedulerJob.promote`) or the search ends (then it is `pruned`).
    case pause
    /// Stop the trial here: its result so far is recorded and the trial marked `pruned`.
    case prune(reason: String)
}

/// What a free worker does next, as the scheduler sees it.
public enum SchedulerJob: Sendable, Equatable {
    /// Ask the strategy for a new architecture and evaluate it to this fidelity (nil: the
    /// evaluator's full budget). Only offered while `RungBoard.canPropose`.
    case propose(Fidelity?)
    /// Continue a paused trial from its checkpoint to a higher fidelity.
    case promote(trial: Int, to: Fidelity)
    /// Nothing to do until a running trial reports (a synchronous rung is not full yet).
    case wait
    /// Nothing more to do in this search.
    case finished
}

/// Decides how much fidelity each trial gets: where a new trial starts, whether a result ends
/// it, continues it, pauses it or stops it, and which paused trial a free worker promotes. It
/// never proposes architectures (the strategy's job) and never stores (the study's): everything
/// it needs arrives as a `RungBoard` built from the study, so a resumed study schedules as an
/// uninterrupted one would.
public protocol Scheduler: Sendable {
    /// Recorded in the study with its settings (`none`, `sha min=1 max=9 eta=3`, ...).
    var name: String { get }
    /// After `trial`'s result at `fidelity`; `board` already holds that result.
    func decide(trial: Int, fidelity: Fidelity?, board: RungBoard) -> SchedulerDecision
    /// What a free worker does next.
    func nextJob(board: RungBoard) -> SchedulerJob
    /// False when the scheduler reads nothing but `canPropose` and `budget` from its board (the
    /// worker loop then skips building it: O(trials) per proposal).
    var readsTrials: Bool { get }
    /// The fidelity a search of `trials` architectures trains in all, a continued trial counting
    /// only what it adds (SHA 1/3/9, η 3, 100 trials: 100·1 + 33·2 + 11·6 = 232 epochs): what the
    /// progress line counts and its ETA extrapolates. An estimate for schedulers that decide as
    /// results arrive; nil when the scheduler does not set fidelities (flat).
    func plannedFidelity(trials: Int) -> Double?
    /// What the board's results are scores of (`--promote-by`); the worker loop builds the
    /// board with it.
    var promoteBy: PromotionKey { get }
}

extension Scheduler {
    public var readsTrials: Bool { true }
    public func plannedFidelity(trials: Int) -> Double? { nil }
    public var promoteBy: PromotionKey { .reward }

    /// The job of schedulers that never pause trials: a new trial at `start` while the budget
    /// allows, else nothing.
    func proposeWhileBudgetAllows(_ board: RungBoard, start: Fidelity?) -> SchedulerJob {
        board.canPropose ? .propose(start) : .finished
    }
}
