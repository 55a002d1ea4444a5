import ArgumentParser
import Foundation
import NASEngine
import NASLatency
import NASSearch
import NASSpace
import NASTraining

/// `nasctl finalize`: trains a study's best front models to the end and scores them once on
/// the test set.
struct FinalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finalize",
        abstract: "Train a study's best Pareto-front models on the whole training set and test each once.",
        discussion: """
        Takes --top K models of the study's front (--select: best reward first, the default; \
        best proxy accuracy first; or spread evenly over the front's latency), optionally only \
        those predicted at most --max-ms, trains each with the recipe of `nasctl train` \
        (--epochs, each --seeds value) on the whole training set, and measures its accuracy on \
        the test set: the only place besides `train` that reads the test set. \
        With --baseline FILE the same recipe and seeds train that architecture too (latency \
        predicted from the study's table). Results land in DIR/final/ (architectures, weights, \
        metrics) and DIR/final.json; pareto.csv, pareto.svg and the summary then show \
        final_test_accuracy next to the proxy score. Another selection with the same --epochs adds \
        to final.json (a model trained again replaces its earlier entry); another --epochs replaces it. Resumable: a finished training is reused, \
        an interrupted one continues from its checkpoint; delete DIR/final/ to start over.
        """
    )

    @Option(help: "Study folder.")
    var study: String

    @Option(help: "Search-space YAML (default: the file the study recorded).")
    var space: String?

    @Option(help: "How many front models to train.")
    var top: Int = 3

    @Option(help: "Which front models: reward (best reward first), accuracy (best proxy accuracy first: the front's accurate end, where a model beating a baseline would be) or spread (evenly over the front's latency).")
    var select: FrontSelection = .reward

    @Option(name: .customLong("max-ms"), help: "Only front models predicted at most this many milliseconds (e.g. a baseline's latency from `nasctl predict`).")
    var maxMs: Double?

    @Option(help: "Training epochs.")
    var epochs: Double = 10

    @Option(help: "Training seeds, comma-separated: each model is trained once per seed and its final accuracy is the mean.")
    var seeds: String = "1"

    @Option(help: "An architecture JSON to train with the same recipe for comparison (e.g. Configs/baselines/mobilenetv2.json).")
    var baseline: String?

    @Option(help: "Directory with the training and test IDX files (default: Debian's dataset-fashion-mnist).")
    var data: String = ImageDataset.fashionMNISTDirectory

    @Option(help: "Trainings run at the same time, each on one thread (default: one per core).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Also write each finalized model (its first seed's weights) as ONNX: DIR/final/trial-N.onnx (see `nasctl export`).")
    var export = false

    @Flag(help: "Print one JSON summary object instead of text.")
    var json = false

    var seedList: [UInt64] { seeds.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1 (got \(top)).") }
        guard epochs > 0, epochs.isFinite else { throw ValidationError("--epochs must be a positive number (got \(epochs)).") }
        if let maxMs { guard maxMs > 0, maxMs.isFinite else { throw ValidationError("--max-ms must be a positive number of milliseconds (got \(maxMs)).") } }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1 (got \(workers)).") }
        let parts = seeds.split(separator: ",", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count == seedList.count, Set(seedList).count == seedList.count else {
            throw ValidationError("--seeds must be distinct non-negative integers separated by commas (got '\(seeds)').")
        }
    }

    /// One training: a model under one seed.
    struct Job {
        var model: Int
        var seed: UInt64
        var archFile: String
    }

    func run() throws {
        let (store, loaded, spaceFile) = try openStudy(study, space: space)
        guard loaded.network != nil else { throw ValidationError("finalize trains networks; space '\(loaded.name)' is categorical") }
        let report = StudyReport(space: loaded, settings: store.settings, trials: try store.trials())
        guard !report.front.isEmpty else { throw ValidationError("\(study) has no finished trial on its front yet: nothing to finalize") }
        let chosen = report.finalizeCandidates(top, by: select, maxMs: maxMs)
        guard !chosen.isEmpty else {
            let fastest = report.front.compactMap(\.latencyMs).min().map { String(format: "%.3f ms", $0) } ?? "no latency"
            throw ValidationError("\(study): no front model is predicted at most --max-ms \(maxMs ?? 0) ms (the fastest: \(fastest)); raise --max-ms")
        }
        try finalize(chosen, report: report, store: store, loaded: loaded, spaceFile: spaceFile)
    }

    /// Trains `chosen` (and the baseline) and writes the finalized reports.
    private func finalize(_ chosen: [TrialRecord], report: StudyReport, store: any StudyStore, loaded: SearchSpace, spaceFile: String) throws {
        let folder = (study as NSString).appendingPathComponent("final")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var models: [(trial: Int?, name: String, arch: Architecture, proxy: Double?, latency: Double?)] = chosen.map {
            ($0.number, "trial-\($0.number)", Architecture(spaceName: loaded.name, values: $0.values), $0.accuracy, $0.latencyMs)
        }
        if let baseline {
            let arch = try Architecture.load(file: baseline, space: loaded)
            models.append((nil, "baseline:\((baseline as NSString).lastPathComponent)", arch, nil, try predictedLatency(arch, space: loaded, table: store.settings.table)))
        }
        var jobs: [Job] = []
        for (i, model) in models.enumerated() {
            let stem = model.trial.map { "trial-\($0)" } ?? "baseline"
            for seed in seedList {
                let file = (folder as NSString).appendingPathComponent("\(stem)-seed\(seed).json")
                try model.arch.json(in: loaded).write(toFile: file, atomically: true, encoding: .utf8)
                jobs.append(Job(model: i, seed: seed, archFile: file))
            }
        }
        if !json {
            FileHandle.standardError.write(Data("finalize \(study): \(models.count) model(s) x \(seedList.count) seed(s), \(epochs.shortText) epochs each, \(min(workers, jobs.count)) at a time\n".utf8))
        }
        let results = try train(jobs, spaceFile: spaceFile)
        var finished = models.enumerated().map { i, m in
            FinalizedModels.Model(trial: m.trial, name: m.name, key: m.arch.key(in: loaded), proxyAccuracy: m.proxy, latencyMs: m.latency,
                                  seeds: seedList, testAccuracies: jobs.indices.filter { jobs[$0].model == i }.map { results[$0] })
        }
        if export, let seed = seedList.first {
            for model in models {
                let stem = model.trial.map { "trial-\($0)" } ?? "baseline"
                let arch = (folder as NSString).appendingPathComponent("\(stem)-seed\(seed).json")
                let output = (folder as NSString).appendingPathComponent("\(stem).onnx")
                _ = try ExportCommand.export(arch: arch, space: loaded, weights: (arch as NSString).deletingPathExtension + ".weights",
                                             seed: seed, output: output)
                if !json { FileHandle.standardError.write(Data("exported \(output)\n".utf8)) }
            }
        }
        let baselineModel = baseline == nil ? nil : finished.removeLast()
        let earlier = try FinalizedModels.load(directory: study)
        let finalized = FinalizedModels(epochs: epochs, models: finished, baseline: baselineModel).merging(earlier: earlier)
        try finalized.write(directory: study)
        if !json, let earlier {
            if earlier.epochs != epochs {
                FileHandle.standardError.write(Data("finalize: final.json held models trained \(earlier.epochs.shortText) epochs; this \(epochs.shortText)-epoch recipe replaces them\n".utf8))
            } else if finalized.models.count > finished.count {
                FileHandle.standardError.write(Data("finalize: kept \(finalized.models.count - finished.count) model(s) finalized earlier with the same recipe\n".utf8))
            }
        }
        let full = StudyReport(space: loaded, settings: store.settings, trials: report.trials, finalized: finalized)
        try full.write(to: study)
        let summary = full.summary(studyDirectory: study)
        if json {
            try printJSON(summary)
        } else {
            for m in finished + (baselineModel.map { [$0] } ?? []) {
                print(String(format: "%@: test accuracy %.4f%@ (proxy %@), latency %@", m.name, m.final_test_accuracy,
                             seedList.count > 1 ? String(format: " ± %.4f spread over %d seeds", m.spread, seedList.count) : "",
                             m.proxy_accuracy.map { String(format: "%.4f", $0) } ?? "n/a",
                             m.latency_ms.map { String(format: "%.3f ms", $0) } ?? "n/a"))
            }
            print(String(format: "hypervolume with final accuracies %.4f (proxy front %.4f)", summary.hypervolume_final ?? 0, summary.hypervolume))
            print("results: \(FinalizedModels.path(in: study)), \(folder)/, pareto.csv, pareto.svg")
        }
    }

    /// Runs the trainings, `workers` at a time; test accuracy per job, in order. A finished
    /// training (its metrics file with these epochs and seed) is reused.
    func train(_ jobs: [Job], spaceFile: String) throws -> [Double] {
        let queue = TrainingQueue(count: jobs.count, showProgress: !json)
        for (i, job) in jobs.enumerated() {
            let metrics = (job.archFile as NSString).deletingPathExtension + ".metrics.json"
            if let data = FileManager.default.contents(atPath: metrics), let done = try? JSONDecoder().decode(TrainCommand.Report.self, from: data),
               done.epochs == epochs, done.seed == job.seed {
                queue.accuracies[i] = done.test_accuracy
            } else {
                queue.pending.append(i)
            }
        }
        queue.showStart()
        let (epochs, data) = (self.epochs, self.data)
        let group = DispatchGroup()
        for _ in 0..<min(workers, queue.pending.count) {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while let index = queue.take() {
                    let job = jobs[index]
                    do {
                        let command = try TrainCommand.parse(["--arch", job.archFile, "--space", spaceFile, "--epochs", "\(epochs)",
                                                              "--seed", "\(job.seed)", "--data", data, "--threads", "1"])
                        queue.finish(index, accuracy: try command.train(progress: false).test_accuracy)
                    } catch {
                        queue.fail(error)
                    }
                }
            }
        }
        group.wait()
        if let error = queue.firstError { throw error }
        return queue.accuracies.map { $0! }
    }

    /// The architecture's latency from the study's table (nil when the study has none).
    func predictedLatency(_ arch: Architecture, space: SearchSpace, table: String?) throws -> Double? {
        guard let table else { return nil }
        let predictor = LatencyPredictor(table: try LatencyTable.load(file: table), path: table, digest: nil)
        return try predictor.predictMs(try NetworkBuilder.layers(for: arch, in: space))
    }
}

