import NASEngine
import NASSpace

/// A finished trial as a strategy sees it.
public struct Member: Sendable {
    public var trial: Int
    public var arch: Architecture
    public var reward: Double
}

/// Proposes the next architecture from the finished history.
public protocol SearchStrategy: Sendable {
    var name: String { get }
    /// `history` holds the successful trials in the order they finished. Returns the child and
    /// its parent's trial number (nil for a random proposal).
    func propose(history: [Member], rng: inout SplitMix64) -> (Architecture, parent: Int?)
}

/// Random search: every proposal uniform over the space (the baseline every NAS paper reports).
public struct RandomSearch: SearchStrategy {
    public let space: SearchSpace
    public init(space: SearchSpace) { self.space = space }
    public var name: String { "random" }

    public func propose(history: [Member], rng: inout SplitMix64) -> (Architecture, parent: Int?) {
        (Architecture.random(in: space, using: &rng), nil)
    }
}

/// Regularized (aging) evolution, Real et al. 2019: until `population` models have finished,
/// propose random ones; then the population is the `population` most recently finished, and
/// each proposal samples `sample` of them uniformly with replacement, takes the highest reward
/// and mutates one decision. The oldest retires as each child is added (aging).
public struct RegularizedEvolution: SearchStrategy {
    public let space: SearchSpace
    public let population: Int
    public let sample: Int

    public init(space: SearchSpace, population: Int, sample: Int) {
        precondition(population >= 1 && sample >= 1, "evolution: population and sample must be >= 1")
        self.space = space; self.population = population; self.sample = sample
    }

    public var name: String { "evolution" }

    public func propose(history: [Member], rng: inout SplitMix64) -> (Architecture, parent: Int?) {
        guard history.count >= population else { return (Architecture.random(in: space, using: &rng), nil) }
        let alive = history.suffix(population)
        var best: Member?
        for _ in 0..<sample {
            let candidate = alive[alive.startIndex + Int(rng.next() % UInt64(alive.count))]
            if best == nil || candidate.reward > best!.reward { best = candidate }
        }
        return (best!.arch.mutated(in: space, using: &rng), best!.trial)
    }
}
