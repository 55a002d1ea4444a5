import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

@Suite struct TreeParzenEstimatorTests {
    /// Densities on a hand-made history: one decision of 3 choices, good trials chose 0, 0, 2.
    @Test func mixtureDensitiesByHand() {
        let abc = TreeParzenEstimator.Axis.categorical(choices: ["a", "b", "c"]), xy = TreeParzenEstimator.Axis.categorical(choices: ["x", "y"])
        let mixture = TreeParzenEstimator.Mixture(observations: [[0], [0], [2]], axes: [abc], priorWeight: 1)
        // Each observation's kernel: its choice 1 + 1/4, the others 1/4, normalised by 1.75;
        // the prior: 1/3 each. Density of choice 0: (2·(1.25/1.75) + 0.25/1.75 + 1/3) / 4.
        let expected0 = (2 * 1.25 / 1.75 + 0.25 / 1.75 + 1.0 / 3) / 4
        let expected1 = (3 * 0.25 / 1.75 + 1.0 / 3) / 4
        #expect(abs(exp(mixture.logDensity([0])) - expected0) < 1e-12)
        #expect(abs(exp(mixture.logDensity([1])) - expected1) < 1e-12)
        let total = (0..<3).map { exp(mixture.logDensity([Double($0)])) }.reduce(0, +)
        #expect(abs(total - 1) < 1e-12)
        // Two decisions: a product within each component.
        let two = TreeParzenEstimator.Mixture(observations: [[1, 0]], axes: [xy, xy], priorWeight: 1)
        let kernel = [0.5 / 2, 1.5 / 2]  // own choice 1 + 1/2, other 1/2, over 2
        #expect(abs(exp(two.logDensity([1, 0])) - (kernel[1] * kernel[1] + 0.25) / 2) < 1e-12)
        #expect(TreeParzenEstimator.goodCount(10) == 1 && TreeParzenEstimator.goodCount(11) == 2 && TreeParzenEstimator.goodCount(1000) == 25)
    }

    /// A 2-D function over 15x15 choices with its maximum at (11, 3): over 40 seeds and 40
    /// trials each, TPE's mean best is above random search's.
    @Test func beatsRandomSearchOnASeededFunction() throws {
        let values = (0..<15).map(String.init).joined(separator: ", ")
        let space = try SearchSpace.parse(yaml: "name: bowl\nkind: categorical\ndecisions: {x: [\(values)], y: [\(values)]}")
        struct Bowl: Evaluator {
            var name: String { "bowl" }
            func evaluate(_ request: EvaluationRequest) -> Evaluation {
                let x = Double(request.arch.values[0])!, y = Double(request.arch.values[1])!
                return .success(accuracy: 1 - ((x - 11) * (x - 11) + (y - 3) * (y - 3)) / 400, latencyMs: nil)
            }
        }
        func meanBest(_ make: () -> any SearchStrategy) throws -> Double {
            var total = 0.0
            for seed in 1...40 {
                let store = try SQLiteStudyStore(directory: temporaryDirectory("bowl"), settings: settings(space, strategy: "x", budget: 40))
                try WorkerLoop(space: space, strategy: make(), evaluator: Bowl(), latency: { _ in nil }, reward: .soft(targetMs: 1, w: 0),
                               store: store, budget: 40, workers: 1, seed: UInt64(seed)).run()
                total += try store.trials().compactMap(\.accuracy).max()!
            }
            return total / 40
        }
        let tpe = try meanBest { TreeParzenEstimator(space: space) }
        let random = try meanBest { RandomSearch(space: space) }
        #expect(tpe > random, "tpe \(tpe), random \(random)")
    }

    /// Pending trials count as bad: with the best region pending, the proposal moves away.
    @Test func pendingTrialsAreImputedAsBad() throws {
        let space = try SearchSpace.parse(yaml: "name: one\nkind: categorical\ndecisions: {a: [p, q, r, s]}")
        let history = (0..<20).map { i in
            Member(trial: i, arch: Architecture(spaceName: "one", values: [["p", "q", "r", "s"][i % 4]]), reward: i % 4 == 0 ? 0.9 : 0.1)
        }
        let tpe = TreeParzenEstimator(space: space, candidates: 64)
        var rng = SplitMix64(seed: 1)
        #expect(tpe.propose(history: history, pending: [], rng: &rng).arch.values == ["p"])
        let crowded = Array(repeating: Architecture(spaceName: "one", values: ["p"]), count: 60)
        var rng2 = SplitMix64(seed: 1)
        let l = tpe.propose(history: history, pending: crowded, rng: &rng2)
        // p's bad density now dominates its good one, so another choice wins.
        #expect(l.arch.values != ["p"])
    }
}