/// The trainings `finalize` runs in parallel: which are left, their results, the progress line.
private final class TrainingQueue: @unchecked Sendable {
    private let lock = NSLock()
    var pending: [Int] = []
    var accuracies: [Double?]
    private(set) var firstError: Error?
    private var next = 0, finished = 0
    private var bar: ProgressLine
    private let start = Date()
    private let showProgress: Bool

    init(count: Int, showProgress: Bool) {
        accuracies = Array(repeating: nil, count: count)
        bar = ProgressLine(label: "finalize", total: count)
        self.showProgress = showProgress
    }

    func showStart() { if showProgress { bar.update(done: accuracies.count - pending.count, elapsed: 0, eta: nil, detail: "trainings") } }

    /// The next job to run, nil when none is left or one failed.
    func take() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < pending.count, firstError == nil else { return nil }
        next += 1
        return pending[next - 1]
    }

    func finish(_ index: Int, accuracy: Double) {
        lock.lock(); defer { lock.unlock() }
        accuracies[index] = accuracy
        finished += 1
        let elapsed = Date().timeIntervalSince(start)
        if showProgress {
            bar.update(done: accuracies.count - pending.count + finished, elapsed: elapsed,
                       eta: elapsed / Double(finished) * Double(pending.count - finished), detail: "trainings")
        }
    }

    func fail(_ error: Error) {
        lock.lock(); defer { lock.unlock() }
        if firstError == nil { firstError = error }
    }
}

extension FrontSelection: ExpressibleByArgument {}
