import ArgumentParser
import Foundation
import NASEngine
@testable import NASLatency
import NASSpace
import Testing
@testable import nasctl

@Suite struct LatencyCommandTests {
    let space: SearchSpace
    let spaceFile: String
    let archFile: String

    init() throws {
        let yaml = """
        name: micro
        kind: network
        input: {resolution: 16, channels: 3}
        classes: 4
        stem: {filters: 8}
        head: {filters: 16}
        choices: {op: [sepconv, mbconv3], kernel: [3], se: [0], skip: [none], width: [1.0], layers: [0]}
        blocks:
          - {filters: 8, layers: 1, stride: 1}
        """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        spaceFile = dir.appendingPathComponent("micro.yaml").path
        archFile = dir.appendingPathComponent("arch.json").path
        try yaml.write(toFile: spaceFile, atomically: true, encoding: .utf8)
        space = try SearchSpace.load(file: spaceFile)
        var rng = SplitMix64(seed: 1)
        try Architecture.random(in: space, using: &rng).json(in: space).write(toFile: archFile, atomically: true, encoding: .utf8)
    }

    func table(device: DeviceIdentity, threads: Int = 1) throws -> String {
        let path = (spaceFile as NSString).deletingLastPathComponent + "/table-\(UUID().uuidString).json"
        let entries = try NetworkBuilder.allLayers(in: space).map {
            LatencyTable.Entry(signature: $0.signature, role: $0.role, medianMs: 0.25, spreadPct: 0, contexts: 1, noisy: false, macs: 0, samplesMs: [], contextMacs: [])
        }
        try LatencyTable(schema: LatencyTable.currentSchema, deviceID: device.id, device: device,
                         engine: .init(threads: threads, build: "test", gemm: "native", blasCore: "x", family: "avx512", measurement: ProfileSettings()),
                         space: .init(name: space.name, digest: space.digest), createdAt: "", seconds: 0, entries: entries).write(file: path)
        return path
    }

    func failure(_ arguments: [String]) -> String? { commandFailure(arguments) }

    @Test func predictWithAMatchingTableRuns() throws {
        let path = try table(device: try DeviceIdentity.current())
        #expect(failure(["predict", "--arch", archFile, "--space", spaceFile, "--table", path, "--json"]) == nil)
    }

    @Test func predictRefusesATableFromAnotherDeviceOrThreadCount() throws {
        var other = try DeviceIdentity.current()
        other.packageName = "Other CPU 9000"
        let path = try table(device: other, threads: 2)
        let message = try #require(failure(["predict", "--arch", archFile, "--space", spaceFile, "--table", path]))
        #expect(message.contains("does not fit this run"))
        #expect(message.contains("device: table was measured on") && message.contains("threads: table was measured at 2"))
        #expect(message.contains("--force"))
        #expect(failure(["predict", "--arch", archFile, "--space", spaceFile, "--table", path, "--force"]) == nil)
    }

    /// The warning for a table too noisy to trust says why.
    @Test func aNoisyTableIsNamedWithItsReasons() throws {
        var table = try LatencyTable.load(file: try self.table(device: try DeviceIdentity.current()))
        table.noise = LatencyTable.Noise(referenceMedianMs: 10, referenceCVPct: 9, referenceChecks: 4, driftedChecks: 1, shifts: 0,
                                         discardedNetworks: 0, retimedEntries: 0, wideEntries: 300, tooNoisy: true, offLevelKept: 12)
        #expect(TableOptions.why(table, 7.5) == "it kept 12 timings made at another speed of the machine; it predicts whole networks within ±7.5%, wider than ±5%")
        #expect(TableOptions.why(table, 1.2) == "it kept 12 timings made at another speed of the machine")
        #expect(TableOptions.why(table, nil) == "it kept 12 timings made at another speed of the machine; 300 of its \(table.entries.count) entries are wider than ±5%")
        table.noise?.offLevelKept = 0
        #expect(TableOptions.why(table, nil) == "300 of its \(table.entries.count) entries are wider than ±5%")
        // Without an interval, few wide entries are not a reason (an older table flagged for kept timings only).
        table.noise?.offLevelKept = 3
        table.noise?.wideEntries = table.entries.count / 10
        #expect(TableOptions.why(table, nil) == "it kept 3 timings made at another speed of the machine")
    }

