/// Which networks of a validation to measure again because the machine ran at another speed
/// than when the table was profiled.
///
/// A validation measures its networks in batches, their rounds interleaved, with a pass of the
/// table's reference network after every network's round; a round whose surrounding passes are
/// off the table's level is left out or timed again (`Validation.measureGroup`). A network's
/// drift is its reference median over the rounds that counted against the table's level: it
/// stays within the tolerance when the network got its rounds at the level, and leaves it when
/// the machine was at another speed (a busy neighbour on the sibling core: the reference then
/// runs 20-30% slower) for longer than the network's extra rounds could wait. Like the
/// profiler, which discards and re-times networks timed during a drift, the drifted networks
/// are measured again later, gathered into batches, in up to `passes` passes; of a network's
/// attempts the one with the smallest drift is kept. A network still drifted after the last
/// pass is kept and reported as such. (Re-measuring whole groups of ten, as before, spent most
/// of its time on networks already at the level.)
public struct DriftRetiming: Sendable {
    /// The reference network's time at the table's level (ms, `LatencyTable.Noise.referenceLevelMs`).
    public let profileMs: Double
    /// Largest distance of a network's reference median from `profileMs` for a steady measurement (percent).
    public let tolerancePct: Double
    /// Passes over the drifted networks after the first measurement of all (0: none).
    public let passes: Int

    public init(profileMs: Double, tolerancePct: Double, passes: Int) {
        precondition(profileMs > 0 && tolerancePct > 0 && passes >= 0)
        self.profileMs = profileMs; self.tolerancePct = tolerancePct; self.passes = passes
    }

    /// What happened, for the summary.
    public struct Report: Sendable, Encodable, Equatable {
        public var networks: Int
        /// Networks whose first measurement drifted.
        public var driftedFirst: Int
        /// Measurements made again (every attempt after a network's first).
        public var retimings: Int
        /// Networks whose kept measurement still drifted.
        public var driftedKept: Int
        /// Per network, the kept measurement's reference drift (percent, signed: positive slower).
        public var driftPct: [Double]
        enum CodingKeys: String, CodingKey {
            case networks, driftedFirst = "drifted_first", retimings, driftedKept = "drifted_kept", driftPct = "drift_pct"
        }
    }

    /// The signed drift of a reference time: `100 · (ms / profileMs − 1)`.
    public func driftPct(_ checkMs: Double) -> Double { 100 * (checkMs / profileMs - 1) }

    /// Measures `count` networks in batches of `batch` consecutive ones with `measure(indices)`,
    /// which returns each network's result and the reference's median around it (ms), in the
    /// order of `indices`. Then re-measures the drifted networks, pass after pass, in batches of
    /// up to `batch`. Returns each network's kept result, the results of the first measurement
    /// (both in network order) and the report. `progress(retimed, queued)` before each re-timing
    /// batch.
    /// - Complexity: at most `count · (1 + passes)` network measurements in
    ///   `⌈count / batch⌉ · (1 + passes)` calls.
    public func run<Result>(count: Int, batch: Int, measure: ([Int]) throws -> [(result: Result, referenceMs: Double)],
                            progress: (_ retimed: Int, _ queued: Int) -> Void = { _, _ in }) rethrows
        -> (kept: [Result], first: [Result], report: Report) {
        precondition(batch > 0)
        var first: [Result] = [], drift: [Double] = []
        for start in stride(from: 0, to: count, by: batch) {
            let indices = Array(start..<min(count, start + batch))
            let measured = try measure(indices)
            precondition(measured.count == indices.count, "DriftRetiming: one result per network")
            first += measured.map(\.result)
            drift += measured.map { driftPct($0.referenceMs) }
        }
        var kept = first
        let driftedFirst = drift.filter { abs($0) > tolerancePct }.count
        var retimings = 0
        for _ in 0..<passes {
            let queue = drift.indices.filter { abs(drift[$0]) > tolerancePct }
            if queue.isEmpty { break }
            for start in stride(from: 0, to: queue.count, by: batch) {
                progress(retimings, queue.count - start)
                let indices = Array(queue[start..<min(queue.count, start + batch)])
                let measured = try measure(indices)
                precondition(measured.count == indices.count, "DriftRetiming: one result per network")
                for (i, m) in zip(indices, measured) {
                    let d = driftPct(m.referenceMs)
                    if abs(d) < abs(drift[i]) { kept[i] = m.result; drift[i] = d }
                }
                retimings += indices.count
            }
        }
        let report = Report(networks: count, driftedFirst: driftedFirst, retimings: retimings,
                            driftedKept: drift.filter { abs($0) > tolerancePct }.count, driftPct: drift)
        return (kept, first, report)
    }
}
