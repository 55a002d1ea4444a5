/// Where a study lives: its settings, its trials and their intermediate results. The worker
/// loop talks to storage only through this, so a second database is a second file.
///
/// Every write is durable when it returns (a killed search loses nothing it recorded).
/// Implementations must be safe to call from several worker threads at once.
public protocol StudyStore: AnyObject, Sendable {
    var locator: StudyLocator { get }
    /// The settings the study was started with (or resumed with, after `forceResume`).
    var settings: StudySettings { get }
    /// Every trial, by number.
    func trials() throws -> [TrialRecord]
    /// A trial number no other trial of this study has or will be given, or nil once `budget`
    /// numbers have been given out (every trial is one cycle, so this is the study's budget;
    /// a shared store enforces it for every worker at once).
    func claimTrialNumber(below budget: Int) throws -> Int?
    /// Records a claimed trial as running.
    func begin(_ trial: TrialRecord) throws
    /// Records a trial's new state. A trial that is no longer running and has no finish order
    /// gets the next one; the stored record is returned.
    @discardableResult func finish(_ trial: TrialRecord) throws -> TrialRecord
    /// Records an intermediate result (a rung) of a trial.
    func report(_ report: TrialReport) throws
    /// Every intermediate result, in the order recorded.
    func reports() throws -> [TrialReport]
    /// Makes this process the study's one owner until the lease is released (or the process
    /// ends); refused, naming the owner, while another process holds it.
    func acquireOwnership() throws -> StudyOwnership

    /// True when other processes work on the study at the same time (a PostgreSQL study): the
    /// worker loop then reads their results as they finish, takes over their abandoned trials
    /// through `claimAbandoned` and keeps its own alive with `heartbeat`.
    var isShared: Bool { get }
    /// Finished trials (those with a finish order) whose finish order is above `order`, by
    /// finish order.
    func trials(finishedAfter order: Int) throws -> [TrialRecord]
    /// Takes over one trial a worker left behind (interrupted, or running without a heartbeat
    /// for `graceSeconds`), recorded running under this process for `worker`; nil when there is
    /// none. The trial keeps its number, so it is re-run exactly once per takeover.
    func claimAbandoned(worker: Int, graceSeconds: Double) throws -> TrialRecord?
    /// Renews the heartbeat of every trial this process is running.
    func heartbeat() throws
    /// Trials of the study not ended yet, anywhere (running, interrupted or stale).
    func unfinishedCount() throws -> Int
}

/// A study only its owner works on: nothing to share.
extension StudyStore {
    public var isShared: Bool { false }
    public func trials(finishedAfter order: Int) throws -> [TrialRecord] {
        try trials().filter { ($0.finishOrder ?? -1) > order }.sorted { $0.finishOrder! < $1.finishOrder! }
    }
    public func claimAbandoned(worker: Int, graceSeconds: Double) throws -> TrialRecord? { nil }
    public func heartbeat() throws {}
    public func unfinishedCount() throws -> Int { try trials().filter(\.status.needsEvaluation).count }
    /// A trial number without a budget.
    public func claimTrialNumber() throws -> Int {
        guard let n = try claimTrialNumber(below: .max) else { throw SearchError.study(locator.description, "no trial number left") }
        return n
    }
}
