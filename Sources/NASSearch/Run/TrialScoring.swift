import NASSpace

/// Latency and cost of an architecture from the device table (network spaces), or nothing.
public typealias LatencyModel = @Sendable (Architecture) throws -> (latencyMs: Double, macs: Int, params: Int)?

/// Turns an evaluation into a trial's result: latency from the device table when there is one
/// (else the evaluator's), cost, and the MNasNet reward.
///
/// The reward of a maximised objective (accuracy, or another accuracy-like metric) is the MNasNet
/// reward; a minimised one (an MSE, a loss) cannot be scaled by `(LAT/T)^w`, so its reward is
/// `−value` and latency stays out of it (NSGA-II trades it against latency instead).
struct TrialScorer: Sendable {
    let latency: LatencyModel
    let reward: Reward
    var objective: Objective = .accuracy
    /// Further objectives the evaluator must report (recorded, not part of the reward).
    var secondary: [Objective] = []

    /// The reward a single-objective strategy maximises.
    static func reward(_ value: Double, latencyMs: Double?, objective: Objective, reward: Reward) -> Double {
        objective.direction == .maximize ? reward(accuracy: value, latencyMs: latencyMs) : -value
    }

    /// `trial` with the result of `evaluation` filled in: `done` with accuracy, latency, cost and
    /// reward; `failed` with the failure's message and kind (a latency that cannot be predicted
    /// fails the trial deterministically); or `interrupted`.
    func score(_ trial: TrialRecord, arch: Architecture, evaluation: Evaluation) -> TrialRecord {
        var scored = trial
        scored.fidelity = evaluation.fidelity?.value ?? trial.fidelity  // a failure keeps the fidelity it was going to
        if let failure = evaluation.failure, failure.kind == .interrupted {
            scored.status = .interrupted  // no verdict: run again on resume
            scored.error = failure.message
            return scored
        }
        if let failure = evaluation.failure {
            scored.status = .failed
            scored.error = failure.message
            scored.failureKind = failure.kind
            return scored
        }
        guard let value = evaluation.metrics[objective.name], value.isFinite else {
            scored.status = .failed
            scored.error = "the evaluator reported no \(objective.name) (metrics: \(evaluation.metrics.keys.sorted().joined(separator: ", ")))"
            scored.failureKind = .deterministic
            return scored
        }
        var secondaryValues: [String: Double] = [:]
        for other in secondary {
            guard let v = evaluation.metrics[other.name], v.isFinite else {
                scored.status = .failed
                scored.error = "the evaluator reported no \(other.name) (metrics: \(evaluation.metrics.keys.sorted().joined(separator: ", ")))"
                scored.failureKind = .deterministic
                return scored
            }
            secondaryValues[other.name] = v
        }
        do {
            let cost = try latency(arch)
            let ms = cost?.latencyMs ?? evaluation.latencyMs
            scored.status = .done
            scored.accuracy = evaluation.accuracy
            scored.value = value
            scored.secondary = secondaryValues
            scored.latencyMs = ms
            scored.macs = cost?.macs
            scored.params = cost?.params
            scored.reward = Self.reward(value, latencyMs: ms, objective: objective, reward: reward)
        } catch {
            scored.status = .failed
            scored.error = "latency: \(error)"
            scored.failureKind = .deterministic
        }
        return scored
    }
}
