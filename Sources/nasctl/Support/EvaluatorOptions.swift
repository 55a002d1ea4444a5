import ArgumentParser
import Foundation
import NASSearch
import NASSpace
import NASTraining

/// `--evaluator` and its settings: where a candidate's accuracy comes from (`search`, `evaluate`).
struct EvaluatorOptions: ParsableArguments {
    @Option(help: "Accuracy source: proxy (short training; default for network spaces), table:FILE (CSV) or command:CMD.")
    var evaluator: String?

    @Option(help: "Data directory for the proxy evaluator: MNIST-layout IDX files, or an image folder DIR/train/CLASS/*.png|jpg (default: Debian's dataset-fashion-mnist).")
    var data: String = ImageDataset.fashionMNISTDirectory

    @Option(help: "Random crops (padding an eighth of the side) and horizontal flips while training: auto (on for image folders, off for IDX), on or off.")
    var augment: AugmentChoice = .auto

    @Option(help: "Side in pixels an image folder's images are scaled (shorter side, triangle filter) and centre-cropped to (default: the first training image's shorter side, at most 64).")
    var imageSize: Int?

    @Option(help: "Proxy training epochs (default: the space's proxy section).")
    var proxyEpochs: Double?

    @Option(help: "Proxy training images (default: the space's proxy section).")
    var proxyTrainImages: Int?

    @Option(help: "Proxy validation images (default: the space's proxy section).")
    var proxyValidationImages: Int?

    @Option(help: "Proxy mini-batch size (default: the space's proxy section).")
    var proxyBatchSize: Int?

    @Option(help: "Proxy peak learning rate (default: the space's proxy section).")
    var proxyLearningRate: Double?

    @Option(help: "Proxy gradient-norm clipping, 0 for none (default: the space's proxy section).")
    var proxyClipNorm: Double?

    @Option(help: "Proxy learning-rate warm-up in epochs, at most a quarter of the epochs (default: the space's proxy section).")
    var proxyWarmupEpochs: Double?

    @Option(help: "Proxy adaptive gradient clipping: each weight's gradient norm at most this times the weight's norm, 0 for none (default: the space's proxy section).")
    var proxyAdaptiveClip: Double?

    @Option(help: "Proxy network geometry: as-designed (the space's strides at the data's resolution) or min-4x4 (the fewest leading stride-2 layers at stride 1 so every block's output is at least 4x4); latency always describes the deployment network (default: the space's proxy section).")
    var proxyGeometry: String?

    @Option(help: "Proxy trainings per candidate, each on its own data seed (the search's --seed, then --seed + 1, ...: another validation split and training subset), their accuracies averaged; N times the proxy's cost. Benchmarks/README.md has how the average ranks.")
    var proxyRepeats: Int = 1

    @Option(help: "Seconds before a command evaluator's trial is killed and failed.")
    var trialTimeout: Double = 600

    @Option(help: "The metric to optimise: accuracy (default), or another a table column or a command's output names (e.g. mse, loss); give --direction with it. Given more than once (with one --direction each, in order), the further metrics are secondary objectives: recorded per trial, traded against the first by --strategy nsga2 and in the Pareto front.")
    var objective: [String] = []

    @Option(help: "minimize or maximize the objective (default: maximize for accuracy; required for any other objective; once per --objective).")
    var direction: [Direction] = []

    /// Every `--objective` with its direction (accuracy alone when none is named).
    func studyObjectives() throws -> [Objective] {
        let names = objective.isEmpty ? [Objective.accuracy.name] : objective
        if names.count > 1 {
            guard direction.count == names.count else {
                throw ValidationError("--objective is given \(names.count) times: give --direction \(names.count) times too, one per objective in the same order (got \(direction.count))")
            }
            guard Set(names).count == names.count else { throw ValidationError("--objective names one metric twice: \(names.joined(separator: ", "))") }
        } else if direction.count > 1 {
            throw ValidationError("--direction is given \(direction.count) times for one --objective")
        }
        return try zip(names.indices, names).map { i, name in
            let given = i < direction.count ? direction[i] : nil
            if name == Objective.accuracy.name {
                if given == .minimize { throw ValidationError("--direction minimize: accuracy is maximised; name another --objective to minimise it") }
                return .accuracy
            }
            guard let given else {
                throw ValidationError("--objective \(name): say whether to --direction minimize or --direction maximize it")
            }
            return Objective(name: name, direction: given)
        }
    }

