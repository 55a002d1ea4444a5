import ArgumentParser
import Foundation
import NASLatency
import NASSpace

/// `--space FILE`: the search space (default Configs/mnasnet.yaml).
struct SpaceOptions: ParsableArguments {
    @Option(help: "Search-space YAML (default: \(DefaultPaths.defaultSpace)).")
    var space: String?

    func load() throws -> SearchSpace {
        guard let path = space ?? DefaultPaths.find(DefaultPaths.defaultSpace) else {
            throw ValidationError("cannot find \(DefaultPaths.defaultSpace); run from the nasctl checkout or pass --space FILE")
        }
        return try SearchSpace.load(file: path)
    }
}

/// `--threads N`: the engine's thread count.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for the whole engine (OpenBLAS and nasctl's kernels).")
    var threads: Int = 1

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
    }
}

/// `--table FILE` and `--force`: the latency table and whether to accept a mismatched one.
struct TableOptions: ParsableArguments {
    @Option(help: "Latency table JSON (default: LatencyTables/<device id>.json).")
    var table: String?

    @Option(help: "Backend whose table to use: nasctl (the engine's kernels) or xnnpack (a table profiled with `profile --backend xnnpack`). Default: the --table's own, else nasctl.")
    var backend: String?

    @Flag(help: "Use a table from another device, space digest, thread count or backend anyway.")
    var force = false

    func validate() throws { _ = try backend.map(parseBackend) }

    /// Loads the table and refuses one that does not fit, unless `--force`. Without `--table`
    /// the newest fitting table of this device in `LatencyTables/` is used; with
    /// `profileIfMissing` and none fitting, the space is profiled first (the first search on a
    /// new device) into a new file beside the others: no table is ever overwritten, and one that
    /// cannot be read is an error naming it.
    /// `recorded`: the table a resumed study was started with, used (when it still exists) before
    /// any newer one, so that a study keeps one table.
    func predictor(space: SearchSpace, threads: Int, profileIfMissing: Bool = false, recorded: String? = nil) throws -> LatencyPredictor {
        let device = try DeviceIdentity.current()
        let directory = DefaultPaths.tablesDirectory()
        let asked = try backend.map(parseBackend)
        let chosen = table ?? recorded.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
        var path = chosen ?? (directory as NSString).appendingPathComponent("\(device.id).json")
        if chosen == nil {
            if let fitting = try LatencyTableFiles.newestFitting(in: directory, device: device, space: space, threads: threads,
                                                                 backend: asked ?? .nasctl) {
                path = fitting
            } else if profileIfMissing {
                guard Profiler.build == "release" else { throw LatencyError.debugBuild }
                path = LatencyTableFiles.newPath(in: directory, device: device, space: space, threads: threads, backend: asked ?? .nasctl)
                let total = try NetworkBuilder.allLayers(in: space).count
                FileHandle.standardError.write(Data("no \((asked ?? .nasctl).rawValue) latency table of this device fits '\(space.name)' at \(threads) thread(s) in \(directory): profiling \(total) layers first into \(path)\n".utf8))
                var bar = ProfileProgress(layers: total)
                let made = try Profiler.profile(space: space, device: device, threads: threads, backend: asked ?? .nasctl) { p in
                    bar.update(p)
                }
                try made.write(file: path)
            }
        }
        let loaded = try LatencyTable.load(file: path)
        let problems = loaded.mismatches(device: device, space: space, threads: threads, backend: asked ?? (chosen == nil ? .nasctl : nil))
        if !problems.isEmpty {
            if force {
                FileHandle.standardError.write(Data("warning: using \(path) anyway (--force):\n  - \(problems.joined(separator: "\n  - "))\n".utf8))
            } else {
                throw LatencyError.mismatchedTable(path, problems)
            }
        }
        if let verdict = loaded.verdict(space: space), verdict.tooNoisy {
            FileHandle.standardError.write(Data("warning: \(path) was profiled on a machine too noisy for a trustworthy table (\(Self.why(loaded, verdict.networkIntervalPct))); `nasctl validate` measures how it predicts now, `nasctl profile` makes a new one when the machine is quieter\n".utf8))
        }
        return LatencyPredictor(table: loaded, path: path, digest: try LatencyTableFiles.contentDigest(of: path))
    }

    /// What made a table too noisy, in words.
    static func why(_ table: LatencyTable, _ networkIntervalPct: Double?) -> String {
        var reasons: [String] = []
        if let kept = table.noise?.offLevelKept, kept > 0 { reasons.append("it kept \(kept) timings made at another speed of the machine") }
        if let interval = networkIntervalPct, interval > table.engine.measurement.targetIntervalPct {
            reasons.append(String(format: "it predicts whole networks within ±%.1f%%, wider than ±%.0f%%", interval, table.engine.measurement.targetIntervalPct))
        }
        if networkIntervalPct == nil, let wide = table.noise?.wideEntries, wide * 10 > table.entries.count {
            reasons.append(String(format: "%d of its %d entries are wider than ±%.0f%%", wide, table.entries.count,
                                  table.engine.measurement.targetIntervalPct))
        }
        return reasons.joined(separator: "; ")
    }
}
