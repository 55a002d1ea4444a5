import Foundation
import NASEngine
import NASSpace

/// `nasctl profile`: measures every layer a space can produce on this device, inside networks.
public enum Profiler {
    public struct Progress: Sendable {
        /// The planned passes (`done`: layers with all their contexts), then re-timing
        /// (`done`: networks timed again so far, out of `total` planned for it: entries left
        /// with too few timings at the settled level, then entries with a wide interval).
        public enum Phase: String, Sendable { case planned, retiming }
        public var phase: Phase = .planned
        public var done: Int
        public var total: Int
        public var networks: Int
        public var elapsedSeconds: Double
        /// Of the current phase (re-timing is bounded by the budget, so it ends the profile).
        public var etaSeconds: Double?
    }

    /// Times every distinct layer of `space` inside `settings.contexts` random networks that
    /// contain it (built from the layer's decision requirements, the rest random), with the
    /// engine's per-layer timing of a whole forward pass; an entry is the median over contexts.
    ///
    /// A layer timed alone and repeatedly keeps its weights and input hot in L1/L2/L3; inside a
    /// network they were evicted by the layers before it, which costs 10–25% on this kind of
    /// machine. Timing in context measures that instead of correcting for it.
    ///
    /// With `gemm` nil (`auto`), the first pass of networks runs twice, on the native kernels
    /// and on OpenBLAS, passes interleaved; every layer keeps the backend with the lower median
    /// there (OpenBLAS only when at least `openBLASMargin` faster, so layers without a GEMM stay
    /// native), and the remaining passes time each network with its layers' chosen backends.
    /// With `backend` xnnpack every network runs on XNNPACK's operators instead (`gemm` and
    /// `family` do not apply).
    ///
    /// Noise is measured, not assumed away: one pass of a fixed reference network follows every
    /// network, and a network whose two surrounding passes are more than the drift tolerance
    /// from the level (their running lower quartile) is discarded and re-timed; after the planned
    /// passes, timings off the final level are dropped wherever an entry keeps 3 at it, and
    /// entries left with fewer are timed again at it (`LevelSettling`).
    /// Then entries whose median's 95% interval is wider than `settings.targetIntervalPct` get
    /// more contexts, up to `settings.maxContexts`. All re-timing together is bounded by
    /// `settings.retimeBudget` times the useful networks, so a very noisy machine costs at most
    /// that much more time; past it an entry keeps only its timings at the level when it has
    /// any (fewer contexts), and off-level timings are kept, counted and the table flagged only
    /// for entries with none (`LevelSettling.kept`). The median
    /// of every `settings.referenceEvery` passes is a check (`NoiseMonitor`) that summarises
    /// how the machine's speed moved. The table's `noise` says what happened and whether the
    /// machine was too noisy.
    /// - Complexity: about `contexts · layers / (layers covered per network)` network builds
    ///   and `warmup + runs` passes each (the first pass twice with `auto`) plus one reference
    ///   pass, plus re-timing.
    public static func profile(space: SearchSpace, device: DeviceIdentity, threads: Int, backend: InferenceBackend = .nasctl,
                               gemm: GEMMBackend? = nil, family: KernelFamily = .host, settings: ProfileSettings = ProfileSettings(),
                               progress: (Progress) -> Void = { _ in }) throws -> LatencyTable {
        let items = try NetworkBuilder.enumerateLayers(in: space)
        var index: [String: Int] = [:]
        for (i, item) in items.enumerated() { index[item.layer.signature] = i }
        // Committed timings per GEMM backend (both only in the first pass of `auto`).
        var timings: [GEMMBackend: [[Double]]] = [.native: Array(repeating: [], count: items.count),
                                                  .openblas: Array(repeating: [], count: items.count)]
        var timingMacs: [GEMMBackend: [[Int]]] = [.native: Array(repeating: [], count: items.count),
                                                  .openblas: Array(repeating: [], count: items.count)]
        /// Each committed timing's bracketing reference passes (ms), for `LevelSettling`.
        var timingBrackets: [GEMMBackend: [[(before: Double, after: Double)]]] = [.native: Array(repeating: [], count: items.count),
                                                                             .openblas: Array(repeating: [], count: items.count)]
        let perLayer = backend == .nasctl && gemm == nil
        var chosen: [GEMMBackend] = Array(repeating: gemm ?? .native, count: items.count)
        func count(_ j: Int) -> Int { timings[chosen[j]]![j].count }
        ExecutionContext.setOpenBLASThreads(threads)  // the table is for this thread count, OpenBLAS included
        let context = ExecutionContext(threads: threads, gemm: gemm ?? .native, family: family)
        var rng = SplitMix64(seed: settings.seed)
        let start = MonotonicClock.nanoseconds()
        var networks = 0, discarded = 0, retimed = 0, keptDrifted = 0
        /// Networks timed again for entries whose off-level timings were dropped at the end, and
        /// the off-level timings dropped or kept there (the budget spent).
        var resettled = 0, offLevelDropped = 0, offLevelKept = 0
        /// Re-timing of every kind so far, against the useful networks: within the budget?
        func affordable(adding extra: Int) -> Bool {
            Double(discarded + retimed + resettled + extra)
                <= settings.retimeBudget * Double(max(1, networks - discarded - retimed - resettled))
        }

        // The reference: one fixed network of the space, timed whole.
        let (referenceNetwork, _) = try referenceNetwork(space: space, using: &rng)
        let reference: any NetworkRunner = backend == .xnnpack
            ? try XNNPACKExecutor(network: referenceNetwork, threads: threads)
            : NetworkExecutor(network: referenceNetwork, context: context)
        reference.fillInputRandomly(seed: 1)
        var monitor = NoiseMonitor(tolerancePct: settings.driftTolerancePct)
        /// Once the planned passes are done: networks timed and time when re-timing began, and
        /// the networks it plans (grown as its rounds find more to do).
        var retiming: (networks: Int, ns: UInt64, total: Int)? = nil
        var buildNs: UInt64 = 0, referenceNs: UInt64 = 0, setupNs: UInt64 = 0
        /// Set when the planned passes must finish in the guard passes left: drifted timings
        /// are then kept (and flagged), so every entry gets its contexts and its comparison.
        var mustKeep = false

        /// One pass of the reference after every network (ms), so each network's timings lie
        /// between two passes a few tens of milliseconds apart: a speed change of the machine
        /// (spells of a second to tens of seconds on shared hosts) is caught at the network
        /// it touched. Their lower quartile is the level (`LevelSettling`) the table describes.
        var passesMs: [Double] = []
        var level: Double? = nil
        var heldLevel: Double? = nil
        func referencePass() -> Double {
            let begin = MonotonicClock.nanoseconds()
            reference.run()
            let ns = MonotonicClock.nanoseconds() - begin
            referenceNs += ns
            let ms = Double(ns) / 1e6
            passesMs.append(ms)
            if heldLevel == nil && (passesMs.count < 64 || passesMs.count % 16 == 0) {
                level = LevelSettling.level(of: passesMs)
            }
            return ms
        }
        reference.run()
        var lastPass = referencePass()
        var sinceCheck = 0
        /// Commits one network's layer timings when the reference passes around it are at the
        /// level; otherwise discards them for re-timing while the budget affords it (keeping and
        /// counting them once it is spent, or when the planned passes must finish).
        func commit(_ timed: [(backend: GEMMBackend, entry: Int, ms: Double)], macs: Int) {
            let after = referencePass()
            let bracket = (before: lastPass, after: after)
            lastPass = after
            let judged = heldLevel ?? level ?? after
            let steady = passesMs.count < minimumPassesToJudge
                || !LevelSettling(levelMs: judged, tolerancePct: settings.driftTolerancePct).isOffLevel(before: bracket.before, after: bracket.after)
            if !steady && !mustKeep && affordable(adding: 1) {
                discarded += 1
            } else {
                if !steady { keptDrifted += 1 }
                for t in timed {
                    timings[t.backend]![t.entry].append(t.ms); timingMacs[t.backend]![t.entry].append(macs)
                    timingBrackets[t.backend]![t.entry].append(bracket)
                }
            }
            // Every `referenceEvery` networks the median of their passes is one check of how the
            // machine's speed moved, for the table's noise summary (`NoiseMonitor`).
            sinceCheck += 1
            if sinceCheck >= settings.referenceEvery {
                _ = monitor.record(LatencyStatistics(samples: Array(passesMs.suffix(sinceCheck))).medianMs)
                sinceCheck = 0
            }
        }

        /// Times one network built around entry `i`'s requirements; `comparing`: on both backends.
        func timeNetwork(around i: Int, comparing: Bool) throws {
            let begin = MonotonicClock.nanoseconds()
            let arch = Architecture.random(in: space, fixing: items[i].requirements, using: &rng)
            let layers = try NetworkBuilder.layers(for: arch, in: space)
            let network = try Network(inputShape: layers[0].input, specs: layers.map(\.spec), seed: rng.next())
            buildNs += MonotonicClock.nanoseconds() - begin
            let slots = layers.map { index[$0.signature] }
            let macs = network.macs
            networks += 1
            if comparing {
                let setup = MonotonicClock.nanoseconds()
                let native = NetworkExecutor(network: network, context: context.with(gemm: .native))
                let blas = NetworkExecutor(network: network, context: context.with(gemm: .openblas))
                native.fillInputRandomly(seed: UInt64(networks))
                blas.fillInputRandomly(seed: UInt64(networks))
                setupNs += MonotonicClock.nanoseconds() - setup
                for _ in 0..<settings.warmup { native.run(); blas.run() }
                // Interleaved halves, so a busy moment of the machine hits both backends alike.
                var times: [GEMMBackend: [[Double]]] = [.native: Array(repeating: [], count: layers.count),
                                                        .openblas: Array(repeating: [], count: layers.count)]
                for round in 0..<2 {
                    let runs = round == 0 ? (settings.runs + 1) / 2 : max(1, settings.runs / 2)
                    for (b, executor) in [(GEMMBackend.native, native), (.openblas, blas)] {
                        for (l, layerTimes) in executor.profileLayerSamples(runs: runs).enumerated() { times[b]![l] += layerTimes }
                    }
                }
                var timed: [(backend: GEMMBackend, entry: Int, ms: Double)] = []
                for (l, slot) in slots.enumerated() {
                    guard let j = slot else { continue }
                    for b in [GEMMBackend.native, .openblas] { timed.append((b, j, LatencyStatistics(samples: times[b]![l]).medianMs)) }
                }
                commit(timed, macs: macs)
            } else {
                let setup = MonotonicClock.nanoseconds()
                let executor: any NetworkRunner = backend == .xnnpack
                    ? try XNNPACKExecutor(network: network, threads: threads)
                    : NetworkExecutor(network: network, context: context, layerBackends: slots.map { $0.map { chosen[$0] } ?? context.gemm })
                executor.fillInputRandomly(seed: UInt64(networks))
                setupNs += MonotonicClock.nanoseconds() - setup
                for _ in 0..<settings.warmup { executor.run() }
                let timed = zip(slots, executor.profileLayers(runs: settings.runs)).compactMap { slot, ms in
                    slot.map { (backend: chosen[$0], entry: $0, ms: ms) }
                }
                commit(timed, macs: macs)
            }
            let now = MonotonicClock.nanoseconds()
            let elapsed = Double(now - start) / 1e9
            if let phase = retiming {
                let done = networks - phase.networks, total = max(phase.total, done)
                let spent = Double(now - phase.ns) / 1e9
                progress(Progress(phase: .retiming, done: done, total: total, networks: networks, elapsedSeconds: elapsed,
                                  etaSeconds: done > 0 ? spent * Double(total - done) / Double(done) : nil))
            } else {
                let complete = items.indices.filter { count($0) >= settings.contexts }.count
                let made = items.indices.reduce(0) { $0 + min(count($1), settings.contexts) }
                progress(Progress(done: complete, total: items.count, networks: networks, elapsedSeconds: elapsed,
                                  etaSeconds: plannedETA(elapsed: elapsed, complete: complete, made: made,
                                                         planned: items.count * settings.contexts, entries: items.count)))
            }
        }

        // Planned passes; the first (with `auto`) on both backends until every entry has a
        // committed comparison, then the choice per entry. A pass is complete when every entry
        // has that many committed timings.
        var compared = !perLayer
        func fillPasses(to target: Int, guardLimit: Int) throws {
            var guardPasses = 0
            while guardPasses < guardLimit {
                let pass = items.indices.map(count).min() ?? target
                if pass >= target { break }
                guardPasses += 1
                // A pass without discards always completes; the last passes the guard allows keep
                // what they time, so a machine that drifts at every check still gets a full table.
                mustKeep = guardLimit - guardPasses < target - pass
                let comparing = !compared
                for i in items.indices where count(i) <= pass { try timeNetwork(around: i, comparing: comparing) }
                if comparing && items.indices.allSatisfy({ count($0) > 0 }) {
                    for j in items.indices {
                        chosen[j] = chooseBackend(nativeMs: timings[.native]![j], openBLASMs: timings[.openblas]![j])
                    }
                    compared = true
                }
            }
        }
        try fillPasses(to: settings.contexts, guardLimit: settings.contexts + settings.maxContexts)

        // Settle on the machine's unimpeded speed over the whole profile: drop the timings made
        // at another speed than the final level (judged against the level so far when made).
        // An entry left with `minimumSteady` timings or more is done; one left with fewer is
        // timed again at that level, while the budget affords it (else it is left as it is
        // until the end, where it keeps only its timings at the level if it has any).
        let settling = LevelSettling(checksMs: passesMs, tolerancePct: settings.driftTolerancePct)
        let minimumSteady = min(minimumSteadyContexts, settings.contexts)
        /// Keeps only the timings at `keep` of entry `j` (on its chosen backend).
        func retain(_ keep: [Int], of j: Int) {
            let b = chosen[j]
            offLevelDropped += timings[b]![j].count - keep.count
            timings[b]![j] = keep.map { timings[b]![j][$0] }
            timingMacs[b]![j] = keep.map { timingMacs[b]![j][$0] }
            timingBrackets[b]![j] = keep.map { timingBrackets[b]![j][$0] }
        }
        // Entries with the fewest timings at the level first: the budget goes where it buys most.
        var refill = 0
        let settle = items.indices.compactMap { j -> (entry: Int, off: [Int], steady: Int)? in
            let off = settling.offLevel(timingBrackets[chosen[j]]![j])
            return off.isEmpty ? nil : (j, off, timings[chosen[j]]![j].count - off.count)
        }.sorted { ($0.steady, $0.entry) < ($1.steady, $1.entry) }
        for (j, off, steady) in settle {
            let missing = max(0, minimumSteady - steady)
            guard missing == 0 || affordable(adding: refill + missing) else { continue }
            refill += missing
            let drop = Set(off)
            retain(timings[chosen[j]]![j].indices.filter { !drop.contains($0) }, of: j)
        }
        heldLevel = settling.levelMs
        /// Entries whose median's interval is wider than the target, below the context cap.
        func stillWide() -> [Int] {
            items.indices.filter {
                count($0) < settings.maxContexts && MedianInterval.halfWidthPct(timings[chosen[$0]]![$0]) > settings.targetIntervalPct
            }
        }
        // Re-timing plans the entries to fill and, as an estimate, the entries now wide.
        let wideNow = stillWide().count
        let budgetLeft = Int(settings.retimeBudget * Double(max(1, networks - discarded))) - (discarded + retimed + refill)
        retiming = (networks, MonotonicClock.nanoseconds(), refill + max(0, min(wideNow, budgetLeft)))
        if refill > 0 {
            let before = networks, discardedBefore = discarded
            try fillPasses(to: minimumSteady, guardLimit: minimumSteady + settings.contexts)
            resettled += (networks - before) - (discarded - discardedBefore)
        }
        // Re-time entries whose median is still imprecise, up to the per-entry cap and the
        // re-timing budget; the last round keeps what it times.
        let useful = networks - discarded - resettled
        for round in 0..<settings.maxContexts {
            mustKeep = round == settings.maxContexts - 1
            let wide = stillWide()
            if wide.isEmpty { break }
            if var phase = retiming {
                let left = Int(settings.retimeBudget * Double(useful)) - (discarded + retimed + resettled)
                phase.total = networks - phase.networks + max(0, min(wide.count, left))
                retiming = phase
            }
            for i in wide {
                guard Double(discarded + retimed + resettled) < settings.retimeBudget * Double(useful) else { break }
                try timeNetwork(around: i, comparing: false)
                retimed += 1
            }
            if Double(discarded + retimed + resettled) >= settings.retimeBudget * Double(useful) { break }
        }
        // What no more networks can be timed for (the budget spent, or kept by the last passes):
        // an entry keeps only its timings at the level when it has any (`LevelSettling.kept`);
        // the off-level timings of entries with none stay, counted, and flag the table.
        for j in items.indices {
            let keep = settling.kept(timingBrackets[chosen[j]]![j])
            if keep.count < timings[chosen[j]]![j].count { retain(keep, of: j) }
        }
        offLevelKept = items.indices.reduce(0) { $0 + settling.offLevel(timingBrackets[chosen[$1]]![$1]).count }
        let entries = items.enumerated().map { i, item -> LatencyTable.Entry in
            let samples = timings[chosen[i]]![i]
            let sorted = samples.sorted()
            let median = LatencyStatistics(samples: sorted).medianMs
            let spread = median > 0 ? 100 * (MedianInterval.quantile(sorted, 0.75) - MedianInterval.quantile(sorted, 0.25)) / median : 0
            let other: GEMMBackend = chosen[i] == .native ? .openblas : .native
            let interval = MedianInterval.halfWidthPct(samples)
            return LatencyTable.Entry(signature: item.layer.signature, role: item.layer.role, medianMs: median, spreadPct: spread,
                                      contexts: sorted.count, noisy: spread > settings.targetSpreadPct,
                                      macs: item.layer.spec.cost(input: item.layer.input).macs,
                                      samplesMs: samples, contextMacs: timingMacs[chosen[i]]![i],
                                      gemm: perLayer ? chosen[i].rawValue : nil,
                                      alternativeMs: perLayer && !timings[other]![i].isEmpty ? LatencyStatistics(samples: timings[other]![i]).medianMs : nil,
                                      intervalPct: interval.isFinite ? interval : nil,
                                      contextReferenceMs: timingBrackets[chosen[i]]![i].map { [$0.before, $0.after] })
        }
        let wideEntries = entries.filter { ($0.intervalPct ?? .infinity) > settings.targetIntervalPct }.count
        let networkInterval = PredictionInterval.medianNetworkPct(space: space, of: entries)
        let noise = LatencyTable.Noise(
            // (A profile of fewer than `referenceEvery` networks has no check: its passes then.)
            referenceMedianMs: LatencyStatistics(samples: monitor.referenceMs.isEmpty ? passesMs : monitor.referenceMs).medianMs, referenceCVPct: monitor.referenceCVPct,
            referenceChecks: monitor.referenceMs.count, driftedChecks: monitor.driftedChecks, shifts: monitor.shifts,
            discardedNetworks: discarded, retimedEntries: retimed, wideEntries: wideEntries,
            keptDriftedNetworks: keptDrifted,
            tooNoisy: LatencyTable.Noise.isTooNoisy(networkIntervalPct: networkInterval, offLevelKept: offLevelKept, wideEntries: wideEntries,
                                                    entries: entries.count, targetPct: settings.targetIntervalPct),
            networks: networks, buildSeconds: Double(buildNs) / 1e9, referenceSeconds: Double(referenceNs) / 1e9,
            levelMs: settling.levelMs, offLevelDropped: offLevelDropped, offLevelKept: offLevelKept, resettledNetworks: resettled,
            referenceChecksMs: monitor.referenceMs, referencePasses: passesMs.count, networkIntervalPct: networkInterval,
            setupSeconds: Double(setupNs) / 1e9)
        let formatter = ISO8601DateFormatter()
        return LatencyTable(
            schema: LatencyTable.currentSchema, deviceID: device.id, device: device,
            engine: .init(backend: backend.rawValue, threads: threads, build: build,
                          gemm: backend == .xnnpack ? InferenceBackend.xnnpack.rawValue : gemm?.rawValue ?? "auto", blasCore: ExecutionContext.blasCoreName,
                          family: family.rawValue, measurement: settings),
            space: .init(name: space.name, digest: space.digest), createdAt: formatter.string(from: Date()),
            seconds: Double(MonotonicClock.nanoseconds() - start) / 1e9, entries: entries, noise: noise)
    }

