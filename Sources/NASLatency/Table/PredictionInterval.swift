import NASEngine
import NASSpace

/// How precisely a table predicts a whole network: its entries' 95% intervals (of their
/// medians over contexts, `MedianInterval`) carried through the sum of the network's layers.
///
/// The entries' errors are taken as independent: what they share (the machine's speed during
/// the profile) is what `LevelSettling` removes. So a network of many layers is predicted more
/// precisely than its layers are: twenty entries of ±8% each sum to about ±1.8%.
public enum PredictionInterval {
    /// Half-width (percent of the total) of the sum of `parts`, each a predicted time (ms) and
    /// its entry's half-width (percent): `100 · √Σ(ms·h/100)² / Σ ms`; 0 for an empty or zero sum.
    /// - Complexity: O(parts).
    public static func halfWidthPct(of parts: [(ms: Double, halfWidthPct: Double)]) -> Double {
        let total = parts.reduce(0) { $0 + $1.ms }
        guard total > 0 else { return 0 }
        let variance = parts.reduce(0) { sum, part in
            let absolute = part.ms * part.halfWidthPct / 100
            return sum + absolute * absolute
        }
        return 100 * variance.squareRoot() / total
    }

    /// The half-width assumed for an entry without an interval of its own (fewer than 3
    /// timings): the 90th percentile of the others' (nearest rank); nil when none has one.
    /// - Complexity: O(n log n).
    public static func fallbackPct(_ intervals: [Double?]) -> Double? {
        let known = intervals.compactMap { $0 }.filter(\.isFinite).sorted()
        guard !known.isEmpty else { return nil }
        return known[min(known.count - 1, Int((0.9 * Double(known.count)).rounded(.up)) - 1)]
    }

    /// `medianNetworkPct` over a table's entries.
    public static func medianNetworkPct(space: SearchSpace, of entries: [LatencyTable.Entry]) -> Double? {
        var byEntry: [String: (medianMs: Double, intervalPct: Double?)] = [:]
        for entry in entries { byEntry[entry.signature] = (entry.medianMs, entry.intervalPct) }
        return medianNetworkPct(space: space, entries: byEntry)
    }

    /// The median half-width (percent) over `samples` random architectures of `space` (seeded),
    /// with each entry's `(medianMs, intervalPct)` by signature; nil when no entry has an
    /// interval or an architecture has a layer `entries` lacks.
    /// - Complexity: `samples` architectures built (no weights) and O(layers) each.
    public static func medianNetworkPct(space: SearchSpace, entries: [String: (medianMs: Double, intervalPct: Double?)],
                                        samples: Int = 200, seed: UInt64 = 0x5EED) -> Double? {
        guard let fallback = fallbackPct(entries.values.map(\.intervalPct)), samples > 0 else { return nil }
        var rng = SplitMix64(seed: seed)
        var widths: [Double] = []
        for _ in 0..<samples {
            guard let layers = try? NetworkBuilder.layers(for: Architecture.random(in: space, using: &rng), in: space) else { return nil }
            var parts: [(ms: Double, halfWidthPct: Double)] = []
            for layer in layers {
                guard let entry = entries[layer.signature] else { return nil }
                parts.append((entry.medianMs, entry.intervalPct.flatMap { $0.isFinite ? $0 : nil } ?? fallback))
            }
            widths.append(halfWidthPct(of: parts))
        }
        widths.sort()
        let mid = widths.count / 2
        return widths.count % 2 == 1 ? widths[mid] : (widths[mid - 1] + widths[mid]) / 2
    }
}

extension LatencyTable {
    /// Whether the table is too noisy to trust, by the current rule (`Noise.isTooNoisy`), and
    /// how precisely it predicts whole networks: as written for tables since
    /// `networkIntervalPct` exists; judged again from the entries' intervals for older ones
    /// (whose verdict counted wide entries). Nil without a noise section.
    public func verdict(space: SearchSpace) -> (tooNoisy: Bool, networkIntervalPct: Double?)? {
        guard let noise else { return nil }
        if let written = noise.networkIntervalPct { return (noise.tooNoisy, written) }
        let interval = PredictionInterval.medianNetworkPct(space: space, of: entries)
        return (Noise.isTooNoisy(networkIntervalPct: interval, offLevelKept: noise.offLevelKept ?? 0, wideEntries: noise.wideEntries,
                                 entries: entries.count, targetPct: engine.measurement.targetIntervalPct), interval)
    }
}
