import Foundation
import ArgumentParser
import NASEngine
import NASLatency
import NASSpace

/// `nasctl measure`: end-to-end latency of a network in the engine, like benchmark_model.
struct MeasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Measure end-to-end inference latency of a model in nasctl's engine.",
        discussion: """
        Builds the model with random weights (batch norm folded), runs --warmup untimed passes \
        at batch 1, then --runs timed ones, and reports count, first, min, median, mean, max and \
        standard deviation in milliseconds, as TFLite's benchmark_model does.
        """
    )

    @Option(help: "Reference model to build (\(ModelZoo.names.joined(separator: ", "))); default mobilenetv2.")
    var model: String?

    @Option(help: "Architecture JSON of a network space to build instead of --model.")
    var arch: String?

    @OptionGroup var spaceOptions: SpaceOptions

    @Option(help: "Input height and width in pixels.")
    var resolution: Int = 224

    @Option(help: "Width multiplier for every layer's channels.")
    var width: Double = 1.0

    @Option(help: "Threads for the whole engine (OpenBLAS and nasctl's kernels).")
    var threads: Int = 1

    @Option(help: "Timed runs.")
    var runs: Int = 50

    @Option(help: "Untimed warm-up runs.")
    var warmup: Int = 10

    @Option(help: "Seed for the random weights and input.")
    var seed: UInt64 = 0

    @OptionGroup var kernelOptions: KernelOptions

    @Option(help: "What runs the network: nasctl (the engine's kernels) or xnnpack (XNNPACK's operators, as TFLite runs them).")
    var backend: String = "nasctl"

    @Option(help: "GEMM backend of convolutions: native or openblas.")
    var gemm: String = "native"

    @Option(name: .customLong("table"), help: "With --arch: run the network as this latency table measured it (its backend, kernel family and each layer's GEMM backend), in place of --backend, --gemm and --kernel-family.")
    var tablePath: String?

    @Flag(help: "Also print a per-layer profile (median ms, share, cumulative share).")
    var profile = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard model == nil || arch == nil else { throw ValidationError("give either --model or --arch, not both.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1 (got \(runs)).") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more (got \(warmup)).") }
        guard resolution >= 1 else { throw ValidationError("--resolution must be a positive number of pixels (got \(resolution)).") }
        guard width > 0 && width <= 4 else { throw ValidationError("--width must be in (0, 4] (got \(width)).") }
        _ = try parseGEMM(gemm, allowAuto: false)
        _ = try parseBackend(backend)
        guard tablePath == nil || arch != nil else { throw ValidationError("--table needs --arch (a table describes the layers of its space).") }
    }

    struct Report: Encodable {
        var model: String
        var resolution: Int
        var width: Double
        var threads: Int
        var backend: String
        var family: String
        var gemm: String
        var warmup: Int
        var macs: Int
        var parameters: Int
        var statistics: LatencyStatistics
        var layers: [LayerTime]?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(model, forKey: .model); try c.encode(resolution, forKey: .resolution)
            try c.encode(width, forKey: .width); try c.encode(threads, forKey: .threads)
            try c.encode(backend, forKey: .backend); try c.encode(family, forKey: .family); try c.encode(gemm, forKey: .gemm)
            try c.encode(warmup, forKey: .warmup); try c.encode(macs, forKey: .macs)
            try c.encode(parameters, forKey: .parameters); try c.encodeIfPresent(layers, forKey: .layers)
            try statistics.encode(to: encoder)
        }
        enum Keys: String, CodingKey { case model, resolution, width, threads, backend, family, gemm, warmup, macs, parameters, layers }
    }

    struct LayerTime: Encodable {
        var index: Int
        var layer: String
        var input: String
        var ms: Double
    }

    /// Builds the model, measures it and (optionally) profiles each layer.
    static func measureReport(model: String, resolution: Int, width: Double, threads: Int, runs: Int, warmup: Int,
                              seed: UInt64, profile: Bool, context: ExecutionContext? = nil, backend: InferenceBackend = .nasctl) throws -> Report {
        let network: Network
        do {
            network = try ModelZoo.network(named: model, resolution: resolution, width: width, seed: seed)
        } catch let error as EngineError {
            throw ValidationError(error.description)
        }
        return try measure(network, name: model, resolution: resolution, width: width, threads: threads, runs: runs, warmup: warmup,
                           seed: seed, profile: profile, context: context ?? ExecutionContext(threads: threads), backend: backend)
    }

    /// Measures a built network on `backend` (the engine on `context`, with per-layer GEMM
    /// backends when given, or XNNPACK) and optionally profiles each layer.
    static func measure(_ network: Network, name: String, resolution: Int, width: Double, threads: Int, runs: Int, warmup: Int,
                        seed: UInt64, profile: Bool, context: ExecutionContext, layerBackends: [GEMMBackend]? = nil,
                        backend: InferenceBackend = .nasctl) throws -> Report {
        ExecutionContext.setOpenBLASThreads(threads)
        let executor: any NetworkRunner = backend == .xnnpack
            ? try XNNPACKExecutor(network: network, threads: threads)
            : NetworkExecutor(network: network, context: context, layerBackends: layerBackends)
        let backends = Set(layerBackends ?? [context.gemm])
        executor.fillInputRandomly(seed: seed)
        let stats = LatencyMeasurement.measure(executor, warmup: warmup, runs: runs)
        let layers: [LayerTime]? = profile
            ? zip(network.layers.indices, executor.profileLayers(runs: max(runs, 10))).map { i, ms in
                LayerTime(index: i, layer: network.layers[i].summary, input: network.shapes[i].description, ms: ms)
            }
            : nil
        let xnn = backend == .xnnpack
        return Report(model: name, resolution: resolution, width: width, threads: threads, backend: backend.rawValue,
                      family: xnn ? "xnnpack" : context.family.rawValue,
                      gemm: xnn ? "xnnpack" : backends.count == 1 ? backends.first!.rawValue : "per layer", warmup: warmup,
                      macs: network.macs, parameters: network.parameterCount, statistics: stats, layers: layers)
    }

    func run() throws {
        let report: Report
        if let arch {
            let space = try spaceOptions.load()
            let architecture = try Architecture.load(file: arch, space: space)
            let network = try NetworkBuilder.network(for: architecture, in: space, seed: seed)
            var context = ExecutionContext(threads: threads, gemm: try parseGEMM(gemm, allowAuto: false)!, family: try kernelOptions.family())
            var layerBackends: [GEMMBackend]?
            var inference = try parseBackend(backend)
            if let tablePath {
                let table = try LatencyTable.load(file: tablePath)
                context = ExecutionContext(threads: threads, gemm: table.defaultBackend, family: table.family)
                layerBackends = table.backend == .nasctl ? table.backends(for: try NetworkBuilder.layers(for: architecture, in: space)) : nil
                inference = table.backend
            }
            report = try Self.measure(network, name: arch, resolution: network.inputShape.h, width: 1, threads: threads, runs: runs,
                                      warmup: warmup, seed: seed, profile: profile, context: context, layerBackends: layerBackends,
                                      backend: inference)
        } else {
            report = try Self.measureReport(model: model ?? "mobilenetv2", resolution: resolution, width: width, threads: threads,
                                            runs: runs, warmup: warmup, seed: seed, profile: profile,
                                            context: ExecutionContext(threads: threads, gemm: try parseGEMM(gemm, allowAuto: false)!,
                                                                      family: try kernelOptions.family()),
                                            backend: try parseBackend(backend))
        }
        let stats = report.statistics
        if json {
            try printJSON(report)
            return
        }
        print("\(report.model) \(report.resolution)x\(report.resolution)\(arch == nil ? " width \(width)" : ""): \(formatCount(report.macs)) MACs, \(formatCount(report.parameters)) parameters, \(threads) thread\(threads == 1 ? "" : "s"), \(report.backend == "xnnpack" ? "XNNPACK" : "kernel family \(report.family), GEMM \(report.gemm)")")
        print(String(format: "count=%d first=%.3f min=%.3f median=%.3f mean=%.3f max=%.3f std=%.3f (ms)",
                     stats.count, stats.firstMs, stats.minMs, stats.medianMs, stats.meanMs, stats.maxMs, stats.stdMs))
        if let layers = report.layers {
            let total = layers.reduce(0) { $0 + $1.ms }
            var cumulative = 0.0
            print("\n  #  \(padded("layer", 28))  \(padded("input", 14))       ms      %    cum%")
            for entry in layers {
                cumulative += entry.ms
                print(String(format: "%3d  ", entry.index) + padded(entry.layer, 28) + "  " + padded(entry.input, 14)
                      + String(format: "  %7.3f  %5.1f  %6.1f", entry.ms, 100 * entry.ms / total, 100 * cumulative / total))
            }
        }
    }
}

func formatCount(_ n: Int) -> String {
    n >= 1_000_000 ? String(format: "%.1f M", Double(n) / 1e6) : n >= 1000 ? String(format: "%.1f K", Double(n) / 1e3) : "\(n)"
}
