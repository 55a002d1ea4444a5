import Foundation

/// What a worker loop on a study shared with other processes (a PostgreSQL study) keeps in
/// step with them: the results other workers recorded since it last looked, read by finish
/// order and folded into the loop's ledger and budget, so that evolution's population, the
/// result cache and the progress line are the study's, not this process's.
///
/// Not thread-safe: the worker loop calls it under its lock.
struct SharedStudySync {
    /// The highest finish order folded in so far.
    private(set) var seenFinishOrder = -1
    /// Trials this process ended itself (already in the ledger when they come back).
    private var own: Set<Int> = []

    /// Marks a trial this process ended (or had loaded, ended, when it started).
    mutating func ended(_ number: Int) { own.insert(number) }

    /// Everything up to finish order `order` is in the ledger already.
    mutating func seen(upTo order: Int) { seenFinishOrder = max(seenFinishOrder, order) }

    /// Folds in what other workers finished since the last call.
    /// - Complexity: one query, O(new trials).
    mutating func pull(from store: any StudyStore, into ledger: inout TrialLedger, budget: inout TrialBudget, space: String) throws {
        for trial in try store.trials(finishedAfter: seenFinishOrder) {
            seenFinishOrder = max(seenFinishOrder, trial.finishOrder ?? seenFinishOrder)
            guard !own.contains(trial.number) else { continue }
            own.insert(trial.number)
            ledger.absorb(trial, arch: .init(spaceName: space, values: trial.values))
            budget.count(trial.status)
        }
    }
}

/// Renews the heartbeat of this process's running trials every `interval` seconds on a thread
/// of its own until stopped, so that other workers can tell a slow trial from a dead worker's.
final class HeartbeatThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    /// `beat` errors (a lost connection) are ignored: the store reconnects on the next beat,
    /// and a trial presumed dead meanwhile is re-run elsewhere, its late result discarded here.
    init(interval: Double, beat: @escaping @Sendable () throws -> Void) {
        Thread.detachNewThread { [self] in
            defer { done.signal() }
            condition.lock()
            while !stopped {
                condition.unlock()
                try? beat()
                condition.lock()
                if !stopped { _ = condition.wait(until: Date().addingTimeInterval(interval)) }
            }
            condition.unlock()
        }
    }

    func stop() {
        condition.lock(); stopped = true; condition.broadcast(); condition.unlock()
        done.wait()
    }
}
