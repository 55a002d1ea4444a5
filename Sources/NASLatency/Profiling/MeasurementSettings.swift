/// How one latency is measured: warm-up, then timed runs until the spread is small or a cap
/// hits. Recorded in every table so two tables can be compared.
public struct MeasurementSettings: Codable, Sendable, Equatable {
    public var warmup: Int
    public var minRuns: Int
    public var maxRuns: Int
    /// Stop once the interquartile range is at most this share of the median (percent).
    public var targetSpreadPct: Double
    /// Stop after this much timed work per measurement (milliseconds).
    public var timeCapMs: Double
    /// Evict the caches before every timed run (touch a buffer the size of the L2), so a layer's
    /// weights and input come from L3 as they do inside a whole network instead of staying hot
    /// in L1/L2 across repeated runs.
    public var flushCaches: Bool
    /// Bytes touched per flush.
    public var flushBytes: Int

    public init(warmup: Int = 3, minRuns: Int = 15, maxRuns: Int = 200, targetSpreadPct: Double = 3,
                timeCapMs: Double = 400, flushCaches: Bool = true, flushBytes: Int = 4 << 20) {
        self.warmup = warmup; self.minRuns = minRuns; self.maxRuns = maxRuns
        self.targetSpreadPct = targetSpreadPct; self.timeCapMs = timeCapMs; self.flushCaches = flushCaches
        self.flushBytes = flushBytes
    }

    /// Settings for the DRAM-cold measurement: flush twice the last-level cache, fewer runs
    /// (each flush costs milliseconds).
    public func cold(lastLevelCacheBytes: Int) -> MeasurementSettings {
        var copy = self
        copy.flushCaches = true
        copy.flushBytes = max(2 * lastLevelCacheBytes, 32 << 20)
        copy.minRuns = min(minRuns, 7)
        copy.maxRuns = min(maxRuns, 15)
        copy.warmup = 1
        return copy
    }

    enum CodingKeys: String, CodingKey {
        case warmup, minRuns = "min_runs", maxRuns = "max_runs", targetSpreadPct = "target_spread_pct",
             timeCapMs = "time_cap_ms", flushCaches = "flush_caches",
             flushBytes = "flush_bytes"
    }
}
