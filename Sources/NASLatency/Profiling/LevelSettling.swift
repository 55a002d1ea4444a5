/// Which of a profile's timings describe the machine its table is for.
///
/// On a shared host the machine switches between speeds, for a second to tens of seconds at a
/// time (another tenant's load: the reference network then runs 20-35% slower). The profiler
/// times one pass of its reference network after every network, so each network's timings lie
/// between two reference passes a few tens of milliseconds apart. The level is the lower
/// quartile of those passes (`level(of:)`: the machine's unimpeded speed); timings whose
/// bracketing passes lie more than `tolerancePct` from it were made at another speed. They are
/// discarded and re-timed as the profile goes (judged against the level so far), and at the
/// end those off the final level are dropped and their entries timed again with the level
/// held, within the re-timing budget. (Judging by the checks every 10 networks instead, which
/// `NoiseMonitor` summarises, was too coarse on a host switching every few seconds: half the
/// timings lay next to an off-level check.)
public struct LevelSettling: Sendable, Equatable {
    /// The reference network's time at the settled level (ms): the lower quartile of its passes.
    public let levelMs: Double
    public let tolerancePct: Double

    /// - Parameter checksMs: every reference time of the profile so far, at least one.
    public init(checksMs: [Double], tolerancePct: Double) {
        self.init(levelMs: Self.level(of: checksMs), tolerancePct: tolerancePct)
    }

    /// Which share of the reference times lies at or below the level.
    public static let levelQuantile = 0.25

    /// The level of a series of reference times (ms): their lower quartile, the speed the
    /// machine held for at least a quarter of the time without another tenant slowing it. A
    /// busy neighbour only ever slows the machine, so on a host that is slow for up to three
    /// quarters of the time this is its unimpeded speed; the median lay between the two speeds
    /// when the host was slow for nearly half of it (a table 3% slow, validate biased +3%). On a
    /// steady machine it lies a pass's jitter below the median, well inside the tolerance.
    /// - Complexity: O(n log n).
    public static func level(of times: [Double]) -> Double {
        precondition(!times.isEmpty)
        return MedianInterval.quantile(times.sorted(), levelQuantile)
    }

    public init(levelMs: Double, tolerancePct: Double) {
        precondition(levelMs > 0 && tolerancePct > 0)
        self.levelMs = levelMs
        self.tolerancePct = tolerancePct
    }

    /// Whether timings made between two reference times (ms) were made at another speed than
    /// the level: either more than the tolerance from it.
    public func isOffLevel(before: Double, after: Double) -> Bool {
        abs(before / levelMs - 1) * 100 > tolerancePct || abs(after / levelMs - 1) * 100 > tolerancePct
    }

    /// The indices of an entry's timings made off the level, given each timing's bracketing passes.
    /// - Complexity: O(timings).
    public func offLevel(_ brackets: [(before: Double, after: Double)]) -> [Int] {
        brackets.indices.filter { isOffLevel(before: brackets[$0].before, after: brackets[$0].after) }
    }

    /// The indices of an entry's timings its table keeps once no more can be timed: those at the
    /// level when it has any, else all (off-level timings are then counted and the table flagged).
    ///
    /// A timing made at another speed is not corrected by the reference's speed around it: on
    /// the Zen 3 a busy neighbour slowed layers by a median 7% while the reference, a whole
    /// network, slowed by 18%, so scaling overshot to -9% (Benchmarks/README.md, 2026-12-07).
    /// One timing at the level is worth more than several biased ones.
    /// - Complexity: O(timings).
    public func kept(_ brackets: [(before: Double, after: Double)]) -> [Int] {
        let steady = brackets.indices.filter { !isOffLevel(before: brackets[$0].before, after: brackets[$0].after) }
        return steady.isEmpty ? Array(brackets.indices) : steady
    }
}
