import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

/// The worker loop under each scheduler, with an evaluator whose accuracy rises with fidelity
/// and which keeps its progress in the trial's checkpoint folder.
@Suite struct SchedulerRunTests {
    /// Accuracy `base(key) · f / (f + 1)`. Writes the fidelity reached into
    /// `checkpointDirectory/reached` and records, per request, the fidelity it continued from.
    final class CheckpointingEvaluator: Evaluator, @unchecked Sendable {
        struct Call: Equatable { var trial: Int; var fidelity: Double; var continuedFrom: Double?; var completed: Bool }
        private let lock = NSLock()
        private(set) var calls: [Call] = []
        /// Called before each evaluation with the number of evaluations so far.
        var beforeEach: (Int) -> Void = { _ in }
        var name: String { "checkpointing" }

        func evaluate(_ request: EvaluationRequest) -> Evaluation {
            let f = request.fidelity?.value ?? 9
            let file = request.checkpointDirectory.map { $0 + "/reached" }
            let before = file.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }.flatMap(Double.init)
            lock.lock(); let count = calls.count; lock.unlock()
            beforeEach(count)
            if request.shouldStop() {
                lock.lock(); calls.append(Call(trial: request.trial, fidelity: f, continuedFrom: before, completed: false)); lock.unlock()
                return .interrupted
            }
            usleep(1000)
            if let dir = request.checkpointDirectory, let file {
                try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try? "\(f)".write(toFile: file, atomically: true, encoding: .utf8)
            }
            lock.lock(); calls.append(Call(trial: request.trial, fidelity: f, continuedFrom: before, completed: true)); lock.unlock()
            let base = 0.3 + 0.6 * Double(Digest.fnv1a64(request.arch.values.joined()) % 1000) / 1000
            return .success(accuracy: base * f / (f + 1), latencyMs: nil, fidelity: Fidelity(f))
        }
    }

    static func schedulers() throws -> [any Scheduler] {
        let ladder = try FidelityLadder(minimum: 1, maximum: 9, eta: 3)
        return [SuccessiveHalving(ladder: ladder), AsynchronousSuccessiveHalving(ladder: ladder), Hyperband(ladder: ladder),
                try MedianStopping(minimum: 1, maximum: 9)]
    }

    func run(_ scheduler: any Scheduler, store: SQLiteStudyStore, evaluator: CheckpointingEvaluator, checkpoints: String,
             budget: Int = 12, shouldStop: @escaping @Sendable () -> Bool = { false }) throws {
        let space = try nasbench201()
        try WorkerLoop(space: space, strategy: RegularizedEvolution(space: space, population: 5, sample: 2), scheduler: scheduler,
                       evaluator: evaluator, latency: { _ in nil }, reward: .soft(targetMs: 5), store: store, budget: budget, workers: 2,
                       seed: 4, checkpoints: checkpoints).run(shouldStop: shouldStop)
    }

    @Test(arguments: [0, 1, 2, 3])
    func everyRungIsRecordedOnceAndContinuesFromItsCheckpoint(index: Int) throws {
        let scheduler = try Self.schedulers()[index]
        let space = try nasbench201()
        let dir = temporaryDirectory("scheduled")
        let store = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 12))
        let evaluator = CheckpointingEvaluator()
        try run(scheduler, store: store, evaluator: evaluator, checkpoints: dir + "/checkpoints")
        let trials = try store.trials(), reports = try store.reports()
        #expect(trials.count == 12)
        let evaluated = trials.filter { $0.status != .cached }
        #expect(evaluated.allSatisfy { $0.status == .done || $0.status == .pruned }, "\(trials.map(\.status))")
        #expect(evaluated.contains { $0.status == .done } && evaluated.contains { $0.status == .pruned })
        #expect(trials.filter { $0.status == .done }.allSatisfy { $0.fidelity == 9 })
        // Each rung of each trial was evaluated once, continuing from the rung before it.
        for trial in evaluated {
            let rungs = reports.filter { $0.trial == trial.number }.map(\.fidelity)
            let calls = evaluator.calls.filter { $0.trial == trial.number }
            #expect(calls.map(\.fidelity) == rungs, "trial \(trial.number)")
            #expect(rungs == rungs.sorted() && Set(rungs).count == rungs.count)
            #expect(calls.map(\.continuedFrom) == [nil] + rungs.dropLast().map(Optional.init), "trial \(trial.number)")
            #expect(rungs.last == trial.fidelity)
        }
        if scheduler is SuccessiveHalving {
            let perRung = [1.0, 3, 9].map { f in reports.filter { $0.fidelity == f }.count }
            #expect(perRung == [evaluated.count, max(1, evaluated.count / 3), max(1, evaluated.count / 9)])
        }
        // Nothing can continue any more: every checkpoint folder is gone.
        let left = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/checkpoints")) ?? []
        #expect(left.isEmpty, "\(left)")
    }

    /// A crash between recording a trial's end and removing its checkpoint folder leaves the
    /// folder behind: the resumed search removes it, and keeps folders of trials it does not know.
    @Test func aResumedSearchRemovesTheFoldersOfEndedTrials() throws {
        let space = try nasbench201()
        let dir = temporaryDirectory("scheduled-leftover-folder")
        let checkpoints = dir + "/checkpoints"
        let scheduler = AsynchronousSuccessiveHalving(ladder: try FidelityLadder(minimum: 1, maximum: 9, eta: 3))
        let store = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 6))
        try run(scheduler, store: store, evaluator: CheckpointingEvaluator(), checkpoints: checkpoints, budget: 6)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []).isEmpty)
        let ended = try #require(try store.trials().first { $0.status == .done || $0.status == .pruned })
        for folder in ["trial-\(ended.number)", "trial-999"] {
            try FileManager.default.createDirectory(atPath: checkpoints + "/" + folder, withIntermediateDirectories: true)
            try "3".write(toFile: checkpoints + "/" + folder + "/reached", atomically: true, encoding: .utf8)
        }
        try run(scheduler, store: try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 6)),
                evaluator: CheckpointingEvaluator(), checkpoints: checkpoints, budget: 6)
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints) == ["trial-999"])
    }

    /// The progress a scheduled search reports follows the fidelity trained: never decreasing,
    /// ending at the sum of each trial's highest rung, which for SHA with no cached trial is the
    /// scheduler's plan exactly.
    @Test(arguments: [0, 1, 2, 3])
    func progressCountsTheFidelityTrained(index: Int) throws {
        let scheduler = try Self.schedulers()[index]
        let space = try nasbench201()
        let dir = temporaryDirectory("scheduled-progress")
        let store = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 12))
        let seen = ProgressLog()
        try WorkerLoop(space: space, strategy: RegularizedEvolution(space: space, population: 5, sample: 2), scheduler: scheduler,
                       evaluator: CheckpointingEvaluator(), latency: { _ in nil }, reward: .soft(targetMs: 5), store: store, budget: 12,
                       workers: 2, seed: 4, checkpoints: dir + "/checkpoints").run(progress: seen.add)
        let trained = seen.all.compactMap(\.fidelityTrained)
        #expect(trained.count == seen.all.count && !trained.isEmpty)
        #expect(trained == trained.sorted(), "\(trained)")
        let reports = try store.reports()
        let highest = Dictionary(reports.map { ($0.trial, $0.fidelity) }, uniquingKeysWith: max)
        #expect(trained.last == highest.values.reduce(0, +))
        let planned = try #require(scheduler.plannedFidelity(trials: 12))
        #expect(seen.all.allSatisfy { ($0.fidelityPlanned ?? 0) >= planned })
        let anyCached = try store.trials().contains { $0.status == .cached }
        if scheduler is SuccessiveHalving && !anyCached {
            #expect(trained.last == planned)
        }
        #expect(seen.all.last?.etaSeconds.map { $0 >= 0 } ?? true)
    }

    /// SHA promotes the best third of rung 1 by what `--promote-by` names: with a latency that
    /// weighs heavily in the reward (w = −1), the reward's third and the accuracy's differ, and
    /// each run promotes exactly its own.
    @Test(arguments: [PromotionKey.reward, .objective])
    func shaPromotesByItsKey(key: PromotionKey) throws {
        let space = try nasbench201()
        let dir = temporaryDirectory("promote-by-\(key)")
        let store = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 12))
        let reward = Reward.soft(targetMs: 5, w: -1)
        // Latency 1-20 ms from the architecture, independent of the evaluator's accuracy.
        let latency: LatencyModel = { arch in (1 + Double(Digest.fnv1a64("lat" + arch.values.joined()) % 20), 0, 0) }
        let scheduler = SuccessiveHalving(ladder: try FidelityLadder(minimum: 1, maximum: 9, eta: 3), promoteBy: key)
        #expect(scheduler.name == (key == .reward ? "sha min=1 max=9 eta=3" : "sha min=1 max=9 eta=3 by=objective"))
        try WorkerLoop(space: space, strategy: RegularizedEvolution(space: space, population: 5, sample: 2), scheduler: scheduler,
                       evaluator: CheckpointingEvaluator(), latency: latency, reward: reward, store: store, budget: 12, workers: 2,
                       seed: 4, checkpoints: dir + "/checkpoints").run()
        let reports = try store.reports()
        let firstRung = reports.filter { $0.fidelity == 1 }
        let promoted = Set(reports.filter { $0.fidelity == 3 }.map(\.trial))
        func best(_ value: (TrialReport) -> Double) -> Set<Int> {
            Set(firstRung.sorted { value($0) != value($1) ? value($0) > value($1) : $0.trial < $1.trial }
                .prefix(firstRung.count / 3).map(\.trial))
        }
        let byReward = best { $0.reward! }, byAccuracy = best { $0.metricValues["accuracy"]! }
        #expect(firstRung.count >= 9 && byReward != byAccuracy, "the case must tell the keys apart")
        #expect(promoted == (key == .reward ? byReward : byAccuracy), "promoted \(promoted.sorted())")
    }

    /// What each key ranks (a minimised objective negated, so higher is better), and the names
    /// recorded in the study: unchanged for `reward`, so older studies resume.
    @Test func promotionKeyScoresAndNames() throws {
        #expect(PromotionKey.objective.score(reward: 0.5, value: 0.9, direction: .maximize) == 0.9)
        #expect(PromotionKey.objective.score(reward: -0.2, value: 0.2, direction: .minimize) == -0.2)
        #expect(PromotionKey.reward.score(reward: 0.5, value: 0.9, direction: .maximize) == 0.5)
        #expect(PromotionKey.objective.score(reward: 0.5, value: nil, direction: .maximize) == nil)
        let rule = try MedianStopping(minimum: 1, maximum: 3, promoteBy: .objective)
        #expect(rule.name.hasSuffix("trials=3 by=objective"))
        #expect(try MedianStopping(minimum: 1, maximum: 3).name.hasSuffix("trials=3"))
    }

    @Test func aFlatSearchReportsNoFidelity() throws {
        let space = try nasbench201()
        let dir = temporaryDirectory("flat-progress")
        let store = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 6))
        let seen = ProgressLog()
        try WorkerLoop(space: space, strategy: RegularizedEvolution(space: space, population: 5, sample: 2),
                       evaluator: CheckpointingEvaluator(), latency: { _ in nil }, reward: .soft(targetMs: 5), store: store, budget: 6,
                       workers: 1, seed: 4).run(progress: seen.add)
        #expect(!seen.all.isEmpty && seen.all.allSatisfy { $0.fidelityTrained == nil && $0.fidelityPlanned == nil })
        #expect(seen.all.last?.trials == 6)
    }

    /// Stopped in the middle of a rung, then resumed: no rung result lost, none computed twice
    /// (only the interrupted evaluation runs again), and the search ends as it would have.
    @Test(arguments: [3, 7, 11])
    func aResumedSearchLosesNoRungAndTrainsNoneTwice(stopAfter: Int) throws {
        let scheduler = AsynchronousSuccessiveHalving(ladder: try FidelityLadder(minimum: 1, maximum: 9, eta: 3))
        let space = try nasbench201()
        let dir = temporaryDirectory("scheduled-resume")
        let first = CheckpointingEvaluator()
        let stop = StopFlag()
        first.beforeEach = { count in if count >= stopAfter { stop.set() } }
        let store = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 12))
        try run(scheduler, store: store, evaluator: first, checkpoints: dir + "/checkpoints", shouldStop: { stop.isSet })
        let afterStop = try store.reports()
        #expect(try store.trials().contains { $0.status == .interrupted || $0.status == .paused })

        let second = CheckpointingEvaluator()
        let resumed = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 12))
        try run(scheduler, store: resumed, evaluator: second, checkpoints: dir + "/checkpoints")
        let reports = try resumed.reports()
        #expect(Array(reports.prefix(afterStop.count)) == afterStop, "rungs recorded before the stop are kept")
        let completed = (first.calls + second.calls).filter(\.completed)
        let pairs = completed.map { "\($0.trial)@\($0.fidelity)" }
        #expect(pairs.count == Set(pairs).count, "a rung was trained twice: \(pairs)")
        #expect(Set(pairs) == Set(reports.map { "\($0.trial)@\($0.fidelity)" }))
        // The interrupted rung continued from the checkpoint of the rung before it.
        for call in second.calls where call.continuedFrom != nil {
            #expect(reports.contains { $0.trial == call.trial && $0.fidelity == call.continuedFrom })
        }
        let trials = try resumed.trials()
        #expect(trials.count == 12 && trials.allSatisfy { [.done, .pruned, .cached].contains($0.status) })
    }
}

