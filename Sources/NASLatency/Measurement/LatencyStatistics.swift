/// Summary of repeated latency samples, as TFLite's benchmark_model reports them.
public struct LatencyStatistics: Codable, Equatable, Sendable {
    public var count: Int
    public var firstMs: Double
    public var minMs: Double
    public var medianMs: Double
    public var meanMs: Double
    public var maxMs: Double
    /// Population standard deviation.
    public var stdMs: Double

    /// Summarises `samples` (milliseconds, in run order). The median of an even count is the
    /// mean of the two middle values.
    /// - Precondition: `samples` is not empty.
    public init(samples: [Double]) {
        precondition(!samples.isEmpty, "LatencyStatistics: no samples")
        let sorted = samples.sorted()
        let n = sorted.count
        count = n
        firstMs = samples[0]
        minMs = sorted[0]
        maxMs = sorted[n - 1]
        medianMs = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        meanMs = samples.reduce(0, +) / Double(n)
        let mean = meanMs
        stdMs = (samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
    }

    enum CodingKeys: String, CodingKey {
        case count, firstMs = "first_ms", minMs = "min_ms", medianMs = "median_ms", meanMs = "mean_ms", maxMs = "max_ms", stdMs = "std_ms"
    }
}
