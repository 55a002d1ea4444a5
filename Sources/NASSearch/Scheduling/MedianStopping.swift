/// `--scheduler median`: the median stopping rule (Golovin et al. 2017, Vizier). A trial
/// reports every `min` epochs (`min, 2·min, …, max`) and continues from its checkpoint; at
/// step `t` it is stopped when its best score by `t` is below the median of the running
/// averages (mean score over steps up to `t`) of the other trials that reached `t`, once at
/// least `minimumTrials` have. The score is the reward, or the objective alone
/// (`promoteBy`). `--eta` plays no part.
public struct MedianStopping: Scheduler {
    public let steps: [Fidelity]
    public let minimumTrials: Int
    public let promoteBy: PromotionKey

    public init(minimum: Double, maximum: Double, minimumTrials: Int = 3, promoteBy: PromotionKey = .reward) throws {
        _ = try FidelityLadder(minimum: minimum, maximum: maximum, eta: 2)  // the same bound checks
        var steps: [Fidelity] = []
        var k = 1
        while Double(k) * minimum < maximum - 1e-9 { steps.append(Fidelity(Double(k) * minimum)); k += 1 }
        self.steps = steps + [Fidelity(maximum)]
        self.minimumTrials = minimumTrials
        self.promoteBy = promoteBy
    }

    public var name: String { "median min=\(steps[0].value.shortText) max=\(steps.last!.value.shortText) trials=\(minimumTrials)\(promoteBy.nameSuffix)" }

    /// Every trial trained to the top: an upper bound (the rule stops some early), so the
    /// progress line's ETA errs long.
    public func plannedFidelity(trials: Int) -> Double? { Double(trials) * steps.last!.value }

    /// - Complexity: O(t · s) for t trials of s steps.
    public func decide(trial: Int, fidelity: Fidelity?, board: RungBoard) -> SchedulerDecision {
        let at = fidelity ?? steps.last!
        guard let next = steps.first(where: { $0 > at }) else { return .complete }
        guard let own = board[trial: trial], let best = own.results.filter({ $0.fidelity <= at }).map(\.score).max() else {
            return .continueTo(next)
        }
        let averages = board.trials.filter { $0.number != trial && ($0.highest?.fidelity ?? Fidelity(0)) >= at }.map { other in
            let upTo = other.results.filter { $0.fidelity <= at }.map(\.score)
            return upTo.reduce(0, +) / Double(upTo.count)
        }.sorted()
        guard averages.count >= minimumTrials else { return .continueTo(next) }
        let n = averages.count
        let median = n % 2 == 1 ? averages[n / 2] : (averages[n / 2 - 1] + averages[n / 2]) / 2
        if best < median {
            return .prune(reason: "best \(promoteBy == .reward ? "reward" : "objective") \(best.rounded(places: 4)) by fidelity \(at.value.shortText) is below the median \(median.rounded(places: 4)) of \(n) other trials' running averages")
        }
        return .continueTo(next)
    }

    public func nextJob(board: RungBoard) -> SchedulerJob { proposeWhileBudgetAllows(board, start: steps[0]) }
}

extension Double {
    func rounded(places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}
