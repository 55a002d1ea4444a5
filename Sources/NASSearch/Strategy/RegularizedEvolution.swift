import NASEngine
import NASSpace

/// Regularized (aging) evolution, Real et al. 2019: until `population` models have finished,
/// propose random ones; then the population is the `population` most recently finished, and
/// each proposal samples `sample` of them uniformly with replacement, takes the highest reward
/// and mutates one decision. The oldest retires as each child is added (aging).
///
/// - Complexity: O(sample + decisions) per proposal.
public struct RegularizedEvolution: SearchStrategy {
    public let space: SearchSpace
    public let population: Int
    public let sample: Int

    public init(space: SearchSpace, population: Int, sample: Int) {
        precondition(population >= 1 && sample >= 1, "evolution: population and sample must be >= 1")
        self.space = space; self.population = population; self.sample = sample
    }

    public var name: String { "evolution" }

    public func propose(history: [Member], pending: [Architecture], rng: inout SplitMix64) -> Proposal {
        guard history.count >= population else { return Proposal(arch: Architecture.random(in: space, using: &rng)) }
        let alive = history.suffix(population)
        var best: Member?
        for _ in 0..<sample {
            let candidate = alive[alive.startIndex + Int(rng.next() % UInt64(alive.count))]
            if best == nil || candidate.reward > best!.reward { best = candidate }
        }
        return Proposal(arch: best!.arch.mutated(in: space, using: &rng), parent: best!.trial)
    }
}
