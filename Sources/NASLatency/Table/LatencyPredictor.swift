import Foundation
import NASEngine
import NASSpace

/// Predicted latency of an architecture: the sum of its layers' table entries (stem, blocks,
/// head, pool, classifier), each measured inside networks by `nasctl profile`.
///
/// A layer's time inside a network depends on the network around it: in a small network more
/// of its weights and input are still cached. Each entry holds the layer's time in several
/// context networks and their sizes; the predictor fits `ms = a + b·ln(context MACs)` per
/// entry (least absolute deviations, so the line follows the contexts' median time, as the
/// entry's median and a network's measured median do; `b = 0` with one context or no spread)
/// and evaluates it at the queried network's size, clamped to the sizes the entry was measured at.
///
/// Least squares fitted the mean instead: timings are skewed upwards (a pass a neighbour
/// slowed), so it predicted 1.3% above the entries' medians, weighted by time, on the Intel
/// Xeon's tables (Benchmarks/README.md, 2026-12-07).
public struct LatencyPredictor: Sendable {
    public let table: LatencyTable
    public let tablePath: String
    /// The table file's content digest (`LatencyTableFiles.contentDigest`), when read from a file.
    public let tableDigest: String?
    private let models: [String: LayerModel]
    /// Each entry's 95% half-width (percent), the fallback filled in for entries without one.
    private let intervals: [String: Double]

    /// `ms(x) = intercept + slope · clamp(x, lo, hi)` with `x = ln(network MACs)`.
    struct LayerModel: Sendable {
        var intercept: Double, slope: Double, lo: Double, hi: Double

        init(samples: [Double], contextMacs: [Int], median: Double) {
            let xs = contextMacs.map { log(Double(max($0, 1))) }
            guard samples.count >= 2, samples.count == xs.count, let lo = xs.min(), let hi = xs.max(), hi - lo > 1e-9 else {
                intercept = median; slope = 0; self.lo = 0; self.hi = 0
                return
            }
            (intercept, slope) = RobustLine.leastAbsoluteDeviations(xs: xs, ys: samples)
            self.lo = lo; self.hi = hi
        }

        @inline(__always)
        func ms(at x: Double) -> Double { max(0, intercept + slope * min(max(x, lo), hi)) }
    }

    public init(table: LatencyTable, path: String, digest: String? = nil) {
        self.table = table
        self.tablePath = path
        self.tableDigest = digest
        var models: [String: LayerModel] = [:]
        for entry in table.entries {
            models[entry.signature] = LayerModel(samples: entry.samplesMs, contextMacs: entry.contextMacs, median: entry.medianMs)
        }
        self.models = models
        let fallback = PredictionInterval.fallbackPct(table.entries.map(\.intervalPct))
        var intervals: [String: Double] = [:]
        for entry in table.entries {
            if let own = entry.intervalPct.flatMap({ $0.isFinite ? $0 : nil }) ?? fallback { intervals[entry.signature] = own }
        }
        self.intervals = intervals
    }

    /// The 95% half-width (percent) of the predicted total of `layers`, carried from their
    /// entries' intervals (`PredictionInterval`); nil when the table has no intervals (older
    /// tables, or fewer than 3 contexts everywhere).
    /// - Throws: `LatencyError.missingSignatures` listing every layer the table lacks.
    public func intervalPct(_ layers: [BuiltLayer]) throws -> Double? {
        let parts = try breakdown(layers)
        var weighted: [(ms: Double, halfWidthPct: Double)] = []
        for part in parts {
            guard let width = intervals[part.signature] else { return nil }
            weighted.append((part.ms, width))
        }
        return PredictionInterval.halfWidthPct(of: weighted)
    }

    public struct LayerPrediction: Sendable, Encodable {
        public var role: String
        public var signature: String
        public var ms: Double
    }

    /// Per-layer predictions in network order.
    /// - Throws: `LatencyError.missingSignatures` listing every layer the table lacks.
    public func breakdown(_ layers: [BuiltLayer]) throws -> [LayerPrediction] {
        var found: [(BuiltLayer, String, LayerModel)] = []
        var missing: [String] = []
        for layer in layers {
            let signature = layer.signature
            if let model = models[signature] {
                found.append((layer, signature, model))
            } else if !missing.contains(signature) {
                missing.append(signature)
            }
        }
        guard missing.isEmpty else { throw LatencyError.missingSignatures(table: tablePath, missing) }
        let x = Self.size(layers)
        return found.map { LayerPrediction(role: $0.0.role, signature: $0.1, ms: $0.2.ms(at: x)) }
    }

    /// Total predicted milliseconds.
    /// - Complexity: O(layers) dictionary look-ups: microseconds per architecture.
    public func predictMs(_ layers: [BuiltLayer]) throws -> Double {
        let x = Self.size(layers)
        var total = 0.0
        for layer in layers {
            guard let model = models[layer.signature] else { return try breakdown(layers).reduce(0) { $0 + $1.ms } }
            total += model.ms(at: x)
        }
        return total
    }

    /// `ln` of the network's multiply-adds: the size the entries are evaluated at.
    static func size(_ layers: [BuiltLayer]) -> Double {
        log(Double(max(NetworkBuilder.cost(of: layers).macs, 1)))
    }
}
