import Foundation
import NASEngine
import NASSpace

/// `--strategy tpe`: the tree-structured Parzen estimator (Bergstra et al. 2011), multivariate
/// over every decision, for categorical decisions (ordered numeric choices are taken as
/// categories too, for now).
///
/// The first `startup` proposals are uniform. Then the finished trials are split into the
/// best `γ(n) = min(⌈0.1·n⌉, 25)` by reward ("good") and the rest ("bad"); pending trials are
/// imputed as bad (a constant liar: parallel workers do not pile onto one region). Each group
/// is a mixture of product kernels, one per observation plus a uniform prior component: an
/// observation's kernel gives its own choice of each decision weight `1 + w/(n+1)` and every
/// choice `w/(n+1)` (normalised; n the group's size, w = 1 the prior weight), so kernels sharpen
/// as the group grows. `candidates` draws from the good mixture; the one with the largest
/// `log l(x) − log g(x)` is proposed. At most the `maxObservations` most recent bad trials
/// are used.
///
/// - Complexity: O(c · (g + b) · d) per proposal for c candidates, g good and b bad
///   observations (b ≤ maxObservations), d decisions.
public struct TreeParzenEstimator: SearchStrategy {
    public let space: SearchSpace
    public let startup: Int
    public let candidates: Int
    public let maxObservations: Int
    public let priorWeight = 1.0

    public init(space: SearchSpace, startup: Int = 10, candidates: Int = 24, maxObservations: Int = 1000) {
        precondition(startup >= 1 && candidates >= 1 && maxObservations >= 1, "tpe: startup, candidates and maxObservations must be >= 1")
        self.space = space; self.startup = startup; self.candidates = candidates; self.maxObservations = maxObservations
    }

    public var name: String { "tpe" }

    /// How many of `n` finished trials count as good.
    public static func goodCount(_ n: Int) -> Int { min(Int((0.1 * Double(n)).rounded(.up)), 25) }

    public func propose(history: [Member], pending: [Architecture], rng: inout SplitMix64) -> Proposal {
        guard history.count >= startup else { return Proposal(arch: Architecture.random(in: space, using: &rng)) }
        let ranked = history.indices.sorted { history[$0].reward != history[$1].reward ? history[$0].reward > history[$1].reward : $0 < $1 }
        let goodCount = Self.goodCount(history.count)
        let good = ranked.prefix(goodCount).sorted().map { indices(of: history[$0].arch) }
        let bad = (ranked.dropFirst(goodCount).sorted().map { indices(of: history[$0].arch) } + pending.map(indices)).suffix(maxObservations)
        let l = Mixture(observations: Array(good), sizes: space.decisions.map(\.choices.count), priorWeight: priorWeight)
        let g = Mixture(observations: Array(bad), sizes: space.decisions.map(\.choices.count), priorWeight: priorWeight)
        var best: [Int] = []
        var bestScore = -Double.infinity
        for _ in 0..<candidates {
            let x = l.sample(using: &rng)
            let score = l.logDensity(x) - g.logDensity(x)
            if score > bestScore { bestScore = score; best = x }
        }
        let values = zip(space.decisions, best).map { $0.choices[$1] }
        return Proposal(arch: Architecture(spaceName: space.name, values: values))
    }

    /// Choice indices of `arch`'s values (an unknown value counts as choice 0).
    func indices(of arch: Architecture) -> [Int] {
        zip(space.decisions, arch.values).map { decision, value in decision.choices.firstIndex(of: value) ?? 0 }
    }

    /// A Parzen estimator over categorical vectors: the observations' product kernels and a
    /// uniform prior component, equally weighted.
    struct Mixture {
        /// Per component (observations, then the prior), per decision: log-probability of each choice.
        let logKernels: [[[Double]]]
        /// Per component, per decision: cumulative probabilities, for sampling.
        let cumulative: [[[Double]]]

        init(observations: [[Int]], sizes: [Int], priorWeight: Double) {
            let n = Double(observations.count)
            let base = priorWeight / (n + 1)
            var logs: [[[Double]]] = [], sums: [[[Double]]] = []
            for component in observations.map(Optional.some) + [nil] {
                var componentLogs: [[Double]] = [], componentSums: [[Double]] = []
                for (d, k) in sizes.enumerated() {
                    var p = [Double](repeating: component == nil ? 1 : base, count: k)
                    if let x = component { p[x[d]] += 1 }
                    let total = p.reduce(0, +)
                    p = p.map { $0 / total }
                    componentLogs.append(p.map { Foundation.log($0) })
                    var running = 0.0
                    componentSums.append(p.map { running += $0; return running })
                }
                logs.append(componentLogs); sums.append(componentSums)
            }
            logKernels = logs; cumulative = sums
        }

        /// A draw: a component uniformly, then each decision from its kernel.
        func sample(using rng: inout SplitMix64) -> [Int] {
            let c = Int(rng.next() % UInt64(cumulative.count))
            return cumulative[c].map { sums in
                let u = Double(rng.next() >> 11) / Double(1 << 53)
                return sums.firstIndex { u < $0 } ?? sums.count - 1
            }
        }

        /// `log Σ_c (1/C) Π_d p_c,d(x_d)`, by log-sum-exp.
        func logDensity(_ x: [Int]) -> Double {
            var terms = [Double](repeating: 0, count: logKernels.count)
            for (c, kernel) in logKernels.enumerated() {
                var s = 0.0
                for (d, choice) in x.enumerated() { s += kernel[d][choice] }
                terms[c] = s
            }
            let top = terms.max()!
            return top + Foundation.log(terms.reduce(0) { $0 + exp($1 - top) }) - Foundation.log(Double(terms.count))
        }
    }
}
