import Foundation
import NASEngine
import NASSpace

/// `--strategy reinforce`: a factorised categorical policy (one softmax per decision) trained
/// with REINFORCE (Williams 1992) and a moving-average baseline, the reinforcement-learning
/// baseline of NAS-Bench-201 (MNasNet's controller is this idea with an RNN and PPO).
///
/// The policy is replayed from the finished trials in the order they finished, so it is a
/// function of the study alone (a resumed search proposes as an uninterrupted one): logits
/// start at 0; for each trial with reward R the advantage is `A = R − b` (b the baseline
/// before it; the first trial sets b), every decision's logits move by
/// `learningRate · A · (onehot(choice) − softmax(logits))`, then `b ← decay·b + (1 − decay)·R`.
/// Each proposal samples every decision from its softmax.
///
/// A numeric range is discretised: the policy is over `gridPoints` values evenly spaced on it
/// (log-spaced for a log range, as `--strategy grid` spaces them), and a trial's value counts as
/// the nearest of them.
///
/// - Complexity: O(n · Σ choices) per proposal for n finished trials.
public struct Reinforce: SearchStrategy {
    public let space: SearchSpace
    public let learningRate: Double
    public let baselineDecay: Double
    /// Each decision's values the policy chooses among.
    public let actions: [[String]]

    public init(space: SearchSpace, learningRate: Double = 0.5, baselineDecay: Double = 0.9, gridPoints: Int = 10) {
        precondition(learningRate > 0 && (0..<1).contains(baselineDecay), "reinforce: learning rate > 0, decay in [0, 1)")
        self.space = space; self.learningRate = learningRate; self.baselineDecay = baselineDecay
        actions = space.decisions.map { $0.gridValues(points: gridPoints) }
    }

    /// The action a trial's value of decision `d` counts as: its own, or the nearest grid value
    /// of a range (nearest in the range's unit coordinate).
    func action(_ d: Int, of value: String) -> Int? {
        if let exact = actions[d].firstIndex(of: value) { return exact }
        let decision = space.decisions[d]
        guard let bounds = decision.bounds, let x = Double(value) else { return nil }
        let integer = decision.kind == .int
        let u = bounds.unit(of: x, integer: integer)
        return actions[d].indices.min { abs(bounds.unit(of: Double(actions[d][$0])!, integer: integer) - u) < abs(bounds.unit(of: Double(actions[d][$1])!, integer: integer) - u) }
    }

    public var name: String { "reinforce" }

    /// The policy's probabilities per decision after learning from `history`.
    public func probabilities(after history: [Member]) -> [[Double]] {
        var logits = actions.map { [Double](repeating: 0, count: $0.count) }
        var baseline: Double?
        for member in history {
            let reward = member.reward
            let advantage = reward - (baseline ?? reward)
            if advantage != 0 {
                for d in space.decisions.indices {
                    guard let chosen = action(d, of: member.arch.values[d]) else { continue }
                    let p = Self.softmax(logits[d])
                    for c in logits[d].indices { logits[d][c] += learningRate * advantage * ((c == chosen ? 1 : 0) - p[c]) }
                }
            }
            baseline = baseline.map { baselineDecay * $0 + (1 - baselineDecay) * reward } ?? reward
        }
        return logits.map(Self.softmax)
    }

    public func propose(history: [Member], pending: [Architecture], rng: inout SplitMix64) -> Proposal {
        let policy = probabilities(after: history)
        let values = zip(actions, policy).map { choices, p -> String in
            let u = Double(rng.next() >> 11) / Double(1 << 53)
            var running = 0.0
            for (c, probability) in p.enumerated() {
                running += probability
                if u < running { return choices[c] }
            }
            return choices[p.count - 1]
        }
        return Proposal(arch: Architecture(spaceName: space.name, values: values))
    }

    static func softmax(_ logits: [Double]) -> [Double] {
        let top = logits.max() ?? 0
        let e = logits.map { exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }
}
