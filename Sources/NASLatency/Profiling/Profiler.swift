import Foundation
import NASEngine
import NASSpace

/// `nasctl profile`: measures every layer a space can produce on this device.
public enum Profiler {
    public struct Progress: Sendable {
        public var done: Int
        public var total: Int
        public var elapsedSeconds: Double
        public var current: String
        /// Remaining seconds extrapolated from the MACs measured so far.
        public var etaSeconds: Double?
    }

    /// Measures each distinct layer of `space` alone in the engine (batch 1, random folded
    /// weights) and returns the table. `progress` is called after every entry.
    /// - Complexity: one adaptive measurement per distinct layer signature.
    public static func profile(space: SearchSpace, device: DeviceIdentity, threads: Int, gemm: GEMMBackend = .native,
                               settings: MeasurementSettings = MeasurementSettings(),
                               progress: (Progress) -> Void = { _ in }) throws -> LatencyTable {
        let layers = try NetworkBuilder.allLayers(in: space)
        let context = ExecutionContext(threads: threads, gemm: gemm)
        let timer = AdaptiveTimer(settings: settings)
        let coldTimer = AdaptiveTimer(settings: settings.cold(lastLevelCacheBytes: device.l3Bytes))
        let totalMacs = layers.reduce(0) { $0 + max($1.spec.cost(input: $1.input).macs, 10_000) }
        var doneMacs = 0
        let start = MonotonicClock.nanoseconds()
        var entries: [LatencyTable.Entry] = []
        for (i, layer) in layers.enumerated() {
            let network = try Network(inputShape: layer.input, specs: [layer.spec], seed: UInt64(i))
            let executor = NetworkExecutor(network: network, context: context)
            executor.fillInputRandomly(seed: UInt64(i))
            let result = timer.measure(executor)
            let cold = coldTimer.measure(executor)
            let cost = layer.spec.cost(input: layer.input)
            let macs = cost.macs
            entries.append(LatencyTable.Entry(signature: layer.signature, role: layer.role, medianMs: result.medianMs,
                                              coldMedianMs: cold.medianMs, spreadPct: result.spreadPct, runs: result.runs,
                                              noisy: result.noisy, macs: macs, weightBytes: 4 * cost.parameters))
            doneMacs += max(macs, 10_000)
            let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
            progress(Progress(done: i + 1, total: layers.count, elapsedSeconds: elapsed, current: layer.signature,
                              etaSeconds: doneMacs > 0 ? elapsed * Double(totalMacs - doneMacs) / Double(doneMacs) : nil))
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
