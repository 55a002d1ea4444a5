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
/// - Complexity: O(n · Σ choices) per proposal for n finished trials.
public struct Reinforce: SearchStrategy {
    public let space: SearchSpace
    public let learningRate: Double
    public let baselineDecay: Double

    public init(space: SearchSpace, learningRate: Double = 0.5, baselineDecay: Double = 0.9) {
        precondition(learningRate > 0 && (0..<1).contains(baselineDecay), "reinforce: learning rate > 0, decay in [0, 1)")
        self.space = space; self.learningRate = learningRate; self.baselineDecay = baselineDecay
    }

    public var name: String { "reinforce" }

    /// The policy's probabilities per decision after learning from `history`.
    public func probabilities(after history: [Member]) -> [[Double]] {
        var logits = space.decisions.map { [Double](repeating: 0, count: $0.choices.count) }
        var baseline: Double?
        for member in history {
            let reward = member.reward
            let advantage = reward - (baseline ?? reward)
            if advantage != 0 {
                for (d, decision) in space.decisions.enumerated() {
                    guard let chosen = decision.choices.firstIndex(of: member.arch.values[d]) else { continue }
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
        let values = zip(space.decisions, policy).map { decision, p -> String in
            let u = Double(rng.next() >> 11) / Double(1 << 53)
            var running = 0.0
            for (c, probability) in p.enumerated() {
                running += probability
                if u < running { return decision.choices[c] }
            }
            return decision.choices[p.count - 1]
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
