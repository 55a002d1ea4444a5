import Foundation

/// `--scheduler hyperband` (Li et al. 2017): successive-halving brackets that trade the number
/// of architectures against their starting fidelity. With `s_max = K` (the ladder has K+1
/// rungs), bracket `s = K … 0` takes `n_s = ⌈(K+1)/(s+1) · η^s⌉` architectures starting at the
/// ladder's rung `K − s` (R = 81, η = 3: 81 at 1, 34 at 3, 15 at 9, 8 at 27, 5 at 81). The
/// brackets repeat in that order until the budget of architectures is used; trials join them in
/// number order, so a later bracket starts while an earlier one's rung finishes.
public struct Hyperband: Scheduler {
    public let ladder: FidelityLadder
    public let promoteBy: PromotionKey
    public init(ladder: FidelityLadder, promoteBy: PromotionKey = .reward) { self.ladder = ladder; self.promoteBy = promoteBy }
    public var name: String { "hyperband \(ladder)\(promoteBy.nameSuffix)" }

    /// One round of brackets: each one's size and rungs, most exploratory first.
    public var brackets: [(size: Int, rungs: [Fidelity])] {
        let k = ladder.rungs.count - 1
        var round: [(size: Int, rungs: [Fidelity])] = []
        for s in (0...k).reversed() {
            let exact: Double = Double(k + 1) / Double(s + 1) * pow(ladder.eta, Double(s))
            round.append((Int((exact - 1e-9).rounded(.up)), Array(ladder.rungs.suffix(s + 1))))
        }
        return round
    }

    /// Brackets in their order until `trials` have joined, the last one partly filled.
    public func plannedFidelity(trials: Int) -> Double? {
        let round = brackets
        var left = trials, total = 0.0, index = 0
        while left > 0 {
            let (size, rungs) = round[index % round.count]
            let members = min(size, left)
            total += SuccessiveHalvingBracket(rungs: rungs, eta: ladder.eta, capacity: size).plannedFidelity(members)
            left -= members
            index += 1
        }
        return total
    }

    public func decide(trial: Int, fidelity: Fidelity?, board: RungBoard) -> SchedulerDecision {
        (fidelity ?? ladder.top) >= ladder.top ? .complete : .pause
    }

    /// - Complexity: O(t log t) for t trials.
    public func nextJob(board: RungBoard) -> SchedulerJob {
        let round = brackets
        var members = board.trials[...]
        var index = 0
        while true {
            let (size, rungs) = round[index % round.count]
            let part = members.prefix(size)
            members = members.dropFirst(part.count)
            let isOpen = part.count < size
            let bracket = SuccessiveHalvingBracket(rungs: rungs, eta: ladder.eta, capacity: size)
            if let (trial, to) = bracket.nextPromotion(Array(part), acceptsMembers: isOpen && board.canPropose) {
                return .promote(trial: trial, to: to)
            }
            if isOpen {
                if board.canPropose { return .propose(rungs[0]) }
                return board.anyRunning ? .wait : .finished
            }
            index += 1
        }
    }
}
