import ArgumentParser
import Foundation
import NASEngine
import NASLatency
import NASSearch
import NASSpace

/// `nasctl worker`: one more worker on a PostgreSQL study, from any machine.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Join a PostgreSQL study and evaluate its trials until its budget is reached.",
        discussion: """
        Everything comes from the study that `nasctl search --study postgresql://…` created: \
        the space (its YAML is stored in the database), the strategy, the reward, the budget, \
        the seed and the latency table of the study's target device (stored with its digest; \
        this machine's own device never enters the study). The evaluator is rebuilt on this \
        machine from the study's description of it and must come out the same: a table or \
        command must exist here under the same path, the proxy must see the same data and \
        budget (pass --data DIR when its folder differs; the study's description is shown \
        when they disagree). Workers join, die and come back at any time: a trial whose worker \
        stops beating for three --heartbeat intervals is re-run by another under its number, \
        the dead worker's late result is discarded, and the budget is never exceeded.
        """
    )

    @Option(help: "The study: postgresql://USER@HOST[:PORT]/DB?study=NAME (created by nasctl search --study URL).")
    var study: String

    @OptionGroup var evaluatorOptions: EvaluatorOptions
    @OptionGroup var threadOptions: ThreadOptions

    @Option(help: "Parallel evaluations on this machine (default: one per core).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Seconds between heartbeats of this worker's running trials; another worker takes a trial over after three missed ones.")
    var heartbeat: Double = 10

    @Option(help: "Retries of a transient evaluation failure before the trial fails.")
    var retries: Int = 1

    @Option(help: "Local folder for evaluator files, the study's latency table and reports (default: runs/pg-NAME).")
    var workdir: String?

    @Flag(help: "Print one JSON summary object instead of text.")
    var json = false

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1 (got \(workers)).") }
        guard retries >= 0 else { throw ValidationError("--retries must be 0 or more (got \(retries)).") }
        guard heartbeat > 0 && heartbeat.isFinite else { throw ValidationError("--heartbeat must be a positive number of seconds (got \(heartbeat)).") }
    }

    func run() throws {
        ExecutionContext.setOpenBLASThreads(threadOptions.threads)
        guard case let .postgres(address) = try StudyLocator(parsing: study) else {
            throw ValidationError("nasctl worker joins a PostgreSQL study (postgresql://USER@HOST[:PORT]/DB?study=NAME); a folder study has one owner: run `nasctl search --study \(study)`")
        }
        let existing = try PostgresStudyStore(existing: address)
        let settings = existing.settings
        let files = try existing.sharedFiles()
        guard let spaceText = files.space else {
            throw ValidationError("\(address): the study holds no space (it was created by an older nasctl); run `nasctl search --study \(address)` with its --space once")
        }
        let space = try SearchSpace.parse(yaml: spaceText, source: "\(address) (space)")
        guard space.digest == settings.spaceDigest else {
            throw ValidationError("\(address): the stored space's digest \(space.digest) is not the study's \(settings.spaceDigest); the study is damaged, start another")
        }
        let directory = workdir ?? StudyLocator.postgres(address).reportDirectory
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw ValidationError("cannot create the working folder \(directory): \(error.localizedDescription); pass --workdir DIR")
        }
        var options = evaluatorOptions
        if options.evaluator == nil { options.evaluator = settings.evaluator.hasPrefix("proxy:") ? "proxy" : settings.evaluator }
        options.objective = settings.objectives.map(\.name)
        options.direction = settings.objectives.map(\.direction)
        // No schedule epochs: a shared study runs its trials at one fidelity.
        let evaluator = try options.make(space: space, workDirectory: (directory as NSString).appendingPathComponent("evaluator"), seed: settings.seed)
        guard evaluator.name == settings.evaluator else {
            throw ValidationError("this machine's evaluator is not the study's:\n  study: \(settings.evaluator)\n  here:  \(evaluator.name)\npass the --evaluator, --data or --proxy-* flags that make them agree")
        }
        var latency: LatencyModel = { _ in nil }
        if space.network != nil {
            guard let tableText = files.table, let digest = settings.tableDigest else {
                throw ValidationError("\(address): the study holds no latency table; run `nasctl search --study \(address)` once on the target device")
            }
            let path = (directory as NSString).appendingPathComponent("study-latency-table.json")
            try tableText.write(toFile: path, atomically: true, encoding: .utf8)
            guard try LatencyTableFiles.contentDigest(of: path) == digest else {
                throw ValidationError("\(address): the stored latency table's digest is not the study's \(digest); the study is damaged, start another")
            }
            let predictor = LatencyPredictor(table: try LatencyTable.load(file: path), path: path, digest: digest)
            latency = predictedLatency(predictor, space: space)
        }
        let strategy = try makeStrategy(settings.strategy, space: space, population: settings.population, sample: settings.sample,
                                        gridPoints: settings.gridPoints ?? 5, cycles: settings.budget)
        let store = try PostgresStudyStore(address: address, settings: settings)
        let loop = try WorkerLoop(space: space, strategy: strategy, evaluator: evaluator, latency: latency, reward: settings.reward, store: store,
                                  budget: settings.budget, workers: workers, seed: settings.seed, retries: retries,
                                  checkpoints: (directory as NSString).appendingPathComponent("checkpoints"), heartbeatSeconds: heartbeat)
        if !json {
            FileHandle.standardError.write(Data("worker on \(address): '\(space.name)' with \(settings.strategy), \(evaluator.name), study at \(loop.trialsUsed) of \(settings.budget) trials\n".utf8))
        }
        let bar = LockedProgress(ProgressLine(label: "worker", total: settings.budget))
        InterruptTrap.install()
        try loop.run(shouldStop: { InterruptTrap.stopRequested }) { p in
            let best = p.bestReward.map { String(format: "best reward %.4g", $0) } ?? "no reward yet"
            bar.update(done: p.trials, elapsed: p.elapsedSeconds, eta: p.etaSeconds, detail: "\(p.failed) failed, \(best)")
        }
        let trials = try store.trials()
        let summary = WorkerSummary(study: address.description, budget: settings.budget, trials: trials.count,
                                    ended: trials.filter { !$0.status.needsEvaluation }.count)
        if json {
            try printJSON(summary)
        } else {
            print("worker done: study \(summary.study) at \(summary.ended) of \(summary.budget) trials")
        }
        if InterruptTrap.stopRequested {
            FileHandle.standardError.write(Data("nasctl: interrupted; its trials are re-run by any worker of \(address)\n".utf8))
            throw ExitCode(InterruptTrap.exitCode)
        }
    }

    struct WorkerSummary: Encodable {
        var study: String
        var budget: Int
        var trials: Int
        /// Trials that ended (the rest are running on other workers, or left to re-run).
        var ended: Int
    }
}