    func validate() throws {
        guard trialTimeout > 0 else { throw ValidationError("--trial-timeout must be positive.") }
        for objective in objective {
            guard !objective.isEmpty, objective.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw ValidationError("--objective must be a metric name of letters, digits, '_' and '-' (got '\(objective)').")
            }
            guard objective != "latency_ms" else { throw ValidationError("--objective latency_ms: latency is the study's second axis already; name the metric to trade it against.") }
            guard !StudyReport.reservedColumns.contains(objective) else {
                throw ValidationError("--objective \(objective): the reports have a column of that name already (\(StudyReport.reservedColumns.joined(separator: ", "))); rename the metric, e.g. n_\(objective).")
            }
        }
        guard (1...EvaluatorOptions.maximumProxyRepeats).contains(proxyRepeats) else {
            throw ValidationError("--proxy-repeats must be 1 to \(EvaluatorOptions.maximumProxyRepeats) (got \(proxyRepeats)).")
        }
        if let imageSize, !(1...ImageDataset.maximumSide).contains(imageSize) {
            throw ValidationError("--image-size must be 1 to \(ImageDataset.maximumSide) pixels (got \(imageSize)).")
        }
        if let proxyGeometry, ProxyGeometry(rawValue: proxyGeometry) == nil {
            throw ValidationError("--proxy-geometry is '\(proxyGeometry)'; allowed: \(ProxyGeometry.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        // Each flag on its own, against the budget's ranges (the same as the space file's).
        var probe = ProxyBudget()
        let given: [(ProxyBudget.Field, Double?)] = [
            (.epochs, proxyEpochs), (.trainImages, proxyTrainImages.map(Double.init)), (.validationImages, proxyValidationImages.map(Double.init)),
            (.batchSize, proxyBatchSize.map(Double.init)), (.learningRate, proxyLearningRate), (.clipNorm, proxyClipNorm),
            (.warmupEpochs, proxyWarmupEpochs), (.adaptiveClip, proxyAdaptiveClip),
        ]
        for (field, value) in given {
            guard let value else { continue }
            probe[field] = value
            if let problem = probe.problem(field) { throw ValidationError("\(field.flag) \(problem).") }
        }
    }

    /// Most proxy trainings `--proxy-repeats` averages per candidate.
    static let maximumProxyRepeats = 8

    /// The space's proxy budget with any `--proxy-*` flag applied.
    func budget(for space: SearchSpace) -> ProxyBudget {
        var budget = space.proxy
        if let proxyEpochs { budget.epochs = proxyEpochs }
        if let proxyTrainImages { budget.trainImages = proxyTrainImages }
        if let proxyValidationImages { budget.validationImages = proxyValidationImages }
        if let proxyBatchSize { budget.batchSize = proxyBatchSize }
        if let proxyLearningRate { budget.learningRate = proxyLearningRate }
        if let proxyClipNorm { budget.clipNorm = proxyClipNorm }
        if let proxyWarmupEpochs { budget.warmupEpochs = proxyWarmupEpochs }
        if let proxyAdaptiveClip { budget.adaptiveClip = proxyAdaptiveClip }
        if let geometry = proxyGeometry.flatMap(ProxyGeometry.init(rawValue:)) { budget.geometry = geometry }
        return budget
    }

    /// The evaluator named by `--evaluator`, or proxy for a network space. `workDirectory`
    /// holds a command evaluator's architecture files; `seed` fixes the proxy's data split;
    /// `scheduleEpochs` is a scheduler's top rung (the proxy's schedule spans it);
    /// `rungSchedule` how the proxy trains the rungs below it (`rungEpochs`: where `restart`
    /// restarts the learning rate).
    func make(space: SearchSpace, workDirectory: String, seed: UInt64, scheduleEpochs: Double? = nil,
              rungSchedule: ProxyEvaluator.RungSchedule = .whole, rungEpochs: [Double] = []) throws -> any Evaluator {
        let text = evaluator ?? (space.network != nil || space.training != nil ? "proxy" : "")
        let objectives = try studyObjectives()
        let objective = objectives[0], secondary = Array(objectives.dropFirst())
        if text == "proxy" {
            guard objectives == [.accuracy] else {
                throw ValidationError("--objective \(objectives.map(\.name).filter { $0 != "accuracy" }.joined(separator: ", ")): the proxy evaluator reports accuracy only; use --objective accuracy, or a table or command evaluator that reports it")
            }
            if let training = space.training {
                guard scheduleEpochs == nil else {
                    throw ValidationError("a training-settings space trains each trial on its own schedule; use --scheduler none")
                }
                guard proxyRepeats == 1 else {
                    throw ValidationError("--proxy-repeats applies to architecture searches; a training-settings space trains one proxy per trial")
                }
                let network = try SearchSpace.load(file: training.spaceFile)
                let arch = try Architecture.load(file: training.archFile, space: network)
                let proxy = try ProxyEvaluator(space: network, budget: budget(for: network), dataDirectory: data, seed: seed,
                                               imageSide: imageSize, augment: augment.value)
                return TrainingSettingsEvaluator(space: space, proxy: proxy, arch: arch)
            }
            let proxies = try (0..<proxyRepeats).map { index in
                try ProxyEvaluator(space: space, budget: budget(for: space), dataDirectory: data, seed: seed &+ UInt64(index),
                                   scheduleEpochs: scheduleEpochs, rungSchedule: rungSchedule, rungEpochs: rungEpochs,
                                   imageSide: imageSize, augment: augment.value)
            }
            return proxies.count == 1 ? proxies[0] : RepeatedEvaluator(proxies)
        }
        guard proxyRepeats == 1 else {
            throw ValidationError("--proxy-repeats \(proxyRepeats): only the proxy evaluator trains; a table or a command gives one result per architecture")
        }
        if text.hasPrefix("table:") {
            return try TableEvaluator(file: String(text.dropFirst("table:".count)), space: space, objective: objective, secondary: secondary)
        }
        if text.hasPrefix("command:") {
            return try CommandEvaluator(command: String(text.dropFirst("command:".count)), timeoutSeconds: trialTimeout, space: space,
                                        workDirectory: URL(fileURLWithPath: workDirectory), objective: objective)
        }
        throw ValidationError(text.isEmpty
            ? "space '\(space.name)' has no network: pass --evaluator table:FILE (e.g. ../shared/benchmarks/nasbench201/cifar10-valid.csv)"
            : "--evaluator '\(text)' is not proxy, table:FILE or command:CMD")
    }
}

/// `--augment auto|on|off`.
enum AugmentChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, on, off
    /// nil: decided by the data (image folder: on, IDX: off).
    var value: Bool? { self == .auto ? nil : self == .on }
}

extension Direction: ExpressibleByArgument {}
