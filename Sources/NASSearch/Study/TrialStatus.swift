import GRDB

/// Where a trial stands. One set for every store, strategy and scheduler.
public enum TrialStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// Claimed and being evaluated (a leftover after a crash is run again on resume).
    case running
    /// Evaluated to the end: a result.
    case done
    /// Its evaluation failed (the trial's `failureKind` says how).
    case failed
    /// Already evaluated in an earlier trial: result reused, no evaluation spent.
    case cached
    /// Stopped early by the scheduler at a lower fidelity (its last result is kept).
    case pruned
    /// Waiting at a rung below the top for the scheduler to promote it (its result there is
    /// kept, its checkpoint too); `pruned` if the search ends first.
    case paused
    /// Stopped from outside (Ctrl-C) before it finished; run again on resume.
    case interrupted
    /// Left running by an owner that is gone (no heartbeat); run again on resume.
    case stale

    /// Still to be (re-)evaluated when a study resumes.
    public var needsEvaluation: Bool { self == .running || self == .interrupted || self == .stale }
    /// An evaluation was spent on it and it ended (what the budget counts besides `cached`).
    public var isEvaluated: Bool { self == .done || self == .failed || self == .pruned || self == .paused }
}
