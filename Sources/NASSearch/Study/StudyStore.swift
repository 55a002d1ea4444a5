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
    /// A trial number no other trial of this study has or will be given.
    func claimTrialNumber() throws -> Int
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
}
