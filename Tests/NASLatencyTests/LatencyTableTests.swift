import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASLatency

/// A one-block space small enough to profile in a debug build.
let microSpaceYAML = """
name: micro
kind: network
input: {resolution: 16, channels: 3}
classes: 4
stem: {filters: 8, kernel: 3, stride: 2}
head: {filters: 16}
choices:
  op: [sepconv, mbconv3]
  kernel: [3]
  se: [0]
  skip: [identity, none]
  width: [1.0, 2.0]
  layers: [0, 1]
blocks:
  - {filters: 8, layers: 1, stride: 1}
"""

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-tests-\(UUID().uuidString)-\(name)").path
}

/// A hand-built table with `ms(index)` for every layer of `space`.
func handBuiltTable(space: SearchSpace, device: DeviceIdentity, threads: Int = 1, ms: (Int) -> Double) throws -> LatencyTable {
    let layers = try NetworkBuilder.allLayers(in: space)
    return LatencyTable(
        schema: LatencyTable.currentSchema, deviceID: device.id, device: device,
        engine: .init(threads: threads, build: "test", gemm: "native", blasCore: "test", family: "avx512", measurement: ProfileSettings()),
        space: .init(name: space.name, digest: space.digest), createdAt: "2026-01-01T00:00:00Z", seconds: 0,
        entries: layers.enumerated().map { i, layer in
            LatencyTable.Entry(signature: layer.signature, role: layer.role, medianMs: ms(i), spreadPct: 0, contexts: 1, noisy: false, macs: 0, samplesMs: [], contextMacs: [])
        })
}

@Suite struct LatencyTableTests {
    @Test func writeReadRoundTrip() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let table = try handBuiltTable(space: space, device: try DeviceIdentity.current()) { Double($0) * 0.5 }
        let path = temporaryPath("table.json")
        try table.write(file: path)
        let back = try LatencyTable.load(file: path)
        #expect(back.entries == table.entries)
        #expect(back.deviceID == table.deviceID && back.space == table.space && back.engine == table.engine)
    }

    @Test func predictorSumsTheArchitecturesEntries() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let table = try handBuiltTable(space: space, device: try DeviceIdentity.current()) { Double($0 + 1) }
        let predictor = LatencyPredictor(table: table, path: "hand.json")
        let byKey = Dictionary(uniqueKeysWithValues: table.entries.map { ($0.signature, $0.medianMs) })
        var rng = SplitMix64(seed: 3)
        for _ in 0..<20 {
            let layers = try NetworkBuilder.layers(for: Architecture.random(in: space, using: &rng), in: space)
            let expected = layers.reduce(0) { $0 + byKey[$1.signature]! }
            #expect(try predictor.predictMs(layers) == expected)
            let breakdown = try predictor.breakdown(layers)
            #expect(breakdown.count == layers.count)
            #expect(breakdown.reduce(0) { $0 + $1.ms } == expected)
        }
    }

    @Test func missingSignaturesAreListed() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        var table = try handBuiltTable(space: space, device: try DeviceIdentity.current()) { _ in 1 }
        let removed = table.entries.removeFirst().signature  // the stem: every architecture needs it
        let predictor = LatencyPredictor(table: table, path: "partial.json")
        var rng = SplitMix64(seed: 4)
        let layers = try NetworkBuilder.layers(for: Architecture.random(in: space, using: &rng), in: space)
        #expect(throws: LatencyError.missingSignatures(table: "partial.json", [removed])) { try predictor.predictMs(layers) }
        #expect("\(LatencyError.missingSignatures(table: "t.json", [removed]))".contains("Re-profile"))
    }

    @Test func mismatchedTablesAreDescribed() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let device = try DeviceIdentity.current()
        let table = try handBuiltTable(space: space, device: device, threads: 1) { _ in 1 }
        #expect(table.mismatches(device: device, space: space, threads: 1).isEmpty)
        var other = device
        other.signature = "0x12345678"
        let problems = table.mismatches(device: other, space: space, threads: 2)
        #expect(problems.count == 2)
        #expect(problems.contains { $0.hasPrefix("device:") } && problems.contains { $0.hasPrefix("threads:") })
        let edited = try SearchSpace.parse(yaml: microSpaceYAML.replacingOccurrences(of: "classes: 4", with: "classes: 5"))
        #expect(table.mismatches(device: device, space: edited, threads: 1).first?.hasPrefix("space digest:") == true)
    }

    @Test func badTableFilesAreClearErrors() throws {
        #expect(throws: LatencyError.tableNotFound("/nonexistent/t.json")) { try LatencyTable.load(file: "/nonexistent/t.json") }
        let garbage = temporaryPath("garbage.json")
        try "{not json".write(toFile: garbage, atomically: true, encoding: .utf8)
        #expect { try LatencyTable.load(file: garbage) } throws: { "\($0)".contains("not a latency table JSON") }
        let partial = temporaryPath("partial.json")
        try "{\"schema\": 1}".write(toFile: partial, atomically: true, encoding: .utf8)
        #expect { try LatencyTable.load(file: partial) } throws: { "\($0)".contains("missing field") }
        let future = temporaryPath("future.json")
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        var table = try handBuiltTable(space: space, device: try DeviceIdentity.current()) { _ in 1 }
        table.schema = 99
        try table.write(file: future)
        #expect { try LatencyTable.load(file: future) } throws: { "\($0)".contains("schema 99 is not supported") }
        // Engine fields a table of another build might hold: named with the choices.
        table.schema = LatencyTable.currentSchema
        table.engine.family = "avx1024"
        try table.write(file: future)
        #expect { try LatencyTable.load(file: future) } throws: { "\($0)".contains("'engine.family' is 'avx1024'") }
        table.engine.family = "avx2"
        table.entries[1].gemm = "mkl"
        try table.write(file: future)
        #expect { try LatencyTable.load(file: future) } throws: { "\($0)".contains("'entries.1.gemm' is 'mkl'") }
    }

    /// A table written before kernel families existed was measured with the 16-lane kernels.
    @Test func tablesWithoutAFamilyAreAVX512() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let table = try handBuiltTable(space: space, device: try DeviceIdentity.current()) { _ in 1 }
        let data = try JSONEncoder().encode(table)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var engine = try #require(object["engine"] as? [String: Any])
        engine.removeValue(forKey: "family")
        object["engine"] = engine
        let old = try LatencyTable.parse(try JSONSerialization.data(withJSONObject: object), source: "old.json")
        #expect(old.family == .avx512 && old.backend == .nasctl)
        #expect(old.entries.allSatisfy { $0.gemm == nil })
    }

    /// The per-layer GEMM choice reaches the executor: a layer whose entry says openblas runs
    /// there, the rest on the table's default.
    @Test func perLayerBackendsFollowTheEntries() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        var table = try handBuiltTable(space: space, device: try DeviceIdentity.current()) { _ in 1 }
        table.engine.gemm = "auto"
        var rng = SplitMix64(seed: 11)
        let layers = try NetworkBuilder.layers(for: Architecture.random(in: space, using: &rng), in: space)
        for i in table.entries.indices { table.entries[i].gemm = table.entries[i].signature == layers[0].signature ? "openblas" : "native" }
        let backends = table.backends(for: layers)
        #expect(backends.count == layers.count)
        #expect(backends[0] == .openblas)
        #expect(backends.dropFirst().allSatisfy { $0 == .native })
        #expect(table.defaultBackend == .native && table.executionContext.family == .avx512)
    }
}