/// The progress reports a search made, in order.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [SearchProgress] = []
    func add(_ p: SearchProgress) { lock.lock(); reports.append(p); lock.unlock() }
    var all: [SearchProgress] { lock.lock(); defer { lock.unlock() }; return reports }
}

/// A flag one thread sets and others read.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// A command that ignores the fidelity it is told and prints one result per epoch: the median
/// rule stops the worse ones mid-run (their program is killed) and keeps every epoch's result.
@Suite struct StreamingCommandTests {
    @Test func theMedianRuleStopsAStreamingProgramMidRun() throws {
        let space = try nasbench201()
        let dir = temporaryDirectory("streaming")
        try FileManager.default.createDirectory(atPath: dir + "/ends", withIntermediateDirectories: true)
        // Accuracy 0.<convolutions + 1><epoch> for epochs 1-4; a program that gets to the end
        // leaves a file named after its trial, a second after its last line, so that a program
        // pruned at its third line is killed before it could (on a loaded machine too: the kill
        // need not beat the 0.05 s of the fourth epoch).
        let script = #"n=$(grep -o nor_conv "$NASCTL_ARCH" | wc -l); for e in 1 2 3 4; do sleep 0.05; "# +
            #"echo "{\"epoch\": $e, \"accuracy\": 0.$((n + 1))$e}"; done; sleep 1; touch "\#(dir)/ends/$NASCTL_TRIAL"; :"#
        let evaluator = try CommandEvaluator(command: script, timeoutSeconds: 60, space: space, workDirectory: URL(fileURLWithPath: dir + "/work"))
        let store = try SQLiteStudyStore(directory: dir + "/study", settings: settings(space, strategy: "random", budget: 14))
        try WorkerLoop(space: space, strategy: RandomSearch(space: space), scheduler: try MedianStopping(minimum: 1, maximum: 4),
                       evaluator: evaluator, latency: { _ in nil }, reward: .soft(targetMs: 5), store: store, budget: 14, workers: 2,
                       seed: 6, checkpoints: dir + "/checkpoints").run()
        let trials = try store.trials().filter { $0.status != .cached }, reports = try store.reports()
        let ended = Set(try FileManager.default.contentsOfDirectory(atPath: dir + "/ends").compactMap(Int.init))
        let pruned = trials.filter { $0.status == .pruned }, done = trials.filter { $0.status == .done }
        #expect(!pruned.isEmpty && !done.isEmpty && pruned.count + done.count == trials.count, "\(trials.map(\.status))")
        for trial in trials {
            let epochs = reports.filter { $0.trial == trial.number }.map(\.fidelity)
            if trial.status == .done {
                #expect(epochs == [1, 2, 3, 4] && trial.fidelity == 4 && ended.contains(trial.number), "trial \(trial.number): \(epochs)")
            } else {
                // Stopped where the rule said so: its results up to there, its program killed.
                #expect(!epochs.isEmpty && epochs == Array(stride(from: 1.0, through: Double(epochs.count), by: 1)) && epochs.count < 4)
                #expect(trial.fidelity == epochs.last && !ended.contains(trial.number), "trial \(trial.number)")
                #expect(trial.error?.contains("below the median") == true)
            }
        }
    }

    @Test func intermediateLinesAreReadAsTheyAppear() throws {
        let file = temporaryDirectory("lines")
        #expect(FileManager.default.createFile(atPath: file, contents: nil))
        let lines = IntermediateLines(file: file)
        let handle = try #require(FileHandle(forWritingAtPath: file))
        handle.write(Data("noise\n{\"epoch\": 1, \"accuracy\": 0.5}\n{\"epoch\": 2, \"accu".utf8))
        #expect(lines.newResults().map { $0.0.value } == [1])
        handle.write(Data("racy\": 0.6}\n{\"epoch\": true, \"accuracy\": 0.7}\n{\"fidelity\": 3, \"accuracy\": 1.5}\n{\"fidelity\": 3.5, \"accuracy\": 0.8, \"loss\": 0.4}\n".utf8))
        let next = lines.newResults()
        #expect(next.map { $0.0.value } == [2, 3.5])
        #expect(next.last?.1 == ["accuracy": 0.8, "loss": 0.4])
        #expect(lines.newResults().isEmpty)
        try handle.close()
    }
}
