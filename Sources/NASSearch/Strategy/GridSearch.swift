import NASEngine
import NASSpace

/// `--strategy grid`: every combination of the decisions' choices, in order (the last
/// decision varying fastest), each once: a proposal is the first combination no trial has been
/// made for. The search's budget must cover the grid (`size`).
///
/// - Complexity: O(t · d) per proposal after t trials, d decisions.
public struct GridSearch: SearchStrategy {
    public let space: SearchSpace
    public init(space: SearchSpace) { self.space = space }
    public var name: String { "grid" }

    /// How many combinations the grid has (saturating at `Int.max`).
    public var size: Int {
        space.decisions.reduce(1) { total, d in total.multipliedReportingOverflow(by: d.choices.count).overflow ? .max : total * d.choices.count }
    }

    /// Combination `index` (mixed radix, last decision fastest).
    public func point(_ index: Int) -> Architecture {
        var rest = index
        var values = [String](repeating: "", count: space.decisions.count)
        for (d, decision) in space.decisions.enumerated().reversed() {
            values[d] = decision.choices[rest % decision.choices.count]
            rest /= decision.choices.count
        }
        return Architecture(spaceName: space.name, values: values)
    }

    public func propose(history: [Member], pending: [Architecture], rng: inout SplitMix64) -> Proposal {
        propose(history: history, pending: pending, tried: Set(history.map { $0.arch.key(in: space) }), rng: &rng)
    }

    public func propose(history: [Member], pending: [Architecture], tried: Set<String>, rng: inout SplitMix64) -> Proposal {
        let pendingKeys = Set(pending.map { $0.key(in: space) })
        var index = 0
        while index < size {
            let arch = point(index)
            let key = arch.key(in: space)
            if !tried.contains(key) && !pendingKeys.contains(key) { return Proposal(arch: arch) }
            index += 1
        }
        return Proposal(arch: point(0))  // the grid is done: a repeat (reused from the cache)
    }
}
