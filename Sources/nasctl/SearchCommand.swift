import ArgumentParser
import Foundation
import NASEngine
import NASLatency
import NASSearch
import NASSpace
import NASTraining

/// `nasctl search`: regularized evolution (or random search) under the MNasNet reward.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the space for the best accuracy within a latency target on this device.",
        discussion: """
        Scores every candidate by the MNasNet reward ACC·(LAT/T)^w, w = alpha if LAT <= T else \
        beta (soft: alpha = beta = --w, default -0.07; --hard: alpha = 0, beta = -1), with LAT \
        predicted from the device's latency table (network spaces) or read from the evaluator's \
        table (categorical spaces). Every trial is committed to the study (SQLite, or PostgreSQL, \
        shared with `nasctl worker`s) as it \
        finishes; running the same command on an existing --study resumes it. --cycles counts \
        every trial, the initial population included; a repeated proposal reuses the earlier \
        result (no second evaluation) but uses up its cycle. With a --scheduler, a trial is \
        trained rung by rung (its results at every rung are recorded; promotions cost no \
        cycle, so --cycles counts architectures), only trials that reach the top rung are \
        ranked and on the Pareto front, and evolution ranks members by the reward at the \
        highest rung they reached. Reports (trials.csv, pareto.csv, pareto.svg, best.json) are \
        written into the study folder.
        """
    )

    @Option(help: "Target latency T in milliseconds (required when the study has latency: a network space, or a table with latency_ms).")
    var targetMs: Double?

    @OptionGroup var spaceOptions: SpaceOptions
    @OptionGroup var tableOptions: TableOptions
    @OptionGroup var threadOptions: ThreadOptions

    @OptionGroup var evaluatorOptions: EvaluatorOptions
    @OptionGroup var schedulerOptions: SchedulerOptions

    @Option(help: "evolution (regularized, aging), random, tpe (tree-structured Parzen estimator, multivariate; 10 random trials first; Gaussian kernels on int and float decisions), or reinforce (a softmax policy per decision, REINFORCE with a moving-average baseline; int and float ranges discretised to 10 points), or grid (every combination once, ranges split into --grid-points values; --cycles must cover it), or nsga2 (NSGA-II on the objective and latency directly, no reward; --population is its population).")
    var strategy: String = "evolution"

    @Option(help: "Evolution population P.")
    var population: Int = 20

    @Option(help: "Evolution sample size S (tournament, with replacement).")
    var sample: Int = 5

    @Option(help: "With --strategy grid: values per int or float range, evenly spaced (log-spaced for a log range); lists give all their choices.")
    var gridPoints: Int = 5

    @Option(help: "Trials in total (cycles), the initial population included.")
    var cycles: Int = 100

    @Flag(help: "Hard constraint: alpha = 0, beta = -1.")
    var hard = false

    @Option(help: "Soft-constraint exponent (alpha = beta = W); 0 ranks by accuracy alone.")
    var w: Double = -0.07

    @Option(help: "Parallel evaluations (default: one per core).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Study folder (default: a new folder under runs/), or a PostgreSQL study, postgresql://USER@HOST[:PORT]/DB?study=NAME. An existing study is resumed.")
    var study: String?

    @Option(help: "Local folder for reports, evaluator files and checkpoints (default: the study folder; runs/pg-NAME for a PostgreSQL study).")
    var workdir: String?

    @Flag(help: "Resume a study even though its settings differ.")
    var forceResume = false

    @Option(help: "PostgreSQL studies: seconds between heartbeats of this process's running trials; another worker takes a trial over after three missed ones.")
    var heartbeat: Double = 10

    @Option(help: "Retries of a transient evaluation failure (a time-out, a signal, files that could not be written) before the trial fails.")
    var retries: Int = 1

    @Option(help: "Seed: with --workers 1 a run is exactly reproducible.")
    var seed: UInt64 = 1

    @Option(help: "After the search, train the K best front models to the end and test them (nasctl finalize --top K with its defaults).")
    var finalize: Int?

    @Option(name: .customLong("finalize-select"), help: "With --finalize: which front models, as nasctl finalize --select: reward (best reward first, the default), accuracy (the front's accurate end) or spread (evenly over its latency).")
    var finalizeSelect: FrontSelection?

    @Flag(help: "With --finalize: also write each finalized model as ONNX (STUDY/final/trial-N.onnx).")
    var export = false

    @Flag(help: "Print one JSON summary object instead of text.")
    var json = false

    func validate() throws {
        if let targetMs, !(targetMs > 0 && targetMs.isFinite) { throw ValidationError("--target-ms must be a positive number of milliseconds (got \(targetMs)).") }
        guard gridPoints >= 1 else { throw ValidationError("--grid-points must be at least 1 (got \(gridPoints)).") }
        guard ["evolution", "random", "tpe", "reinforce", "grid", "nsga2"].contains(strategy) else {
            throw ValidationError("--strategy must be evolution, random, tpe, reinforce, grid or nsga2 (got \(strategy)).")
        }
        guard population >= 1, sample >= 1 else { throw ValidationError("--population and --sample must be at least 1.") }
        guard cycles >= 1 else { throw ValidationError("--cycles must be at least 1 (got \(cycles)).") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1 (got \(workers)).") }
        guard heartbeat > 0 && heartbeat.isFinite else { throw ValidationError("--heartbeat must be a positive number of seconds (got \(heartbeat)).") }
        guard retries >= 0 else { throw ValidationError("--retries must be 0 or more (got \(retries)).") }
        guard w.isFinite else { throw ValidationError("--w must be a finite number (got \(w)).") }
        guard w <= 0 else { throw ValidationError("--w must be 0 or negative (got \(w)): a positive exponent rewards slowness.") }
        if let finalize { guard finalize >= 1 else { throw ValidationError("--finalize must be at least 1 (got \(finalize)).") } }
        guard finalizeSelect == nil || finalize != nil else { throw ValidationError("--finalize-select needs --finalize K: it chooses which K front models to train.") }
        guard !export || finalize != nil else { throw ValidationError("--export needs --finalize K: only finalized models have trained weights to export.") }
    }

    /// `--target-ms` missing where the search has a latency axis (a network space's predicted
    /// latency, or a table evaluator's `latency_ms` column, `latencyIn`).
    static func targetRequired(_ space: SearchSpace, latencyIn source: String) -> ValidationError {
        ValidationError("--target-ms is required: '\(space.name)' \(space.network != nil ? "builds networks whose latency is predicted" : "has latency in \(source)"), and the MNasNet reward trades accuracy against it (e.g. --target-ms 30)")
    }

    func run() throws {
        ExecutionContext.setOpenBLASThreads(threadOptions.threads)
        let explicitStudy = try study.map(StudyLocator.init(parsing:))  // a bad --study fails before any work
        let space = try spaceOptions.load()
        let locator = try explicitStudy ?? .folder(try Self.newStudyFolder(under: "runs"))
        let studyDir = workdir ?? locator.reportDirectory
        if case .postgres = locator {
            guard finalize == nil else { throw ValidationError("--finalize works on folder studies for now; run `nasctl finalize` on a folder study") }
            do { try FileManager.default.createDirectory(atPath: studyDir, withIntermediateDirectories: true) } catch {
                throw ValidationError("cannot create the working folder \(studyDir): \(error.localizedDescription); pass --workdir DIR")
            }
        }
        let scheduler = try schedulerOptions.make()
        let accuracy = try evaluatorOptions.make(space: space, workDirectory: (studyDir as NSString).appendingPathComponent("evaluator"), seed: seed,
                                                 scheduleEpochs: schedulerOptions.topFidelity, rungSchedule: schedulerOptions.proxyRungSchedule,
                                                 rungEpochs: try schedulerOptions.rungEpochs())
        var latency: LatencyModel = { _ in nil }
        var tablePath: String?
        var tableDigest: String?
        // Before the latency table is looked for (or profiled): the missing target is the error to report.
        guard targetMs != nil || space.network == nil else { throw Self.targetRequired(space, latencyIn: accuracy.name) }
        if space.network != nil {
            // A resumed study keeps the table it was started with (its digest is checked on open).
            let recorded = (try? locator.openExisting())?.settings.table
            let predictor = try tableOptions.predictor(space: space, threads: threadOptions.threads, profileIfMissing: true, recorded: recorded)
            tablePath = predictor.tablePath
            tableDigest = predictor.tableDigest
            latency = predictedLatency(predictor, space: space)
        } else if let table = accuracy as? TableEvaluator, !table.hasLatency, !json {
            FileHandle.standardError.write(Data("note: \(table.name) has no latency_ms column and the space has no network: searching on accuracy alone\n".utf8))
        }
        if scheduler.name != FlatScheduler.schedulerName, accuracy is TableEvaluator {
            throw ValidationError("--scheduler \(schedulerOptions.scheduler): \(accuracy.name) holds one accuracy per architecture, so there is nothing to schedule; use --scheduler none, or the proxy or a command evaluator")
        }
        let hasLatency = space.network != nil || (accuracy as? TableEvaluator)?.hasLatency == true
        guard targetMs != nil || !hasLatency else { throw Self.targetRequired(space, latencyIn: accuracy.name) }
        let objectives = try evaluatorOptions.studyObjectives()
        let objective = objectives[0]
        if objectives.count > 1, strategy != "nsga2", !json {
            FileHandle.standardError.write(Data("note: \(strategy) ranks trials by \(objective.name) alone; \(objectives.dropFirst().map(\.name).joined(separator: ", ")) is recorded and in the Pareto front (--strategy nsga2 trades them)\n".utf8))
        }
        if objective.direction == .minimize, hasLatency, !json, strategy != "nsga2" {
            FileHandle.standardError.write(Data("note: the MNasNet reward ACC·(LAT/T)^w applies to accuracy-like metrics in [0, 1]; \(objective.name) is minimised, so trials are ranked by \(objective.name) alone (latency is recorded; --strategy nsga2 trades the two)\n".utf8))
        }
        // Without latency the target is never used; 1 ms is recorded so that a resume compares equal.
        let target = targetMs ?? 1
        let reward = hard ? Reward.hard(targetMs: target) : Reward.soft(targetMs: target, w: w)
        let searchStrategy = try makeStrategy(strategy, space: space, population: population, sample: sample, gridPoints: gridPoints, cycles: cycles)
        var settings = StudySettings(space: space.name, spaceDigest: space.digest, spaceFile: space.source, table: tablePath, tableDigest: tableDigest,
                                     evaluator: accuracy.name, strategy: strategy, scheduler: scheduler.name, reward: reward, population: population,
                                     sample: sample, budget: cycles, seed: seed)
        settings.objective = objective
        settings.secondaryObjectives = Array(objectives.dropFirst())
        settings.gridPoints = strategy == "grid" ? gridPoints : nil
        let ownership = try locator.acquireOwnership()  // before anything is written to the study
        defer { ownership.release() }
        let store = try locator.open(settings: settings, forceResume: forceResume)
        if let shared = store as? PostgresStudyStore {
            // What `nasctl worker` on another machine needs: the space and the target's table.
            try shared.attach(space: try String(contentsOfFile: space.source, encoding: .utf8),
                              table: try tablePath.map { try String(contentsOfFile: $0, encoding: .utf8) })
        }
        let searcher = try WorkerLoop(space: space, strategy: searchStrategy, scheduler: scheduler, evaluator: accuracy, latency: latency,
                                      reward: reward, store: store, budget: cycles, workers: workers, seed: seed, retries: retries,
                                      checkpoints: (studyDir as NSString).appendingPathComponent("checkpoints"), heartbeatSeconds: heartbeat)
        if !json {
            FileHandle.standardError.write(Data("search '\(space.name)' with \(strategy)\(scheduler.name == FlatScheduler.schedulerName ? "" : ", scheduler \(scheduler.name)"), \(accuracy.name), \(objective == .accuracy ? "" : "\(objective), ")\(targetMs.map { "target \($0) ms" } ?? "no latency"), study \(locator)\(searcher.evaluatedCount > 0 ? " (resuming at \(searcher.evaluatedCount) trials)" : "")\n".utf8))
        }
        // A scheduled search counts the fidelity it trains (its trials are all proposed long
        // before the higher rungs run); a flat one counts trials.
        let planned = scheduler.plannedFidelity(trials: cycles)
        // (the scheduler's unit, epochs for --min-epochs/--max-epochs, whatever a command evaluator reads them as)
        let bar = LockedProgress(planned.map { ProgressLine(label: "search", total: Int($0.rounded(.up)), unit: "epochs") }
                                 ?? ProgressLine(label: "search", total: cycles))
        InterruptTrap.install()
        try searcher.run(shouldStop: { InterruptTrap.stopRequested }) { p in
            let best = p.bestReward.map { String(format: "best reward %.4g", $0) } ?? (planned == nil ? "no reward yet" : "no top-rung result yet")
            if let trained = p.fidelityTrained, let total = p.fidelityPlanned {
                bar.update(done: Int(trained.rounded()), total: Int(total.rounded(.up)), elapsed: p.elapsedSeconds, eta: p.etaSeconds,
                           detail: "\(p.trials)/\(p.budget) trials, \(p.failed) failed, \(best)")
            } else {
                bar.update(done: p.trials, elapsed: p.elapsedSeconds, eta: p.etaSeconds, detail: "\(p.failed) failed, \(best)")
            }
        }
        let report = StudyReport(space: space, settings: store.settings, trials: try store.trials(),
                                 finalized: try FinalizedModels.load(directory: studyDir))
        try report.write(to: studyDir)
        if InterruptTrap.stopRequested {
            try printSummary(report.summary(studyDirectory: studyDir), json: json)
            FileHandle.standardError.write(Data("nasctl: interrupted with \(searcher.leftoverCount) trial(s) to re-run; run the same command with --study \(locator) to resume\n".utf8))
            throw ExitCode(InterruptTrap.exitCode)
        }
        if let finalize {
            // The search's proxy evaluations are over: only now is the test set read.
            var arguments = ["--study", studyDir, "--top", "\(finalize)", "--data", evaluatorOptions.data]
            if let file = spaceOptions.space { arguments += ["--space", file] }
            if json { arguments.append("--json") }
            if export { arguments.append("--export") }
            if let finalizeSelect { arguments += ["--select", finalizeSelect.rawValue] }
            if !json { try printSummary(report.summary(studyDirectory: studyDir), json: false) }
            try FinalizeCommand.parse(arguments).run()
        } else {
            try printSummary(report.summary(studyDirectory: studyDir), json: json)
        }
    }

    /// A new folder `parent/search-<UTC time>` (with `-2`, `-3`, … when another search started in
    /// the same second), created here so that no other search can take it.
    static func newStudyFolder(under parent: String) throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create \(parent)/ for the study: \(error.localizedDescription); pass --study DIR")
        }
        let base = (parent as NSString).appendingPathComponent("search-\(timestamp())")
        for attempt in 1...1000 {
            let path = attempt == 1 ? base : "\(base)-\(attempt)"
            if mkdir(path, 0o755) == 0 { return path }
            guard errno == EEXIST else { throw ValidationError("cannot create \(path): \(String(cString: strerror(errno))); pass --study DIR") }
        }
        throw ValidationError("cannot find a free study folder next to \(base); pass --study DIR")
    }

    static func timestamp() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date())
    }
}

