import Foundation
import NASEngine
import NASSpace

/// `--strategy tpe`: the tree-structured Parzen estimator (Bergstra et al. 2011), multivariate
/// over every decision: categorical, ordinal, int and float (uniform or log).
///
/// The first `startup` proposals are uniform. Then the finished trials are split into the
/// best `γ(n) = min(⌈0.1·n⌉, 25)` by reward ("good") and the rest ("bad"); pending trials are
/// imputed as bad (a constant liar: parallel workers do not pile onto one region). Each group
/// is a mixture of product kernels, one per observation plus a prior component, equally
/// weighted:
/// - a categorical decision: the observation's choice weight `1 + w/(n+1)`, every choice
///   `w/(n+1)` (normalised; n the group's size, w = 1 the prior weight), so kernels sharpen as
///   the group grows; the prior is uniform;
/// - an ordered decision (ordinal, int, float) on its unit coordinate u ∈ [0, 1] (log scale for a
///   log range; an ordinal's k-th of m values is the cell [k/m, (k+1)/m]): a Gaussian at the
///   observation truncated to [0, 1], σ = max(0.2·n^(−1/(d+4)), 0.01) (Scott's rule for d
///   decisions, as multivariate TPE uses); a discrete value weighs the Gaussian's mass over its
///   cell, a continuous one its density; the prior is uniform on [0, 1].
/// `candidates` draws from the good mixture; the one with the largest `log l(x) − log g(x)` is
/// proposed. At most the `maxObservations` most recent bad trials are used.
///
/// - Complexity: O(c · (g + b) · d) per proposal for c candidates, g good and b bad
///   observations (b ≤ maxObservations), d decisions.
public struct TreeParzenEstimator: SearchStrategy {
    public let space: SearchSpace
    public let startup: Int
    public let candidates: Int
    public let maxObservations: Int
    public let priorWeight = 1.0
    let axes: [Axis]

    public init(space: SearchSpace, startup: Int = 10, candidates: Int = 24, maxObservations: Int = 1000) {
        precondition(startup >= 1 && candidates >= 1 && maxObservations >= 1, "tpe: startup, candidates and maxObservations must be >= 1")
        self.space = space; self.startup = startup; self.candidates = candidates; self.maxObservations = maxObservations
        axes = space.decisions.map(Axis.init)
    }

    public var name: String { "tpe" }

    /// How many of `n` finished trials count as good.
    public static func goodCount(_ n: Int) -> Int { min(Int((0.1 * Double(n)).rounded(.up)), 25) }

    public func propose(history: [Member], pending: [Architecture], rng: inout SplitMix64) -> Proposal {
        guard history.count >= startup else { return Proposal(arch: Architecture.random(in: space, using: &rng)) }
        let ranked = history.indices.sorted { history[$0].reward != history[$1].reward ? history[$0].reward > history[$1].reward : $0 < $1 }
        let goodCount = Self.goodCount(history.count)
        let good = ranked.prefix(goodCount).sorted().map { coordinates(of: history[$0].arch) }
        let bad = (ranked.dropFirst(goodCount).sorted().map { coordinates(of: history[$0].arch) } + pending.map(coordinates)).suffix(maxObservations)
        let l = Mixture(observations: Array(good), axes: axes, priorWeight: priorWeight)
        let g = Mixture(observations: Array(bad), axes: axes, priorWeight: priorWeight)
        var best: [String] = []
        var bestScore = -Double.infinity
        for _ in 0..<candidates {
            let values = l.sample(using: &rng)
            let x = zip(axes, values).map { $0.coordinate(of: $1) }
            let score = l.logDensity(x) - g.logDensity(x)
            if score > bestScore { bestScore = score; best = values }
        }
        return Proposal(arch: Architecture(spaceName: space.name, values: best))
    }

    /// Each decision's coordinate of `arch`: a categorical choice's index, an ordered value's unit
    /// coordinate (an unknown value counts as choice 0 / the low end).
    func coordinates(of arch: Architecture) -> [Double] {
        zip(axes, arch.values).map { $0.coordinate(of: $1) }
    }

    /// How TPE models one decision.
    enum Axis {
        case categorical(choices: [String])
        case ordinal(choices: [String])
        case range(NumericBounds, integer: Bool)

        init(_ decision: Decision) {
            switch decision.kind {
            case .categorical: self = .categorical(choices: decision.choices)
            case .ordinal: self = .ordinal(choices: decision.choices)
            case .int, .float: self = .range(decision.bounds!, integer: decision.kind == .int)
            }
        }

        /// A categorical choice's index, or an ordered value's unit coordinate (a cell's centre).
        func coordinate(of value: String) -> Double {
            switch self {
            case let .categorical(choices): return Double(choices.firstIndex(of: value) ?? 0)
            case let .ordinal(choices): return (Double(choices.firstIndex(of: value) ?? 0) + 0.5) / Double(choices.count)
            case let .range(bounds, integer): return bounds.unit(of: Double(value) ?? bounds.low, integer: integer)
            }
        }

        /// The unit interval of a discrete value at coordinate `u` (nil: continuous).
        func cell(at u: Double) -> (Double, Double)? {
            switch self {
            case .categorical: return nil
            case let .ordinal(choices):
                let m = Double(choices.count), k = min((u * m).rounded(.down), m - 1)
                return (k / m, (k + 1) / m)
            case let .range(bounds, integer):
                return bounds.unitCell(of: bounds.value(atUnit: u, integer: integer), integer: integer)
            }
        }

