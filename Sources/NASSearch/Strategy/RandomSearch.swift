import NASEngine
import NASSpace

/// Random search: every proposal uniform over the space (the baseline every NAS paper reports).
public struct RandomSearch: SearchStrategy {
    public let space: SearchSpace
    public init(space: SearchSpace) { self.space = space }
    public var name: String { "random" }

    public func propose(history: [Member], pending: [Architecture], rng: inout SplitMix64) -> Proposal {
        Proposal(arch: Architecture.random(in: space, using: &rng))
    }
}
