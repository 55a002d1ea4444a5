import NASEngine
import NASSpace
import Testing
@testable import NASLatency

@Suite struct PredictionIntervalTests {
    @Test func aSumIsAsPreciseAsItsPartsCarriedInQuadrature() {
        // Two equal parts of ±10%: ±0.1 ms each, √(0.01 + 0.01) = 0.1414 ms of 2 ms.
        #expect(abs(PredictionInterval.halfWidthPct(of: [(1, 10), (1, 10)]) - 7.0710678) < 1e-6)
        // An exact part adds time but no uncertainty: ±0.2 ms of 4 ms.
        #expect(abs(PredictionInterval.halfWidthPct(of: [(3, 0), (1, 20)]) - 5) < 1e-12)
        // One part is as precise as itself; nothing is exact.
        #expect(abs(PredictionInterval.halfWidthPct(of: [(2.5, 8)]) - 8) < 1e-12)
        #expect(PredictionInterval.halfWidthPct(of: []) == 0 && PredictionInterval.halfWidthPct(of: [(0, 50)]) == 0)
        // Never wider than the widest part, for any parts (seeded).
        var rng = SplitMix64(seed: 17)
        for _ in 0..<50 {
            let parts = (0..<Int.random(in: 1...30, using: &rng)).map { _ in (ms: Double.random(in: 0.01...3, using: &rng), halfWidthPct: Double.random(in: 0...40, using: &rng)) }
            let width = PredictionInterval.halfWidthPct(of: parts)
            #expect(width <= parts.map(\.halfWidthPct).max()! + 1e-9 && width >= 0)
        }
    }

    @Test func entriesWithoutAnIntervalAreTakenAsWideAsTheNinetiethPercentile() {
        #expect(PredictionInterval.fallbackPct([nil] + (1...10).map { Double($0) }) == 9)
        #expect(PredictionInterval.fallbackPct([3, nil, .infinity]) == 3)
        #expect(PredictionInterval.fallbackPct([nil, .infinity]) == nil && PredictionInterval.fallbackPct([]) == nil)
    }

    @Test func theMedianNetworkOfASpace() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let layers = try NetworkBuilder.allLayers(in: space)
        // Every entry 1 ms at ±4%: a network of n layers is predicted within 4/√n %.
        let even = Dictionary(uniqueKeysWithValues: layers.map { ($0.signature, (medianMs: 1.0, intervalPct: Double?.some(4))) })
        let width = try #require(PredictionInterval.medianNetworkPct(space: space, entries: even, samples: 31, seed: 3))
        var rng = SplitMix64(seed: 3)
        var expected: [Double] = []
        for _ in 0..<31 { expected.append(4 / Double(try NetworkBuilder.layers(for: Architecture.random(in: space, using: &rng), in: space).count).squareRoot()) }
        #expect(abs(width - expected.sorted()[15]) < 1e-9)
        // An entry without an interval counts as wide as the 90th percentile of the others.
        var thin = even
        thin[layers[0].signature] = (1.0, nil)
        #expect(PredictionInterval.medianNetworkPct(space: space, entries: thin, samples: 31, seed: 3) == width)
        // No interval anywhere, or a layer missing: unknown.
        #expect(PredictionInterval.medianNetworkPct(space: space, entries: even.mapValues { ($0.medianMs, nil) }) == nil)
        var missing = even
        missing[layers[0].signature] = nil
        #expect(PredictionInterval.medianNetworkPct(space: space, entries: missing) == nil)
    }

    /// The table's verdict: whole networks, not single entries; timings off the level always.
    @Test func aTableIsTooNoisyWhenItsNetworksAreImprecise() {
        typealias Noise = LatencyTable.Noise
        // Run 3 of 2026-12-07 on the Zen 3: 524 of 1,211 entries wide, networks within ±1.35%.
        #expect(!Noise.isTooNoisy(networkIntervalPct: 1.35, offLevelKept: 0, wideEntries: 524, entries: 1211, targetPct: 5))
        #expect(Noise.isTooNoisy(networkIntervalPct: 5.5, offLevelKept: 0, wideEntries: 0, entries: 1211, targetPct: 5))
        #expect(Noise.isTooNoisy(networkIntervalPct: 0.5, offLevelKept: 3, wideEntries: 0, entries: 1211, targetPct: 5))
        // Without intervals (fewer than 3 contexts everywhere): the share of wide entries.
        #expect(Noise.isTooNoisy(networkIntervalPct: nil, offLevelKept: 0, wideEntries: 200, entries: 1211, targetPct: 5))
        #expect(!Noise.isTooNoisy(networkIntervalPct: nil, offLevelKept: 0, wideEntries: 100, entries: 1211, targetPct: 5))
    }

    /// The planned passes' ETA: between the late-running entry count and the early-running
    /// timing share, their geometric mean.
    @Test func thePlannedPassesETA() throws {
        // 16 s in: 61 of 1,211 entries complete (5:02 left by them), 2,000 of 8,477 timings made
        // (0:52 left by them): √(302.4 · 51.8) s.
        let eta = try #require(Profiler.plannedETA(elapsed: 16, complete: 61, made: 2000, planned: 8477, entries: 1211))
        #expect(abs(eta - (16.0 * 1150 / 61 * (16.0 * 6477 / 2000)).squareRoot()) < 1e-9)
        // Where both agree, that; done, nothing left; nothing made or complete yet, unknown.
        #expect(abs(Profiler.plannedETA(elapsed: 10, complete: 50, made: 500, planned: 1000, entries: 100)! - 10) < 1e-9)
        #expect(Profiler.plannedETA(elapsed: 30, complete: 100, made: 700, planned: 700, entries: 100) == 0)
        #expect(Profiler.plannedETA(elapsed: 5, complete: 0, made: 40, planned: 700, entries: 100) == nil)
        #expect(Profiler.plannedETA(elapsed: 5, complete: 0, made: 0, planned: 700, entries: 100) == nil)
    }

    /// Older tables (no `network_interval_pct`) are judged again by the current rule from their
    /// entries' intervals; newer ones keep the verdict they were written with.
    @Test func olderTablesAreJudgedAgainByTheCurrentRule() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        var table = try Profiler.profile(space: space, device: try DeviceIdentity.current(), threads: 1, gemm: .native,
                                         settings: ProfileSettings(contexts: 3, warmup: 0, runs: 1, retimeBudget: 0))
        let written = try #require(table.noise)
        let verdict = try #require(table.verdict(space: space))
        #expect(verdict.tooNoisy == written.tooNoisy && verdict.networkIntervalPct == written.networkIntervalPct)
        // Every entry precise, as an older table flagged for many wide entries: not too noisy now.
        for i in table.entries.indices { table.entries[i].intervalPct = 1 }
        table.noise?.networkIntervalPct = nil
        table.noise?.tooNoisy = true
        table.noise?.wideEntries = table.entries.count
        table.noise?.offLevelKept = 0
        let again = try #require(table.verdict(space: space))
        #expect(!again.tooNoisy && (again.networkIntervalPct ?? 99) <= 1 + 1e-9)
        // Off-level timings kept, or imprecise networks: too noisy.
        table.noise?.offLevelKept = 2
        #expect(table.verdict(space: space)?.tooNoisy == true)
        table.noise?.offLevelKept = 0
        for i in table.entries.indices { table.entries[i].intervalPct = 40 }
        #expect(table.verdict(space: space)?.tooNoisy == true)
        // No noise section (the oldest tables): no verdict.
        table.noise = nil
        #expect(table.verdict(space: space) == nil)
    }
}
