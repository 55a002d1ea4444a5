import Foundation
import NASEngine
import Testing
@testable import NASSearch

/// Runs a scheduler against simulated trials: `workers` jobs at a time, the oldest job
/// finishing first; trial n's reward at fidelity f is `quality[n] · f / (f + 1)` (monotone in f,
/// the same order at every fidelity). Records every evaluation.
struct SchedulerSimulation {
    let scheduler: any Scheduler
    let quality: [Double]
    let workers: Int

    struct Run {
        var evaluations: [(trial: Int, fidelity: Double)] = []
        var final: [Int: RungBoard.Trial] = [:]
        var maxRunning = 0
        /// Evaluations per fidelity, increasing fidelity.
        var perFidelity: [Double: Int] {
            evaluations.reduce(into: [:]) { $0[$1.fidelity, default: 0] += 1 }
        }
        func trials(at fidelity: Double) -> [Int] { evaluations.filter { $0.fidelity == fidelity }.map(\.trial) }
    }

    func run() -> Run {
        var trials: [Int: RungBoard.Trial] = [:]
        var running: [(trial: Int, fidelity: Fidelity)] = []
        var proposed = 0
        var result = Run()
        func board() -> RungBoard {
            RungBoard(trials: Array(trials.values), canPropose: proposed < quality.count, budget: quality.count)
        }
        func reward(_ n: Int, _ f: Fidelity) -> Double { quality[n] * f.value / (f.value + 1) }
        while true {
            // Fill the free workers.
            var stuck = false
            while running.count < workers && !stuck {
                switch scheduler.nextJob(board: board()) {
                case let .propose(start):
                    let f = start ?? Fidelity(1)
                    trials[proposed] = RungBoard.Trial(number: proposed, results: [], state: .running(f))
                    running.append((proposed, f))
                    proposed += 1
                case let .promote(n, to):
                    precondition(trials[n]?.state == .paused, "promoted trial \(n) is not paused")
                    trials[n]!.state = .running(to)
                    running.append((n, to))
                case .wait, .finished:
                    stuck = true
                }
            }
            result.maxRunning = max(result.maxRunning, running.count)
            guard !running.isEmpty else { break }
            var (n, f) = running.removeFirst()
            while true {
                result.evaluations.append((n, f.value))
                trials[n]!.results.append(RungBoard.Result(f, reward(n, f)))
                switch scheduler.decide(trial: n, fidelity: f, board: board()) {
                case .complete: trials[n]!.state = .finished
                case .pause: trials[n]!.state = .paused
                case .prune: trials[n]!.state = .finished
                case let .continueTo(next):
                    f = next
                    trials[n]!.state = .running(next)
                    continue
                }
                break
            }
        }
        result.final = trials
        return result
    }
}

@Suite struct SchedulerTests {
    @Test func ladders() throws {
        #expect(try FidelityLadder(minimum: 1, maximum: 9, eta: 3).rungs.map(\.value) == [1, 3, 9])
        #expect(try FidelityLadder(minimum: 1, maximum: 81, eta: 3).rungs.map(\.value) == [1, 3, 9, 27, 81])
        #expect(try FidelityLadder(minimum: 1, maximum: 8, eta: 2).rungs.map(\.value) == [1, 2, 4, 8])
        let uneven = try FidelityLadder(minimum: 1, maximum: 10, eta: 3).rungs.map(\.value)
        #expect(uneven.count == 3 && abs(uneven[0] - 10.0 / 9) < 1e-12 && abs(uneven[1] - 10.0 / 3) < 1e-12 && uneven[2] == 10)
        #expect(try FidelityLadder(minimum: 2, maximum: 2, eta: 3).rungs.map(\.value) == [2])
        let bad: [(Double, Double, Double)] = [(0, 9, 3), (3, 1, 3), (1, 9, 1.5), (1, .infinity, 3), (.nan, 9, 3)]
        for (low, high, eta) in bad {
            #expect(throws: SearchError.self) { _ = try FidelityLadder(minimum: low, maximum: high, eta: eta) }
        }
    }

