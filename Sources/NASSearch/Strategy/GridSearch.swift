import NASEngine
import NASSpace

/// `--strategy grid`: every combination of the decisions' values, in order (the last
/// decision varying fastest), each once: a proposal is the first combination no trial has been
/// made for. A list decision gives its choices; a numeric range gives `points` values evenly
/// spaced (log-spaced for a log range; every value of a range with fewer). The search's budget
/// must cover the grid (`size`).
///
/// - Complexity: O(t · d) per proposal after t trials, d decisions.
public struct GridSearch: SearchStrategy {
    public let space: SearchSpace
    /// Each decision's values on the grid.
    public let axes: [[String]]
    public init(space: SearchSpace, points: Int = 5) {
        precondition(points >= 1, "grid: points must be >= 1")
        self.space = space
        axes = space.decisions.map { $0.gridValues(points: points) }
    }
    public var name: String { "grid" }

    /// How many combinations the grid has (saturating at `Int.max`).
    public var size: Int {
        axes.reduce(1) { total, axis in total.multipliedReportingOverflow(by: axis.count).overflow ? .max : total * axis.count }
    }

    /// Combination `index` (mixed radix, last decision fastest).
    public func point(_ index: Int) -> Architecture {
        var rest = index
        var values = [String](repeating: "", count: space.decisions.count)
        for (d, axis) in axes.enumerated().reversed() {
            values[d] = axis[rest % axis.count]
            rest /= axis.count
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
