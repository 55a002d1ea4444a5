import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

/// An evaluator that answers with fixed metrics and records what it was asked.
private final class ScriptedEvaluator: Evaluator, @unchecked Sendable {
    let name: String
    let answer: Evaluation
    private let lock = NSLock()
    private(set) var requests: [EvaluationRequest] = []
    init(_ name: String, _ answer: Evaluation) { self.name = name; self.answer = answer }
    func evaluate(_ request: EvaluationRequest) -> Evaluation {
        lock.withLock { requests.append(request) }
        return answer
    }
}

@Suite struct RepeatedEvaluatorTests {
    private func arch() throws -> (SearchSpace, Architecture) {
        let space = try SearchSpace.parse(yaml: proxySpaceYAML)
        var rng = SplitMix64(seed: 4)
        return (space, Architecture.random(in: space, using: &rng))
    }

    /// Metrics are the repeats' means (hand-worked), fidelity and latency the first repeat's,
    /// each repeat keeps its checkpoints in its own subfolder and sees no scheduler callback.
    @Test func averagesTheRepeatsAndGivesEachItsOwnCheckpointFolder() throws {
        let (_, arch) = try arch()
        let a = ScriptedEvaluator("proxy:x", Evaluation(metrics: ["accuracy": 0.80, "loss": 1.0], latencyMs: 3, fidelity: Fidelity(2)))
        let b = ScriptedEvaluator("proxy:y", Evaluation(metrics: ["accuracy": 0.70, "loss": 2.0], latencyMs: 9, fidelity: Fidelity(2)))
        let c = ScriptedEvaluator("proxy:z", Evaluation(metrics: ["accuracy": 0.75], latencyMs: nil, fidelity: Fidelity(2)))
        let repeated = RepeatedEvaluator([a, b, c])
        #expect(repeated.name == "proxy:x repeats=3")
        let asked = EvaluationRequest(arch: arch, trial: 7, fidelity: Fidelity(2), checkpointDirectory: "/tmp/trial-7",
                                      intermediate: { _, _ in false })
        let result = repeated.evaluate(asked)
        #expect(result.succeeded)
        #expect(abs(result.accuracy! - 0.75) < 1e-12)
        #expect(abs(result.metrics["loss"]! - 1.5) < 1e-12, "a metric only some repeats report is their mean")
        #expect(result.latencyMs == 3 && result.fidelity == Fidelity(2))
        #expect([a, b, c].map { $0.requests.count } == [1, 1, 1])
        #expect([a, b, c].map { $0.requests[0].checkpointDirectory } == ["/tmp/trial-7/repeat-1", "/tmp/trial-7/repeat-2", "/tmp/trial-7/repeat-3"])
        #expect([a, b, c].allSatisfy { $0.requests[0].trial == 7 && $0.requests[0].fidelity == Fidelity(2) })
        #expect([a, b, c].allSatisfy { $0.requests[0].intermediate(Fidelity(1), ["accuracy": 0.1]) })
        // No checkpoint folder asked for: none given to the repeats either.
        _ = repeated.evaluate(EvaluationRequest(arch: arch, trial: 8))
        #expect(a.requests[1].checkpointDirectory == nil)
    }

    /// The first failure (or interruption) is the result, and the repeats after it never run.
    @Test func stopsAtTheFirstFailure() throws {
        let (_, arch) = try arch()
        let good = ScriptedEvaluator("proxy:x", .success(accuracy: 0.9, latencyMs: nil))
        let interrupted = ScriptedEvaluator("proxy:y", .interrupted)
        let never = ScriptedEvaluator("proxy:z", .success(accuracy: 0.1, latencyMs: nil))
        let result = RepeatedEvaluator([good, interrupted, never]).evaluate(arch, trial: 0)
        #expect(result == .interrupted)
        #expect(never.requests.isEmpty)
        let failing = ScriptedEvaluator("proxy:w", .failure("diverged"))
        #expect(RepeatedEvaluator([failing, good]).evaluate(arch, trial: 0).failure?.message == "diverged")
    }

    /// Two real proxies on data seeds 1 and 2: the repeated score is exactly the mean of the
    /// two proxies evaluated on their own, and the seeds really draw other data.
    @Test func repeatedProxiesScoreTheMeanOfTheirDataSeeds() throws {
        let (space, arch) = try arch()
        let dir = try proxyDataDirectory()
        let seed1 = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: dir, seed: 1)
        let seed2 = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: dir, seed: 2)
        let alone = [seed1, seed2].map { $0.evaluate(arch, trial: 0).accuracy! }
        let checkpoints = temporaryDirectory("repeated-proxy")
        let repeated = RepeatedEvaluator([seed1, seed2]).evaluate(EvaluationRequest(arch: arch, trial: 0, checkpointDirectory: checkpoints))
        #expect(repeated.accuracy == (alone[0] + alone[1]) / 2)
        #expect(seed1.validation.pixels != seed2.validation.pixels, "another data seed holds out other images")
    }

    /// A promoted trial continues every repeat from its own checkpoint: rung 1 then rung 4 of a
    /// 4-epoch schedule scores exactly as rung 4 trained at once.
    @Test func rungsContinueEveryRepeatFromItsCheckpoint() throws {
        let (space, arch) = try arch()
        let dir = try proxyDataDirectory()
        let proxies = try [1, 2].map { try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: dir, seed: UInt64($0), scheduleEpochs: 4) }
        let repeated = RepeatedEvaluator(proxies)
        let checkpoints = temporaryDirectory("repeated-rungs")
        let rung1 = repeated.evaluate(EvaluationRequest(arch: arch, trial: 0, fidelity: Fidelity(1), checkpointDirectory: checkpoints))
        #expect(rung1.fidelity == Fidelity(1))
        #expect(["repeat-1", "repeat-2"].allSatisfy { FileManager.default.fileExists(atPath: "\(checkpoints)/\($0)/proxy.weights") })
        let continued = repeated.evaluate(EvaluationRequest(arch: arch, trial: 0, fidelity: Fidelity(4), checkpointDirectory: checkpoints))
        #expect(continued == repeated.evaluate(EvaluationRequest(arch: arch, trial: 0, fidelity: Fidelity(4))))
        let resumed = try #require(try proxies[1].scores(arch, epochs: 3, checkpointDirectory: checkpoints + "/repeat-2", shouldStop: { false }))
        #expect(resumed.continuedFromEpoch == 1, "the second repeat's rung-1 checkpoint is its own")
    }
}
