import ArgumentParser
import Foundation
import NASEngine
import NASSearch
import NASSpace

/// `nasctl evaluate`: one architecture scored exactly as a search would score it.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score one architecture with a search evaluator (proxy training, table or command).",
        discussion: """
        Runs the evaluator a search would use on one architecture and prints its accuracy: \
        with the proxy evaluator, the candidate is trained on the space's proxy budget (or the \
        --proxy-* flags) and scored on the validation split carved from the training set; the \
        test set is never read. Useful to check what a budget costs and how it ranks \
        architectures before a long search. Exits non-zero when the evaluation fails.
        """
    )

    @Option(help: "Architecture JSON ({\"space\": NAME, \"decisions\": {...}}).")
    var arch: String

    @OptionGroup var spaceOptions: SpaceOptions
    @OptionGroup var evaluatorOptions: EvaluatorOptions
    @OptionGroup var threadOptions: ThreadOptions

    @Option(help: "Seed of the proxy's train/validation split (as in search --seed).")
    var seed: UInt64 = 1

    @Option(name: .customLong("schedule-epochs"), help: "Proxy only: the learning-rate schedule spans this many epochs and training stops after the proxy's epochs, as a scheduler's rung does (e.g. --proxy-epochs 3 --schedule-epochs 9 scores rung 3 of a 1/3/9 search). Default: the proxy's epochs.")
    var scheduleEpochs: Double?

    @Option(name: .customLong("restart-epochs"), help: "Proxy only, with --schedule-epochs: epochs where the learning rate restarts, comma-separated, as search --rung-schedule restart does at a scheduler's rungs (e.g. --proxy-epochs 3 --schedule-epochs 9 --restart-epochs 1,3 scores rung 3 of a restarted 1/3/9 search).")
    var restartEpochs: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    /// `--restart-epochs` as numbers; nil when absent or malformed.
    var restartList: [Double]? {
        guard let restartEpochs else { return nil }
        let values = restartEpochs.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { return nil }
        return values.map { $0! }
    }

    func validate() throws {
        guard let restartEpochs else { return }
        guard let list = restartList, list.allSatisfy({ $0 > 0 && $0.isFinite }), list == list.sorted(), Set(list).count == list.count else {
            throw ValidationError("--restart-epochs must be increasing positive epochs separated by commas (got '\(restartEpochs)').")
        }
        guard let scheduleEpochs, list.allSatisfy({ $0 < scheduleEpochs }) else {
            throw ValidationError("--restart-epochs needs --schedule-epochs above every restart: the restarts fall inside the schedule.")
        }
    }

    struct Report: Encodable {
        var arch: String
        var key: String
        var evaluator: String
        var accuracy: Double
        /// Set when the evaluator itself reports latency (a table with latency_ms).
        var latency_ms: Double?
        var seconds: Double
        /// Proxy evaluator only: validation cross-entropy (nats per image) and the mean training
        /// loss over the proxy's last epoch, for studying other ranking scores.
        var validation_loss: Double?
        var training_loss: Double?
        /// Proxy evaluator only: each block's output size in the network the proxy trains and in
        /// the deployment network (the space's input resolution) that latency describes.
        var feature_maps: [FeatureMaps]?
        /// With --proxy-repeats N > 1: each repeat's validation accuracy (data seeds --seed, --seed + 1, ...); `accuracy` is their mean.
        var repeat_accuracies: [Double]? = nil
    }

    struct FeatureMaps: Encodable {
        var block: String
        var proxy: String
        var deployment: String
    }

    /// Evaluates the architecture; a failed evaluation is an error naming the file and the reason.
    func evaluate() throws -> Report {
        let space = try spaceOptions.load()
        let architecture = try Architecture.load(file: arch, space: space)
        let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-evaluate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: workDirectory) }
        let evaluator = try evaluatorOptions.make(space: space, workDirectory: workDirectory, seed: seed, scheduleEpochs: scheduleEpochs,
                                                  rungSchedule: restartList == nil ? .whole : .restart, rungEpochs: restartList ?? [])
        // The proxy (or, with --proxy-repeats, each of its repeats), scored directly for the losses and feature maps.
        let proxies = (evaluator as? ProxyEvaluator).map { [$0] } ?? (evaluator as? RepeatedEvaluator)?.repeats.compactMap { $0 as? ProxyEvaluator } ?? []
        if let scheduleEpochs {
            guard let proxy = proxies.first else { throw ValidationError("--schedule-epochs applies to the proxy evaluator only") }
            guard scheduleEpochs.isFinite, scheduleEpochs >= proxy.budget.epochs else {
                throw ValidationError("--schedule-epochs \(scheduleEpochs) must be at least the proxy's epochs (\(proxy.budget.epochs.shortText)): training stops within the schedule")
            }
        }
        // After the evaluator: the proxy evaluator pins the engine to 1 thread for a search's workers.
        ExecutionContext.setOpenBLASThreads(threadOptions.threads)
        let start = Date()
        if let proxy = proxies.first {
            let runs: [ProxyEvaluator.Scores]
            do {
                runs = try proxies.map { try $0.scores(architecture, epochs: $0.budget.epochs, shouldStop: { false })! }
            } catch {
                throw ValidationError("\(arch): evaluation failed: proxy: \(error)")
            }
            let mean = { (score: KeyPath<ProxyEvaluator.Scores, Double>) in runs.map { $0[keyPath: score] }.reduce(0, +) / Double(runs.count) }
            var scores = runs[0]
            scores.validationAccuracy = mean(\.validationAccuracy)
            scores.validationLoss = mean(\.validationLoss)
            scores.trainingLoss = mean(\.trainingLoss)
            let proxyMaps = NetworkBuilder.featureMaps(of: try proxy.proxyLayers(architecture))
            let deploymentMaps = NetworkBuilder.featureMaps(of: try NetworkBuilder.layers(for: architecture, in: space))
            let maps = zip(proxyMaps, deploymentMaps).map { p, d in
                FeatureMaps(block: p.block, proxy: "\(p.height)x\(p.width)", deployment: "\(d.height)x\(d.width)")
            }
            return Report(arch: arch, key: architecture.key(in: space), evaluator: evaluator.name, accuracy: scores.validationAccuracy,
                          latency_ms: nil, seconds: Date().timeIntervalSince(start),
                          validation_loss: scores.validationLoss, training_loss: scores.trainingLoss, feature_maps: maps,
                          repeat_accuracies: runs.count > 1 ? runs.map(\.validationAccuracy) : nil)
        }
        let evaluation = evaluator.evaluate(architecture, trial: 0)
        if let failure = evaluation.failure {
            throw ValidationError("\(arch): evaluation failed: \(failure.message)")
        }
        guard let accuracy = evaluation.accuracy else { throw ValidationError("\(arch): the evaluator reported no accuracy") }
        return Report(arch: arch, key: architecture.key(in: space), evaluator: evaluator.name, accuracy: accuracy,
                      latency_ms: evaluation.latencyMs, seconds: Date().timeIntervalSince(start))
    }

    func run() throws {
        let report = try evaluate()
        if json {
            try printJSON(report)
            return
        }
        let latencyText = report.latency_ms.map { String(format: ", latency %.3f ms", $0) } ?? ""
        let lossText = report.validation_loss.map { String(format: ", validation loss %.4f", $0) } ?? ""
        print("\(arch): accuracy \(String(format: "%.4f", report.accuracy))\(latencyText)\(lossText) in \(String(format: "%.1f", report.seconds)) s (\(report.evaluator))")
        if let each = report.repeat_accuracies {
            print("repeats (data seeds \(seed) to \(seed &+ UInt64(each.count &- 1))): \(each.map { String(format: "%.4f", $0) }.joined(separator: " "))")
        }
        if let maps = report.feature_maps {
            print("feature maps, stem then blocks: proxy \(maps.map(\.proxy).joined(separator: " ")); deployment \(maps.map(\.deployment).joined(separator: " "))")
        }
    }
}
