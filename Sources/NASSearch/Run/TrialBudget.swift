/// The search's budget: `total` trials (cycles), the initial population included. Every trial
/// that ends counts, evaluated or cached; running trials hold their place so that parallel
/// workers stop exactly at the total. A value the worker loop keeps under its lock.
struct TrialBudget: Sendable {
    let total: Int
    /// Trials that spent an evaluation and ended (done, failed, pruned).
    private(set) var evaluated = 0
    private(set) var failed = 0
    /// Trials answered from an earlier result.
    private(set) var cached = 0
    /// Trials claimed and not yet ended (including a worker waiting for an identical one).
    private(set) var running = 0

    init(total: Int) { self.total = total }

    /// Trials that ended: what the progress line and `--cycles` count.
    var used: Int { evaluated + cached }
    /// No further trial may be claimed.
    var isExhausted: Bool { evaluated + cached + running >= total }

    mutating func claim() { running += 1 }
    mutating func release() { running -= 1 }

    /// Counts a trial that ended (a running one is not counted).
    mutating func count(_ status: TrialStatus) {
        if status.isEvaluated { evaluated += 1 }
        if status == .failed { failed += 1 }
        if status == .cached { cached += 1 }
    }

    /// Seconds left, extrapolated from the `usedThisRun` trials that ended in `elapsed` seconds
    /// (cached trials included: they are part of the mix the remaining trials will have too).
    func eta(elapsed: Double, usedThisRun: Int) -> Double? {
        usedThisRun > 0 ? elapsed / Double(usedThisRun) * Double(max(0, total - used)) : nil
    }
}