    /// The profile's reference network of `space` (and its layers): the first draw of the
    /// profile's generator, `SplitMix64(seed: settings.seed)`, so `validate` can rebuild and
    /// re-time it from the table's seed.
    public static func referenceNetwork(space: SearchSpace, seed: UInt64) throws -> (Network, [BuiltLayer]) {
        var rng = SplitMix64(seed: seed)
        return try referenceNetwork(space: space, using: &rng)
    }

    static func referenceNetwork(space: SearchSpace, using rng: inout SplitMix64) throws -> (Network, [BuiltLayer]) {
        let arch = Architecture.random(in: space, using: &rng)
        let layers = try NetworkBuilder.layers(for: arch, in: space)
        return (try Network(inputShape: layers[0].input, specs: layers.map(\.spec), seed: rng.next()), layers)
    }

    /// Seconds left of the planned passes, after `elapsed` seconds with `complete` of `entries`
    /// entries holding all their contexts and `made` of the `planned` timings made: the geometric
    /// mean of the two linear extrapolations. Entries complete late (most get their last
    /// contexts in the last passes), so the first runs long; the first networks' layers are all
    /// still needed, so the second runs short. Nil before anything is made.
    static func plannedETA(elapsed: Double, complete: Int, made: Int, planned: Int, entries: Int) -> Double? {
        guard made > 0, planned > 0 else { return nil }
        let byTimings = elapsed * Double(max(0, planned - made)) / Double(made)
        guard complete > 0 else { return nil }
        let byEntries = elapsed * Double(max(0, entries - complete)) / Double(complete)
        return (byTimings * byEntries).squareRoot()
    }

    /// Reference passes before the profile judges networks by them (the level is their lower quartile).
    static let minimumPassesToJudge = 8

    /// Timings at the settled level an entry needs after its off-level ones are dropped; with
    /// fewer it is timed again (`LevelSettling`).
    public static let minimumSteadyContexts = 3

    /// OpenBLAS must beat the native kernels by this share to be chosen for a layer: below it
    /// the two are within the first pass's noise, and the native kernels fuse the epilogue.
    public static let openBLASMargin = 0.03

    /// The backend a layer keeps from its first-pass medians per context (milliseconds):
    /// OpenBLAS when the median of its times is at least `openBLASMargin` below native's.
    public static func chooseBackend(nativeMs: [Double], openBLASMs: [Double]) -> GEMMBackend {
        guard !nativeMs.isEmpty, !openBLASMs.isEmpty else { return .native }
        let native = LatencyStatistics(samples: nativeMs).medianMs, blas = LatencyStatistics(samples: openBLASMs).medianMs
        return blas < native * (1 - openBLASMargin) ? .openblas : .native
    }

    /// `release` or `debug`: how this code was compiled (a debug build's timings are meaningless).
    public static var build: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }
}
