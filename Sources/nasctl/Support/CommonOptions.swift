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

    @Flag(help: "Use a table from another device, space digest or thread count anyway.")
    var force = false

    /// Loads the table and refuses one that does not fit, unless `--force`.
    func predictor(space: SearchSpace, threads: Int) throws -> LatencyPredictor {
        let device = try DeviceIdentity.current()
        let path = table ?? (DefaultPaths.tablesDirectory() as NSString).appendingPathComponent("\(device.id).json")
        let loaded = try LatencyTable.load(file: path)
        let problems = loaded.mismatches(device: device, space: space, threads: threads)
        if !problems.isEmpty {
            if force {
                FileHandle.standardError.write(Data("warning: using \(path) anyway (--force):\n  - \(problems.joined(separator: "\n  - "))\n".utf8))
            } else {
                throw LatencyError.mismatchedTable(path, problems)
            }
        }
        return LatencyPredictor(table: loaded, path: path)
    }
}