        /// The value at unit coordinate `u` (ordered decisions).
        func value(atUnit u: Double) -> String {
            switch self {
            case let .categorical(choices): return choices[0]
            case let .ordinal(choices): return choices[min(Int(u * Double(choices.count)), choices.count - 1)]
            case let .range(bounds, integer): return bounds.text(bounds.value(atUnit: u, integer: integer), integer: integer)
            }
        }
    }

    /// A Parzen estimator over mixed vectors: the observations' product kernels and a prior
    /// component, equally weighted. Every observation's kernel has the same shape (the same
    /// own-choice and other-choice probabilities, the same σ), so only the observations and, per
    /// Gaussian, its mass on [0, 1] are stored.
    struct Mixture {
        let axes: [Axis]
        let observations: [[Double]]
        /// Per decision (categorical): the probabilities of the observation's own choice and of
        /// any other (normalised), their logs, and the prior's log-probability.
        let own: [Double], other: [Double], logOwn: [Double], logOther: [Double], logPrior: [Double]
        let sigma: Double
        /// Per observation, per decision (ordered): the Gaussian's mass on [0, 1].
        let masses: [[Double]]

        init(observations: [[Double]], axes: [Axis], priorWeight: Double) {
            self.axes = axes
            self.observations = observations
            let n = Double(observations.count)
            let base = priorWeight / (n + 1)
            sigma = max(0.2 * pow(max(n, 1), -1 / (Double(axes.count) + 4)), 0.01)
            var own: [Double] = [], other: [Double] = [], logPrior: [Double] = []
            for axis in axes {
                guard case let .categorical(choices) = axis else { own.append(0); other.append(0); logPrior.append(0); continue }
                // The total in choice order, as a kernel's probabilities sum.
                var total = 0.0
                for c in choices.indices { total += c == 0 ? 1 + base : base }
                own.append((1 + base) / total); other.append(base / total)
                logPrior.append(Foundation.log(1 / Double(choices.count)))
            }
            self.own = own; self.other = other
            logOwn = own.map { Foundation.log($0) }; logOther = other.map { Foundation.log($0) }
            self.logPrior = logPrior
            let sigma = self.sigma
            masses = observations.map { x in
                axes.indices.map { d in
                    if case .categorical = axes[d] { return 1 }
                    return Self.phi((1 - x[d]) / sigma) - Self.phi(-x[d] / sigma)
                }
            }
        }

        /// The standard normal distribution function.
        static func phi(_ z: Double) -> Double { 0.5 * erfc(-z / 2.squareRoot()) }

        /// A draw (canonical values): a component uniformly, then each decision from its kernel.
        func sample(using rng: inout SplitMix64) -> [String] {
            let c = Int(rng.next() % UInt64(observations.count + 1))
            let observation = c < observations.count ? observations[c] : nil
            return axes.enumerated().map { d, axis in
                switch axis {
                case let .categorical(choices):
                    let u = Self.unit(&rng)
                    var running = 0.0
                    for k in choices.indices {
                        running += observation.map { Int($0[d]) == k ? own[d] : other[d] } ?? 1 / Double(choices.count)
                        if u < running { return choices[k] }
                    }
                    return choices[choices.count - 1]
                case .ordinal, .range:
                    guard let x = observation else { return axis.value(atUnit: Self.unit(&rng)) }
                    // Rejection from the untruncated Gaussian; a kernel mostly outside [0, 1] (rare: σ ≤ 0.2
                    // about a point inside) falls back to a uniform draw.
                    for _ in 0..<64 {
                        let u = x[d] + sigma * Decision.standardNormal(using: &rng)
                        if u >= 0 && u < 1 { return axis.value(atUnit: u) }
                    }
                    return axis.value(atUnit: Self.unit(&rng))
                }
            }
        }

        static func unit(_ rng: inout SplitMix64) -> Double { Double(rng.next() >> 11) / Double(1 << 53) }

        /// `log Σ_c (1/C) Π_d p_c,d(x_d)`, by log-sum-exp. - Complexity: O(C · d).
        func logDensity(_ x: [Double]) -> Double {
            let cells = zip(axes, x).map { axis, u in axis.cell(at: u) }
            let categorical = axes.map { if case .categorical = $0 { return true } else { return false } }
            let choice = x.map { Int($0) }
            var terms = [Double](repeating: 0, count: observations.count + 1)
            for (c, observation) in observations.enumerated() {
                var s = 0.0
                for d in axes.indices {
                    if categorical[d] {
                        s += Int(observation[d]) == choice[d] ? logOwn[d] : logOther[d]
                        continue
                    }
                    let mean = observation[d], mass = masses[c][d]
                    let p: Double
                    if let (a, b) = cells[d] {
                        p = (Self.phi((b - mean) / sigma) - Self.phi((a - mean) / sigma)) / mass
                    } else {
                        let z = (x[d] - mean) / sigma
                        p = exp(-0.5 * z * z) / (sigma * (2 * Double.pi).squareRoot() * mass)
                    }
                    s += Foundation.log(max(p, 1e-300))
                }
                terms[c] = s
            }
            var prior = 0.0
            for d in axes.indices { prior += categorical[d] ? logPrior[d] : cells[d].map { Foundation.log($0.1 - $0.0) } ?? 0 }
            terms[observations.count] = prior
            let top = terms.max()!
            return top + Foundation.log(terms.reduce(0) { $0 + exp($1 - top) }) - Foundation.log(Double(terms.count))
        }
    }
}
