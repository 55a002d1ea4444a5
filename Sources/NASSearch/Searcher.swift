import Foundation
import NASEngine
import NASSpace

/// Latency and cost of an architecture from the device table (network spaces), or nothing.
public typealias LatencyModel = @Sendable (Architecture) throws -> (latencyMs: Double, macs: Int, params: Int)?

/// Runs a search: workers take the next proposal as soon as they are free (asynchronous, as in
/// Real et al.), every trial is committed to the study as it starts and finishes, and a
/// resumed study re-runs what was left running and continues to the budget.
///
/// Budget: `budget` counts every trial (cycle), the initial population included. A proposal
/// already evaluated is not evaluated again: it is recorded as `cached` with the earlier result
/// (reusing it costs no evaluation but still uses up a cycle, as a repeated child does in
/// Real et al.) and joins the population again.
/// With one worker and a seed a run is exactly reproducible: proposal n draws from a generator
/// seeded by (seed, n) and sees exactly the trials before it.
public final class Searcher: @unchecked Sendable {
    public struct Progress: Sendable {
        /// Trials so far (evaluated and cached): what the budget counts.
        public var trials: Int
        public var evaluated: Int
        public var failed: Int
        public var budget: Int
        public var bestReward: Double?
        public var elapsedSeconds: Double
        public var etaSeconds: Double?
    }

    let space: SearchSpace
    let strategy: any SearchStrategy
    let evaluator: any Evaluator
    let latency: LatencyModel
    let reward: Reward
    let study: Study
    let budget: Int
    let workers: Int
    let seed: UInt64

    /// Guards everything below; workers wait on it for an identical proposal still in flight.
    private let lock = NSCondition()
    /// Keys being evaluated right now → their trial numbers.
    private var inFlight: [String: Int] = [:]
    private var records: [Int: TrialRecord] = [:]
    private var history: [Member] = []
    private var resultsByKey: [String: TrialRecord] = [:]
    private var pending: [TrialRecord] = []
    private var nextNumber = 0
    private var nextFinishOrder = 0
    private var running = 0
    private var firstError: Error?
    private var evaluated = 0
    private var failed = 0
    private var bestReward: Double?
    private var cachedCount = 0

    public init(space: SearchSpace, strategy: any SearchStrategy, evaluator: any Evaluator, latency: @escaping LatencyModel,
                reward: Reward, study: Study, budget: Int, workers: Int, seed: UInt64) throws {
        self.space = space; self.strategy = strategy; self.evaluator = evaluator; self.latency = latency
        self.reward = reward; self.study = study; self.budget = budget; self.workers = max(1, workers); self.seed = seed
        for trial in try study.trials() {
            records[trial.number] = trial
            nextNumber = max(nextNumber, trial.number + 1)
            nextFinishOrder = max(nextFinishOrder, (trial.finishOrder ?? -1) + 1)
            if trial.status == .running { pending.append(trial) }
        }
        for trial in records.values.sorted(by: { ($0.finishOrder ?? .max) < ($1.finishOrder ?? .max) }) where trial.status != .running {
            remember(trial)
        }
    }

    /// Evaluated trials (done or failed) so far.
    public var evaluatedCount: Int { evaluated }

    private func remember(_ trial: TrialRecord) {
        if trial.status == .done || trial.status == .failed {
            resultsByKey[trial.key] = trial
            evaluated += 1
            if trial.status == .failed { failed += 1 }
        }
        if trial.status == .cached { cachedCount += 1 }
        if let r = trial.reward, trial.status == .done { bestReward = max(bestReward ?? r, r) }
        if trial.status == .done || trial.status == .cached, let r = trial.reward {
            history.append(Member(trial: trial.number, arch: Architecture(spaceName: space.name, values: trial.values), reward: r))
        }
    }