    @Test func predictWithoutATableSaysToProfile() throws {
        let message = try #require(failure(["predict", "--arch", archFile, "--space", spaceFile, "--table", "/nonexistent/t.json"]))
        #expect(message.contains("/nonexistent/t.json") && message.contains("nasctl profile"))
    }

    @Test func badArchitectureFileNamesTheFile() throws {
        let bad = (spaceFile as NSString).deletingLastPathComponent + "/bad.json"
        try "{\"space\": \"micro\", \"decisions\": {}}".write(toFile: bad, atomically: true, encoding: .utf8)
        let message = try #require(failure(["predict", "--arch", bad, "--space", spaceFile, "--table", "/nonexistent"]))
        #expect(message.contains(bad) && message.contains("block1.op") && message.contains("missing"))
    }

    @Test func measureArchitectureRunsAndRejectsBothSources() throws {
        #expect(failure(["measure", "--arch", archFile, "--space", spaceFile, "--runs", "2", "--warmup", "0", "--json"]) == nil)
        #expect(failure(["measure", "--arch", archFile, "--model", "mobilenetv2"])?.contains("either --model or --arch") == true)
    }

    /// `measure --table` runs the network with the table's kernel family and per-layer GEMM
    /// backends, and says so in its report.
    @Test func measureRunsTheEngineTheTableDescribes() throws {
        let path = try table(device: try DeviceIdentity.current())
        var loaded = try LatencyTable.load(file: path)
        loaded.engine.family = "neon"
        loaded.engine.gemm = "auto"
        for i in loaded.entries.indices { loaded.entries[i].gemm = i % 2 == 0 ? "openblas" : "native" }
        try loaded.write(file: path)
        let architecture = try Architecture.load(file: archFile, space: space)
        let layers = try NetworkBuilder.layers(for: architecture, in: space)
        let network = try NetworkBuilder.network(for: architecture, in: space, seed: 1)
        let report = try MeasureCommand.measure(network, name: "a", resolution: 16, width: 1, threads: 1, runs: 2, warmup: 0, seed: 1,
                                                profile: false, context: loaded.executionContext, layerBackends: loaded.backends(for: layers))
        #expect(report.family == "neon")
        #expect(Set(loaded.backends(for: layers)).count == 1 ? report.gemm != "per layer" : report.gemm == "per layer")
        #expect(failure(["measure", "--arch", archFile, "--space", spaceFile, "--table", path, "--runs", "2", "--warmup", "0", "--json"]) == nil)
    }

    /// A table of another backend is refused like one of another device; asking for its
    /// backend (or --force) uses it, and measure runs an XNNPACK table's networks on XNNPACK.
    @Test func aTableOfAnotherBackendIsRefused() throws {
        let path = try table(device: try DeviceIdentity.current())
        var loaded = try LatencyTable.load(file: path)
        loaded.engine.backend = "xnnpack"
        loaded.engine.gemm = "xnnpack"
        try loaded.write(file: path)
        let refused = failure(["predict", "--arch", archFile, "--space", spaceFile, "--table", path, "--backend", "nasctl"])
        #expect(refused?.contains("backend: table was measured on xnnpack, this run uses nasctl") == true)
        #expect(failure(["predict", "--arch", archFile, "--space", spaceFile, "--table", path, "--backend", "xnnpack", "--json"]) == nil)
        #expect(failure(["predict", "--arch", archFile, "--space", spaceFile, "--table", path, "--json"]) == nil)  // its own backend
        #expect(failure(["predict", "--arch", archFile, "--space", spaceFile, "--table", path, "--backend", "tflite"])?
            .contains("--backend must be nasctl or xnnpack (got 'tflite')") == true)
        let architecture = try Architecture.load(file: archFile, space: space)
        let network = try NetworkBuilder.network(for: architecture, in: space, seed: 1)
        let report = try MeasureCommand.measure(network, name: "a", resolution: 16, width: 1, threads: 1, runs: 2, warmup: 0, seed: 1,
                                                profile: true, context: ExecutionContext(), backend: .xnnpack)
        #expect(report.backend == "xnnpack" && report.layers?.count == network.layers.count)
    }

    @Test func timingCommandsRefuseDebugBuilds() throws {
        #if DEBUG
        let message = try #require(failure(["profile", "--space", spaceFile, "--output", "/tmp/never.json"]))
        #expect(message.contains("debug build"))
        #endif
    }
}
