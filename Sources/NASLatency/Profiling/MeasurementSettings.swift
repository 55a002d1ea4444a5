/// How one end-to-end latency is measured: warm-up, then timed runs until the spread is small
/// or a cap hits.
public struct MeasurementSettings: Codable, Sendable, Equatable {
    public var warmup: Int
    public var minRuns: Int
    public var maxRuns: Int
    /// Stop once the interquartile range is at most this share of the median (percent).
    public var targetSpreadPct: Double
    /// Stop after this much timed work (milliseconds).
    public var timeCapMs: Double

    public init(warmup: Int = 3, minRuns: Int = 10, maxRuns: Int = 40, targetSpreadPct: Double = 2, timeCapMs: Double = 500) {
        self.warmup = warmup; self.minRuns = minRuns; self.maxRuns = maxRuns
        self.targetSpreadPct = targetSpreadPct; self.timeCapMs = timeCapMs
    }

    enum CodingKeys: String, CodingKey {
        case warmup, minRuns = "min_runs", maxRuns = "max_runs", targetSpreadPct = "target_spread_pct", timeCapMs = "time_cap_ms"
    }
}

/// How `nasctl profile` times layers: each inside `contexts` different random networks that
/// contain it, `runs` timed passes per network after `warmup`, so every entry carries the cache
/// state a layer really meets inside a network (its weights and input where the preceding
/// layers left them), not the warm caches of a layer timed alone.
public struct ProfileSettings: Codable, Sendable, Equatable {
    public var contexts: Int
    public var warmup: Int
    public var runs: Int
    /// Entries whose spread across contexts exceeds this (percent) are marked noisy.
    public var targetSpreadPct: Double
    public var seed: UInt64

    public init(contexts: Int = 9, warmup: Int = 2, runs: Int = 7, targetSpreadPct: Double = 10, seed: UInt64 = 1) {
        self.contexts = contexts; self.warmup = warmup; self.runs = runs; self.targetSpreadPct = targetSpreadPct; self.seed = seed
    }

    enum CodingKeys: String, CodingKey {
        case contexts, warmup, runs, targetSpreadPct = "target_spread_pct", seed
    }
}
