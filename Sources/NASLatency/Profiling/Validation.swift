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
        /// Rounds it was timed in: the planned ones and any extra ones while the machine was off
        /// its level (0: not recorded).
        public var rounds: Int = 0
        /// The machine's speed around its counted rounds: the reference passes' median against
        /// the table's level, `100 · (median / level − 1)` (percent, positive slower; nil
        /// without a reference network).
        public var referenceDriftPct: Double?
        /// The prediction's own 95% half-width (percent) from the table's entry intervals
        /// (`LatencyPredictor.intervalPct`; nil for tables without them).
        public var tableIntervalPct: Double? = nil
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
        /// The median of the samples' `tableIntervalPct`: how precisely the table itself
        /// predicts such networks, beside the error and the machine's noise floor.
        public var tableIntervalPct: Double?
        /// The table's reference network re-timed now against its time when profiled.
        public var reference: ReferenceCheck.Summary?
        /// With a reference: the errors once every prediction is scaled by the machine's speed
        /// around its own measurement (`Sample.referenceDriftPct`; without it, by the
        /// reference's overall change now / profile), i.e. what is left when the machine's speed
        /// is taken out.
        public var speedCorrectedMedianAbsErrorPct: Double?
        public var speedCorrectedWithin10pct: Double?
        /// Drifted networks measured again (nil without a reference network in the table).
        public var retiming: DriftRetiming.Report?
        /// The errors of every architecture's first measurement, drifted ones included.
        public var firstMedianAbsErrorPct: Double?
        public var firstWithin10pct: Double?
        /// Rounds that ran off the table's level, as a share of all rounds of the kept samples
        /// (percent; left out of a network's median where at least half its planned rounds
        /// were steady, counting extra rounds).
        public var offLevelRoundsPct: Double?
        /// Rounds timed beyond the planned ones, over the kept samples, for networks left with
        /// fewer than half their rounds at the level.
        public var extraRounds: Int?

        enum CodingKeys: String, CodingKey {
            case samples, meanAbsErrorPct = "mean_abs_error_pct", medianAbsErrorPct = "median_abs_error_pct",
                 maxAbsErrorPct = "max_abs_error_pct", biasPct = "bias_pct", within5pct = "within_5pct",
                 within10pct = "within_10pct", kendallTau = "kendall_tau", predictMicroseconds = "predict_us",
                 noiseFloorPct = "noise_floor_pct", noiseP90Pct = "noise_p90_pct", tableIntervalPct = "table_interval_pct", reference,
                 speedCorrectedMedianAbsErrorPct = "speed_corrected_median_abs_error_pct",
                 speedCorrectedWithin10pct = "speed_corrected_within_10pct", retiming,
                 firstMedianAbsErrorPct = "first_median_abs_error_pct", firstWithin10pct = "first_within_10pct",
                 offLevelRoundsPct = "off_level_rounds_pct", extraRounds = "extra_rounds"
        }

        /// The summary of a validation's kept samples, with its reference, re-timing and the
        /// figures of its first measurements.
        public init(_ outcome: Outcome) {
            self.init(outcome.samples, reference: outcome.reference)
            retiming = outcome.retiming
            guard outcome.retiming != nil else { return }
            let timed = outcome.samples.reduce(0) { $0 + max($1.rounds, outcome.rounds) }
            offLevelRoundsPct = 100 * Double(outcome.samples.reduce(0) { $0 + $1.offLevelRounds }) / Double(max(1, timed))
            extraRounds = timed - outcome.samples.count * outcome.rounds
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
            let corrected = Summary(samples.map { var c = $0; c.predictedMs *= c.referenceDriftPct.map { 1 + $0 / 100 } ?? scale; return c })
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
            let intervals = samples.compactMap(\.tableIntervalPct)
            tableIntervalPct = intervals.isEmpty ? nil : LatencyStatistics(samples: intervals).medianMs
        }
    }

    /// Architectures measured together, their repeats interleaved.
    public static let interleavedGroup = 10

    /// Samples `count` random architectures (seeded), predicts each and measures it end to end
    /// on the engine the table describes. Groups of `interleavedGroup` networks are built
    /// together and timed in `rounds` rounds of `runsPerRound` passes each, network after
    /// network, each round after `untimedPassesPerRound` untimed passes of its network, so a
    /// slow moment of the machine spreads over all of them instead of spoiling one; an
    /// architecture's time is the median of its passes, and its `noisePct` compares the medians
    /// of its alternate rounds. `progress(done, total)` after each group.
    /// - Complexity: `count · (warmup + rounds · (untimed + runsPerRound))` forward passes.
    public static func run(space: SearchSpace, predictor: LatencyPredictor, count: Int, seed: UInt64, threads: Int,
                           settings: MeasurementSettings, rounds: Int = 4,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> [Sample] {
        try runChecked(space: space, predictor: predictor, count: count, seed: seed, threads: threads, settings: settings,
                       rounds: rounds, retimePasses: 0, progress: progress).samples
    }

    /// A network is measured again when the machine's speed around its counted rounds (their
    /// reference passes' median) is further from the table's level than this share of the
    /// table's drift tolerance. Each round is judged at the full tolerance, so a network's kept
    /// rounds can all lie near the tolerance's edge; the median of its passes is held closer.
    public static let networkToleranceShare = 0.5

    /// A validation's measurements.
    public struct Outcome {
        /// Every architecture's kept measurement, in sampling order.
        public var samples: [Sample]
        /// Every architecture's first measurement (before drifted ones were measured again).
        public var firstSamples: [Sample]
        /// The table's reference network timed between the networks' rounds (nil for a table without one).
        public var reference: ReferenceCheck.Summary?
        /// The re-timing of drifted networks (nil without a reference).
        public var retiming: DriftRetiming.Report?
        /// Rounds planned for each architecture (some got extra ones: `Sample.rounds`).
        public var rounds: Int = 0
    }

    /// `run`, also timing the table's reference network interleaved with every group's
    /// networks: the machine's speed while that group was measured, against the table's level.
    /// Rounds off the level are left out or timed again within the group (`measureGroup`); a
    /// network whose reference median over its rounds that counted is still more than
    /// `networkToleranceShare` of the table's drift tolerance away from the level is measured
    /// again later, with the other such networks, in up to `retimePasses` passes
    /// (`DriftRetiming`), as the profile re-timed what it measured during a drift.
    /// - Complexity: at most `2 · (1 + retimePasses)` times `run`'s planned passes, plus the
    ///   reference's.
    public static func runChecked(space: SearchSpace, predictor: LatencyPredictor, count: Int, seed: UInt64, threads: Int,
                                  settings: MeasurementSettings, rounds: Int = 4, retimePasses: Int = 3,
                                  progress: (Int, Int) -> Void = { _, _ in }) throws -> Outcome {
        precondition(rounds >= 2, "Validation: at least 2 rounds (their halves give the noise floor)")
        let reference = try ReferenceCheck(table: predictor.table, space: space, threads: threads)
        var rng = SplitMix64(seed: seed)
        ExecutionContext.setOpenBLASThreads(threads)
        let archs = (0..<count).map { _ in Architecture.random(in: space, using: &rng) }
        func measure(_ indices: [Int]) throws -> (samples: [Sample], referenceMs: [Double]?) {
            try measureGroup(archs: archs, indices: indices, space: space, predictor: predictor, seed: seed, threads: threads,
                             settings: settings, rounds: rounds, reference: reference)
        }
        guard let reference else {
            var samples: [Sample] = []
            for start in stride(from: 0, to: count, by: interleavedGroup) {
                samples += try measure(Array(start..<min(count, start + interleavedGroup))).samples
                progress(samples.count, count)
            }
            return Outcome(samples: samples, firstSamples: samples, reference: nil, retiming: nil, rounds: rounds)
        }
        let retiming = DriftRetiming(profileMs: reference.profileMs,
                                     tolerancePct: predictor.table.engine.measurement.driftTolerancePct * networkToleranceShare,
                                     passes: retimePasses)
        var measured = 0
        let (kept, first, report) = try retiming.run(
            count: count, batch: interleavedGroup,
            measure: { indices in
                let (samples, referenceMs) = try measure(indices)
                measured += samples.count
                if measured <= count { progress(measured, count) }
                reference.times += referenceMs!
                return zip(samples, referenceMs!).map { sample, ms in
                    var sample = sample
                    sample.referenceDriftPct = retiming.driftPct(ms)
                    return (result: sample, referenceMs: ms)
                }
            },
            progress: { retimed, queued in progress(count + retimed, count + retimed + queued) })
        return Outcome(samples: kept, firstSamples: first, reference: reference.summary, retiming: report, rounds: rounds)
    }

    /// Builds the networks `archs[indices]` as the table describes the engine and measures
    /// them interleaved (see `run`). With `reference`, one pass of the table's reference network
    /// is timed before every network's passes of a round and after the last, as the profile
    /// timed it after every network: a round of a network whose two surrounding reference passes
    /// are more than the tolerance from the table's level ran at another speed than the table
    /// describes and is left out of that network's median. A network left with fewer than half
    /// its `rounds` steady gets extra rounds, one after another over such networks, up to
    /// `rounds` more, until it has them; if it still has not, all its rounds count. Returns the
    /// samples and, with `reference`, each network's median of the reference passes around its
    /// rounds that counted (ms; `DriftRetiming` judges the network by it).
    /// Each round starts with `untimedPassesPerRound` untimed passes of its network.
    /// - Complexity: `indices.count · (warmup + rounds · (untimed + runsPerRound))` passes, at
    ///   most twice the rounds when the machine is off its level, plus one reference pass per round.
    static func measureGroup(archs: [Architecture], indices: [Int], space: SearchSpace, predictor: LatencyPredictor, seed: UInt64,
                             threads: Int, settings: MeasurementSettings, rounds: Int,
                             reference: ReferenceCheck? = nil) throws -> (samples: [Sample], referenceMs: [Double]?) {
        let runsPerRound = max(1, (settings.minRuns + rounds - 1) / rounds)
        var built: [(arch: Architecture, predicted: Double, interval: Double?, runner: any NetworkRunner, macs: Int)] = []
        for i in indices {
            let arch = archs[i]
            let layers = try NetworkBuilder.layers(for: arch, in: space)
            let network = try NetworkBuilder.network(for: arch, in: space, seed: seed &+ UInt64(i))
            // The engine as the table describes it: its backend, kernel family and per-layer GEMM.
            let runner = try predictor.table.runner(for: network, layers: layers, threads: threads)
            runner.fillInputRandomly(seed: UInt64(i))
            built.append((arch, try predictor.predictMs(layers), try predictor.intervalPct(layers), runner, network.macs))
        }
        for b in built { for _ in 0..<settings.warmup { b.runner.run() } }
        func timedPass(_ runner: any NetworkRunner) -> Double {
            let t = MonotonicClock.nanoseconds()
            runner.run()
            return Double(MonotonicClock.nanoseconds() - t) / 1e6
        }
        var passes: [Double] = []
        if let r = reference { r.runner.run(); passes.append(timedPass(r.runner)) }
        var times = Array(repeating: [[Double]](), count: built.count)
        /// Per network and round, the index in `passes` of the reference pass after it.
        var after = Array(repeating: [Int](), count: built.count)
        let untimed = untimedPassesPerRound(predictor.table)
        let steady = timeRounds(networks: built.count, rounds: rounds) { n in
            times[n].append(round(of: built[n].runner, untimed: untimed, timed: runsPerRound, timedPass: timedPass))
            guard let r = reference else { return true }
            passes.append(timedPass(r.runner))
            after[n].append(passes.count - 1)
            return !r.settling.isOffLevel(before: passes[passes.count - 2], after: passes[passes.count - 1])
        }
        let minimumSteady = minimumSteadyRounds(rounds)
        var around: [[Double]] = []
        let samples = built.enumerated().map { n, b -> Sample in
            let (measured, noise, kept) = measuredOverRounds(times[n], steady: steady[n], minimumSteady: minimumSteady)
            around.append(after[n].indices.filter { kept[$0] }.flatMap { [passes[after[n][$0] - 1], passes[after[n][$0]]] })
            return Sample(key: b.arch.key(in: space), predictedMs: b.predicted, measuredMs: measured, macs: b.macs,
                          noisePct: noise, offLevelRounds: steady[n].filter { !$0 }.count, rounds: times[n].count,
                          tableIntervalPct: b.interval)
        }
        guard reference != nil else { return (samples, nil) }
        return (samples, around.map { LatencyStatistics(samples: $0).medianMs })
    }

    /// Untimed passes at the start of every round of a network (at least `minimumUntimedPasses`,
    /// and at least the table's `warmup`), so each network is timed at the steady speed of a
    /// network run again and again, as deployed and as `nasctl measure` times it, not in the
    /// state the other networks of its group left the caches in.
    static func untimedPassesPerRound(_ table: LatencyTable) -> Int { max(minimumUntimedPasses, table.engine.measurement.warmup) }

    /// On an Intel Xeon (2 MiB L2) a network's passes right after another network's ran 4%
    /// slower than its steady speed with none untimed (up to 9%), 2.4% with 1, 2.0% with 2 and
    /// 0.1% with 3 (`kernel-bench switching`, 10 networks, alternated); timing them biased
    /// `validate` by -6 to -9% against a table that `nasctl measure` agreed with
    /// (Benchmarks/README.md, 2026-12-07). Three double a round's passes (3 timed).
    static let minimumUntimedPasses = 3

    /// One round of a network: `untimed` passes, then the times (ms) of `timed` passes.
    static func round(of runner: any NetworkRunner, untimed: Int, timed: Int,
                      timedPass: (any NetworkRunner) -> Double) -> [Double] {
        for _ in 0..<untimed { runner.run() }
        return (0..<timed).map { _ in timedPass(runner) }
    }

    /// Steady rounds a network needs of its `rounds` planned ones for the off-level ones to be
    /// left out: half, rounded up.
    static func minimumSteadyRounds(_ rounds: Int) -> Int { (rounds + 1) / 2 }

    /// The order of a group's rounds: `rounds` rounds over the `networks` networks in turn, then
    /// extra rounds, up to `rounds` more, over the networks with fewer than half of `rounds`
    /// steady so far. `timeRound(n)` times one round of network `n` and says whether the machine
    /// was at its level. Returns every network's rounds, steady or not, in order.
    /// - Complexity: between `networks · rounds` and twice that calls of `timeRound`.
    static func timeRounds(networks: Int, rounds: Int, timeRound: (Int) -> Bool) -> [[Bool]] {
        var steady = Array(repeating: [Bool](), count: networks)
        for _ in 0..<rounds { for n in 0..<networks { steady[n].append(timeRound(n)) } }
        let minimumSteady = minimumSteadyRounds(rounds)
        for _ in 0..<rounds {
            let short = (0..<networks).filter { n in steady[n].filter { $0 }.count < minimumSteady }
            if short.isEmpty { break }
            for n in short { steady[n].append(timeRound(n)) }
        }
        return steady
    }

    /// One network's time from its rounds of passes (`times[round]`, ms): the median of the
    /// passes of its `steady` rounds if there are at least `minimumSteady` (by default half the
    /// rounds), else of all; and its noise, the medians of the kept rounds taken alternately
    /// (first, third, ... against second, fourth, ...) apart, as a percent of the time (0 with
    /// a single kept round). `kept` says which rounds counted.
    /// - Complexity: O(passes · log passes).
    static func measuredOverRounds(_ times: [[Double]], steady: [Bool], minimumSteady: Int? = nil)
        -> (ms: Double, noisePct: Double, kept: [Bool]) {
        precondition(times.count == steady.count && !times.isEmpty)
        let kept = steady.filter { $0 }.count >= (minimumSteady ?? minimumSteadyRounds(steady.count)) ? steady : steady.map { _ in true }
        let rounds = times.indices.filter { kept[$0] }
        func median(_ parity: Int?) -> Double {
            let xs = rounds.indices.filter { parity == nil || $0 % 2 == parity }.flatMap { times[rounds[$0]] }
            return xs.isEmpty ? 0 : LatencyStatistics(samples: xs).medianMs
        }
        let measured = median(nil), even = median(0), odd = median(1)
        return (measured, measured > 0 && even > 0 && odd > 0 ? 100 * abs(even - odd) / measured : 0, kept)
    }

    /// The table's reference network (`Profiler.referenceNetwork`), timed during a validation
    /// interleaved with every group it measures.
    public final class ReferenceCheck {
        public struct Summary: Sendable, Encodable {
            /// Reference network at the table's level and now (median of the networks' medians), milliseconds.
            public var profileMs: Double
            public var nowMs: Double
            /// `100 · (now / profile − 1)`: positive when the machine is slower than when profiled.
            public var driftPct: Double
            /// The reference's median around each network measurement's counted rounds, in order (ms;
            /// re-timed networks after the first pass). (Scaling each group by its own reference instead of their
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

    /// Per-architecture CSV: `key,predicted_ms,measured_ms,error_pct,macs,noise_pct,off_level_rounds,rounds,reference_drift_pct,table_interval_pct`
    /// (the last empty without a reference), header first.
    public static func csv(_ samples: [Sample]) -> String {
        var lines = ["key,predicted_ms,measured_ms,error_pct,macs,noise_pct,off_level_rounds,rounds,reference_drift_pct,table_interval_pct"]
        for s in samples {
            lines.append("\"\(s.key)\",\(String(format: "%.4f", s.predictedMs)),\(String(format: "%.4f", s.measuredMs)),\(String(format: "%.2f", s.errorPct)),\(s.macs),\(String(format: "%.2f", s.noisePct)),\(s.offLevelRounds),\(s.rounds),\(s.referenceDriftPct.map { String(format: "%.2f", $0) } ?? ""),\(s.tableIntervalPct.map { String(format: "%.2f", $0) } ?? "")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