    /// Rung sizes `max(1, ⌊n/η⌋)` worked by hand.
    @Test func successiveHalvingRungSizes() {
        func sizes(_ n: Int, rungs: Int, eta: Double) -> [Int] {
            SuccessiveHalvingBracket(rungs: (0..<rungs).map { Fidelity(Double($0 + 1)) }, eta: eta, capacity: nil).rungSizes(n)
        }
        #expect(sizes(9, rungs: 3, eta: 3) == [9, 3, 1])
        #expect(sizes(10, rungs: 3, eta: 3) == [10, 3, 1])
        #expect(sizes(81, rungs: 5, eta: 3) == [81, 27, 9, 3, 1])
        #expect(sizes(5, rungs: 3, eta: 3) == [5, 1, 1])
        #expect(sizes(8, rungs: 4, eta: 2) == [8, 4, 2, 1])
        #expect(sizes(20, rungs: 3, eta: 4) == [20, 5, 1])
    }

    /// Synchronous SHA promotes exactly the best of each complete rung, and only once the rung
    /// is complete; with one or three workers the same trials are evaluated.
    @Test(arguments: [(9, 3.0, 1), (10, 3.0, 3), (8, 2.0, 2), (27, 3.0, 2)])
    func synchronousSuccessiveHalving(n: Int, eta: Double, workers: Int) throws {
        let ladder = try FidelityLadder(minimum: 1, maximum: eta * eta, eta: eta)
        var rng = SplitMix64(seed: UInt64(n))
        let quality = (0..<n).map { _ in 0.5 + Double(rng.uniform(0.4)) }
        let run = SchedulerSimulation(scheduler: SuccessiveHalving(ladder: ladder), quality: quality, workers: workers).run()
        let expected = SuccessiveHalvingBracket(rungs: ladder.rungs, eta: eta, capacity: nil).rungSizes(n)
        #expect(ladder.rungs.map { run.perFidelity[$0.value] ?? 0 } == expected)
        // Each rung holds the best of the one below.
        let byQuality = (0..<n).sorted { quality[$0] > quality[$1] }
        for (k, rung) in ladder.rungs.enumerated() {
            #expect(Set(run.trials(at: rung.value)) == Set(byQuality.prefix(expected[k])), "rung \(rung)")
        }
        // No promotion before the rung below is complete: all rung-0 evaluations come first.
        let firstPromotion = run.evaluations.firstIndex { $0.fidelity > ladder.rungs[0].value }!
        #expect(firstPromotion == n)
        let stillRunning = run.final.values.filter { $0.isRunning }.count
        #expect(stillRunning == 0)
    }

    /// Hyperband's brackets for R = 81, η = 3 as in Li et al. 2017, Table 1.
    @Test func hyperbandBrackets() throws {
        let hyperband = Hyperband(ladder: try FidelityLadder(minimum: 1, maximum: 81, eta: 3))
        let brackets = hyperband.brackets
        #expect(brackets.map(\.size) == [81, 34, 15, 8, 5])
        #expect(brackets.map { $0.rungs.map(\.value) } == [[1, 3, 9, 27, 81], [3, 9, 27, 81], [9, 27, 81], [27, 81], [81]])
        let rungSizes = brackets.map { SuccessiveHalvingBracket(rungs: $0.rungs, eta: 3, capacity: $0.size).rungSizes($0.size) }
        #expect(rungSizes == [[81, 27, 9, 3, 1], [34, 11, 3, 1], [15, 5, 1], [8, 2], [5]])
    }

    /// A simulated Hyperband round (R = 9, η = 3: brackets of 9 at 1, 5 at 3, 3 at 9) runs
    /// each bracket's halving; a second round starts over with the most exploratory bracket.
    /// What the progress line counts against: hand-worked totals, a continued trial counting only
    /// what its rung adds.
    @Test func plannedFidelityOfEachScheduler() throws {
        let ladder = try FidelityLadder(minimum: 1, maximum: 9, eta: 3)
        // SHA, 100 trials: rungs of 100, 33, 11 -> 100·1 + 33·2 + 11·6.
        #expect(SuccessiveHalving(ladder: ladder).plannedFidelity(trials: 100) == 232)
        // 2 trials: rungs of 2, 1, 1 (max(1, ⌊n/η⌋) keeps one going) -> 2 + 2 + 6.
        #expect(SuccessiveHalving(ladder: ladder).plannedFidelity(trials: 2) == 10)
        #expect(SuccessiveHalving(ladder: ladder).plannedFidelity(trials: 0) == 0)
        #expect(AsynchronousSuccessiveHalving(ladder: ladder).plannedFidelity(trials: 100) == 232)
        // Hyperband 1/3/9: brackets of 9 at [1,3,9] (9·1 + 3·2 + 1·6 = 21), 5 at [3,9] (5·3 + 1·6 = 21),
        // 3 at [9] (27): 17 trials, 69 epochs a round; 20 trials add 3 to a new first bracket
        // (3·1 + 1·2 + 1·6 = 11).
        let hyperband = Hyperband(ladder: ladder)
        #expect(hyperband.plannedFidelity(trials: 17) == 69)
        #expect(hyperband.plannedFidelity(trials: 20) == 80)
        #expect(hyperband.plannedFidelity(trials: 9) == 21)
        // Median: every trial to the top (an upper bound).
        #expect(try MedianStopping(minimum: 1, maximum: 9).plannedFidelity(trials: 12) == 108)
        #expect(FlatScheduler().plannedFidelity(trials: 100) == nil)
        // η 2 over 1..8: rungs 1, 2, 4, 8; 16 trials: 16·1 + 8·1 + 4·2 + 2·4.
        let two = try FidelityLadder(minimum: 1, maximum: 8, eta: 2)
        #expect(SuccessiveHalving(ladder: two).plannedFidelity(trials: 16) == 40)
    }

