import NASEngine
import NASSpace

/// Predicted latency of an architecture: the sum of its layers' table entries (stem, blocks,
/// head, pool, classifier), each measured inside networks by `nasctl profile`.
public struct LatencyPredictor: Sendable {
    public let table: LatencyTable
    public let tablePath: String
    private let medians: [String: Double]

    public init(table: LatencyTable, path: String) {
        self.table = table
        self.tablePath = path
        var medians: [String: Double] = [:]
        for entry in table.entries { medians[entry.signature] = entry.medianMs }
        self.medians = medians
    }

    public struct LayerPrediction: Sendable, Encodable {
        public var role: String
        public var signature: String
        public var ms: Double
    }

    /// Per-layer predictions in network order.
    /// - Throws: `LatencyError.missingSignatures` listing every layer the table lacks.
    public func breakdown(_ layers: [BuiltLayer]) throws -> [LayerPrediction] {
        var result: [LayerPrediction] = []
        var missing: [String] = []
        for layer in layers {
            let signature = layer.signature
            if let ms = medians[signature] {
                result.append(LayerPrediction(role: layer.role, signature: signature, ms: ms))
            } else if !missing.contains(signature) {
                missing.append(signature)
            }
        }
        guard missing.isEmpty else { throw LatencyError.missingSignatures(table: tablePath, missing) }
        return result
    }

    /// Total predicted milliseconds.
    /// - Complexity: O(layers) dictionary look-ups: microseconds per architecture.
    public func predictMs(_ layers: [BuiltLayer]) throws -> Double {
        var total = 0.0
        for layer in layers {
            guard let ms = medians[layer.signature] else { return try breakdown(layers).reduce(0) { $0 + $1.ms } }
            total += ms
        }
        return total
    }
}
