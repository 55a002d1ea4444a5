import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

/// The worker loop's seams: a scheduler's rungs, failure kinds, pending trials for the strategy.
@Suite struct WorkerLoopSeamTests {
    /// Accuracy rises with fidelity: `base(key) * fidelity / 3` (fidelity 1, 2, 3).
    struct RungEvaluator: Evaluator {
        var name: String { "rungs" }
        func evaluate(_ request: EvaluationRequest) -> Evaluation {
            let fidelity = request.fidelity ?? Fidelity(3)
            let base = 0.3 + 0.6 * Double(Digest.fnv1a64(request.arch.values.joined()) % 1000) / 1000
            return .success(accuracy: base * fidelity.value / 3, latencyMs: nil, fidelity: fidelity)
        }
    }

    /// Two rungs then the top: a trial below the mean reward of the reports at its rung is pruned.
    struct ThreeRungs: Scheduler {
        var name: String { "three-rungs" }
        func decide(trial: Int, fidelity: Fidelity?, board: RungBoard) -> SchedulerDecision {
            let rung = fidelity!
            guard rung.value < 3 else { return .complete }
            let peers = board.trials.filter { $0.number != trial }.compactMap { $0.score(at: rung) }
            let reward = board[trial: trial]!.score(at: rung)!
            if peers.count >= 2 && reward < peers.reduce(0, +) / Double(peers.count) { return .prune(reason: "below the mean at fidelity \(rung)") }
            return .continueTo(Fidelity(rung.value + 1))
        }
        func nextJob(board: RungBoard) -> SchedulerJob { board.canPropose ? .propose(Fidelity(1)) : .finished }
    }

    @Test func aSchedulerRunsRungsPrunesAndKeepsReports() throws {
        let space = try nasbench201()
        let store = try SQLiteStudyStore(directory: temporaryDirectory("rungs"), settings: settings(space, strategy: "random", budget: 12))
        try WorkerLoop(space: space, strategy: RandomSearch(space: space), scheduler: ThreeRungs(), evaluator: RungEvaluator(),
                       latency: { _ in nil }, reward: .soft(targetMs: 5), store: store, budget: 12, workers: 1, seed: 3).run()
        let trials = try store.trials()
        let reports = try store.reports()
        #expect(trials.count == 12)
        let pruned = trials.filter { $0.status == .pruned }, done = trials.filter { $0.status == .done }
        #expect(!pruned.isEmpty && !done.isEmpty && pruned.count + done.count == 12)
        #expect(done.allSatisfy { $0.fidelity == 3 })
        #expect(pruned.allSatisfy { ($0.fidelity ?? 3) < 3 && $0.error?.hasPrefix("below the mean") == true })
        // Every rung of every trial was reported: 3 for a finished trial, 1 or 2 for a pruned one.
        for t in trials {
            let rungs = reports.filter { $0.trial == t.number }.map(\.fidelity)
            #expect(rungs == Array(stride(from: 1.0, through: t.fidelity!, by: 1)), "trial \(t.number)")
        }
        // Pruned trials spent an evaluation: they count against the budget, and only finished ones rank.
        let report = StudyReport(space: space, settings: store.settings, trials: trials)
        #expect(report.done.count == done.count)
    }

    @Test func theFlatSchedulerKeepsNoReportsAndEvaluatorsRefuseOtherFidelities() throws {
        let space = try nasbench201()
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        let store = try SQLiteStudyStore(directory: temporaryDirectory("flat"), settings: settings(space, budget: 5))
        try WorkerLoop(space: space, strategy: RandomSearch(space: space), evaluator: table, latency: { _ in nil }, reward: .soft(targetMs: 5),
                       store: store, budget: 5, workers: 1, seed: 1).run()
        #expect(try store.reports().isEmpty)
        var rng = SplitMix64(seed: 1)
        let refused = table.evaluate(EvaluationRequest(arch: .random(in: space, using: &rng), trial: 0, fidelity: Fidelity(2)))
        #expect(refused.failure?.kind == .deterministic && refused.failure?.message.contains("one fidelity only") == true)
    }