@Suite struct ReinforceTests {
    /// On a toy table where choice "r" of decision a pays, the policy's probability of r rises
    /// from 1/3 with every rewarded trial; decision b, which does not matter, stays near uniform.
    @Test func thePolicyMovesTowardTheRewardedChoice() throws {
        let space = try SearchSpace.parse(yaml: "name: toy\nkind: categorical\ndecisions: {a: [p, q, r], b: [x, y]}")
        let strategy = Reinforce(space: space, learningRate: 0.5)
        var history: [Member] = []
        var probabilityOfR: [Double] = [strategy.probabilities(after: []).first![2]]
        for i in 0..<30 {
            let a = ["p", "q", "r"][i % 3], b = ["x", "y"][(i / 3) % 2]
            history.append(Member(trial: i, arch: Architecture(spaceName: "toy", values: [a, b]), reward: a == "r" ? 1 : 0.2))
            if i % 3 == 2 { probabilityOfR.append(strategy.probabilities(after: history)[0][2]) }
        }
        #expect(abs(probabilityOfR[0] - 1.0 / 3) < 1e-12)
        #expect(zip(probabilityOfR, probabilityOfR.dropFirst()).allSatisfy { $0 < $1 }, "\(probabilityOfR)")
        let final = strategy.probabilities(after: history)
        #expect(final[0][2] > 0.9 && abs(final[1][0] - 0.5) < 0.1, "\(final)")
        // Proposals follow the policy.
        var rng = SplitMix64(seed: 3)
        let picks = (0..<200).map { _ in strategy.propose(history: history, pending: [], rng: &rng).arch.values[0] }
        #expect(picks.filter { $0 == "r" }.count > 170)
    }
}

@Suite struct GridSearchTests {
    /// The textbook example: learning rate {0.01, 0.05} x weight decay {0.1, 0.2} is exactly
    /// 4 trials, the product in order, none repeated, even when one of them fails.
    @Test func enumeratesTheProductOnce() throws {
        let space = try SearchSpace.parse(yaml: "name: hp\nkind: categorical\ndecisions: {learning_rate: ['0.01', '0.05'], weight_decay: ['0.1', '0.2']}")
        let grid = GridSearch(space: space)
        #expect(grid.size == 4)
        #expect((0..<4).map { grid.point($0).values } == [["0.01", "0.1"], ["0.01", "0.2"], ["0.05", "0.1"], ["0.05", "0.2"]])
        let evaluator = try CommandEvaluator(command: #"grep -q '"0.2"' "$NASCTL_ARCH" && grep -q '"0.05"' "$NASCTL_ARCH" && exit 3; echo '{"accuracy": 0.5}'; :"#,
                                             timeoutSeconds: 10, space: space, workDirectory: URL(fileURLWithPath: temporaryDirectory("grid-work")))
        for workers in [1, 2] {
            let store = try SQLiteStudyStore(directory: temporaryDirectory("grid"), settings: settings(space, strategy: "grid", budget: 4))
            try WorkerLoop(space: space, strategy: grid, evaluator: evaluator, latency: { _ in nil }, reward: .soft(targetMs: 1, w: 0),
                           store: store, budget: 4, workers: workers, seed: 1).run()
            let trials = try store.trials()
            #expect(Set(trials.map(\.values)) == Set((0..<4).map { grid.point($0).values }), "workers \(workers)")
            #expect(trials.filter { $0.status == .failed }.map(\.values) == [["0.05", "0.2"]])
        }
        // A larger space: 3 x 2 x 4 = 24 points, all distinct.
        let big = GridSearch(space: try SearchSpace.parse(yaml: "name: b\nkind: categorical\ndecisions: {a: [x, y, z], b: [u, v], c: [p, q, r, s]}"))
        #expect(big.size == 24 && Set((0..<24).map { big.point($0).values }).count == 24)
    }
}