    @Test func fidelityTallyCountsEachTrialsHighestRung() {
        var tally = FidelityTally()
        tally.add(trial: 1, fidelity: 1)
        tally.add(trial: 2, fidelity: 1)
        tally.add(trial: 1, fidelity: 3)
        tally.add(trial: 1, fidelity: 3)   // the same rung again (a resumed record): nothing added
        tally.add(trial: 1, fidelity: 9)
        tally.add(trial: 2, fidelity: 0.5) // below what is counted: nothing
        tally.add(trial: 3, fidelity: .nan)
        #expect(tally.total == 10)
    }

    @Test func hyperbandRunsItsBrackets() throws {
        let hyperband = Hyperband(ladder: try FidelityLadder(minimum: 1, maximum: 9, eta: 3))
        #expect(hyperband.brackets.map(\.size) == [9, 5, 3])
        var rng = SplitMix64(seed: 5)
        let quality = (0..<20).map { _ in 0.5 + Double(rng.uniform(0.4)) }
        let run = SchedulerSimulation(scheduler: hyperband, quality: quality, workers: 2).run()
        // Round 1: trials 0-8 start at 1 (9 → 3 → 1), 9-13 at 3 (5 → 1), 14-16 at 9;
        // round 2: trials 17-19 join the next 9-bracket at 1, which closes with 3 (3 → 1 → 1).
        let starts = Dictionary(grouping: run.evaluations, by: \.trial).mapValues { $0.map(\.fidelity).min()! }
        let startingFidelities: [Double] = (0..<20).map { starts[$0] ?? -1 }
        let expectedStarts: [Double] = Array(repeating: 1, count: 9) + Array(repeating: 3, count: 5) + Array(repeating: 9, count: 3) + [1, 1, 1]
        #expect(startingFidelities == expectedStarts)
        func evaluations(_ members: ClosedRange<Int>, at fidelities: [Double]) -> [Int] {
            fidelities.map { f in run.evaluations.filter { members.contains($0.trial) && $0.fidelity == f }.count }
        }
        let perBracket: [[Int]] = [evaluations(0...8, at: [1, 3, 9]), evaluations(9...13, at: [3, 9]), evaluations(14...16, at: [9]),
                                   evaluations(17...19, at: [1, 3, 9])]
        #expect(perBracket == [[9, 3, 1], [5, 1], [3], [3, 1, 1]])
        // The bracket's best reaches the top.
        let best = (0...8).max { quality[$0] < quality[$1] }!
        #expect(run.trials(at: 9).contains(best))
    }

