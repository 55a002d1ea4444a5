import ArgumentParser
import Foundation
import NASEngine
import NASLatency
import NASSpace

/// `nasctl profile`: measure every layer the space can produce into a latency table.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Measure every layer of a search space on this CPU into a latency table.",
        discussion: """
        Enumerates each distinct layer signature the space can produce (op, kernel, stride, \
        expansion, SE, skip, channels, input size) and times each inside --contexts random \
        networks of the space that contain it (random folded weights, --runs passes after a \
        warm-up, per-layer timing of the whole forward pass), so an entry carries the cache \
        state a layer meets inside a network. An entry is the median over its contexts. \
        With --gemm auto (default) every layer is first timed on both GEMM backends (the native \
        microkernels and OpenBLAS) and keeps the faster one; the table records the choice per \
        layer and the kernel family, and `measure --table`, `validate` and the search run the \
        engine that way. Writes LatencyTables/<device id>.json. Run it on the target device, from \
        a release build.
        """
    )

    @OptionGroup var spaceOptions: SpaceOptions
    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var kernelOptions: KernelOptions

    @Option(help: "What runs the networks: nasctl (the engine's kernels) or xnnpack (XNNPACK's operators, as TFLite runs them; --gemm and --kernel-family do not apply).")
    var backend: String = "nasctl"

    @Option(help: "GEMM backend of convolutions: auto (time native and OpenBLAS per layer, keep the faster), native or openblas.")
    var gemm: String = "auto"

    @Option(help: "Where to write the table (default: a new file in LatencyTables/, <device id>.json or, when that exists, one beside it named after the space and thread count; no table is overwritten unless named here).")
    var output: String?

    @Option(help: "Networks each layer is timed in (the entry is the median over them).")
    var contexts: Int = ProfileSettings().contexts

    @Option(help: "Untimed passes per network before the timed ones.")
    var warmup: Int = ProfileSettings().warmup

    @Option(help: "Timed passes per network (a layer's time in a network is the median over them).")
    var runs: Int = ProfileSettings().runs

    @Option(help: "Entries whose median's 95% interval is wider than this (percent) are timed in more networks, up to --max-contexts; a table that predicts whole networks less precisely than this is flagged too_noisy.")
    var targetInterval: Double = 5

    @Option(help: "Most networks an entry is timed in when its interval stays wide (default: --contexts + 4).")
    var maxContexts: Int?

    @Option(help: "Re-timing (networks timed at another speed of the machine, entries with a wide interval) may cost at most this share of the useful networks; past it, an entry keeps only its timings made at the machine's usual speed when it has any; entries with none keep theirs and flag the table too_noisy.")
    var retimeBudget: Double = ProfileSettings().retimeBudget

    @Option(help: "Seed for the context networks.")
    var seed: UInt64 = 1

    @Flag(help: "Print the table's summary as JSON.")
    var json = false

    func validate() throws {
        guard contexts >= 1 else { throw ValidationError("--contexts must be at least 1 (got \(contexts)).") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more (got \(warmup)).") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1 (got \(runs)).") }
        guard targetInterval > 0 && targetInterval.isFinite else { throw ValidationError("--target-interval must be a positive percentage (got \(targetInterval)).") }
        guard retimeBudget >= 0 && retimeBudget.isFinite else { throw ValidationError("--retime-budget must be 0 or more (got \(retimeBudget)).") }
        if let maxContexts, maxContexts < contexts {
            throw ValidationError("--max-contexts (\(maxContexts)) must be at least --contexts (\(contexts)).")
        }
        _ = try parseGEMM(gemm, allowAuto: true)
        _ = try parseBackend(backend)
    }

    struct Summary: Encodable {
        var table: String
        var device_id: String
        var space: String
        var entries: Int
        var noisy: Int
        var seconds: Double
        var threads: Int
        var backend: String
        var family: String
        var gemm: String
        /// Entries that run on OpenBLAS (with `--gemm auto`).
        var openblas_entries: Int
        var noise: LatencyTable.Noise?
    }

    func run() throws {
        guard Profiler.build == "release" else { throw LatencyError.debugBuild }
        let space = try spaceOptions.load()
        let device = try DeviceIdentity.current()
        // Without --output a new file beside the device's other tables: none is overwritten.
        let inference = try parseBackend(backend)
        let path = output ?? LatencyTableFiles.newPath(in: DefaultPaths.tablesDirectory(), device: device, space: space,
                                                       threads: threadOptions.threads, backend: inference)
        let total = try NetworkBuilder.allLayers(in: space).count
        FileHandle.standardError.write(Data("profiling \(total) layers of '\(space.name)' on \(device.id) at \(threadOptions.threads) thread(s) with \(inference.rawValue)\n".utf8))
        var bar = ProfileProgress(layers: total)
        let settings = ProfileSettings(contexts: contexts, warmup: warmup, runs: runs, seed: seed, targetIntervalPct: targetInterval, maxContexts: maxContexts,
                                       retimeBudget: retimeBudget)
        let table = try Profiler.profile(space: space, device: device, threads: threadOptions.threads, backend: inference,
                                         gemm: try parseGEMM(gemm, allowAuto: true), family: try kernelOptions.family(),
                                         settings: settings) { p in
            bar.update(p)
        }
        try table.write(file: path)
        let noisy = table.entries.filter(\.noisy).count
        let blas = table.entries.filter { $0.gemm == GEMMBackend.openblas.rawValue }.count
        if json {
            try printJSON(Summary(table: path, device_id: device.id, space: space.name, entries: table.entries.count, noisy: noisy,
                                  seconds: table.seconds, threads: threadOptions.threads, backend: table.engine.backend, family: table.engine.family,
                                  gemm: table.engine.gemm, openblas_entries: blas, noise: table.noise))
        } else {
            if let n = table.noise {
                print(String(format: "noise: reference network %.3f ms, CV %.1f%% over %d checks; %d drifted (%d networks re-timed, %d kept once the re-timing budget was spent), %d lasting shifts; %d extra networks for wide entries, %d entries still wider than ±%.0f%%",
                             n.referenceMedianMs, n.referenceCVPct, n.referenceChecks, n.driftedChecks, n.discardedNetworks,
                             n.keptDriftedNetworks ?? 0, n.shifts, n.retimedEntries, n.wideEntries, settings.targetIntervalPct))
                if let level = n.levelMs {
                    let steady = min(Profiler.minimumSteadyContexts, contexts), thin = table.entries.filter { $0.contexts < steady }.count
                    print(String(format: "level: settled at the reference's %.3f ms; %d timings made at another speed dropped, %d networks timed for entries left with fewer than %d (%d entries keep fewer, the budget spent); %d off-level timings kept (entries with none at the level)",
                                 level, n.offLevelDropped ?? 0, n.resettledNetworks ?? 0, steady, thin, n.offLevelKept ?? 0))
                }
                if let network = n.networkIntervalPct {
                    print(String(format: "precision: a whole network is predicted within ±%.1f%% (median 95%% interval over random architectures; target ±%.0f%%)",
                                 network, settings.targetIntervalPct))
                }
                if let built = n.networks, let build = n.buildSeconds, let reference = n.referenceSeconds {
                    let setup = n.setupSeconds ?? 0
                    print(String(format: "time: %d networks; building them %.0f s, their executors %.0f s, reference passes %.0f s, timing layers %.0f s",
                                 built, build, setup, reference, max(0, table.seconds - build - setup - reference)))
                }
                if n.tooNoisy {
                    FileHandle.standardError.write(Data("warning: this machine was too noisy for a trustworthy table (the table says so in noise.too_noisy); re-profile when it is quieter\n".utf8))
                }
            }
            print("wrote \(path): \(table.entries.count) layers in \(ProgressLine.clock(table.seconds)), \(noisy) with spread across contexts above \(settings.targetSpreadPct)%; \(table.backend == .xnnpack ? "XNNPACK" : "kernel family \(table.engine.family), GEMM \(table.engine.gemm)\(table.engine.gemm == "auto" ? " (\(blas) layers on OpenBLAS)" : "")")")
        }
    }
}