/// A study's latency model: each architecture's network built in `space`, its latency
/// predicted from `predictor`'s table, with its MACs and parameters.
func predictedLatency(_ predictor: LatencyPredictor, space: SearchSpace) -> LatencyModel {
    { arch in
        let layers = try NetworkBuilder.layers(for: arch, in: space)
        let cost = NetworkBuilder.cost(of: layers)
        return (try predictor.predictMs(layers), cost.macs, cost.parameters)
    }
}

/// The strategy named `name` (a study's `strategy`), with its settings.
func makeStrategy(_ name: String, space: SearchSpace, population: Int, sample: Int, gridPoints: Int, cycles: Int) throws -> any SearchStrategy {
    switch name {
    case "random": return RandomSearch(space: space)
    case "tpe": return TreeParzenEstimator(space: space)
    case "reinforce": return Reinforce(space: space)
    case "nsga2": return NSGA2(space: space, population: max(2, population))
    case "grid":
        let grid = GridSearch(space: space, points: gridPoints)
        guard grid.size <= cycles else {
            throw ValidationError("--strategy grid: the grid of '\(space.name)' has \(grid.size == .max ? "more than \(Int.max)" : "\(grid.size)") architectures, more than --cycles \(cycles); raise --cycles to \(grid.size) or use another strategy")
        }
        return grid
    case "evolution": return RegularizedEvolution(space: space, population: population, sample: sample)
    default: throw ValidationError("unknown strategy '\(name)'")
    }
}

