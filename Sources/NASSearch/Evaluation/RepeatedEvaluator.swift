import NASSpace

/// One architecture evaluated by several evaluators in turn and their metrics averaged:
/// `--proxy-repeats N`, N proxies each on its own data seed (validation split and training
/// subset), so a score depends less on which images one seed drew.
///
/// Each repeat keeps its checkpoints in its own subfolder (`repeat-1`, `repeat-2`, ... of the
/// trial's folder), so a promoted trial continues every repeat where it stopped. The first
/// failure (or interruption) ends the evaluation with that failure. The fidelity and latency
/// are the first repeat's; a metric is averaged over the repeats that report it (all of them,
/// for proxies).
/// - Complexity: the sum of the repeats' costs (N proxy trainings, one after another).
public struct RepeatedEvaluator: Evaluator {
    public let repeats: [any Evaluator]

    /// - Precondition: at least one evaluator.
    public init(_ repeats: [any Evaluator]) {
        precondition(!repeats.isEmpty, "RepeatedEvaluator: no evaluator to repeat")
        self.repeats = repeats
    }

    /// The first repeat's name with the count, so a study records (and a resume checks) it.
    public var name: String { "\(repeats[0].name) repeats=\(repeats.count)" }

    /// The first repeat's (every repeat trains the same network on other data).
    public func networkIdentity(of arch: Architecture) -> String? { repeats[0].networkIdentity(of: arch) }

    public func evaluate(_ request: EvaluationRequest) -> Evaluation {
        var results: [Evaluation] = []
        for (index, evaluator) in repeats.enumerated() {
            var single = request
            single.checkpointDirectory = request.checkpointDirectory.map { "\($0)/repeat-\(index + 1)" }
            // A scheduler judges the averaged result, not one repeat's intermediate ones.
            single.intermediate = { _, _ in true }
            let result = evaluator.evaluate(single)
            if !result.succeeded { return result }
            results.append(result)
        }
        var metrics: [String: Double] = [:]
        for name in Set(results.flatMap(\.metrics.keys)) {
            let values = results.compactMap { $0.metrics[name] }
            metrics[name] = values.reduce(0, +) / Double(values.count)
        }
        return Evaluation(metrics: metrics, latencyMs: results[0].latencyMs, fidelity: results[0].fidelity)
    }
}
