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
    /// Networks each entry is timed in (7 by default, up to `maxContexts` where its interval
    /// stays wide): 7 and 9 give tables whose predictions differ no more than two 9-context
    /// profiles do (Benchmarks/README.md, 2026-12-05), and 7 take a quarter less time.
    public var contexts: Int
    public var warmup: Int
    /// Timed passes per network (3 by default): a 3-pass profile's predictions differ from a
    /// 5-pass one's no more than two 3-pass profiles differ from each other, and it takes about
    /// a quarter less time (Benchmarks/README.md, 2026-12-06).
    public var runs: Int
    /// Entries whose spread across contexts exceeds this (percent) are marked noisy.
    public var targetSpreadPct: Double
    public var seed: UInt64
    /// Entries whose median's 95% interval is wider than this (percent of the median) are
    /// timed in more networks, up to `maxContexts`.
    public var targetIntervalPct: Double
    public var maxContexts: Int
    /// Networks per check of the machine's speed in the table's noise summary (the median of
    /// the reference passes timed after each of them).
    public var referenceEvery: Int
    /// The reference may move this much (percent) before the timings around it are re-timed.
    public var driftTolerancePct: Double
    /// Re-timing (drift and wide intervals together) may cost at most this share of the useful
    /// networks.
    public var retimeBudget: Double

    public init(contexts: Int = 7, warmup: Int = 1, runs: Int = 3, targetSpreadPct: Double = 10, seed: UInt64 = 1,
                targetIntervalPct: Double = 5, maxContexts: Int? = nil, referenceEvery: Int = 10, driftTolerancePct: Double = 10,
                retimeBudget: Double = 0.5) {
        self.contexts = contexts; self.warmup = warmup; self.runs = runs; self.targetSpreadPct = targetSpreadPct; self.seed = seed
        self.targetIntervalPct = targetIntervalPct; self.maxContexts = max(maxContexts ?? contexts + 4, contexts)
        self.referenceEvery = max(1, referenceEvery); self.driftTolerancePct = driftTolerancePct
        self.retimeBudget = max(0, retimeBudget)
    }

    /// Tables written before the noise settings existed read with their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ProfileSettings()
        contexts = try c.decode(Int.self, forKey: .contexts)
        warmup = try c.decode(Int.self, forKey: .warmup)
        runs = try c.decode(Int.self, forKey: .runs)
        targetSpreadPct = try c.decode(Double.self, forKey: .targetSpreadPct)
        seed = try c.decode(UInt64.self, forKey: .seed)
        targetIntervalPct = try c.decodeIfPresent(Double.self, forKey: .targetIntervalPct) ?? defaults.targetIntervalPct
        maxContexts = try c.decodeIfPresent(Int.self, forKey: .maxContexts) ?? contexts
        referenceEvery = try c.decodeIfPresent(Int.self, forKey: .referenceEvery) ?? defaults.referenceEvery
        driftTolerancePct = try c.decodeIfPresent(Double.self, forKey: .driftTolerancePct) ?? defaults.driftTolerancePct
        retimeBudget = try c.decodeIfPresent(Double.self, forKey: .retimeBudget) ?? defaults.retimeBudget
    }

    enum CodingKeys: String, CodingKey {
        case contexts, warmup, runs, targetSpreadPct = "target_spread_pct", seed, targetIntervalPct = "target_interval_pct",
             maxContexts = "max_contexts", referenceEvery = "reference_every", driftTolerancePct = "drift_tolerance_pct",
             retimeBudget = "retime_budget"
    }
}
