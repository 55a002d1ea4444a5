import Foundation
import NASEngine
import NASSpace

/// Runs a search: `workers` threads each take the next trial as soon as they are free
/// (asynchronous, as in Real et al.) until the budget is reached. The loop owns the budget and
/// the in-flight bookkeeping; it asks the strategy for proposals, the scheduler for fidelities
/// and the store to record, each only through its protocol.
///
/// Budget: `budget` counts every trial (cycle), the initial population included. A proposal
/// already evaluated is not evaluated again: it is recorded as `cached` with the earlier result
/// (reusing it costs no evaluation but still uses up a cycle, as a repeated child does in
/// Real et al.) and joins the population again. A resumed study re-runs what was left running
/// first, under the same numbers.
/// With one worker and a seed a run is exactly reproducible: proposal n draws from a generator
/// seeded by (seed, n) and sees exactly the trials before it.
///
/// Multi-fidelity: a free worker asks the scheduler what to do (propose a new trial, promote a
/// paused one, wait for a rung, or stop). Promotions continue a trial under its own number from
/// the checkpoint its evaluator left in `checkpoints/trial-N` and cost no cycle: `--cycles`
/// counts architectures. Every rung's result is kept as a report (but the single result of a
/// flat evaluation). When the scheduler is done, trials still paused below the top are `pruned`.
///
/// A shared study (PostgreSQL, `StudyStore.isShared`) has other workers on other machines: before
/// each proposal the loop folds in what they finished (`SharedStudySync`), so the population and
/// the cache are the study's; it takes over trials whose worker stopped beating
/// (`claimAbandoned`, after `3 × heartbeatSeconds`), renews its own trials' heartbeats on a
/// thread, discards its result for a trial another worker took over from it, and once the
/// study's budget is given out waits while other workers' trials could still come back.
public final class WorkerLoop: @unchecked Sendable {
    public typealias Progress = SearchProgress

    let space: SearchSpace
    let strategy: any SearchStrategy
    let scheduler: any Scheduler
    let evaluator: any Evaluator
    let scorer: TrialScorer
    let store: any StudyStore
    let workers: Int
    let seed: UInt64
    let retries: Int
    /// Per-trial checkpoint folders live here (`trial-N`), kept while a trial may continue.
    let checkpoints: String?

    /// Guards everything below; workers wait on it for an identical proposal still in flight.
    private let lock = NSCondition()
    private var ledger: TrialLedger
    private var budget: TrialBudget
    private var reports: [TrialReport]
    /// Fidelity trained so far, from `reports` (scheduled searches; stays 0 for flat ones).
    private var trained = FidelityTally()
    private var firstError: Error?
    /// A shared study's view of the other workers (unused otherwise).
    private var sync = SharedStudySync()
    /// Seconds between heartbeats of a shared study's running trials; three missed ones and
    /// another worker takes the trial over.
    let heartbeatSeconds: Double
    /// Fidelity trained before this run (a resumed study's): the ETA's rate counts this run only.
    private var trainedBefore = 0.0
    /// Set by `run`: true once the user asked the search to stop (Ctrl-C).
    private var shouldStop: @Sendable () -> Bool = { false }

