import NASEngine
import NASSpace

/// Predicted latency of an architecture: the sum of its layers' table entries (stem, blocks,
/// head, pool, classifier), with each layer's weights where a whole network would have them.
///
/// Every inference streams through all of a network's weights, so whether a layer finds its
/// weights in the last-level cache depends on the network, not the layer: when the network's
/// weights fit comfortably in L3 (at most 3/4 of it) each layer costs its L3-warm time, when
/// they exceed 5/4 of L3 its DRAM-cold time, and in between the two are interpolated linearly
/// by weight bytes. Both times are measured by `nasctl profile`; L3 comes from the table's
/// device identity.
public struct LatencyPredictor: Sendable {
    public let table: LatencyTable
    public let tablePath: String
    private let entries: [String: (warm: Double, cold: Double, bytes: Int)]
    private let lastLevelCache: Double

    public init(table: LatencyTable, path: String) {
        self.table = table
        self.tablePath = path
        var entries: [String: (warm: Double, cold: Double, bytes: Int)] = [:]
        for entry in table.entries { entries[entry.signature] = (entry.medianMs, entry.coldMedianMs, entry.weightBytes) }
        self.entries = entries
        lastLevelCache = Double(max(table.device.l3Bytes, table.device.l2Bytes, 1 << 20))
    }

    /// Share of the DRAM-cold time in the prediction for a network with `weightBytes` of weights.
    public func coldShare(weightBytes: Int) -> Double {
        let lower = 0.75 * lastLevelCache, upper = 1.25 * lastLevelCache
        return min(1, max(0, (Double(weightBytes) - lower) / (upper - lower)))
    }

    public struct LayerPrediction: Sendable, Encodable {
        public var role: String
        public var signature: String
        public var ms: Double
    }

    /// Per-layer predictions in network order.
    /// - Throws: `LatencyError.missingSignatures` listing every layer the table lacks.
    public func breakdown(_ layers: [BuiltLayer]) throws -> [LayerPrediction] {
        var found: [(BuiltLayer, String, (warm: Double, cold: Double, bytes: Int))] = []
        var missing: [String] = []
        for layer in layers {
            let signature = layer.signature
            if let entry = entries[signature] {
                found.append((layer, signature, entry))
            } else if !missing.contains(signature) {
                missing.append(signature)
            }
        }
        guard missing.isEmpty else { throw LatencyError.missingSignatures(table: tablePath, missing) }
        let share = coldShare(weightBytes: found.reduce(0) { $0 + $1.2.bytes })
        return found.map { layer, signature, entry in
            LayerPrediction(role: layer.role, signature: signature, ms: (1 - share) * entry.warm + share * entry.cold)
        }
    }

    /// Total predicted milliseconds.
    /// - Complexity: O(layers) dictionary look-ups: microseconds per architecture.
    public func predictMs(_ layers: [BuiltLayer]) throws -> Double {
        var warm = 0.0, cold = 0.0, bytes = 0
        for layer in layers {
            guard let entry = entries[layer.signature] else { return try breakdown(layers).reduce(0) { $0 + $1.ms } }
            warm += entry.warm; cold += entry.cold; bytes += entry.bytes
        }
        let share = coldShare(weightBytes: bytes)
        return (1 - share) * warm + share * cold
    }
}
