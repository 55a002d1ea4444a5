import ArgumentParser
import Foundation
import Testing
@testable import NASSearch
@testable import nasctl

/// `--objective/--direction`, `--target-ms` for spaces without latency, numeric grids.
@Suite struct ObjectiveCommandTests {
    /// A folder with a two-decision space (an ordinal and a categorical) and its `mse` table.
    func fixture() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-objective-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "name: hp\nkind: decisions\ndecisions: {lr: {ordinal: [0.01, 0.1, 1]}, act: [relu, tanh]}\n".write(toFile: dir + "/hp.yaml", atomically: true, encoding: .utf8)
        var csv = "lr,act,mse\n"
        for (i, lr) in ["0.01", "0.1", "1.0"].enumerated() { for (j, act) in ["relu", "tanh"].enumerated() { csv += "\(lr),\(act),\(0.5 + Double(i) - Double(j) * 0.25)\n" } }
        try csv.write(toFile: dir + "/t.csv", atomically: true, encoding: .utf8)
        return dir
    }

    func run(_ arguments: [String]) -> String? { commandFailure(arguments) }

    @Test func aMinimisedTableSearchNeedsNoTargetAndFindsTheMinimum() throws {
        let dir = try fixture()
        let base = ["search", "--space", dir + "/hp.yaml", "--evaluator", "table:\(dir)/t.csv", "--strategy", "grid", "--cycles", "6", "--workers", "1", "--json"]
        #expect(run(base + ["--study", dir + "/a"])?.contains("missing column 'accuracy'; its other columns are mse") == true)
        #expect(run(base + ["--objective", "mse", "--study", dir + "/b"])?.contains("--objective mse: say whether to --direction minimize or --direction maximize it") == true)
        #expect(run(base + ["--direction", "minimize", "--study", dir + "/c"])?.contains("accuracy is maximised") == true)
        #expect(run(base + ["--objective", "latency_ms", "--direction", "minimize", "--study", dir + "/d"])?.contains("latency is the study's second axis") == true)
        #expect(run(base + ["--objective", "mse", "--direction", "minimize", "--study", dir + "/e"]) == nil)
        let store = try SQLiteStudyStore(existing: dir + "/e")
        #expect(store.settings.objective == Objective(name: "mse", direction: .minimize))
        let best = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/e/best.json"))) as? [String: Any]
        #expect(best?["objective"] as? String == "mse" && best?["value"] as? Double == 0.25)
        // Resumed to maximise it instead: refused, naming the objective.
        let resumed = run(base + ["--objective", "mse", "--direction", "maximize", "--study", dir + "/e"])
        #expect(resumed?.contains("objective: study has mse (minimize), now mse (maximize)") == true, "\(resumed ?? "accepted")")
    }

    @Test func aNetworkSpaceStillNeedsATarget() throws {
        let message = run(["search", "--cycles", "1", "--evaluator", "command:echo '{\"accuracy\": 0.5}'; :", "--study",
                           FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-target-\(UUID().uuidString)").path])
        #expect(message?.contains("--target-ms is required: 'mnasnet' builds networks whose latency is predicted") == true, "\(message ?? "accepted")")
    }

    @Test func theProxyReportsAccuracyOnly() throws {
        let message = run(["search", "--target-ms", "30", "--cycles", "1", "--objective", "loss", "--direction", "minimize", "--study",
                           FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-proxy-\(UUID().uuidString)").path])
        #expect(message?.contains("the proxy evaluator reports accuracy only") == true, "\(message ?? "accepted")")
    }
}
