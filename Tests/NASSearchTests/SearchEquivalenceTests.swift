import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

/// A seeded one-worker search must give exactly the trials recorded in `Fixtures/` (written by
/// the search before the `Searcher` split, commit 27353cc): keys, parents, statuses, rewards
/// and order. `NASCTL_RECORD_GOLDEN=1 swift test --filter SearchEquivalence` rewrites them.
@Suite struct SearchEquivalenceTests {
    /// Deterministic stand-in for training: accuracy from an FNV-1a hash of the key.
    struct HashEvaluator: Evaluator {
        var name: String { "hash" }
        func evaluate(_ request: EvaluationRequest) -> Evaluation {
            let key = request.arch.values.joined(separator: ",")
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            return .success(accuracy: 0.5 + 0.4 * Double(h % 10_000) / 10_000, latencyMs: nil)
        }
    }

    static func rows(_ trials: [TrialRecord]) -> String {
        trials.map { t in
            [String(t.number), t.key, t.status.rawValue, t.parent.map(String.init) ?? "", t.reward.map { String(format: "%.17g", $0) } ?? "",
             t.latencyMs.map { String(format: "%.17g", $0) } ?? ""].joined(separator: ";")
        }.joined(separator: "\n") + "\n"
    }

    func check(_ name: String, _ trials: [TrialRecord]) throws {
        let path = repositoryRoot.appendingPathComponent("Tests/NASSearchTests/Fixtures/\(name).txt").path
        let text = Self.rows(trials)
        if ProcessInfo.processInfo.environment["NASCTL_RECORD_GOLDEN"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOfFile: path, encoding: .utf8)
        let a = golden.split(separator: "\n"), b = text.split(separator: "\n")
        #expect(a.count == b.count)
        for (i, (x, y)) in zip(a, b).enumerated() where x != y {
            Issue.record("\(name) trial \(i): expected \(x), got \(y)")
            break
        }
    }

    func search(_ space: SearchSpace, evaluator: any Evaluator, strategy: any SearchStrategy, latency: @escaping LatencyModel,
                budget: Int, seed: UInt64) throws -> [TrialRecord] {
        let study = try SQLiteStudyStore(directory: temporaryDirectory("golden"), settings: settings(space, strategy: strategy.name, budget: budget, seed: seed))
        try WorkerLoop(space: space, strategy: strategy, evaluator: evaluator, latency: latency, reward: .soft(targetMs: 5),
                     store: study, budget: budget, workers: 1, seed: seed).run()
        return try study.trials()
    }

    @Test func nasBench201SearchIsUnchanged() throws {
        let space = try nasbench201()
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        try check("golden-nasbench201-evolution", search(space, evaluator: table, strategy: RegularizedEvolution(space: space, population: 10, sample: 3),
                                                         latency: { _ in nil }, budget: 150, seed: 7))
        try check("golden-nasbench201-random", search(space, evaluator: table, strategy: RandomSearch(space: space),
                                                      latency: { _ in nil }, budget: 60, seed: 7))
    }

    @Test func defaultSpaceSearchIsUnchanged() throws {
        let space = try SearchSpace.load(file: repositoryRoot.appendingPathComponent("Configs/mnasnet.yaml").path)
        let latency: LatencyModel = { arch in
            let cost = NetworkBuilder.cost(of: try NetworkBuilder.layers(for: arch, in: space))
            return (Double(cost.macs) / 1e8, cost.macs, cost.parameters)
        }
        try check("golden-mnasnet-evolution", search(space, evaluator: HashEvaluator(), strategy: RegularizedEvolution(space: space, population: 10, sample: 3),
                                                     latency: latency, budget: 80, seed: 11))
    }
}
