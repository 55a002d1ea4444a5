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
    /// - Complexity: about `contexts · layers / (layers covered per network)` network builds
    ///   and `warmup + runs` passes each.
    public static func profile(space: SearchSpace, device: DeviceIdentity, threads: Int, gemm: GEMMBackend = .native,
                               settings: ProfileSettings = ProfileSettings(),
                               progress: (Progress) -> Void = { _ in }) throws -> LatencyTable {
        let items = try NetworkBuilder.enumerateLayers(in: space)
        var index: [String: Int] = [:]
        for (i, item) in items.enumerated() { index[item.layer.signature] = i }
        var samples = Array(repeating: [Double](), count: items.count)
        var contextMacs = Array(repeating: [Int](), count: items.count)
        ExecutionContext.setOpenBLASThreads(threads)  // the table is for this thread count, OpenBLAS included
        let context = ExecutionContext(threads: threads, gemm: gemm)
        var rng = SplitMix64(seed: settings.seed)
        let start = MonotonicClock.nanoseconds()
        var networks = 0
        var complete = 0
        for pass in 0..<settings.contexts {
            for i in items.indices where samples[i].count <= pass {
                let arch = Architecture.random(in: space, fixing: items[i].requirements, using: &rng)
                let layers = try NetworkBuilder.layers(for: arch, in: space)
                let network = try Network(inputShape: layers[0].input, specs: layers.map(\.spec), seed: rng.next())
                let executor = NetworkExecutor(network: network, context: context)
                executor.fillInputRandomly(seed: UInt64(networks))
                for _ in 0..<settings.warmup { executor.run() }
                let times = executor.profileLayers(runs: settings.runs)
                let macs = network.macs
                networks += 1
                for (layer, ms) in zip(layers, times) {
                    guard let j = index[layer.signature] else { continue }
                    samples[j].append(ms)
                    contextMacs[j].append(macs)
                    if samples[j].count == settings.contexts { complete += 1 }
                }
                let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
                let remaining = items.count - complete
                progress(Progress(done: complete, total: items.count, networks: networks, elapsedSeconds: elapsed,
                                  etaSeconds: complete > 0 ? elapsed * Double(remaining) / Double(complete) : nil))
            }
        }
        let entries = items.enumerated().map { i, item -> LatencyTable.Entry in
            let sorted = samples[i].sorted()
            let median = LatencyStatistics(samples: sorted).medianMs
            let spread = median > 0 ? 100 * (sorted[(3 * sorted.count) / 4 == sorted.count ? sorted.count - 1 : (3 * sorted.count) / 4] - sorted[sorted.count / 4]) / median : 0
            return LatencyTable.Entry(signature: item.layer.signature, role: item.layer.role, medianMs: median, spreadPct: spread,
                                      contexts: sorted.count, noisy: spread > settings.targetSpreadPct,
                                      macs: item.layer.spec.cost(input: item.layer.input).macs,
                                      samplesMs: samples[i], contextMacs: contextMacs[i])
        }
        let formatter = ISO8601DateFormatter()
        return LatencyTable(
            schema: LatencyTable.currentSchema, deviceID: device.id, device: device,
            engine: .init(threads: threads, build: build, gemm: gemm.rawValue, blasCore: ExecutionContext.blasCoreName, measurement: settings),
            space: .init(name: space.name, digest: space.digest), createdAt: formatter.string(from: Date()),
            seconds: Double(MonotonicClock.nanoseconds() - start) / 1e9, entries: entries)
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
