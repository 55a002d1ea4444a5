/// One bracket of synchronous successive halving (Jamieson & Talwalkar 2016): its members all
/// start at `rungs[0]`; when a rung is closed (every member that entered it has a result there
/// and no more can enter), the best `max(1, ⌊n/η⌋)` of its `n` go on to the next rung. The
/// `max(1, …)` keeps one member going to the top when a rung has fewer than η (plain floor
/// would stop the bracket there). Ties go to the lower trial number.
struct SuccessiveHalvingBracket: Sendable {
    let rungs: [Fidelity]
    let eta: Double
    /// Most members the bracket takes (nil: as many as the budget gives).
    let capacity: Int?

    /// How many go on from a rung of `count`.
    func quota(_ count: Int) -> Int { max(1, Int(Double(count) / eta)) }

    /// The next promotion among `members` (this bracket's trials, by number); nil when no rung
    /// is ready. `acceptsMembers`: a new trial may still join (rung 0 is not closed).
    /// - Complexity: O(rungs · m log m) for m members.
    func nextPromotion(_ members: [RungBoard.Trial], acceptsMembers: Bool) -> (trial: Int, to: Fidelity)? {
        func runningToward(_ f: Fidelity) -> Bool { members.contains { $0.state == .running(f) } }
        var closed = !acceptsMembers && !runningToward(rungs[0])
        var entered = members.count
        for k in 0..<(rungs.count - 1) {
            guard closed else { return nil }
            let ranked = members.compactMap { t in t.score(at: rungs[k]).map { (t, $0) } }
                .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.number < $1.0.number }
            let goOn = min(ranked.count, quota(entered))
            for (trial, _) in ranked.prefix(goOn) where trial.state == .paused && trial.highest?.fidelity == rungs[k] {
                return (trial.number, rungs[k + 1])
            }
            closed = !runningToward(rungs[k + 1])
            entered = goOn
        }
        return nil
    }

    /// The fidelity a bracket of `n` members trains: each rung's members times what the rung
    /// adds to the one below (continued from its checkpoint).
    func plannedFidelity(_ n: Int) -> Double {
        guard n > 0 else { return 0 }
        var total = 0.0, below = 0.0
        for (size, rung) in zip(rungSizes(n), rungs) {
            total += Double(size) * (rung.value - below)
            below = rung.value
        }
        return total
    }

    /// The rung sizes a full bracket of `n` members goes through (for documentation and tests).
    func rungSizes(_ n: Int) -> [Int] {
        var sizes = [n]
        while sizes.count < rungs.count { sizes.append(min(sizes.last!, quota(sizes.last!))) }
        return sizes
    }
}
