import Foundation
import NASEngine
import NASSpace
import NASTraining
import Testing
@testable import NASSearch

/// A training-settings space: its decisions set the training of one fixed architecture.
@Suite struct TrainingSettingsEvaluatorTests {
    /// A folder with the tiny network space, one of its architectures, and `hpo.yaml` naming them.
    func fixture(decisions: String) throws -> (dir: String, space: SearchSpace) {
        let dir = temporaryDirectory("training-hpo")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try proxySpaceYAML.write(toFile: dir + "/net.yaml", atomically: true, encoding: .utf8)
        let network = try SearchSpace.parse(yaml: proxySpaceYAML)
        var rng = SplitMix64(seed: 4)
        try Architecture.random(in: network, using: &rng).json(in: network).write(toFile: dir + "/arch.json", atomically: true, encoding: .utf8)
        let yaml = "name: hpo\nkind: decisions\ntraining: {space: net.yaml, arch: arch.json}\ndecisions:\n\(decisions)"
        try yaml.write(toFile: dir + "/hpo.yaml", atomically: true, encoding: .utf8)
        return (dir, try SearchSpace.load(file: dir + "/hpo.yaml"))
    }

    @Test func badTrainingDecisionsNameTheFieldAndLine() throws {
        let cases = [
            ("  lr: {log: [0.01, 0.1]}\n", "decisions.lr", "is not a training setting"),
            ("  learning_rate: [fast, slow]\n", "decisions.learning_rate", "must be numbers"),
            ("  learning_rate: {float: [0, 0.1]}\n", "decisions.learning_rate", "has 0; allowed: 0 < x <= 1000"),
            ("  batch_size: {float: [8, 64]}\n", "decisions.batch_size", "must be int or an ordinal list of integers"),
            ("  momentum: {ordinal: [0.9, 1]}\n", "decisions.momentum", "has 1; allowed: 0 <= x < 1"),
        ]
        for (entry, field, words) in cases {
            do {
                _ = try fixture(decisions: entry)
                Issue.record("\(entry) was accepted")
            } catch let error as SpaceError {
                #expect(error.field == field && error.problem.contains(words) && error.location == "5:3" && error.file.hasSuffix("hpo.yaml"), "\(error)")
            }
        }
    }

    @Test func aTrialsDecisionsSetItsTrainingAndNothingElse() throws {
        let (dir, space) = try fixture(decisions: "  learning_rate: {ordinal: [0.02, 0.1]}\n  batch_size: {ordinal: [20, 50]}\n  label_smoothing: {float: [0, 0.2]}\n")
        let network = try SearchSpace.load(file: dir + "/net.yaml")
        let arch = try Architecture.load(file: dir + "/arch.json", space: network)
        let proxy = try ProxyEvaluator(space: network, budget: network.proxy, dataDirectory: try proxyDataDirectory())
        let evaluator = TrainingSettingsEvaluator(space: space, proxy: proxy, arch: arch)
        let base = proxy.trainingSettings(for: arch)
        let trial = Architecture(spaceName: "hpo", values: ["0.02", "50", "0.05"])
        var expected = base
        expected.learningRate = 0.02; expected.batchSize = 50; expected.labelSmoothing = 0.05
        #expect(evaluator.trainingSettings(trial) == expected)
        // The proxy's own settings give the proxy's own score; other settings another one; the
        // same settings the same one again.
        #expect(base.learningRate == 0.1 && base.batchSize == 20 && base.labelSmoothing == 0.1)
        let same = Architecture(spaceName: "hpo", values: ["0.1", "20", "0.1"])
        #expect(evaluator.trainingSettings(same) == base)
        let a = evaluator.evaluate(EvaluationRequest(arch: same, trial: 0))
        #expect(a.accuracy != nil && a.accuracy == proxy.evaluate(EvaluationRequest(arch: arch, trial: 0)).accuracy)
        let b = evaluator.evaluate(EvaluationRequest(arch: trial, trial: 1))
        #expect(b.accuracy != nil && b != a)
        #expect(evaluator.evaluate(EvaluationRequest(arch: trial, trial: 2)) == b)
        #expect(evaluator.evaluate(EvaluationRequest(arch: trial, trial: 3, fidelity: Fidelity(1))).failure != nil)
    }
}