@Suite struct ProfilerTests {
    @Test func profilesEveryLayerOfASpaceInContext() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let device = try DeviceIdentity.current()
        var reports = 0
        var phases: [Profiler.Progress.Phase] = []
        let table = try Profiler.profile(space: space, device: device, threads: 1,
                                         settings: ProfileSettings(contexts: 2, warmup: 0, runs: 1, retimeBudget: 100)) { p in
            reports += 1
            #expect(p.done <= p.total && p.done >= 0)
            if phases.last != p.phase { phases.append(p.phase) }
        }
        // The planned passes, then re-timing (2 contexts leave every interval unknown): never back.
        #expect(phases == [.planned, .retiming])
        let expected = try NetworkBuilder.allLayers(in: space).map(\.signature)
        #expect(table.entries.map(\.signature) == expected)
        // The reference network was watched and the noise summarised; every entry's interval
        // is known (entries with fewer than 3 contexts were timed in more networks).
        let noise = try #require(table.noise)
        // One reference pass after every network (and one before the first); a check of the
        // machine's speed per 10 networks.
        #expect(noise.referencePasses == (noise.networks ?? 0) + 1 && noise.referenceChecks == (noise.networks ?? 0) / 10)
        #expect(noise.referenceMedianMs > 0 && (noise.levelMs ?? 0) > 0)
        // At least 3 contexts (so an interval), or fewer where the rest were made at another
        // speed and dropped (the budget spent); never timings at two speeds.
        #expect(table.entries.allSatisfy { $0.contexts >= 3 && $0.intervalPct != nil || $0.contexts >= 1 && (noise.offLevelDropped ?? 0) > 0 })
        #expect(table.entries.allSatisfy { keepsOneSpeed($0, of: table) })
        // --gemm auto: both backends timed, one kept per layer, the other's time kept beside it.
        #expect(table.engine.gemm == "auto" && table.engine.family == KernelFamily.host.rawValue)
        #expect(table.entries.allSatisfy { $0.gemm != nil && ($0.alternativeMs ?? 0) > 0 })
        #expect(table.entries.allSatisfy { $0.contexts >= 1 && $0.medianMs > 0 })
        #expect(table.space.digest == space.digest && table.deviceID == device.id)
        #expect(reports > 0)
        // Where the time went, and how precisely whole networks are predicted.
        #expect((noise.setupSeconds ?? 0) > 0 && (noise.buildSeconds ?? 0) > 0)
        let networkInterval = try #require(noise.networkIntervalPct)
        #expect(networkInterval > 0 && networkInterval <= table.entries.compactMap(\.intervalPct).max()!)
        // The table predicts every architecture of its space, each with its precision, no
        // wider than its widest entry.
        let predictor = LatencyPredictor(table: table, path: "profiled")
        var rng = SplitMix64(seed: 5)
        for _ in 0..<10 {
            let layers = try NetworkBuilder.layers(for: Architecture.random(in: space, using: &rng), in: space)
            #expect(try predictor.predictMs(layers) > 0)
            let interval = try #require(try predictor.intervalPct(layers))
            #expect(interval > 0 && interval <= table.entries.compactMap(\.intervalPct).max()! + 1e-9)
        }
    }

    /// The worst machine, made deterministic: a drift tolerance so small that every reference
    /// check after the baseline counts as drifted, and a budget that affords every discard.
    /// The planned passes still finish inside the guard (its last passes keep what they time),
    /// so every entry has both backends compared and its contexts, and the table is flagged.
    @Test func aMachineThatDriftsAtEveryCheckStillGetsAFullTable() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let table = try Profiler.profile(space: space, device: try DeviceIdentity.current(), threads: 1,
                                         settings: ProfileSettings(contexts: 2, warmup: 0, runs: 1, driftTolerancePct: 1e-12, retimeBudget: 100))
        let noise = try #require(table.noise)
        #expect(noise.driftedChecks > 0 && noise.discardedNetworks > 0 && (noise.keptDriftedNetworks ?? 0) > 0 && noise.tooNoisy)
        // Every timing is off any level at such a tolerance: all were dropped once and their
        // entries timed again at the held level, the last passes keeping what they timed, which
        // the table counts as off-level timings kept.
        #expect((noise.offLevelDropped ?? 0) > 0 && (noise.resettledNetworks ?? 0) > 0 && noise.levelMs != nil)
        #expect((noise.offLevelKept ?? 0) > 0 && noise.referencePasses ?? 0 > noise.networks ?? 0)
        #expect(table.entries.allSatisfy { $0.gemm != nil && ($0.alternativeMs ?? 0) > 0 })
        #expect(table.entries.allSatisfy { $0.contexts >= 3 && $0.medianMs > 0 && keepsOneSpeed($0, of: table) })
    }

    /// A profile shorter than one check of the machine's speed (fewer networks than
    /// `referenceEvery`) still summarises its noise, from the reference passes.
    @Test func aProfileWithoutACheckSummarisesItsPasses() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let table = try Profiler.profile(space: space, device: try DeviceIdentity.current(), threads: 1, gemm: .native,
                                         settings: ProfileSettings(contexts: 1, warmup: 0, runs: 1, referenceEvery: 1_000_000, retimeBudget: 0))
        let noise = try #require(table.noise)
        #expect(noise.referenceChecks == 0 && noise.referenceMedianMs > 0 && (noise.levelMs ?? 0) > 0)
        #expect(noise.referencePasses == (noise.networks ?? 0) + 1)
    }

    /// With no re-timing budget nothing is discarded or re-timed, however noisy the machine.
    @Test func theRetimingBudgetBoundsTheWork() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let table = try Profiler.profile(space: space, device: try DeviceIdentity.current(), threads: 1, gemm: .native,
                                         settings: ProfileSettings(contexts: 2, warmup: 0, runs: 1, retimeBudget: 0))
        let noise = try #require(table.noise)
        #expect(noise.discardedNetworks == 0 && noise.retimedEntries == 0)
        #expect(noise.resettledNetworks == 0)  // off-level timings are only dropped where enough remain
        // Every entry keeps its 2 contexts, or those of them made at the level when it has any.
        #expect(table.entries.allSatisfy { keepsOneSpeed($0, of: table) && ($0.contexts >= 2 || $0.contexts == 1 && (table.noise?.offLevelDropped ?? 0) > 0) })
    }

    /// Whether an entry's timings were all made at the table's level or all at another speed
    /// (never a mixture), one pair of bracketing reference passes per timing.
    func keepsOneSpeed(_ entry: LatencyTable.Entry, of table: LatencyTable) -> Bool {
        guard let references = entry.contextReferenceMs, references.count == entry.samplesMs.count,
              let level = table.noise?.levelMs else { return false }
        let settling = LevelSettling(levelMs: level, tolerancePct: table.engine.measurement.driftTolerancePct)
        let off = settling.offLevel(references.map { (before: $0[0], after: $0[1]) })
        return off.isEmpty || off.count == references.count
    }

    @Test func openBLASIsChosenOnlyWhenClearlyFaster() {
        #expect(Profiler.chooseBackend(nativeMs: [1.0, 1.1, 0.9], openBLASMs: [0.5, 0.6, 0.55]) == .openblas)
        #expect(Profiler.chooseBackend(nativeMs: [1.0, 1.0, 1.0], openBLASMs: [0.99, 0.98, 0.99]) == .native)  // within the margin
        #expect(Profiler.chooseBackend(nativeMs: [0.5], openBLASMs: [1.0]) == .native)
        #expect(Profiler.chooseBackend(nativeMs: [], openBLASMs: [1.0]) == .native)
    }

    /// A fixed backend and family are recorded as such, with no per-entry choice.
    @Test func fixedBackendAndFamilyAreRecorded() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let table = try Profiler.profile(space: space, device: try DeviceIdentity.current(), threads: 1, gemm: .openblas, family: .neon,
                                         settings: ProfileSettings(contexts: 1, warmup: 0, runs: 1))
        #expect(table.engine.gemm == "openblas" && table.family == .neon && table.defaultBackend == .openblas)
        #expect(table.entries.allSatisfy { $0.gemm == nil && $0.alternativeMs == nil })
    }

    /// An XNNPACK profile times every layer on XNNPACK and says so; its table is unfit for a
    /// run on the engine, and a validation of it runs XNNPACK.
    @Test func xnnpackTablesRecordTheirBackend() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let device = try DeviceIdentity.current()
        let table = try Profiler.profile(space: space, device: device, threads: 1, backend: .xnnpack,
                                         settings: ProfileSettings(contexts: 1, warmup: 0, runs: 1))
        #expect(table.backend == .xnnpack && table.engine.gemm == "xnnpack")
        #expect(table.entries.allSatisfy { $0.medianMs > 0 && $0.gemm == nil })
        #expect(table.mismatches(device: device, space: space, threads: 1, backend: .xnnpack).isEmpty)
        #expect(table.mismatches(device: device, space: space, threads: 1, backend: .nasctl) == ["backend: table was measured on xnnpack, this run uses nasctl"])
        var rng = SplitMix64(seed: 2)
        let arch = Architecture.random(in: space, using: &rng)
        let layers = try NetworkBuilder.layers(for: arch, in: space)
        let runner = try table.runner(for: try NetworkBuilder.network(for: arch, in: space, seed: 1), layers: layers, threads: 1)
        #expect(runner is XNNPACKExecutor)
        let outcome = try Validation.runChecked(space: space, predictor: LatencyPredictor(table: table, path: "x"), count: 2,
                                                seed: 1, threads: 1, settings: MeasurementSettings(warmup: 0, minRuns: 1, maxRuns: 2),
                                                retimePasses: 0)
        let samples = outcome.samples
        #expect(samples.count == 2 && samples.allSatisfy { $0.measuredMs > 0 })
        #expect(outcome.retiming?.networks == 2 && outcome.retiming?.retimings == 0)
        // Every network timed its planned rounds at least, with at most as many extra ones.
        #expect(samples.allSatisfy { $0.rounds >= 4 && $0.rounds <= 8 })
        // The table's reference network is re-timed against its profile-time median.
        let check = try #require(outcome.reference)
        #expect(check.profileMs == table.noise?.referenceLevelMs && check.nowMs > 0)
        // Timed interleaved with the one group; a median around each network's rounds, `now` theirs.
        #expect(check.checksMs.count == 2 && check.checksMs.allSatisfy { $0 > 0 })
        #expect(check.nowMs == (check.checksMs[0] + check.checksMs[1]) / 2)
    }

    @Test func categoricalSpacesCannotBeProfiled() throws {
        let space = try SearchSpace.parse(yaml: "name: c\nkind: categorical\ndecisions: {a: [x, y]}")
        #expect(throws: SpaceError.self) { try Profiler.profile(space: space, device: try DeviceIdentity.current(), threads: 1) }
    }
}

