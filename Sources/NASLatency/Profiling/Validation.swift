import Foundation
import NASEngine
import NASSpace

/// `nasctl validate`: predicted against measured end-to-end latency on random architectures.
public enum Validation {
    public struct Sample: Sendable, Encodable {
        public var key: String
        public var predictedMs: Double
        public var measuredMs: Double
        public var macs: Int
        /// `100 · (predicted − measured) / measured`.
        public var errorPct: Double { 100 * (predictedMs - measuredMs) / measuredMs }
    }

    public struct Summary: Sendable, Encodable {
        public var samples: Int
        public var meanAbsErrorPct: Double
        public var medianAbsErrorPct: Double
        public var maxAbsErrorPct: Double
        /// Mean signed error: positive when the table over-predicts.
        public var biasPct: Double
        public var within5pct: Double
        public var within10pct: Double
        public var kendallTau: Double
        /// Microseconds per prediction from the loaded table (building the layer list included).
        public var predictMicroseconds: Double?

        enum CodingKeys: String, CodingKey {
            case samples, meanAbsErrorPct = "mean_abs_error_pct", medianAbsErrorPct = "median_abs_error_pct",
                 maxAbsErrorPct = "max_abs_error_pct", biasPct = "bias_pct", within5pct = "within_5pct",
                 within10pct = "within_10pct", kendallTau = "kendall_tau", predictMicroseconds = "predict_us"
        }

        public init(_ samples: [Sample]) {
            let abs = samples.map { Swift.abs($0.errorPct) }.sorted()
            let n = Double(max(samples.count, 1))
            self.samples = samples.count
            meanAbsErrorPct = abs.reduce(0, +) / n
            medianAbsErrorPct = abs.isEmpty ? 0 : (abs.count % 2 == 1 ? abs[abs.count / 2] : (abs[abs.count / 2 - 1] + abs[abs.count / 2]) / 2)
            maxAbsErrorPct = abs.last ?? 0
            biasPct = samples.reduce(0) { $0 + $1.errorPct } / n
            within5pct = Double(abs.filter { $0 <= 5 }.count) / n
            within10pct = Double(abs.filter { $0 <= 10 }.count) / n
            kendallTau = Validation.kendallTau(samples.map(\.predictedMs), samples.map(\.measuredMs))
        }
    }

    /// Samples `count` random architectures (seeded), measures each end to end and predicts it.
    /// `progress(done, total)` after each.
    public static func run(space: SearchSpace, predictor: LatencyPredictor, count: Int, seed: UInt64, threads: Int,
                           settings: MeasurementSettings,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> [Sample] {
        var rng = SplitMix64(seed: seed)
        ExecutionContext.setOpenBLASThreads(threads)
        let timer = AdaptiveTimer(settings: settings)
        var samples: [Sample] = []
        for i in 0..<count {
            let arch = Architecture.random(in: space, using: &rng)
            let layers = try NetworkBuilder.layers(for: arch, in: space)
            let predicted = try predictor.predictMs(layers)
            let network = try NetworkBuilder.network(for: arch, in: space, seed: seed &+ UInt64(i))
            // The engine as the table describes it: its backend, kernel family and per-layer GEMM.
            let executor = try predictor.table.runner(for: network, layers: layers, threads: threads)
            executor.fillInputRandomly(seed: UInt64(i))
            let measured = timer.measure(executor).medianMs
            samples.append(Sample(key: arch.key(in: space), predictedMs: predicted, measuredMs: measured, macs: network.macs))
            progress(i + 1, count)
        }
        return samples
    }

    /// Average microseconds to predict one architecture (build its layer list, sum the table),
    /// over `count` seeded random architectures.
    public static func predictionMicroseconds(space: SearchSpace, predictor: LatencyPredictor, count: Int = 2000, seed: UInt64 = 7) throws -> Double {
        var rng = SplitMix64(seed: seed)
        let archs = (0..<count).map { _ in Architecture.random(in: space, using: &rng) }
        var sink = 0.0
        let start = MonotonicClock.nanoseconds()
        for arch in archs { sink += try predictor.predictMs(NetworkBuilder.layers(for: arch, in: space)) }
        let micros = Double(MonotonicClock.nanoseconds() - start) / 1e3 / Double(count)
        precondition(sink >= 0, "negative predicted latency")  // also keeps the loop from being optimised away
        return micros
    }

    /// Kendall's tau-b between two equally long series (ties counted in neither pair class).
    /// - Complexity: O(n²).
    public static func kendallTau(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        var concordant = 0, discordant = 0, tiesA = 0, tiesB = 0
        for i in 0..<a.count {
            for j in (i + 1)..<max(a.count, i + 1) {
                let da = a[i] - a[j], db = b[i] - b[j]
                if da == 0 && db == 0 { continue }
                if da == 0 { tiesA += 1; continue }
                if db == 0 { tiesB += 1; continue }
                if (da > 0) == (db > 0) { concordant += 1 } else { discordant += 1 }
            }
        }
        let n0 = Double(concordant + discordant)
        let denominator = ((n0 + Double(tiesA)) * (n0 + Double(tiesB))).squareRoot()
        return denominator > 0 ? Double(concordant - discordant) / denominator : 0
    }

    /// Per-architecture CSV: `key,predicted_ms,measured_ms,error_pct,macs`, header first.
    public static func csv(_ samples: [Sample]) -> String {
        var lines = ["key,predicted_ms,measured_ms,error_pct,macs"]
        for s in samples {
            lines.append("\"\(s.key)\",\(String(format: "%.4f", s.predictedMs)),\(String(format: "%.4f", s.measuredMs)),\(String(format: "%.2f", s.errorPct)),\(s.macs)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