    /// ASHA promotes as soon as a trial is in the top 1/η of the results at its rung so far,
    /// without waiting for the rung to fill.
    @Test func ashaPromotesWithoutWaitingForAFullRung() throws {
        let asha = AsynchronousSuccessiveHalving(ladder: try FidelityLadder(minimum: 1, maximum: 9, eta: 3))
        func trial(_ n: Int, _ reward: Double?, _ state: RungBoard.State) -> RungBoard.Trial {
            RungBoard.Trial(number: n, results: reward.map { [RungBoard.Result(Fidelity(1), $0)] } ?? [], state: state)
        }
        // Two results at rung 1: ⌊2/3⌋ = 0 go on; a new trial is proposed.
        var board = RungBoard(trials: [trial(0, 0.5, .paused), trial(1, 0.7, .paused), trial(2, nil, .running(Fidelity(1)))],
                              canPropose: true, budget: 20)
        #expect(asha.nextJob(board: board) == .propose(Fidelity(1)))
        // A third: the best of three (trial 1) goes on to 3 while trial 2 and others still run.
        board.trials[2] = trial(2, 0.6, .paused)
        board.trials.append(trial(3, nil, .running(Fidelity(1))))
        #expect(asha.nextJob(board: board) == .promote(trial: 1, to: Fidelity(3)))
        #expect(asha.decide(trial: 1, fidelity: Fidelity(3), board: board) == .pause)
        #expect(asha.decide(trial: 1, fidelity: Fidelity(9), board: board) == .complete)
        // Once trial 1 runs, no other of the three qualifies: propose again.
        board.trials[1].state = .running(Fidelity(3))
        #expect(asha.nextJob(board: board) == .propose(Fidelity(1)))
    }

    /// A simulated ASHA run: every worker is always busy while there are trials to propose,
    /// and the best trial reaches the top.
    @Test func ashaKeepsWorkersBusy() throws {
        let ladder = try FidelityLadder(minimum: 1, maximum: 9, eta: 3)
        var rng = SplitMix64(seed: 9)
        let quality = (0..<30).map { _ in 0.5 + Double(rng.uniform(0.4)) }
        let run = SchedulerSimulation(scheduler: AsynchronousSuccessiveHalving(ladder: ladder), quality: quality, workers: 3).run()
        #expect(run.perFidelity[1] == 30)
        #expect((run.perFidelity[3] ?? 0) >= 30 / 3 && (run.perFidelity[9] ?? 0) >= 1)
        #expect(run.trials(at: 9).contains((0..<30).max { quality[$0] < quality[$1] }!))
        #expect(run.final.values.allSatisfy { $0.state == .paused || $0.state == .finished })
    }

    /// The median stopping rule on hand-made curves (steps 1, 2, 3, 4).
    @Test func medianStoppingOnHandMadeCurves() throws {
        let median = try MedianStopping(minimum: 1, maximum: 4, minimumTrials: 3)
        #expect(median.steps.map(\.value) == [1, 2, 3, 4])
        func curve(_ n: Int, _ rewards: [Double], _ state: RungBoard.State = .finished) -> RungBoard.Trial {
            RungBoard.Trial(number: n, results: rewards.enumerated().map { RungBoard.Result(Fidelity(Double($0.offset + 1)), $0.element) }, state: state)
        }
        // Running averages at step 2: (0.4+0.6)/2 = 0.5, (0.5+0.7)/2 = 0.6, (0.6+0.8)/2 = 0.7 → median 0.6.
        let others = [curve(0, [0.4, 0.6, 0.7, 0.8]), curve(1, [0.5, 0.7, 0.8, 0.85]), curve(2, [0.6, 0.8, 0.85, 0.9])]
        func decide(_ rewards: [Double], others: [RungBoard.Trial] = others) -> SchedulerDecision {
            median.decide(trial: 9, fidelity: Fidelity(Double(rewards.count)), board: RungBoard(trials: others + [curve(9, rewards, .running(nil))], canPropose: true, budget: 10))
        }
        #expect(decide([0.55, 0.59]).isPrune)                     // best 0.59 < 0.6
        #expect(decide([0.61, 0.5]) == .continueTo(Fidelity(3)))  // best so far 0.61 ≥ 0.6
        #expect(decide([0.3, 0.6]) == .continueTo(Fidelity(3)))   // equal to the median: not below
        #expect(decide([0.9, 0.9, 0.9, 0.9]) == .complete)        // the last step
        // Fewer than three others reached the step: never stopped.
        #expect(decide([0.1, 0.1], others: Array(others.prefix(2))) == .continueTo(Fidelity(3)))
        // Others that did not reach step 2 do not count.
        #expect(decide([0.1, 0.1], others: others.map { curve($0.number, [$0.results[0].score]) }) == .continueTo(Fidelity(3)))
        // Step 1 of an even count: median of 0.4, 0.5, 0.6, 0.7 = 0.55.
        let four = others + [curve(3, [0.7, 0.8])]
        #expect(decide([0.54], others: four).isPrune && decide([0.56], others: four) == .continueTo(Fidelity(2)))
    }
}

extension SchedulerDecision {
    var isPrune: Bool { if case .prune = self { return true } else { return false } }
}
