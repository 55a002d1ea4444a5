import Foundation
import Testing
@testable import NASSearch
@testable import nasctl

/// `--objective` given more than once: NSGA-II on two metrics of a table or a command, for a
/// space without latency; the errors a user meets on the way.
@Suite struct SecondaryObjectiveCommandTests {
    /// A folder with a three-decision space and a table whose `mse` falls as `params` grows.
    func fixture() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-secondary-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "name: mlp\nkind: decisions\ndecisions: {n1: {ordinal: [4, 8, 16, 32]}, n2: {ordinal: [4, 8, 16, 32]}, act: [relu, tanh]}\n"
            .write(toFile: dir + "/mlp.yaml", atomically: true, encoding: .utf8)
        var csv = "n1,n2,act,mse,n_params\n"
        for n1 in [4, 8, 16, 32] { for n2 in [4, 8, 16, 32] { for (j, act) in ["relu", "tanh"].enumerated() {
            csv += "\(n1),\(n2),\(act),\(1.0 / Double(n1 + n2) + Double(j) * 0.003 + Double((n1 * 7 + n2) % 5) * 0.001),\(n1 * n2 + n2)\n"
        } } }
        try csv.write(toFile: dir + "/t.csv", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func nsga2OnTwoTableObjectives() throws {
        let dir = try fixture()
        let base = ["search", "--space", dir + "/mlp.yaml", "--evaluator", "table:\(dir)/t.csv", "--strategy", "nsga2", "--population", "6",
                    "--cycles", "24", "--workers", "1", "--seed", "2", "--json"]
        let two = ["--objective", "mse", "--direction", "minimize", "--objective", "n_params", "--direction", "minimize"]
        #expect(commandFailure(base + ["--objective", "mse", "--objective", "n_params", "--direction", "minimize", "--study", dir + "/a"])?
            .contains("--objective is given 2 times: give --direction 2 times too") == true)
        #expect(commandFailure(base + ["--objective", "mse", "--direction", "minimize", "--objective", "mse", "--direction", "minimize", "--study", dir + "/b"])?
            .contains("--objective names one metric twice") == true)
        let missing = commandFailure(base + ["--objective", "mse", "--direction", "minimize", "--objective", "flops", "--direction", "minimize", "--study", dir + "/c"])
        #expect(missing?.contains("\(dir)/t.csv") == true && missing?.contains("missing column 'flops'") == true, "\(missing ?? "accepted")")
        let reserved = commandFailure(base + ["--objective", "mse", "--direction", "minimize", "--objective", "params", "--direction", "minimize", "--study", dir + "/r"])
        #expect(reserved?.contains("--objective params: the reports have a column of that name already") == true, "\(reserved ?? "accepted")")
        #expect(commandFailure(base + two + ["--study", dir + "/s"]) == nil)
        let store = try SQLiteStudyStore(existing: dir + "/s")
        #expect(store.settings.secondaryObjectives == [Objective(name: "n_params", direction: .minimize)])
        let trials = try store.trials()
        #expect(trials.count == 24 && trials.filter { $0.status == .done }.allSatisfy { $0.secondary["n_params"] != nil })
        let header = try String(contentsOfFile: dir + "/s/pareto.csv", encoding: .utf8).split(separator: "\n")[0]
        #expect(header.hasPrefix("trial,key,mse,n_params,accuracy,"))
        #expect(try String(contentsOfFile: dir + "/s/pareto.svg", encoding: .utf8).contains("mse against n_params"))
        // Resumed with another second objective: refused, naming it.
        let resumed = commandFailure(base + ["--objective", "mse", "--direction", "minimize", "--objective", "n_params", "--direction", "maximize", "--study", dir + "/s"])
        #expect(resumed?.contains("further objectives: study has n_params (minimize), now n_params (maximize)") == true, "\(resumed ?? "accepted")")
    }

    /// A command evaluator's JSON line carries every objective; one without the second fails
    /// its trial, saying which metric is missing.
    @Test func aCommandReportsBothOrTheTrialFails() throws {
        let dir = try fixture()
        let base = ["search", "--space", dir + "/mlp.yaml", "--strategy", "random", "--cycles", "3", "--workers", "1", "--json",
                    "--objective", "loss", "--direction", "minimize", "--objective", "size", "--direction", "minimize"]
        #expect(commandFailure(base + ["--evaluator", "command:echo '{\"loss\": 0.5, \"size\": 12}'; :", "--study", dir + "/ok"]) == nil)
        let ok = try SQLiteStudyStore(existing: dir + "/ok").trials()
        #expect(ok.count == 3 && ok.allSatisfy { $0.status == .done && $0.value == 0.5 && $0.secondary == ["size": 12] })
        _ = commandFailure(base + ["--evaluator", "command:echo '{\"loss\": 0.5}'; :", "--study", dir + "/half"])
        let half = try SQLiteStudyStore(existing: dir + "/half").trials()
        #expect(half.allSatisfy { $0.status == .failed && $0.error?.contains("the evaluator reported no size") == true }, "\(half.map { $0.error ?? "" })")
    }
}
