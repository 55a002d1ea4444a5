import NASSpace

/// The worker loop's in-memory view of a study: every trial by number, the history the strategy
/// sees (successful trials in finish order), the result cache by network, the trials in flight
/// and the leftovers to re-run. Not thread-safe: the worker loop keeps it under its lock.
///
/// The cache and the in-flight set go by `identity`, what the evaluator's result depends on
/// (the evaluator's `networkIdentity`, else the key): a proposal that builds the network of an
/// earlier trial gets that trial's result, as a repeat of its key would.
struct TrialLedger {
    let space: SearchSpace
    private(set) var records: [Int: TrialRecord] = [:]
    private(set) var history: [Member] = []
    /// Trial number → its member's place in `history` (a promoted trial keeps its place).
    private var historyIndex: [Int: Int] = [:]
    /// The latest evaluated (or deterministically failed) trial of each identity.
    private(set) var resultsByKey: [String: TrialRecord] = [:]
    /// Identities being evaluated now → (trial number, architecture).
    private(set) var inFlight: [String: (number: Int, arch: Architecture)] = [:]
    /// Trials a crash or an interrupt left unfinished, to run first, by number.
    private(set) var leftovers: [TrialRecord] = []
    private(set) var bestReward: Double?
    /// Keys of every trial recorded or in flight.
    private(set) var triedKeys: Set<String> = []

    /// The study's objective: members' objective vectors start with it.
    var objective: Objective = .accuracy
    /// The study's secondary objectives: members' vectors continue with them.
    var secondary: [Objective] = []

    /// An architecture's identity for the cache: equal for architectures that evaluate alike.
    let identity: @Sendable (Architecture) -> String

    /// `identity`: nil for the key (every decision matters).
    init(space: SearchSpace, objective: Objective = .accuracy, secondary: [Objective] = [],
         identity: (@Sendable (Architecture) -> String?)? = nil) {
        self.space = space; self.objective = objective; self.secondary = secondary
        self.identity = { [space] arch in identity?(arch) ?? arch.key(in: space) }
    }

    private func identity(of trial: TrialRecord) -> String {
        identity(Architecture(spaceName: space.name, values: trial.values))
    }

    /// Replays a stored study: finished trials by finish order; leftovers collected to run
    /// first. A failure recorded in an earlier run is not cached: whatever made it fail may be
    /// fixed by now, so a repeat proposal evaluates the architecture again.
    mutating func load(_ trials: [TrialRecord], onFinished: (TrialRecord) -> Void) {
        for trial in trials {
            records[trial.number] = trial
            triedKeys.insert(trial.key)
            if trial.status.needsEvaluation { leftovers.append(trial) }
        }
        for trial in trials.sorted(by: { ($0.finishOrder ?? .max) < ($1.finishOrder ?? .max) }) where !trial.status.needsEvaluation {
            remember(trial, arch: Architecture(spaceName: space.name, values: trial.values), cacheFailures: false)
            onFinished(trial)
        }
    }

    mutating func takeLeftover() -> TrialRecord? { leftovers.isEmpty ? nil : leftovers.removeFirst() }
    var leftoverCount: Int { leftovers.count + records.values.filter { $0.status == .interrupted }.count }

    /// The architectures being evaluated, by trial number. - Complexity: O(k log k), k in flight.
    var pendingArchitectures: [Architecture] {
        inFlight.count < 2 ? inFlight.values.map(\.arch) : inFlight.values.sorted { $0.number < $1.number }.map(\.arch)
    }

    /// Whether the network of `identity` (see `identity`) is being evaluated now (by any trial).
    func isInFlight(identity: String) -> Bool { inFlight[identity] != nil }
    var anyInFlight: Bool { !inFlight.isEmpty }

    /// A running trial's new record (it continues to another fidelity).
    mutating func update(_ trial: TrialRecord) { records[trial.number] = trial }

    /// `arch` is `trial`'s architecture (passed, not decoded again from the record).
    mutating func start(_ trial: TrialRecord, arch: Architecture) {
        records[trial.number] = trial
        triedKeys.insert(trial.key)
        inFlight[identity(arch)] = (trial.number, arch)
    }

    mutating func end(_ trial: TrialRecord, arch: Architecture) {
        inFlight[identity(arch)] = nil
        records[trial.number] = trial
        triedKeys.insert(trial.key)
        remember(trial, arch: arch)
    }

    /// A trial another worker of a shared study finished: recorded, remembered (its failure
    /// not cached: it may be that machine's), in the history by the order it is seen.
    mutating func absorb(_ trial: TrialRecord, arch: Architecture) {
        triedKeys.insert(trial.key)
        remember(trial, arch: arch, cacheFailures: false)
    }

    /// Forgets a trial this process was running but another worker has taken over.
    mutating func dropInFlight(_ trial: TrialRecord) { inFlight[identity(of: trial)] = nil }

    /// Trials being evaluated by this process.
    var inFlightCount: Int { inFlight.count }

    /// A shared study's leftovers are claimed through the store, one at a time, not taken
    /// from what was loaded (another worker may be running them).
    mutating func discardLeftovers() { leftovers = [] }

    /// A recorded earlier result for the network of `identity` that a repeat proposal reuses.
    func earlierResult(identity: String) -> TrialRecord? { resultsByKey[identity] }

    private mutating func remember(_ trial: TrialRecord, arch: Architecture, cacheFailures: Bool = true) {
        records[trial.number] = trial
        switch trial.status {
        case .done, .pruned, .paused:
            resultsByKey[identity(arch)] = trial
        case .failed where cacheFailures && (trial.failureKind == nil || trial.failureKind == .deterministic):
            resultsByKey[identity(arch)] = trial  // it would fail again in this run: a repeat reuses the failure
        default:
            break
        }
        if trial.status == .done, let r = trial.reward { bestReward = max(bestReward ?? r, r) }
        // Members rank by the reward at the highest fidelity they reached; a promoted trial's
        // member is updated in place (its age is that of its first result).
        if trial.status == .done || trial.status == .cached || trial.status == .paused, let r = trial.reward {
            let member = Member(trial: trial.number, arch: arch, reward: r, objectives: Self.objectives(of: trial, objective: objective, secondary: secondary),
                                fidelity: trial.fidelity.map(Fidelity.init))
            if let i = historyIndex[trial.number] {
                history[i] = member
            } else {
                historyIndex[trial.number] = history.count
                history.append(member)
            }
        }
    }

    /// The study's objective, its secondary objectives, then latency when known.
    static func objectives(of trial: TrialRecord, objective: Objective = .accuracy, secondary: [Objective] = []) -> [ObjectiveValue] {
        var values: [ObjectiveValue] = []
        for o in [objective] + secondary {
            if let v = trial.value(of: o, primary: objective) { values.append(ObjectiveValue(o, v)) }
        }
        if let l = trial.latencyMs { values.append(ObjectiveValue(.latency, l)) }
        return values
    }
}