    /// Fails `x` transiently the first time it is evaluated, `y` deterministically every time.
    final class FlakyEvaluator: Evaluator, @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String: Int] = [:]
        var name: String { "flaky" }
        func evaluate(_ request: EvaluationRequest) -> Evaluation {
            let key = request.arch.values[0]
            lock.lock(); seen[key, default: 0] += 1; let count = seen[key]!; lock.unlock()
            if key == "x" && count == 1 { return .failure("disk full", kind: .transient) }
            if key == "y" { return .failure("diverged") }
            return .success(accuracy: 0.5, latencyMs: nil)
        }
        func count(_ key: String) -> Int { lock.lock(); defer { lock.unlock() }; return seen[key] ?? 0 }
    }

    @Test(arguments: [0, 1])
    func transientFailuresAreRetriedDeterministicOnesCached(retries: Int) throws {
        let space = try SearchSpace.parse(yaml: "name: three\nkind: categorical\ndecisions: {a: [x, y, z]}")
        let evaluator = FlakyEvaluator()
        let dir = temporaryDirectory("flaky")
        let store = try SQLiteStudyStore(directory: dir, settings: settings(space, strategy: "random", budget: 20))
        try WorkerLoop(space: space, strategy: RandomSearch(space: space), evaluator: evaluator, latency: { _ in nil },
                       reward: .soft(targetMs: 5), store: store, budget: 20, workers: 1, seed: 2, retries: retries).run()
        let trials = try store.trials()
        #expect(evaluator.count("x") == 2 && evaluator.count("y") == 1 && evaluator.count("z") == 1)
        let x = trials.filter { $0.key == "x" }
        if retries == 0 {
            // Not cached: the next proposal of x evaluates it again.
            #expect(x.first?.status == .failed && x.first?.failureKind == .transient)
            #expect(x.dropFirst().first?.status == .done)
        } else {
            #expect(x.first?.status == .done)  // retried within the trial
        }
        let y = trials.filter { $0.key == "y" }
        #expect(y.count >= 2 && y.dropFirst().allSatisfy { $0.status == .cached && $0.failureKind == .deterministic })

        // Across a resume no failure is cached: y is evaluated again when proposed again.
        let resumed = try SQLiteStudyStore(directory: dir, settings: settings(space, strategy: "random", budget: 30), forceResume: true)
        let again = FlakyEvaluator()
        try WorkerLoop(space: space, strategy: RandomSearch(space: space), evaluator: again, latency: { _ in nil },
                       reward: .soft(targetMs: 5), store: resumed, budget: 30, workers: 1, seed: 2, retries: retries).run()
        let later = try resumed.trials().dropFirst(20)
        #expect(later.contains { $0.key == "y" })
        #expect(again.count("y") == 1)
        #expect(later.first { $0.key == "y" }?.status == .failed)
    }

    /// Proposes at random; records how many trials were pending at each proposal, and holds
    /// trial 0's evaluation until the second proposal has been made.
    final class PendingRecorder: SearchStrategy, Evaluator, @unchecked Sendable {
        let space: SearchSpace
        let condition = NSCondition()
        var pendingCounts: [Int] = []
        init(space: SearchSpace) { self.space = space }
        var name: String { "pending-recorder" }
        func propose(history: [Member], pending: [Architecture], rng: inout SplitMix64) -> Proposal {
            condition.lock(); pendingCounts.append(pending.count); condition.broadcast(); condition.unlock()
            return Proposal(arch: .random(in: space, using: &rng))
        }
        func evaluate(_ request: EvaluationRequest) -> Evaluation {
            condition.lock()
            let deadline = Date().addingTimeInterval(30)
            while request.trial == 0 && pendingCounts.count < 2 && condition.wait(until: deadline) {}
            condition.unlock()
            return .success(accuracy: 0.5, latencyMs: nil)
        }
    }

    /// Scores by the first decision only and says so through `networkIdentity`; counts its
    /// evaluations.
    final class FirstDecisionEvaluator: Evaluator, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var evaluated: [String] = []
        var name: String { "first-decision" }
        func networkIdentity(of arch: Architecture) -> String? { arch.values[0] }
        func evaluate(_ request: EvaluationRequest) -> Evaluation {
            lock.lock(); evaluated.append(request.arch.values[0]); lock.unlock()
            return .success(accuracy: 0.1 + 0.1 * Double(Digest.fnv1a64(request.arch.values[0]) % 8), latencyMs: nil)
        }
    }

    /// A proposal whose network was evaluated before is cached with that result, though its
    /// key is new: each identity is evaluated once, at one or two workers.
    @Test(arguments: [1, 2]) func anArchitectureOfAnEvaluatedNetworkIsCached(workers: Int) throws {
        let space = try nasbench201()
        let evaluator = FirstDecisionEvaluator()
        let store = try SQLiteStudyStore(directory: temporaryDirectory("identity"), settings: settings(space, strategy: "random", budget: 30))
        try WorkerLoop(space: space, strategy: RandomSearch(space: space), evaluator: evaluator, latency: { _ in nil },
                       reward: .soft(targetMs: 5), store: store, budget: 30, workers: workers, seed: 4).run()
        let trials = try store.trials()
        let identities = Set(trials.map { $0.values[0] })
        #expect(trials.count == 30)
        #expect(Set(trials.map(\.key)).count > identities.count, "several keys per identity, or the test shows nothing")
        #expect(evaluator.evaluated.sorted() == identities.sorted(), "each identity evaluated exactly once")
        let evaluatedTrials = trials.filter { $0.status == .done }
        #expect(evaluatedTrials.count == identities.count && trials.filter { $0.status == .cached }.count == 30 - identities.count)
        for trial in trials {
            let first = evaluatedTrials.first { $0.values[0] == trial.values[0] }!
            #expect(trial.accuracy == first.accuracy, "trial \(trial.number) has its network's result")
        }
    }

    @Test func theStrategySeesTheTrialsInFlight() throws {
        let space = try nasbench201()
        let recorder = PendingRecorder(space: space)
        let store = try SQLiteStudyStore(directory: temporaryDirectory("pending"), settings: settings(space, strategy: "random", budget: 6))
        try WorkerLoop(space: space, strategy: recorder, evaluator: recorder, latency: { _ in nil }, reward: .soft(targetMs: 5),
                       store: store, budget: 6, workers: 2, seed: 1).run()
        #expect(recorder.pendingCounts.count == 6)
        #expect(recorder.pendingCounts[0] == 0 && recorder.pendingCounts[1] == 1)
        #expect(recorder.pendingCounts.allSatisfy { $0 <= 1 })
    }
}
