import NASEngine

/// Times a network until its spread settles (see `MeasurementSettings`).
public struct AdaptiveTimer {
    public let settings: MeasurementSettings

    public init(settings: MeasurementSettings) {
        self.settings = settings
    }

    public struct Result: Sendable {
        public var medianMs: Double
        public var spreadPct: Double
        public var runs: Int
        public var noisy: Bool
    }

    /// Runs `executor` `warmup` times, then times single runs until `minRuns` are in and the
    /// spread is within target, or `maxRuns` or the time cap is reached.
    public func measure(_ executor: any NetworkRunner) -> Result {
        for _ in 0..<settings.warmup { executor.run() }
        var samples: [Double] = []
        var spent = 0.0
        var spread = Double.infinity
        while samples.count < settings.maxRuns {
            let start = MonotonicClock.nanoseconds()
            executor.run()
            let ms = Double(MonotonicClock.nanoseconds() - start) / 1e6
            samples.append(ms)
            spent += ms
            if samples.count >= settings.minRuns {
                spread = Self.spreadPct(samples)
                if spread <= settings.targetSpreadPct || spent >= settings.timeCapMs { break }
            }
        }
        if samples.count < settings.minRuns { spread = Self.spreadPct(samples) }
        return Result(medianMs: LatencyStatistics(samples: samples).medianMs, spreadPct: spread, runs: samples.count,
                      noisy: spread > settings.targetSpreadPct)
    }

    /// Interquartile range over the median, in percent.
    static func spreadPct(_ samples: [Double]) -> Double {
        let s = samples.sorted()
        let q1 = s[s.count / 4], q3 = s[(3 * s.count) / 4 == s.count ? s.count - 1 : (3 * s.count) / 4]
        let median = LatencyStatistics(samples: samples).medianMs
        return median > 0 ? 100 * (q3 - q1) / median : 0
    }
}
