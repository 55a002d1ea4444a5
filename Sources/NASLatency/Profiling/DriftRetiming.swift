/// Which groups of a validation to measure again because the machine ran at another speed
/// than when the table was profiled.
///
/// A validation measures its networks in groups and times the table's reference network
/// interleaved with each group's networks, round after round, so the reference's median covers
/// exactly the time the group was measured. On a shared host the machine switches between
/// speeds for tens of seconds at a time (a busy neighbour on the sibling core: the reference
/// then runs 20-30% slower); a group whose reference median is more than `tolerancePct` away
/// from the table's level was measured on a different machine than the table describes. Like
/// the profiler, which discards and re-times networks timed during a drift, the group is
/// measured again later, in up to `passes` passes over the drifted groups; of a group's
/// attempts the one with the smallest drift is kept. A group still drifted after the last pass
/// is kept and reported as such. (Single reference checks between groups, used before, were
/// too short to judge a group by and misjudged some.)
public struct DriftRetiming: Sendable {
    /// The reference network's time at the table's level (ms, `LatencyTable.Noise.referenceLevelMs`).
    public let profileMs: Double
    /// Largest distance of a group's reference median from `profileMs` for a steady group (percent).
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
        /// Per group, the kept measurement's reference drift (percent, signed: positive slower).
        public var groupDriftPct: [Double]
        enum CodingKeys: String, CodingKey {
            case groups, driftedFirst = "drifted_first", retimings, driftedKept = "drifted_kept", groupDriftPct = "group_drift_pct"
        }
    }

    /// The signed drift of a reference time: `100 · (ms / profileMs − 1)`.
    public func driftPct(_ checkMs: Double) -> Double { 100 * (checkMs / profileMs - 1) }

    /// Measures `groups` groups with `measure(g)`, which returns the group's result and the
    /// reference's median measured interleaved with it (ms). Then re-measures the drifted
    /// groups, pass after pass. Returns each group's kept result, the results of the first
    /// measurement (both in group order) and the report.
    /// - Complexity: at most `groups · (1 + passes)` measurements.
    public func run<Result>(groups: Int, measure: (Int) throws -> (result: Result, referenceMs: Double),
                            progress: (_ retimed: Int, _ queued: Int) -> Void = { _, _ in }) rethrows
        -> (kept: [Result], first: [Result], report: Report) {
        var first: [Result] = [], kept: [Result] = [], drift: [Double] = []
        for g in 0..<groups {
            let (result, reference) = try measure(g)
            first.append(result); kept.append(result)
            drift.append(driftPct(reference))
        }
        let driftedFirst = drift.filter { abs($0) > tolerancePct }.count
        var retimings = 0
        for _ in 0..<passes {
            let queue = drift.indices.filter { abs(drift[$0]) > tolerancePct }
            if queue.isEmpty { break }
            for (done, g) in queue.enumerated() {
                progress(retimings, queue.count - done)
                let (result, reference) = try measure(g)
                let d = driftPct(reference)
                retimings += 1
                if abs(d) < abs(drift[g]) { kept[g] = result; drift[g] = d }
            }
        }
        let report = Report(groups: groups, driftedFirst: driftedFirst, retimings: retimings,
                            driftedKept: drift.filter { abs($0) > tolerancePct }.count, groupDriftPct: drift)
        return (kept, first, report)
    }
}