    public init(space: SearchSpace, strategy: any SearchStrategy, scheduler: any Scheduler = FlatScheduler(), evaluator: any Evaluator,
                latency: @escaping LatencyModel, reward: Reward, store: any StudyStore, budget: Int, workers: Int, seed: UInt64,
                retries: Int = 1, checkpoints: String? = nil, heartbeatSeconds: Double = 10) throws {
        precondition(retries >= 0, "WorkerLoop: retries must be >= 0")
        precondition(heartbeatSeconds > 0, "WorkerLoop: heartbeatSeconds must be positive")
        self.heartbeatSeconds = heartbeatSeconds
        if store.isShared && scheduler.name != FlatScheduler.schedulerName {
            throw SearchError.badScheduler("\(scheduler.name) on a study shared by several workers (\(store.locator)) is not supported yet: its trials run at one fidelity; use --scheduler none, or a folder study")
        }
        self.space = space; self.strategy = strategy; self.scheduler = scheduler; self.evaluator = evaluator; self.retries = retries
        self.checkpoints = checkpoints
        self.scorer = TrialScorer(latency: latency, reward: reward, objective: store.settings.objective, secondary: store.settings.secondaryObjectives)
        self.store = store; self.workers = max(1, workers); self.seed = seed
        var ledger = TrialLedger(space: space, objective: store.settings.objective, secondary: store.settings.secondaryObjectives,
                                 identity: { [evaluator] in evaluator.networkIdentity(of: $0) })
        var counted = TrialBudget(total: budget)
        let stored = try store.trials()
        // A study resumed with --force-resume after its space changed its decisions cannot go on:
        // its architectures are not architectures of this space.
        for trial in stored {
            do {
                try Architecture(spaceName: space.name, values: trial.values).validate(in: space, source: "trial \(trial.number)")
            } catch {
                throw SearchError.study(store.locator.description, "\(error); the study's trials do not fit the space '\(space.name)' as it is now, so it cannot be resumed even with --force-resume: start another --study")
            }
        }
        ledger.load(stored) { counted.count($0.status) }
        if store.isShared {
            ledger.discardLeftovers()
            var sync = SharedStudySync()
            for trial in stored where trial.finishOrder != nil { sync.ended(trial.number) }
            sync.seen(upTo: stored.compactMap(\.finishOrder).max() ?? -1)
            self.sync = sync
        }
        self.ledger = ledger
        self.budget = counted
        self.reports = try store.reports()
        for report in reports { trained.add(trial: report.trial, fidelity: report.fidelity) }
    }

    /// Trials that spent an evaluation so far (done, failed, pruned).
    public var evaluatedCount: Int { lock.lock(); defer { lock.unlock() }; return budget.evaluated }
    /// Trials left to re-run (running when a crash or an interrupt stopped them).
    public var leftoverCount: Int { lock.lock(); defer { lock.unlock() }; return ledger.leftoverCount }
    /// Trials that ended so far (evaluated and cached): what `--cycles` counts.
    public var trialsUsed: Int { lock.lock(); defer { lock.unlock() }; return budget.used }

