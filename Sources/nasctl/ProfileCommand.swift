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
        Enumerates each distinct layer signature the space can produce (op, kernel, stride,
        expansion, SE, skip, channels, input size), builds it alone in nasctl's engine with
        random folded weights, and times it: warm-up, then runs until the interquartile spread
        is within --target-spread or a cap hits; caches are flushed before every run so the
        layer sees L3, as inside a network. Writes LatencyTables/<device id>.json.
        Run it on the target device, from a release build.
        """
    )

    @OptionGroup var spaceOptions: SpaceOptions
    @OptionGroup var threadOptions: ThreadOptions

    @Option(help: "Where to write the table (default: LatencyTables/<device id>.json).")
    var output: String?

    @Option(help: "Stop timing a layer once its interquartile range is within this percent of the median.")
    var targetSpread: Double = 3

    @Option(help: "Most timed runs per layer.")
    var maxRuns: Int = 200

    @Flag(inversion: .prefixedNo, help: "Flush caches before every timed run (models a layer inside a network).")
    var flush = true

    @Option(help: "MiB touched per cache flush.")
    var flushMib: Int = 4

    @Flag(help: "Print the table's summary as JSON.")
    var json = false

    func validate() throws {
        guard targetSpread > 0 else { throw ValidationError("--target-spread must be positive (got \(targetSpread)).") }
        guard maxRuns >= 1 else { throw ValidationError("--max-runs must be at least 1 (got \(maxRuns)).") }
    }

    struct Summary: Encodable {
        var table: String
        var device_id: String
        var space: String
        var entries: Int
        var noisy: Int
        var seconds: Double
        var threads: Int
    }

    func run() throws {
        guard Profiler.build == "release" else { throw LatencyError.debugBuild }
        let space = try spaceOptions.load()
        let device = try DeviceIdentity.current()
        let path = output ?? (DefaultPaths.tablesDirectory() as NSString).appendingPathComponent("\(device.id).json")
        let total = try NetworkBuilder.allLayers(in: space).count
        FileHandle.standardError.write(Data("profiling \(total) layers of '\(space.name)' on \(device.id) at \(threadOptions.threads) thread(s)\n".utf8))
        var bar = ProgressLine(label: "profile", total: total)
        let settings = MeasurementSettings(maxRuns: maxRuns, targetSpreadPct: targetSpread, flushCaches: flush, flushBytes: flushMib << 20)
        let table = try Profiler.profile(space: space, device: device, threads: threadOptions.threads, settings: settings) { p in
            bar.update(done: p.done, elapsed: p.elapsedSeconds, eta: p.etaSeconds)
        }
        try table.write(file: path)
        let noisy = table.entries.filter(\.noisy).count
        if json {
            try printJSON(Summary(table: path, device_id: device.id, space: space.name, entries: table.entries.count, noisy: noisy,
                                  seconds: table.seconds, threads: threadOptions.threads))
        } else {
            print("wrote \(path): \(table.entries.count) layers in \(ProgressLine.clock(table.seconds)), \(noisy) with spread above \(targetSpread)%")
        }
    }
}