    /// Runs until the budget is reached; `progress` after each finished trial (under a lock).
    public func run(progress: @escaping @Sendable (Progress) -> Void = { _ in }) throws {
        let start = Date()
        let evaluatedBefore = evaluated
        let group = DispatchGroup()
        for worker in 0..<workers {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                workerLoop(worker: worker, start: start, evaluatedBefore: evaluatedBefore, progress: progress)
            }
        }
        group.wait()
        if let firstError { throw firstError }
    }

    private func workerLoop(worker: Int, start: Date, evaluatedBefore: Int, progress: @Sendable (Progress) -> Void) {
        while let trial = nextTrial(worker: worker) {
            let arch = Architecture(spaceName: space.name, values: trial.values)
            var finished = trial
            switch evaluator.evaluate(arch, trial: trial.number) {
            case let .success(accuracy, evaluatorLatency):
                do {
                    let cost = try latency(arch)
                    let ms = cost?.latencyMs ?? evaluatorLatency
                    finished.status = .done
                    finished.accuracy = accuracy
                    finished.latencyMs = ms
                    finished.macs = cost?.macs
                    finished.params = cost?.params
                    finished.reward = reward(accuracy: accuracy, latencyMs: ms)
                } catch {
                    finished.status = .failed
                    finished.error = "latency: \(error)"
                }
            case let .failure(reason):
                finished.status = .failed
                finished.error = reason
            }
            complete(finished, start: start, evaluatedBefore: evaluatedBefore, progress: progress)
        }
    }

    /// The next trial to evaluate (a leftover from a crash first), recorded as running; nil when
    /// the budget is reached. Cached proposals are recorded and skipped here.
    private func nextTrial(worker: Int) -> TrialRecord? {
        lock.lock()
        defer { lock.unlock() }
        while firstError == nil {
            if !pending.isEmpty {
                var trial = pending.removeFirst()
                trial.worker = worker
                running += 1
                inFlight[trial.key] = trial.number
                return trial
            }
            guard evaluatedCount + cachedCount + running < budget else { return nil }
            let number = nextNumber
            nextNumber += 1
            var rng = SplitMix64(seed: seed &+ UInt64(number) &* 0x9E37_79B9_7F4A_7C15)
            let (arch, parent) = strategy.propose(history: history, rng: &rng)
            let key = arch.key(in: space)
            // The same architecture is being evaluated by another worker: wait for its result.
            // (Counted as running meanwhile, so other workers see the budget taken.)
            if inFlight[key] != nil {
                running += 1
                while inFlight[key] != nil && firstError == nil { lock.wait() }
                running -= 1
            }
            var trial = TrialRecord(number: number, key: key, decisions: TrialRecord.encode(values: arch.values), status: .running,
                                    startedAt: Date().timeIntervalSince1970, worker: worker, parent: parent)
            if let earlier = resultsByKey[key] {
                trial.status = .cached
                trial.accuracy = earlier.accuracy; trial.latencyMs = earlier.latencyMs; trial.reward = earlier.reward
                trial.macs = earlier.macs; trial.params = earlier.params
                trial.error = earlier.status == .failed ? "cached failure of trial \(earlier.number): \(earlier.error ?? "")" : nil
                trial.finishedAt = trial.startedAt
                trial.finishOrder = nextFinishOrder
                nextFinishOrder += 1
                do { try study.finish(trial) } catch { firstError = error; return nil }
                records[number] = trial
                remember(trial)
                continue
            }
            do { try study.begin(trial) } catch { firstError = error; return nil }
            records[number] = trial
            running += 1
            inFlight[key] = number
            return trial
        }
        return nil
    }

    private func complete(_ trial: TrialRecord, start: Date, evaluatedBefore: Int, progress: @Sendable (Progress) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        var trial = trial
        trial.finishedAt = Date().timeIntervalSince1970
        trial.finishOrder = nextFinishOrder
        nextFinishOrder += 1
        running -= 1
        inFlight[trial.key] = nil
        lock.broadcast()
        do { try study.finish(trial) } catch { if firstError == nil { firstError = error } }
        records[trial.number] = trial
        remember(trial)
        let elapsed = Date().timeIntervalSince(start)
        let doneNow = evaluated - evaluatedBefore
        let eta = doneNow > 0 ? elapsed / Double(doneNow) * Double(max(0, budget - evaluated - cachedCount)) : nil
        progress(Progress(trials: evaluated + cachedCount, evaluated: evaluated, failed: failed, budget: budget, bestReward: bestReward,
                          elapsedSeconds: elapsed, etaSeconds: eta))
    }
}