@Suite struct ValidationStatisticsTests {
    @Test func kendallTau() {
        #expect(Validation.kendallTau([1, 2, 3, 4], [10, 20, 30, 40]) == 1)
        #expect(Validation.kendallTau([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
        #expect(abs(Validation.kendallTau([1, 2, 3], [1, 3, 2]) - 1.0 / 3.0) < 1e-12)
    }

    @Test func summaryFigures() {
        let samples = [(110.0, 100.0, 1.0), (97.0, 100.0, 3.0), (100.0, 100.0, 2.0), (80.0, 100.0, 10.0)].map {
            Validation.Sample(key: "k", predictedMs: $0.0, measuredMs: $0.1, macs: 1, noisePct: $0.2)
        }
        let s = Validation.Summary(samples)
        #expect(s.samples == 4)
        #expect(abs(s.meanAbsErrorPct - 8.25) < 1e-9)
        #expect(abs(s.medianAbsErrorPct - 6.5) < 1e-9)
        #expect(abs(s.maxAbsErrorPct - 20) < 1e-9)
        #expect(s.within5pct == 0.5 && s.within10pct == 0.75)
        #expect(abs(s.noiseFloorPct - 2.5) < 1e-9)  // median of 1, 2, 3, 10
        #expect(abs(s.noiseP90Pct - 7.9) < 1e-9)    // 3 + 0.7 · (10 − 3)
        #expect(Validation.csv(samples).hasPrefix("key,predicted_ms,measured_ms,error_pct,macs,noise_pct,off_level_rounds,rounds,reference_drift_pct,table_interval_pct\n"))
        #expect(s.tableIntervalPct == nil)
        var precise = samples
        for i in precise.indices { precise[i].tableIntervalPct = [1.0, 2, 4, 3][i] }
        #expect(Validation.Summary(precise).tableIntervalPct == 2.5)
        #expect(Validation.csv(precise).split(separator: "\n")[1].hasSuffix(",1.00"))
        // The machine 10% faster now than when profiled: predictions scaled by 0.9 first.
        let faster = Validation.Summary(samples, reference: .init(profileMs: 10, nowMs: 9, driftPct: -10))
        #expect(abs((faster.speedCorrectedMedianAbsErrorPct ?? 0) - 11.35) < 1e-9)  // errors 1, 12.7, 10, 28: median (10 + 12.7) / 2
        #expect(faster.speedCorrectedWithin10pct == 0.5 && s.speedCorrectedWithin10pct == nil)
        // With each sample's own speed the scale is per sample: the first measured 10% slow
        // (110 predicted becomes 121: error 21), the last 25% fast (80 becomes 60: error 40).
        var own = samples
        own[0].referenceDriftPct = 10; own[1].referenceDriftPct = 0; own[2].referenceDriftPct = 0; own[3].referenceDriftPct = -25
        let perSample = Validation.Summary(own, reference: .init(profileMs: 10, nowMs: 9, driftPct: -10))
        #expect(abs((perSample.speedCorrectedMedianAbsErrorPct ?? 0) - 12) < 1e-9)  // errors 21, 3, 0, 40: median (3 + 21) / 2
        #expect(perSample.speedCorrectedWithin10pct == 0.5)
        #expect(Validation.csv(own).contains(",1.00,0,0,10.00,\n") && Validation.csv(samples).hasSuffix(",10.00,0,0,,\n"))
    }
}

@Suite struct CommittedTableTests {
    /// Every table committed under LatencyTables/ still fits the space file it was made for
    /// (editing a space without re-profiling would make `predict` refuse the table).
    @Test func committedTablesMatchTheirSpaceFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let tables = root.appendingPathComponent("LatencyTables")
        let files = try FileManager.default.contentsOfDirectory(atPath: tables.path).filter { $0.hasSuffix(".json") }
        for file in files {
            let table = try LatencyTable.load(file: tables.appendingPathComponent(file).path)
            let space = try SearchSpace.load(file: root.appendingPathComponent("Configs/\(table.space.name).yaml").path)
            #expect(table.space.digest == space.digest, "\(file) was profiled for another version of Configs/\(table.space.name).yaml")
            #expect(table.entries.count == (try NetworkBuilder.allLayers(in: space)).count)
            #expect(file == "\(table.deviceID).json")
        }
    }
}