    /// Runs until the budget is reached or `shouldStop()` turns true, owning the study meanwhile;
    /// `progress` after each trial that ends (called under the loop's lock: keep it short).
    /// When stopped, no trial is started any more and the running ones are asked to stop (their
    /// evaluators see `shouldStop`); they are recorded `interrupted` and re-run on resume.
    public func run(shouldStop: @escaping @Sendable () -> Bool = { false }, progress: @escaping @Sendable (Progress) -> Void = { _ in }) throws {
        self.shouldStop = shouldStop
        let ownership = try store.acquireOwnership()
        defer { ownership.release() }
        removeEndedCheckpoints()
        let heartbeat = store.isShared ? HeartbeatThread(interval: heartbeatSeconds) { [store] in try store.heartbeat() } : nil
        defer { heartbeat?.stop() }
        let start = Date()
        let usedBefore = trialsUsed
        lock.lock(); trainedBefore = trained.total; lock.unlock()
        let group = DispatchGroup()
        for worker in 0..<workers {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                while let work = nextTrial(worker: worker) {
                    let finished = evaluate(work)
                    complete(finished, work: work, start: start, usedBefore: usedBefore, progress: progress)
                }
            }
        }
        group.wait()
        if let firstError { throw firstError }
        if !shouldStop() { try pruneUnpromoted() }
    }

    /// One piece of work for a worker: a trial to evaluate from `fidelity` (nil: the evaluator's
    /// full budget). `promoted`: it continues an earlier rung; `claimed`: it holds a place in
    /// the budget until it ends (new trials and leftovers, not promotions).
    struct Work {
        var trial: TrialRecord
        var arch: Architecture
        var fidelity: Fidelity?
        var promoted: Bool
        var claimed: Bool
    }

    /// The folder trial `number`'s evaluator keeps its checkpoint in.
    func checkpointDirectory(_ number: Int) -> String? {
        checkpoints.map { ($0 as NSString).appendingPathComponent("trial-\(number)") }
    }

    private func removeCheckpoint(_ number: Int) {
        if let dir = checkpointDirectory(number) { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Statuses after which a trial never continues: its checkpoint folder can go (a leftover
    /// re-run that turns out `cached` may have left one from its killed run).
    static let endedStatuses: Set<TrialStatus> = [.done, .pruned, .failed, .cached]

    /// Removes the checkpoint folders of trials that ended (done, pruned, failed, cached): a
    /// crash between recording a trial's end and removing its folder leaves one behind. Folders
    /// of trials still running, paused or unknown to the study are kept.
    /// - Complexity: O(trials + folders).
    private func removeEndedCheckpoints() {
        guard let checkpoints, let names = try? FileManager.default.contentsOfDirectory(atPath: checkpoints) else { return }
        lock.lock()
        let ended = Set(ledger.records.values.filter { Self.endedStatuses.contains($0.status) }.map(\.number))
        lock.unlock()
        for name in names where name.hasPrefix("trial-") {
            if let number = Int(name.dropFirst("trial-".count)), ended.contains(number) { removeCheckpoint(number) }
        }
    }

    /// After the scheduler finished: trials still waiting below the top rung will not continue.
    private func pruneUnpromoted() throws {
        lock.lock(); defer { lock.unlock() }
        for var trial in ledger.records.values.sorted(by: { $0.number < $1.number }) where trial.status == .paused {
            trial.status = .pruned
            trial.error = "not promoted beyond fidelity \(trial.fidelity.map { Fidelity($0).description } ?? "?") before the search ended"
            trial = try store.finish(trial)
            ledger.end(trial, arch: Architecture(spaceName: space.name, values: trial.values))
            removeCheckpoint(trial.number)
        }
    }

    /// What the scheduler ranks a result by (`Scheduler.promoteBy`), from its reward and
    /// objective value.
    private func schedulerScore(reward: Double?, value: Double?) -> Double? {
        scheduler.promoteBy.score(reward: reward, value: value, direction: scorer.objective.direction)
    }

    /// The scheduler's view of the study; `adding` appends a result not recorded yet.
    /// - Complexity: O(trials + reports). Call under the lock.
    private func board(adding extra: (trial: Int, result: RungBoard.Result)? = nil) -> RungBoard {
        guard scheduler.readsTrials else { return RungBoard(trials: [], canPropose: !budget.isExhausted, budget: budget.total) }
        var results: [Int: [RungBoard.Result]] = [:]
        for report in reports {
            let value = scheduler.promoteBy == .objective ? report.metricValues[scorer.objective.name] : nil  // decoded only when ranked by
            if let score = schedulerScore(reward: report.reward, value: value) {
                results[report.trial, default: []].append(.init(Fidelity(report.fidelity), score))
            }
        }
        if let extra { results[extra.trial, default: []].append(extra.result) }
        var trials: [RungBoard.Trial] = []
        for record in ledger.records.values where record.status != .cached {
            var own = results[record.number] ?? []
            if own.isEmpty, record.status == .done, let score = schedulerScore(reward: record.reward, value: record.value) {
                own = [.init(record.fidelity.map(Fidelity.init) ?? Fidelity(0), score)]  // a flat result: never reported
            }
            own.sort { $0.fidelity < $1.fidelity }
            let state: RungBoard.State
            switch record.status {
            case .running, .interrupted, .stale: state = .running(record.fidelity.map(Fidelity.init))
            case .paused: state = .paused
            default: state = .finished
            }
            trials.append(RungBoard.Trial(number: record.number, results: own, state: state))
        }
        return RungBoard(trials: trials, canPropose: !budget.isExhausted, budget: budget.total)
    }

    /// Evaluates one trial through the scheduler's rungs: from `work.fidelity` until it
    /// completes, pauses, is pruned or fails. Each rung's result is kept as a report (but a
    /// single flat one's). A transient failure is retried up to `retries` times.
    private func evaluate(_ work: Work) -> TrialRecord {
        let trial = work.trial, arch = work.arch
        var fidelity = work.fidelity
        var rung = 0
        // A leftover whose rung result was recorded just before a crash: that rung is done.
        var recorded: TrialReport? = nil
        if work.claimed && work.promoted, let f = fidelity {
            lock.lock()
            recorded = reports.last { $0.trial == trial.number && $0.fidelity == f.value }
            lock.unlock()
        }
        let streamed = StreamedResults()
        while true {
            var evaluation: Evaluation
            let fromRecord = recorded != nil
            if let report = recorded {
                evaluation = Evaluation(metrics: report.metricValues, fidelity: Fidelity(report.fidelity))
                recorded = nil
            } else {
                let request = EvaluationRequest(arch: arch, trial: trial.number, fidelity: fidelity, shouldStop: shouldStop,
                                                checkpointDirectory: checkpointDirectory(trial.number)) { [self] f, metrics in
                    intermediateResult(trial, arch: arch, fidelity: f, metrics: metrics, streamed: streamed)
                }
                evaluation = evaluator.evaluate(request)
                var attempt = 0
                while evaluation.failure?.kind == .transient && attempt < retries && !shouldStop() {
                    attempt += 1
                    evaluation = evaluator.evaluate(request)
                }
                if attempt > 0, var failure = evaluation.failure {
                    failure.message += " (after \(attempt) \(attempt == 1 ? "retry" : "retries"))"
                    evaluation.failure = failure
                }
            }
            var scored = scorer.score(trial, arch: arch, evaluation: evaluation)
            if evaluation.stoppedByScheduler && scored.status == .done {
                scored.status = .pruned  // recorded already, as the intermediate result it stopped at
                scored.error = streamed.pruneReason ?? "stopped by the scheduler at fidelity \(evaluation.fidelity?.description ?? "?")"
                return scored
            }
            guard scored.status == .done, let score = schedulerScore(reward: scored.reward, value: scored.value) else { return scored }
            let reached = evaluation.fidelity ?? fidelity
            let decision: SchedulerDecision
            do {
                lock.lock(); defer { lock.unlock() }
                decision = scheduler.decide(trial: trial.number, fidelity: reached,
                                            board: board(adding: (trial.number, RungBoard.Result(reached ?? Fidelity(0), score))))
            }
            let alreadyRecorded = fromRecord || reached.map(streamed.contains) == true
            if !alreadyRecorded && (decision != .complete || rung > 0 || work.promoted || !streamed.isEmpty) { record(scored, evaluation) }
            rung += 1
            switch decision {
            case .complete:
                return scored
            case let .continueTo(next):
                fidelity = next
                var running = scored
                running.status = .running
                running.fidelity = next.value  // a resume continues to here from the checkpoint
                lock.lock()
                do { try store.begin(running) } catch { if firstError == nil { firstError = error } }
                ledger.update(running)
                lock.unlock()
            case .pause:
                scored.status = .paused
                return scored
            case let .prune(reason):
                scored.status = .pruned
                scored.error = reason
                return scored
            }
        }
    }

    /// An intermediate result an evaluator reported while it worked: recorded, and put to the
    /// scheduler; false (stop the evaluation there) when the scheduler prunes the trial.
    private func intermediateResult(_ trial: TrialRecord, arch: Architecture, fidelity: Fidelity, metrics: [String: Double],
                                    streamed: StreamedResults) -> Bool {
        let evaluation = Evaluation(metrics: metrics, fidelity: fidelity)
        let scored = scorer.score(trial, arch: arch, evaluation: evaluation)
        guard scored.status == .done, let score = schedulerScore(reward: scored.reward, value: scored.value),
              !streamed.contains(fidelity) else { return true }
        let decision: SchedulerDecision
        do {
            lock.lock(); defer { lock.unlock() }
            decision = scheduler.decide(trial: trial.number, fidelity: fidelity,
                                        board: board(adding: (trial.number, RungBoard.Result(fidelity, score))))
        }
        record(scored, evaluation)
        streamed.add(fidelity)
        if case let .prune(reason) = decision {
            streamed.pruneReason = reason
            return false
        }
        return true
    }

    /// Keeps an intermediate result in the study and for the scheduler.
    private func record(_ scored: TrialRecord, _ evaluation: Evaluation) {
        let report = TrialReport(trial: scored.number, fidelity: evaluation.fidelity?.value ?? 0, metrics: evaluation.metrics,
                                 reward: scored.reward, recordedAt: Date().timeIntervalSince1970)
        lock.lock(); defer { lock.unlock() }
        do { try store.report(report) } catch { if firstError == nil { firstError = error } }
        reports.append(report)
        trained.add(trial: report.trial, fidelity: report.fidelity)
    }

    /// The next work (a leftover from a crash first, then what the scheduler says), recorded
    /// as running; nil when there is nothing more to do. Cached proposals are recorded and
    /// skipped here.
    private func nextTrial(worker: Int) -> Work? {
        lock.lock()
        defer { lock.unlock() }
        while firstError == nil && !shouldStop() {
            var leftover = ledger.takeLeftover()
            if store.isShared {
                do {
                    try sync.pull(from: store, into: &ledger, budget: &budget, space: space.name)
                    leftover = try store.claimAbandoned(worker: worker, graceSeconds: 3 * heartbeatSeconds)
                } catch { firstError = error; return nil }
            }
            if var trial = leftover {
                trial.worker = worker
                trial.status = .running
                do { try store.begin(trial) } catch { firstError = error; return nil }
                budget.claim()
                let arch = Architecture(spaceName: space.name, values: trial.values)
                ledger.start(trial, arch: arch)
                let promoted = reports.contains { $0.trial == trial.number }
                return Work(trial: trial, arch: arch, fidelity: trial.fidelity.map(Fidelity.init), promoted: promoted, claimed: true)
            }
            let start: Fidelity?
            switch scheduler.nextJob(board: board()) {
            case .finished:
                return nil
            case .wait:
                guard ledger.anyInFlight else { return nil }  // nothing could change the board
                _ = lock.wait(until: Date().addingTimeInterval(1))
                continue
            case let .promote(number, to):
                guard var trial = ledger.records[number], trial.status == .paused else {
                    firstError = SearchError.badScheduler("\(scheduler.name) promoted trial \(number), which is not paused")
                    return nil
                }
                trial.status = .running
                trial.worker = worker
                trial.fidelity = to.value
                do { try store.begin(trial) } catch { firstError = error; return nil }
                let arch = Architecture(spaceName: space.name, values: trial.values)
                ledger.start(trial, arch: arch)
                return Work(trial: trial, arch: arch, fidelity: to, promoted: true, claimed: false)
            case let .propose(fidelity):
                guard !budget.isExhausted else { return nil }
                start = fidelity
            }
            let claimed: Int?
            do { claimed = try store.claimTrialNumber(below: budget.total) } catch { firstError = error; return nil }
            guard let number = claimed else {
                // The study's budget is given out. Another worker's trial may still come back
                // (its worker dies): wait for it while any is running elsewhere.
                let elsewhere: Int
                do { elsewhere = store.isShared ? try store.unfinishedCount() - ledger.inFlightCount : 0 } catch { firstError = error; return nil }
                guard elsewhere > 0 else { return nil }
                _ = lock.wait(until: Date().addingTimeInterval(min(1, heartbeatSeconds)))
                continue
            }
            var rng = SplitMix64(seed: seed &+ UInt64(number) &* 0x9E37_79B9_7F4A_7C15)
            let proposal = strategy.propose(history: ledger.history, pending: ledger.pendingArchitectures, tried: ledger.triedKeys, rng: &rng)
            let key = proposal.arch.key(in: space)
            let network = ledger.identity(proposal.arch)  // built once: it may build the network's layers
            // The same network is being evaluated by another worker: wait for its result.
            // (Counted as running meanwhile, so other workers see the budget taken.)
            if ledger.isInFlight(identity: network) {
                budget.claim()
                while ledger.isInFlight(identity: network) && firstError == nil { lock.wait() }
                budget.release()
            }
            var trial = TrialRecord(number: number, key: key, decisions: TrialRecord.encode(values: proposal.arch.values), status: .running,
                                    startedAt: Date().timeIntervalSince1970, worker: worker, parent: proposal.parent, fidelity: start?.value)
            if let earlier = ledger.earlierResult(identity: network) {
                trial.status = .cached
                trial.accuracy = earlier.accuracy; trial.value = earlier.value; trial.secondaryValues = earlier.secondaryValues; trial.latencyMs = earlier.latencyMs; trial.reward = earlier.reward
                trial.macs = earlier.macs; trial.params = earlier.params; trial.fidelity = earlier.fidelity
                if earlier.status == .failed {
                    trial.error = "cached failure of trial \(earlier.number): \(earlier.error ?? "")"
                    trial.failureKind = earlier.failureKind
                }
                trial.finishedAt = trial.startedAt
                do { trial = try store.finish(trial) } catch { firstError = error; return nil }
                ledger.end(trial, arch: proposal.arch)
                sync.ended(trial.number)
                budget.count(trial.status)
                continue
            }
            do { try store.begin(trial) } catch { firstError = error; return nil }
            budget.claim()
            ledger.start(trial, arch: proposal.arch)
            return Work(trial: trial, arch: proposal.arch, fidelity: start, promoted: false, claimed: true)
        }
        return nil
    }

    private func complete(_ trial: TrialRecord, work: Work, start: Date, usedBefore: Int, progress: @Sendable (Progress) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        var trial = trial
        trial.finishedAt = Date().timeIntervalSince1970
        do {
            trial = try store.finish(trial)
        } catch SearchError.superseded(let number, let study) {
            // Presumed dead and taken over: the other worker's run of this trial counts.
            FileHandle.standardError.write(Data("nasctl: \(SearchError.superseded(number, study))\n".utf8))
            ledger.dropInFlight(trial)
            if work.claimed { budget.release() }
            lock.broadcast()
            return
        } catch {
            if firstError == nil { firstError = error }
        }
        ledger.end(trial, arch: work.arch)
        sync.ended(trial.number)
        if work.claimed {
            budget.release()
            budget.count(trial.status)
        }
        if Self.endedStatuses.contains(trial.status) { removeCheckpoint(trial.number) }
        lock.broadcast()
        let elapsed = Date().timeIntervalSince(start)
        var report = Progress(trials: budget.used, evaluated: budget.evaluated, failed: budget.failed, budget: budget.total,
                              bestReward: ledger.bestReward, elapsedSeconds: elapsed,
                              etaSeconds: budget.eta(elapsed: elapsed, usedThisRun: budget.used - usedBefore))
        if let planned = scheduler.plannedFidelity(trials: budget.total) {
            // Scheduled: the budget's trials are all proposed long before the higher rungs are
            // trained, so progress and ETA follow the fidelity trained against the plan.
            report.fidelityTrained = trained.total
            report.fidelityPlanned = max(planned, trained.total)
            let thisRun = trained.total - trainedBefore
            report.etaSeconds = thisRun > 0 ? elapsed / thisRun * max(0, planned - trained.total) : nil
        }
        progress(report)
    }
}

/// The intermediate results one evaluation streamed (already recorded) and why the scheduler
/// stopped it, if it did. Used by the evaluating worker and the evaluator's callback.
final class StreamedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var fidelities: Set<Fidelity> = []
    private var reason: String?
    func add(_ f: Fidelity) { lock.lock(); fidelities.insert(f); lock.unlock() }
    func contains(_ f: Fidelity) -> Bool { lock.lock(); defer { lock.unlock() }; return fidelities.contains(f) }
    var isEmpty: Bool { lock.lock(); defer { lock.unlock() }; return fidelities.isEmpty }
    var pruneReason: String? {
        get { lock.lock(); defer { lock.unlock() }; return reason }
        set { lock.lock(); reason = newValue; lock.unlock() }
    }
}
