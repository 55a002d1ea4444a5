import NASEngine
import NASSpace

/// NSGA-II (Deb et al. 2002) on the trials' objectives directly (accuracy up, latency down),
/// without the scalar reward; steady-state, so it works with asynchronous workers.
///
/// Until `population` trials have finished, proposals are uniform samples. Then the
/// population is the best `population` of every finished trial by non-dominated rank, then
/// crowding distance (elitist, as NSGA-II's merge of parents and offspring). A proposal picks
/// two parents by binary tournaments (lower rank wins, then larger crowding), takes each
/// decision from either parent with probability ½ (uniform crossover) and mutates one decision
/// (so a child is never a copy). Categorical and numeric decisions alike are crossed and
/// mutated by value, as `Architecture.mutated` does. A trial without objectives (an evaluator
/// with only a reward) ranks by its reward alone.
///
/// Stateless: everything comes from `history`, so a resumed study proposes what an
/// uninterrupted one would have at one worker.
/// - Complexity: O(M · H²) per proposal over H finished trials (the non-dominated sort).
public struct NSGA2: SearchStrategy {
    public let space: SearchSpace
    public let population: Int

    public init(space: SearchSpace, population: Int) {
        precondition(population >= 2, "NSGA-II: population must be >= 2")
        self.space = space; self.population = population
    }

    public var name: String { "nsga2" }

    /// The objective vectors of the members and their directions.
    static func points(_ history: [Member]) -> ([[Double]], [Direction]) {
        guard let first = history.first, !first.objectives.isEmpty,
              history.allSatisfy({ $0.objectives.map(\.objective) == first.objectives.map(\.objective) }) else {
            return (history.map { [$0.reward] }, [.maximize])
        }
        return (history.map { $0.objectives.map(\.value) }, first.objectives.map(\.objective.direction))
    }

    /// The surviving population: indices into `history` with their rank and crowding.
    static func survivors(_ history: [Member], population: Int) -> [(index: Int, rank: Int, crowding: Double)] {
        let (points, directions) = Self.points(history)
        var chosen: [(Int, Int, Double)] = []
        for (rank, front) in ParetoRanking.fronts(points, directions: directions, limit: population).enumerated() {
            let crowding = ParetoRanking.crowding(front, points: points)
            let members = zip(front, crowding).sorted { ($0.1, -$0.0) > ($1.1, -$1.0) }  // most isolated first; ties: older first
            for (i, c) in members where chosen.count < population { chosen.append((i, rank, c)) }
            if chosen.count >= population { break }
        }
        return chosen
    }

    public func propose(history: [Member], pending: [Architecture], rng: inout SplitMix64) -> Proposal {
        guard history.count >= population else { return Proposal(arch: Architecture.random(in: space, using: &rng)) }
        let alive = Self.survivors(history, population: population)
        func tournament() -> (index: Int, rank: Int, crowding: Double) {
            let a = alive[Int(rng.next() % UInt64(alive.count))], b = alive[Int(rng.next() % UInt64(alive.count))]
            if a.rank != b.rank { return a.rank < b.rank ? a : b }
            return a.crowding >= b.crowding ? a : b
        }
        let first = tournament(), second = tournament()
        let mother = history[first.index].arch, father = history[second.index].arch
        var child = mother
        for i in child.values.indices where rng.next() & 1 == 1 { child.values[i] = father.values[i] }
        return Proposal(arch: child.mutated(in: space, using: &rng), parent: history[first.index].trial)
    }
}
