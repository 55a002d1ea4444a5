import NASEngine

/// End-to-end latency of a network in the engine at batch 1 (or the network's batch).
public enum LatencyMeasurement {
    /// Runs `warmup` untimed passes, then `runs` timed ones (the first timed run is `first_ms`
    /// after warm-up; with `warmup == 0` it includes cold caches).
    /// - Complexity: `(warmup + runs)` forward passes.
    public static func measure(_ executor: any NetworkRunner, warmup: Int, runs: Int) -> LatencyStatistics {
        precondition(runs >= 1 && warmup >= 0)
        for _ in 0..<warmup { executor.run() }
        var samples: [Double] = []
        samples.reserveCapacity(runs)
        for _ in 0..<runs {
            let start = MonotonicClock.nanoseconds()
            executor.run()
            samples.append(Double(MonotonicClock.nanoseconds() - start) / 1e6)
        }
        return LatencyStatistics(samples: samples)
    }
}
