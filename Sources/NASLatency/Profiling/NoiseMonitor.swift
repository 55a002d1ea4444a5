/// Watches a fixed reference network timed at intervals during a profile, to tell a steady
/// machine from one whose clock drifted (frequency scaling, thermal throttling) or that a busy
/// neighbour slowed down.
///
/// The first `baselineChecks` reference times set the baseline (their median). Each later
/// time is `steady` within `tolerancePct` of it, else `drifted`: the profiler then discards
/// the timings made since the previous steady check and re-times them. After
/// `rebaselineAfter` drifted checks in a row the machine has settled at a new speed: the
/// baseline moves there (`shifts`). The profiler summarises its checks in the table's noise;
/// which timings it keeps is decided per network (`LevelSettling`).
public struct NoiseMonitor: Sendable {
    public enum Verdict: Equatable, Sendable { case baseline, steady, drifted }

    public let tolerancePct: Double
    public let baselineChecks: Int
    public let rebaselineAfter: Int
    public private(set) var baselineMs: Double?
    /// Every reference time, in order (milliseconds).
    public private(set) var referenceMs: [Double] = []
    /// Checks that found the reference outside the tolerance.
    public private(set) var driftedChecks = 0
    /// Times the baseline moved after a sustained drift.
    public private(set) var shifts = 0
    private var run: [Double] = []
    private var start: [Double] = []

    public init(tolerancePct: Double = 10, baselineChecks: Int = 3, rebaselineAfter: Int = 3) {
        precondition(tolerancePct > 0 && baselineChecks >= 1 && rebaselineAfter >= 1)
        self.tolerancePct = tolerancePct; self.baselineChecks = baselineChecks; self.rebaselineAfter = rebaselineAfter
    }

    /// Records one reference time and says what it means for the timings made since the last check.
    public mutating func record(_ ms: Double) -> Verdict {
        referenceMs.append(ms)
        guard let baseline = baselineMs else {
            start.append(ms)
            if start.count == baselineChecks { baselineMs = Self.median(start) }
            return .baseline
        }
        if abs(ms / baseline - 1) * 100 <= tolerancePct {
            run.removeAll()
            return .steady
        }
        driftedChecks += 1
        run.append(ms)
        if run.count >= rebaselineAfter {
            baselineMs = Self.median(run)
            shifts += 1
            run.removeAll()
        }
        return .drifted
    }

    /// Coefficient of variation of the reference over the profile (percent): the machine's noise.
    public var referenceCVPct: Double {
        guard referenceMs.count >= 2 else { return 0 }
        let mean = referenceMs.reduce(0, +) / Double(referenceMs.count)
        let variance = referenceMs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(referenceMs.count - 1)
        return mean > 0 ? 100 * variance.squareRoot() / mean : 0
    }

    static func median(_ xs: [Double]) -> Double { LatencyStatistics(samples: xs).medianMs }
}

/// How precisely a set of timings pins down their median.
public enum MedianInterval {
    /// Half-width of the approximate 95% confidence interval of the median, as a percent of
    /// the median: `1.58 · IQR / √n` (McGill, Tukey & Larsen 1978, the box-plot notch).
    /// Infinite for fewer than 3 samples, where no interval can be told.
    public static func halfWidthPct(_ samples: [Double]) -> Double {
        guard samples.count >= 3 else { return .infinity }
        let sorted = samples.sorted()
        let median = LatencyStatistics(samples: sorted).medianMs
        guard median > 0 else { return 0 }
        let iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25)
        return 100 * 1.58 * iqr / Double(sorted.count).squareRoot() / median
    }

    /// Linear-interpolated quantile of sorted values.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lo = Int(position), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - Double(lo))
    }
}
