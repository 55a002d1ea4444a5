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
        /// The measurement's own noise: the two halves of its interleaved repeats (even and
        /// odd rounds) differ by this share of the measured median (percent).
        public var noisePct: Double = 0
        /// Rounds of its repeats whose surrounding reference passes were off the table's level
        /// (another speed of the machine; left out unless fewer than half remain: `measureGroup`).
        public var offLevelRounds: Int = 0
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
        /// The machine's measurement noise floor: the median and 90th percentile of the samples'
        /// `noisePct`. A prediction error near it is the machine's noise, not the table's.
        public var noiseFloorPct: Double
        public var noiseP90Pct: Double
        /// The table's reference network re-timed now against its time when profiled.
        public var reference: ReferenceCheck.Summary?
        /// With a reference: the errors once every prediction is scaled by the reference's
        /// speed change (now / profile), i.e. what is left when the machine's speed is taken out.
        public var speedCorrectedMedianAbsErrorPct: Double?
        public var speedCorrectedWithin10pct: Double?
        /// Drifted groups measured again (nil without a reference network in the table).
        public var retiming: DriftRetiming.Report?
        /// The errors of every architecture's first measurement, drifted groups included.
        public var firstMedianAbsErrorPct: Double?
        public var firstWithin10pct: Double?
        /// Rounds that ran off the table's level, as a share of all rounds of the kept samples
        /// (percent; left out of a network's median where at least half its rounds remained).
        public var offLevelRoundsPct: Double?

        enum CodingKeys: String, CodingKey {
            case samples, meanAbsErrorPct = "mean_abs_error_pct", medianAbsErrorPct = "median_abs_error_pct",
                 maxAbsErrorPct = "max_abs_error_pct", biasPct = "bias_pct", within5pct = "within_5pct",
                 within10pct = "within_10pct", kendallTau = "kendall_tau", predictMicroseconds = "predict_us",
                 noiseFloorPct = "noise_floor_pct", noiseP90Pct = "noise_p90_pct", reference,
                 speedCorrectedMedianAbsErrorPct = "speed_corrected_median_abs_error_pct",
                 speedCorrectedWithin10pct = "speed_corrected_within_10pct", retiming,
                 firstMedianAbsErrorPct = "first_median_abs_error_pct", firstWithin10pct = "first_within_10pct",
                 offLevelRoundsPct = "off_level_rounds_pct"
        }

        /// The summary of a validation's kept samples, with its reference, re-timing and the
        /// figures of its first measurements.
        public init(_ outcome: Outcome) {
            self.init(outcome.samples, reference: outcome.reference)
            retiming = outcome.retiming
            guard outcome.retiming != nil else { return }
            offLevelRoundsPct = 100 * Double(outcome.samples.reduce(0) { $0 + $1.offLevelRounds })
                / Double(max(1, outcome.samples.count * outcome.rounds))
            let first = Summary(outcome.firstSamples)
            firstMedianAbsErrorPct = first.medianAbsErrorPct
            firstWithin10pct = first.within10pct
        }

        /// The summary of `samples`, with the speed-corrected errors when `reference` is given.
        public init(_ samples: [Sample], reference: ReferenceCheck.Summary?) {
            self.init(samples)
            guard let reference, reference.profileMs > 0 else { return }
            self.reference = reference
            let scale = reference.nowMs / reference.profileMs
            let corrected = Summary(samples.map { var c = $0; c.predictedMs *= scale; return c })
            speedCorrectedMedianAbsErrorPct = corrected.medianAbsErrorPct
            speedCorrectedWithin10pct = corrected.within10pct
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
            let noise = samples.map(\.noisePct).sorted()
            noiseFloorPct = noise.isEmpty ? 0 : LatencyStatistics(samples: noise).medianMs
            noiseP90Pct = noise.isEmpty ? 0 : MedianInterval.quantile(noise, 0.9)
        }
    }

    /// Architectures measured together, their repeats interleaved.
    public static let interleavedGroup = 10

    /// Samples `count` random architectures (seeded), predicts each and measures it end to end
    /// on the engine the table describes. Groups of `interleavedGroup` networks are built
    /// together and timed in `rounds` rounds of `runsPerRound` passes each, network after
    /// network, so a slow moment of the machine spreads over all of them instead of spoiling
    /// one; an architecture's time is the median of its passes, and its `noisePct` compares
    /// the medians of its even and odd rounds. `progress(done, total)` after each group.
    /// - Complexity: `count · (warmup + rounds · runsPerRound)` forward passes.
    public static func run(space: SearchSpace, predictor: LatencyPredictor, count: Int, seed: UInt64, threads: Int,
                           settings: MeasurementSettings, rounds: Int = 4,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> [Sample] {
        try runChecked(space: space, predictor: predictor, count: count, seed: seed, threads: threads, settings: settings,
                       rounds: rounds, retimePasses: 0, progress: progress).samples
    }

    /// A validation's measurements.
    public struct Outcome {
        /// Every architecture's kept measurement, in sampling order.
        public var samples: [Sample]
        /// Every architecture's first measurement (before drifted groups were measured again).
        public var firstSamples: [Sample]
        /// The table's reference network re-timed between groups (nil for a table without one).
        public var reference: ReferenceCheck.Summary?
        /// The re-timing of drifted groups (nil without a reference).
        public var retiming: DriftRetiming.Report?
        /// Rounds each architecture was timed in.
        public var rounds: Int = 0
    }

    /// `run`, also timing the table's reference network interleaved with every group's
    /// networks: the machine's speed while that group was measured, against the table's level.
    /// A group whose reference median is more than the table's drift tolerance away from it is
    /// measured again later, in up to `retimePasses` passes (`DriftRetiming`), as the profile
    /// re-timed what it measured during a drift.
    /// - Complexity: at most `(1 + retimePasses)` times `run`'s passes, plus the reference's.
    public static func runChecked(space: SearchSpace, predictor: LatencyPredictor, count: Int, seed: UInt64, threads: Int,
                                  settings: MeasurementSettings, rounds: Int = 4, retimePasses: Int = 3,
                                  progress: (Int, Int) -> Void = { _, _ in }) throws -> Outcome {
        precondition(rounds >= 2, "Validation: at least 2 rounds (their halves give the noise floor)")
        let reference = try ReferenceCheck(table: predictor.table, space: space, threads: threads)
        var rng = SplitMix64(seed: seed)
        ExecutionContext.setOpenBLASThreads(threads)
        let archs = (0..<count).map { _ in Architecture.random(in: space, using: &rng) }
        let groups = (count + interleavedGroup - 1) / interleavedGroup
        func measure(_ g: Int) throws -> (samples: [Sample], referenceMs: Double?) {
            try measureGroup(archs: archs, range: g * interleavedGroup..<min(count, (g + 1) * interleavedGroup), space: space,
                             predictor: predictor, seed: seed, threads: threads, settings: settings, rounds: rounds,
                             reference: reference)
        }
        guard let reference else {
            var samples: [Sample] = []
            for g in 0..<groups {
                samples += try measure(g).samples
                progress(samples.count, count)
            }
            return Outcome(samples: samples, firstSamples: samples, reference: nil, retiming: nil, rounds: rounds)
        }
        let retiming = DriftRetiming(profileMs: reference.profileMs, tolerancePct: predictor.table.engine.measurement.driftTolerancePct,
                                     passes: retimePasses)
        var measured = 0
        let (kept, first, report) = try retiming.run(
            groups: groups,
            measure: { g in
                let (samples, referenceMs) = try measure(g)
                measured += samples.count
                if measured <= count { progress(measured, count) }
                reference.times.append(referenceMs!)
                return (samples, referenceMs!)
            },
            progress: { retimed, queued in
                progress(count + retimed * interleavedGroup, count + (retimed + queued) * interleavedGroup)
            })
        return Outcome(samples: kept.flatMap { $0 }, firstSamples: first.flatMap { $0 }, reference: reference.summary, retiming: report,
                       rounds: rounds)
    }

    /// Builds the networks of `archs[range]` as the table describes the engine and measures
    /// them interleaved (see `run`). With `reference`, one pass of the table's reference network
    /// is timed before every network's passes of a round and after the last, as the profile
    /// timed it after every network: a round of a network whose two surrounding reference passes
    /// are more than the tolerance from the table's level ran at another speed than the table
    /// describes and is left out of that network's median (unless fewer than half its rounds
    /// remain: then all count). Returns the samples and the median of the reference passes (ms).
    static func measureGroup(archs: [Architecture], range: Range<Int>, space: SearchSpace, predictor: LatencyPredictor, seed: UInt64,
                             threads: Int, settings: MeasurementSettings, rounds: Int,
                             reference: ReferenceCheck? = nil) throws -> (samples: [Sample], referenceMs: Double?) {
        let runsPerRound = max(1, (settings.minRuns + rounds - 1) / rounds)
        var built: [(arch: Architecture, predicted: Double, runner: any NetworkRunner, macs: Int)] = []
        for i in range {
            let arch = archs[i]
            let layers = try NetworkBuilder.layers(for: arch, in: space)
            let network = try NetworkBuilder.network(for: arch, in: space, seed: seed &+ UInt64(i))
            // The engine as the table describes it: its backend, kernel family and per-layer GEMM.
            let runner = try predictor.table.runner(for: network, layers: layers, threads: threads)
            runner.fillInputRandomly(seed: UInt64(i))
            built.append((arch, try predictor.predictMs(layers), runner, network.macs))
        }
        for b in built { for _ in 0..<settings.warmup { b.runner.run() } }
        func timedPass(_ runner: any NetworkRunner) -> Double {
            let t = MonotonicClock.nanoseconds()
            runner.run()
            return Double(MonotonicClock.nanoseconds() - t) / 1e6
        }
        var passes: [Double] = []
        var last: Double? = reference.map { r in r.runner.run(); return timedPass(r.runner) }
        if let last { passes.append(last) }
        var times = Array(repeating: [[Double]](repeating: [], count: rounds), count: built.count)
        var steady = Array(repeating: [Bool](repeating: true, count: rounds), count: built.count)
        for round in 0..<rounds {
            for (n, b) in built.enumerated() {
                for _ in 0..<runsPerRound { times[n][round].append(timedPass(b.runner)) }
                if let r = reference, let before = last {
                    let after = timedPass(r.runner)
                    passes.append(after)
                    steady[n][round] = !r.settling.isOffLevel(before: before, after: after)
                    last = after
                }
            }
        }
        let samples = built.enumerated().map { n, b -> Sample in
            let (measured, noise) = measuredOverRounds(times[n], steady: steady[n])
            return Sample(key: b.arch.key(in: space), predictedMs: b.predicted, measuredMs: measured, macs: b.macs,
                          noisePct: noise, offLevelRounds: steady[n].filter { !$0 }.count)
        }
        return (samples, passes.isEmpty ? nil : LatencyStatistics(samples: passes).medianMs)
    }

    /// One network's time from its rounds of passes (`times[round]`, ms): the median of the
    /// passes of its `steady` rounds, or of all when fewer than half are steady; and its noise,
    /// the medians of the kept even and odd rounds apart, as a percent of the time (0 when a
    /// half has no kept round).
    /// - Complexity: O(passes · log passes).
    static func measuredOverRounds(_ times: [[Double]], steady: [Bool]) -> (ms: Double, noisePct: Double) {
        precondition(times.count == steady.count && !times.isEmpty)
        let kept = steady.filter { $0 }.count * 2 >= steady.count ? steady : steady.map { _ in true }
        func median(_ parity: Int?) -> Double {
            let xs = times.indices.filter { kept[$0] && (parity == nil || $0 % 2 == parity) }.flatMap { times[$0] }
            return xs.isEmpty ? 0 : LatencyStatistics(samples: xs).medianMs
        }
        let measured = median(nil), even = median(0), odd = median(1)
        return (measured, measured > 0 && even > 0 && odd > 0 ? 100 * abs(even - odd) / measured : 0)
    }

    /// The table's reference network (`Profiler.referenceNetwork`), timed during a validation
    /// interleaved with every group it measures.
    public final class ReferenceCheck {
        public struct Summary: Sendable, Encodable {
            /// Reference network at the table's level and now (median of the groups' medians), milliseconds.
            public var profileMs: Double
            public var nowMs: Double
            /// `100 · (now / profile − 1)`: positive when the machine is slower than when profiled.
            public var driftPct: Double
            /// The reference's median over each group measurement, in order (ms; re-timed groups
            /// after the first pass). (Scaling each group by its own reference instead of their
            /// median was tried with single checks between groups: too noisy, it raised the
            /// median error; Benchmarks/README.md.)
            public var checksMs: [Double] = []
            enum CodingKeys: String, CodingKey { case profileMs = "profile_ms", nowMs = "now_ms", driftPct = "drift_pct", checksMs = "checks_ms" }
        }

        let runner: any NetworkRunner
        let profileMs: Double
        /// Judges a round by the reference passes around it against the table's level.
        let settling: LevelSettling
        var times: [Double] = []

        init?(table: LatencyTable, space: SearchSpace, threads: Int) throws {
            guard let noise = table.noise, noise.referenceLevelMs > 0 else { return nil }
            let (network, layers) = try Profiler.referenceNetwork(space: space, seed: table.engine.measurement.seed)
            runner = try table.runner(for: network, layers: layers, threads: threads)
            runner.fillInputRandomly(seed: 1)
            profileMs = noise.referenceLevelMs
            settling = LevelSettling(levelMs: profileMs, tolerancePct: table.engine.measurement.driftTolerancePct)
        }

        var summary: Summary {
            let now = times.isEmpty ? profileMs : LatencyStatistics(samples: times).medianMs
            return Summary(profileMs: profileMs, nowMs: now, driftPct: 100 * (now / profileMs - 1), checksMs: times)
        }
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

    /// Per-architecture CSV: `key,predicted_ms,measured_ms,error_pct,macs,noise_pct`, header first.
    public static func csv(_ samples: [Sample]) -> String {
        var lines = ["key,predicted_ms,measured_ms,error_pct,macs,noise_pct,off_level_rounds"]
        for s in samples {
            lines.append("\"\(s.key)\",\(String(format: "%.4f", s.predictedMs)),\(String(format: "%.4f", s.measuredMs)),\(String(format: "%.2f", s.errorPct)),\(s.macs),\(String(format: "%.2f", s.noisePct)),\(s.offLevelRounds)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
