import Foundation
import NASEngine
import NASSpace

/// `nasctl profile`: measures every layer a space can produce on this device, inside networks.
public enum Profiler {
    public struct Progress: Sendable {
        /// Layers with all their contexts measured.
        public var done: Int
        public var total: Int
        public var networks: Int
        public var elapsedSeconds: Double
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
    /// - Complexity: about `contexts · layers / (layers covered per network)` network builds
    ///   and `warmup + runs` passes each (the first pass twice with `auto`).
    public static func profile(space: SearchSpace, device: DeviceIdentity, threads: Int, backend: InferenceBackend = .nasctl,
                               gemm: GEMMBackend? = nil, family: KernelFamily = .host, settings: ProfileSettings = ProfileSettings(),
                               progress: (Progress) -> Void = { _ in }) throws -> LatencyTable {
        let items = try NetworkBuilder.enumerateLayers(in: space)
        var index: [String: Int] = [:]
        for (i, item) in items.enumerated() { index[item.layer.signature] = i }
        var samples = Array(repeating: [Double](), count: items.count)
        var contextMacs = Array(repeating: [Int](), count: items.count)
        // auto: first-pass times per backend, and then the choice per entry.
        var firstPass: [GEMMBackend: [[Double]]] = [.native: Array(repeating: [], count: items.count),
                                                    .openblas: Array(repeating: [], count: items.count)]
        var chosen: [GEMMBackend] = Array(repeating: gemm ?? .native, count: items.count)
        ExecutionContext.setOpenBLASThreads(threads)  // the table is for this thread count, OpenBLAS included
        let context = ExecutionContext(threads: threads, gemm: gemm ?? .native, family: family)
        var rng = SplitMix64(seed: settings.seed)
        let start = MonotonicClock.nanoseconds()
        var networks = 0
        var complete = 0
        for pass in 0..<settings.contexts {
            let comparing = backend == .nasctl && gemm == nil && pass == 0
            for i in items.indices where samples[i].count <= pass {
                let arch = Architecture.random(in: space, fixing: items[i].requirements, using: &rng)
                let layers = try NetworkBuilder.layers(for: arch, in: space)
                let network = try Network(inputShape: layers[0].input, specs: layers.map(\.spec), seed: rng.next())
                let slots = layers.map { index[$0.signature] }
                let macs = network.macs
                networks += 1
                if comparing {
                    let native = NetworkExecutor(network: network, context: context.with(gemm: .native))
                    let blas = NetworkExecutor(network: network, context: context.with(gemm: .openblas))
                    native.fillInputRandomly(seed: UInt64(networks))
                    blas.fillInputRandomly(seed: UInt64(networks))
                    for _ in 0..<settings.warmup { native.run(); blas.run() }
                    // Interleaved halves, so a busy moment of the machine hits both backends alike.
                    var times: [GEMMBackend: [[Double]]] = [.native: Array(repeating: [], count: layers.count),
                                                            .openblas: Array(repeating: [], count: layers.count)]
                    for round in 0..<2 {
                        let runs = round == 0 ? (settings.runs + 1) / 2 : max(1, settings.runs / 2)
                        for (backend, executor) in [(GEMMBackend.native, native), (.openblas, blas)] {
                            for (l, layerTimes) in executor.profileLayerSamples(runs: runs).enumerated() { times[backend]![l] += layerTimes }
                        }
                    }
                    for (l, slot) in slots.enumerated() {
                        guard let j = slot else { continue }
                        for backend in [GEMMBackend.native, .openblas] {
                            firstPass[backend]![j].append(LatencyStatistics(samples: times[backend]![l]).medianMs)
                        }
                        contextMacs[j].append(macs)
                        samples[j].append(.nan)  // filled with the chosen backend's time after the pass
                        if samples[j].count == settings.contexts { complete += 1 }
                    }
                } else {
                    let executor: any NetworkRunner = backend == .xnnpack
                        ? try XNNPACKExecutor(network: network, threads: threads)
                        : NetworkExecutor(network: network, context: context, layerBackends: slots.map { $0.map { chosen[$0] } ?? context.gemm })
                    executor.fillInputRandomly(seed: UInt64(networks))
                    for _ in 0..<settings.warmup { executor.run() }
                    let times = executor.profileLayers(runs: settings.runs)
                    for (slot, ms) in zip(slots, times) {
                        guard let j = slot else { continue }
                        samples[j].append(ms)
                        contextMacs[j].append(macs)
                        if samples[j].count == settings.contexts { complete += 1 }
                    }
                }
                let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
                let remaining = items.count - complete
                progress(Progress(done: complete, total: items.count, networks: networks, elapsedSeconds: elapsed,
                                  etaSeconds: complete > 0 ? elapsed * Double(remaining) / Double(complete) : nil))
            }
            if comparing {
                for j in items.indices {
                    let native = firstPass[.native]![j], blas = firstPass[.openblas]![j]
                    chosen[j] = chooseBackend(nativeMs: native, openBLASMs: blas)
                    let kept = chosen[j] == .native ? native : blas
                    var k = 0
                    for s in samples[j].indices where samples[j][s].isNaN { samples[j][s] = kept[k]; k += 1 }
                }
            }
        }
        let perLayer = backend == .nasctl && gemm == nil
        let entries = items.enumerated().map { i, item -> LatencyTable.Entry in
            let sorted = samples[i].sorted()
            let median = LatencyStatistics(samples: sorted).medianMs
            let spread = median > 0 ? 100 * (sorted[(3 * sorted.count) / 4 == sorted.count ? sorted.count - 1 : (3 * sorted.count) / 4] - sorted[sorted.count / 4]) / median : 0
            let other: GEMMBackend = chosen[i] == .native ? .openblas : .native
            return LatencyTable.Entry(signature: item.layer.signature, role: item.layer.role, medianMs: median, spreadPct: spread,
                                      contexts: sorted.count, noisy: spread > settings.targetSpreadPct,
                                      macs: item.layer.spec.cost(input: item.layer.input).macs,
                                      samplesMs: samples[i], contextMacs: contextMacs[i],
                                      gemm: perLayer ? chosen[i].rawValue : nil,
                                      alternativeMs: perLayer ? LatencyStatistics(samples: firstPass[other]![i]).medianMs : nil)
        }
        let formatter = ISO8601DateFormatter()
        return LatencyTable(
            schema: LatencyTable.currentSchema, deviceID: device.id, device: device,
            engine: .init(backend: backend.rawValue, threads: threads, build: build,
                          gemm: backend == .xnnpack ? InferenceBackend.xnnpack.rawValue : gemm?.rawValue ?? "auto", blasCore: ExecutionContext.blasCoreName,
                          family: family.rawValue, measurement: settings),
            space: .init(name: space.name, digest: space.digest), createdAt: formatter.string(from: Date()),
            seconds: Double(MonotonicClock.nanoseconds() - start) / 1e9, entries: entries)
    }

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