/// Prints a study summary as text or JSON.
func printSummary(_ s: StudyReport.Summary, json: Bool) throws {
    if json {
        try printJSON(s)
        return
    }
    print("\(s.trials) trials (\(s.evaluated) evaluated, \(s.failed) failed, \(s.cached) cached\(s.pruned > 0 ? ", \(s.pruned) stopped below the top rung" : "")), study \(s.study)")
    if let b = s.best {
        let value = s.objective == "accuracy" ? String(format: "accuracy %.4f", b.accuracy) : "\(s.objective) \(b.value.map { String(format: "%.6g", $0) } ?? "n/a") (\(s.direction.rawValue)d)"
        print(String(format: "best: trial %d, %@, latency %@, reward %.4f", b.trial, value,
                     b.latency_ms.map { String(format: "%.3f ms", $0) } ?? "n/a", b.reward))
        print("      \(b.key)")
    }
    if s.objective != "accuracy" && s.pareto_size == 0 {
        print("reports: \(s.study)/trials.csv, best.json, report.html")
        return
    }
    print("Pareto front: \(s.paretoDescription)")
    print(s.pareto_size == 0 ? "reports: \(s.study)/trials.csv, best.json, report.html"
                             : "reports: \(s.study)/trials.csv, pareto.csv, pareto.svg, best.json, report.html")
}

/// Serialises progress updates from search workers.
final class LockedProgress: @unchecked Sendable {
    private var line: ProgressLine
    private let lock = NSLock()
    init(_ line: ProgressLine) { self.line = line }
    func update(done: Int, total: Int? = nil, elapsed: Double, eta: Double?, detail: String) {
        lock.lock(); defer { lock.unlock() }
        line.update(done: done, total: total, elapsed: elapsed, eta: eta, detail: detail)
    }
}
