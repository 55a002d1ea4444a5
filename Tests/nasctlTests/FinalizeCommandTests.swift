import ArgumentParser
import Foundation
import NASEngine
@testable import NASLatency
import NASSearch
import NASSpace
import Testing
@testable import nasctl

/// `nasctl search --scheduler asha` then `nasctl finalize` on a micro space and a tiny data set:
/// the search never reads the test set; finalize trains the front, writes final accuracies into
/// the reports and reuses finished trainings when run again.
@Suite struct FinalizeCommandTests {
    let dir: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-finalize-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
    }

    /// `count` 8x8 images whose class (of 4) lights one row, with seeded noise.
    func writeSplit(_ prefix: String, count: Int, seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var images = Data([0, 0, 8, 3, 0, 0, 0, UInt8(count), 0, 0, 0, 8, 0, 0, 0, 8])
        var labels = Data([0, 0, 8, 1, 0, 0, 0, UInt8(count)])
        for i in 0..<count {
            for y in 0..<8 { for _ in 0..<8 { images.append(UInt8(min(255, (y == 2 * (i % 4) ? 150 : 0) + Int(rng.next() % 80)))) } }
            labels.append(UInt8(i % 4))
        }
        try images.write(to: URL(fileURLWithPath: "\(dir)/data/\(prefix)-images-idx3-ubyte"))
        try labels.write(to: URL(fileURLWithPath: "\(dir)/data/\(prefix)-labels-idx1-ubyte"))
    }

    func run(_ arguments: [String]) throws {
        var command = try Nasctl.parseAsRoot(arguments)
        try command.run()
    }

    @Test func searchWithASchedulerThenFinalizeTheFront() throws {
        let spaceFile = dir + "/micro.yaml"
        try """
        name: micro
        kind: network
        input: {resolution: 16, channels: 3}
        classes: 4
        stem: {filters: 8}
        head: {filters: 16}
        choices: {op: [sepconv, mbconv3, conv], kernel: [3, 5], se: [0], skip: [none], width: [1.0], layers: [0]}
        blocks:
          - {filters: 8, layers: 1, stride: 2}
        """.write(toFile: spaceFile, atomically: true, encoding: .utf8)
        let space = try SearchSpace.load(file: spaceFile)
        // A table whose latency grows with the layer's name length: architectures differ.
        let device = try DeviceIdentity.current()
        let entries = try NetworkBuilder.allLayers(in: space).map {
            LatencyTable.Entry(signature: $0.signature, role: $0.role, medianMs: 0.01 * Double($0.signature.count), spreadPct: 0, contexts: 1,
                               noisy: false, macs: 0, samplesMs: [], contextMacs: [])
        }
        let table = dir + "/table.json"
        try LatencyTable(schema: LatencyTable.currentSchema, deviceID: device.id, device: device,
                         engine: .init(threads: 1, build: "test", gemm: "native", blasCore: "x", family: "avx512", measurement: ProfileSettings()),
                         space: .init(name: space.name, digest: space.digest), createdAt: "", seconds: 0, entries: entries).write(file: table)
        try writeSplit("train", count: 80, seed: 1)
        try Data("corrupt: the search must not read the test split".utf8).write(to: URL(fileURLWithPath: dir + "/data/t10k-images-idx3-ubyte"))
        try Data("corrupt".utf8).write(to: URL(fileURLWithPath: dir + "/data/t10k-labels-idx1-ubyte"))

        let study = dir + "/study"
        try run(["search", "--target-ms", "1", "--space", spaceFile, "--table", table, "--data", dir + "/data", "--cycles", "6",
                 "--workers", "2", "--population", "3", "--sample", "2", "--study", study, "--json",
                 "--scheduler", "asha", "--min-epochs", "1", "--max-epochs", "3",
                 "--proxy-train-images", "40", "--proxy-validation-images", "20", "--proxy-batch-size", "10"])
        let store = try SQLiteStudyStore(existing: study)
        #expect(store.settings.scheduler == "asha min=1 max=3 eta=3")
        let trials = try store.trials()
        #expect(trials.count == 6 && trials.contains { $0.status == .done && $0.fidelity == 3 })
        let csv = try String(contentsOfFile: study + "/trials.csv", encoding: .utf8)
        #expect(csv.hasPrefix("trial,key,status,accuracy,latency_ms,reward,fidelity,"))

        try writeSplit("t10k", count: 40, seed: 2)
        // A latency limit below every front model is a clear error before any training.
        do {
            try run(["finalize", "--study", study, "--max-ms", "0.0001", "--data", dir + "/data", "--json"])
            Issue.record("finalize with --max-ms below the whole front did not fail")
        } catch {
            #expect(Nasctl.fullMessage(for: error).contains("no front model is predicted at most --max-ms"))
        }
        #expect(!FileManager.default.fileExists(atPath: study + "/final"))
        let baseline = dir + "/baseline.json"
        var rng = SplitMix64(seed: 7)
        try Architecture.random(in: space, using: &rng).json(in: space).write(toFile: baseline, atomically: true, encoding: .utf8)
        let finalize = ["finalize", "--study", study, "--top", "2", "--epochs", "1", "--seeds", "1,2", "--baseline", baseline,
                        "--data", dir + "/data", "--workers", "2", "--json"]
        try run(finalize)
        let finalized = try #require(try FinalizedModels.load(directory: study))
        let front = StudyReport(space: space, settings: store.settings, trials: trials).front
        #expect(finalized.models.count == min(2, front.count) && finalized.baseline != nil)
        for model in finalized.models + [finalized.baseline!] {
            #expect(model.seeds == [1, 2] && model.test_accuracies.count == 2 && model.test_accuracies.allSatisfy { (0...1).contains($0) })
            #expect(model.latency_ms != nil)
        }
        let pareto = try String(contentsOfFile: study + "/pareto.csv", encoding: .utf8).split(separator: "\n")
        #expect(pareto[0].contains("final_test_accuracy"))
        let finalColumn = pareto[0].split(separator: ",").firstIndex(of: "final_test_accuracy")!
        let filled = pareto.dropFirst().filter { !$0.split(separator: ",", omittingEmptySubsequences: false)[finalColumn].isEmpty }
        #expect(filled.count == finalized.models.count)
        #expect(try String(contentsOfFile: study + "/pareto.svg", encoding: .utf8).contains("final test accuracy"))

        // Run again: every training is reused (the metrics files are not rewritten).
        let metrics = try FileManager.default.contentsOfDirectory(atPath: study + "/final").filter { $0.hasSuffix(".metrics.json") }
        #expect(metrics.count == 2 * (finalized.models.count + 1))
        func modified(_ name: String) throws -> Date { try FileManager.default.attributesOfItem(atPath: study + "/final/" + name)[.modificationDate] as! Date }
        let before = try metrics.map(modified)
        try run(finalize)
        #expect(try metrics.map(modified) == before)
        #expect(try FinalizedModels.load(directory: study) == finalized)

        // Another selection of fewer models adds to final.json: the earlier models and baseline stay in the reports.
        try run(["finalize", "--study", study, "--top", "1", "--select", "spread", "--epochs", "1", "--seeds", "1,2",
                 "--data", dir + "/data", "--workers", "2", "--json"])
        let merged = try #require(try FinalizedModels.load(directory: study))
        #expect(Set(merged.models.compactMap(\.trial)).isSuperset(of: finalized.models.compactMap(\.trial)))
        #expect(merged.baseline == finalized.baseline)

        // --export writes each finalized model (and the baseline) as ONNX from its trained weights.
        try run(finalize + ["--export"])
        let exported = try FileManager.default.contentsOfDirectory(atPath: study + "/final").filter { $0.hasSuffix(".onnx") }
        #expect(exported.count == finalized.models.count + 1)
        #expect(exported.contains("baseline.onnx"))
    }

    @Test func badArgumentsAreClearErrors() throws {
        for (arguments, text) in [(["--top", "0"], "--top must be at least 1"), (["--seeds", "1,,2"], "--seeds must be distinct"),
                                  (["--seeds", "1,1"], "--seeds must be distinct"), (["--epochs", "0"], "--epochs must be a positive"),
                                  (["--max-ms", "0"], "--max-ms must be a positive"), (["--max-ms=-3"], "--max-ms must be a positive"), (["--max-ms", "nan"], "--max-ms must be a positive"),
                                  (["--select", "fastest"], "'reward', 'accuracy' or 'spread'")] {
            #expect(throws: (any Error).self) { try FinalizeCommand.parse(["--study", dir] + arguments) }
            do { _ = try FinalizeCommand.parse(["--study", dir] + arguments) } catch {
                #expect(FinalizeCommand.fullMessage(for: error).contains(text), "\(arguments)")
            }
        }
    }
}
