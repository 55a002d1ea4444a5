/// Which groups of a validation to measure again because the machine ran at another speed
/// than when the table was profiled.
///
/// A validation measures its networks in groups and times the table's reference network
/// between groups, so every group lies between two checks. On a shared host the machine
/// switches between speeds for tens of seconds at a time (a busy neighbour on the sibling
/// core: the reference then runs 20-30% slower); a group whose bracketing checks are more
/// than `tolerancePct` away from the reference's profile-time median was measured on a
/// different machine than the table describes. Like the profiler, which discards and re-times
/// networks timed during a drift, the group is measured again later, in up to `passes` passes
/// over the drifted groups; of a group's attempts the one with the smallest bracketing drift
/// is kept. A group still drifted after the last pass is kept and reported as such.
public struct DriftRetiming: Sendable {
    /// The reference network's median when the table was profiled (ms).
    public let profileMs: Double
    /// Largest distance of a bracketing check from `profileMs` for a steady group (percent).
    public let tolerancePct: Double
    /// Passes over the drifted groups after the first measurement of all groups (0: none).
    public let passes: Int

    public init(profileMs: Double, tolerancePct: Double, passes: Int) {
        precondition(profileMs > 0 && tolerancePct > 0 && passes >= 0)
        self.profileMs = profileMs; self.tolerancePct = tolerancePct; self.passes = passes
    }

    /// What happened, for the summary.
    public struct Report: Sendable, Encodable, Equatable {
        public var groups: Int
        /// Groups whose first measurement drifted.
        public var driftedFirst: Int
        /// Measurements made again (every attempt after a group's first).
        public var retimings: Int
        /// Groups whose kept measurement still drifted.
        public var driftedKept: Int
        /// Per group, the kept measurement's larger bracketing drift (percent, signed: positive slower).
        public var groupDriftPct: [Double]
        enum CodingKeys: String, CodingKey {
            case groups, driftedFirst = "drifted_first", retimings, driftedKept = "drifted_kept", groupDriftPct = "group_drift_pct"
        }
    }

    /// The signed drift of one check: `100 · (check / profileMs − 1)`.
    public func driftPct(_ checkMs: Double) -> Double { 100 * (checkMs / profileMs - 1) }

    /// The drift of a group between two checks: the one farther from the profile's speed (signed).
    public func groupDriftPct(before: Double, after: Double) -> Double {
        let a = driftPct(before), b = driftPct(after)
        return abs(a) >= abs(b) ? a : b
    }

    /// Measures `groups` groups with `measure(g)`, each followed by `check()` (the reference
    /// time, ms); `firstCheck` is the check made before the first group. Then re-measures the
    /// drifted groups, pass after pass. Returns each group's kept result (first and kept
    /// results of the first measurement in group order) and the report.
    /// - Complexity: at most `groups · (1 + passes)` measurements and as many checks.
    public func run<Result>(groups: Int, firstCheck: Double, measure: (Int) throws -> Result, check: () -> Double,
                            progress: (_ retimed: Int, _ queued: Int) -> Void = { _, _ in }) rethrows
        -> (kept: [Result], first: [Result], report: Report) {
        var last = firstCheck
        var first: [Result] = [], kept: [Result] = [], drift: [Double] = []
        for g in 0..<groups {
            let result = try measure(g)
            let after = check()
            first.append(result); kept.append(result)
            drift.append(groupDriftPct(before: last, after: after))
            last = after
        }
        let driftedFirst = drift.filter { abs($0) > tolerancePct }.count
        var retimings = 0
        for _ in 0..<passes {
            let queue = drift.indices.filter { abs(drift[$0]) > tolerancePct }
            if queue.isEmpty { break }
            for (done, g) in queue.enumerated() {
                progress(retimings, queue.count - done)
                let result = try measure(g)
                let after = check()
                let d = groupDriftPct(before: last, after: after)
                last = after
                retimings += 1
                if abs(d) < abs(drift[g]) { kept[g] = result; drift[g] = d }
            }
        }
        let report = Report(groups: groups, driftedFirst: driftedFirst, retimings: retimings,
                            driftedKept: drift.filter { abs($0) > tolerancePct }.count, groupDriftPct: drift)
        return (kept, first, report)
    }
}
