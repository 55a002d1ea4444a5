import Foundation
import NASEngine
import NASSpace
import NASTraining

/// `--evaluator proxy` (the default for network spaces): trains each candidate briefly on a
/// subset of the training split and scores it on a held-out validation split carved from the
/// training set. The test files are never read.
///
/// Budget from the space's `proxy:` section: `train_images` images for `epochs` epochs at
/// `batch_size`, peak `learning_rate` after `warmup_epochs` of linear warm-up, gradient norm
/// clipped at `clip_norm` (and each weight's gradient relative to the weight at
/// `adaptive_clip`), accuracy on `validation_images`. The candidate's initial weights are seeded from its key, so one
/// architecture always scores the same.
public struct ProxyEvaluator: Evaluator {
    public let space: SearchSpace
    public let budget: ProxyBudget
    public let dataDirectory: String
    /// The epochs the learning-rate schedule spans: the highest fidelity it evaluates at.
    public let scheduleEpochs: Double
    /// How a scheduler's lower rungs are trained: stopped partway through the one schedule over
    /// `scheduleEpochs` (`whole`: a promoted trial continues from its checkpoint), from scratch
    /// under a complete schedule of the rung's own epochs (`per-rung`: no continuation; more
    /// training per promotion), or the one schedule over `scheduleEpochs` with a warm restart
    /// at each rung (`restart`: every rung's result is annealed, and a promoted trial continues
    /// the same run from its checkpoint). Benchmarks/README.md compares how they rank.
    public enum RungSchedule: String, Sendable, CaseIterable {
        case whole, perRung = "per-rung", restart
    }
    public let rungSchedule: RungSchedule
    /// `restart` only: the epochs (inside the schedule) where the cosine restarts, the
    /// scheduler's rungs below the top; empty otherwise.
    public let restartEpochs: [Double]
    let train: ImageDataset
    let validation: ImageDataset
    let adapted: SearchSpace

    public var name: String {
        "proxy:\(dataDirectory) epochs=\(budget.epochs) train=\(budget.trainImages) validation=\(budget.validationImages) batch=\(budget.batchSize) lr=\(budget.learningRate) clip=\(budget.clipNorm) warmup=\(budget.warmupEpochs) agc=\(budget.adaptiveClip)"
            + (budget.geometry == .asDesigned ? "" : " geometry=\(budget.geometry.rawValue)")
            + (scheduleEpochs == budget.epochs ? "" : " schedule=\(scheduleEpochs.shortText)")
            + (rungSchedule == .whole ? "" : " rung-schedule=\(rungSchedule.rawValue)")
            + (restartEpochs.isEmpty ? "" : " restarts=\(restartEpochs.map(\.shortText).joined(separator: ","))")
            + (imageSide.map { " image=\($0)" } ?? "")
            + (augmentation.map { " augment=crop\($0.padding)\($0.flip ? "+flip" : "")" } ?? "")
    }
    /// The side image-folder images are scaled to, when chosen.
    public let imageSide: Int?
    /// Crops and flips while training (nil: none).
    public let augmentation: Augmentation?

    /// `scheduleEpochs`: the epochs the schedule spans (nil: the budget's `epochs`).
    /// `rungSchedule`: how a fidelity below `scheduleEpochs` is trained; `rungEpochs`: the
    /// scheduler's rungs, where `restart` restarts the cosine (those inside the schedule).
    /// `imageSide`: the side an image folder's images are scaled to (nil: its default; IDX
    /// data keeps its own size).
    /// `augment`: random crops and flips while training (nil: on for image folders, off for IDX).
    public init(space: SearchSpace, budget: ProxyBudget, dataDirectory: String, seed: UInt64 = 1, scheduleEpochs: Double? = nil,
                rungSchedule: RungSchedule = .whole, rungEpochs: [Double] = [], imageSide: Int? = nil, augment: Bool? = nil) throws {
        guard space.network != nil else {
            throw SearchError.badEvaluator("the proxy evaluator trains networks; space '\(space.name)' is categorical (use table:FILE)")
        }
        // Parallelism comes from the search's workers, one candidate each: OpenBLAS's own threads
        // would only fight them (its idle threads spin in sched_yield).
        ExecutionContext.setOpenBLASThreads(1)
        let all = try ImageDataset.load(.train, directory: dataDirectory, imageSide: imageSide)
        let held = min(budget.validationImages, all.count / 2)
        let (rest, validation) = all.split(validationCount: held, seed: seed)
        var order = Array(0..<rest.count)
        var rng = SplitMix64(seed: seed &+ 1)
        order.shuffle(using: &rng)
        let subset = rest.subset(Array(order.prefix(min(budget.trainImages, rest.count))))
        let (mean, std) = subset.statistics
        self.train = subset.normalised(mean: mean, std: std)
        self.validation = validation.normalised(mean: mean, std: std)
        self.space = space
        self.budget = budget
        self.dataDirectory = dataDirectory
        self.scheduleEpochs = scheduleEpochs ?? budget.epochs
        self.rungSchedule = rungSchedule
        let span = self.scheduleEpochs
        self.restartEpochs = rungSchedule == .restart ? Array(Set(rungEpochs.filter { $0 > 0 && $0 < span * (1 - 1e-9) })).sorted() : []
        self.imageSide = imageSide
        self.augmentation = augment ?? ImageFolder.isImageFolder(dataDirectory) ? Augmentation.standard(side: all.height) : nil
        self.adapted = try space.adapted(resolution: all.height, channels: all.channels, classes: all.classes, geometry: budget.geometry)
    }

    /// What one proxy training gave: validation accuracy (the search's score), validation
    /// cross-entropy (nats per image) and the mean training loss over the last epoch's steps.
    public struct Scores: Sendable, Equatable, Codable {
        public var validationAccuracy: Double
        public var validationLoss: Double
        public var trainingLoss: Double
        /// The epoch training continued from (a checkpoint's), nil when it started afresh.
        public var continuedFromEpoch: Double? = nil
    }

    /// The network the proxy trains for `arch` (the space adapted to the data's resolution,
    /// channels and classes), not the deployment network latency describes.
    public func proxyLayers(_ arch: Architecture) throws -> [BuiltLayer] {
        try NetworkBuilder.layers(for: arch, in: adapted)
    }

    /// The layers of the deployment network (its latency) and of the proxy network (its
    /// accuracy), one signature each: architectures that differ only in decisions no layer
    /// takes are one network. nil when `arch` does not build. - Complexity: O(layers).
    public func networkIdentity(of arch: Architecture) -> String? {
        guard let deployed = try? NetworkBuilder.layers(for: arch, in: space), let proxy = try? proxyLayers(arch) else { return nil }
        return (deployed.map(\.signature) + ["proxy"] + proxy.map(\.signature)).joined(separator: ";")
    }

    /// Trains `arch` on the proxy budget and scores it on the validation split.
    public func scores(_ arch: Architecture) throws -> Scores {
        try scores(arch, shouldStop: { false })!
    }

    /// Trains `arch` to `epochs` of the schedule (nil: all of it), continuing from the
    /// checkpoint in `checkpointDirectory` when there is one of this architecture and evaluator
    /// at or below that point, and scores it on the validation split; nil when `shouldStop`
    /// ended the training early. Below the end of the schedule the state is saved there.
    public func scores(_ arch: Architecture, epochs: Double? = nil, checkpointDirectory: String? = nil,
                       shouldStop: () -> Bool) throws -> Scores? {
        try scores(arch, settings: trainingSettings(for: arch), epochs: epochs, checkpointDirectory: checkpointDirectory, shouldStop: shouldStop)
    }

    /// The settings the proxy trains `arch` with: the budget's, over a schedule of `epochs`
    /// (nil: the whole schedule), seeded from the architecture's key.
    /// Under `restart` the whole schedule restarts at `restartEpochs`, and the warm-up is capped
    /// by the first segment as a per-rung schedule of the first rung caps it, so the first
    /// rung's result is exactly that of `per-rung`.
    public func trainingSettings(for arch: Architecture, epochs: Double? = nil) -> TrainingSettings {
        let span = epochs ?? scheduleEpochs
        let restarts = epochs == nil && !restartEpochs.isEmpty ? restartEpochs : nil
        return TrainingSettings(epochs: span, batchSize: budget.batchSize, learningRate: budget.learningRate,
                                warmupEpochs: min(budget.warmupEpochs, (restarts?.first ?? span) / 4), gradientClipNorm: budget.clipNorm,
                                adaptiveClip: budget.adaptiveClip, augmentation: augmentation, seed: Digest.fnv1a64(arch.key(in: space)),
                                restartEpochs: restarts)
    }

    /// As `scores(_:epochs:checkpointDirectory:shouldStop:)` with other training settings (a
    /// training-settings search): the schedule spans `settings.epochs`; a checkpoint is only
    /// continued under the same settings.
    public func scores(_ arch: Architecture, settings: TrainingSettings, epochs: Double? = nil, checkpointDirectory: String? = nil,
                       shouldStop: () -> Bool) throws -> Scores? {
        let layers = try NetworkBuilder.layers(for: arch, in: adapted)
        let network = TrainingNetwork(inputShape: layers[0].input, specs: layers.map(\.spec), seed: settings.seed)
        let perEpoch = Trainer.stepsPerEpoch(train, settings: settings)
        let totalSteps = max(1, Int((settings.epochs * Double(perEpoch)).rounded()))
        let stopStep = min(totalSteps, max(1, Int(((epochs ?? settings.epochs) * Double(perEpoch)).rounded())))
        var identity = ["arch": arch.key(in: space), "evaluator": name]
        if settings != trainingSettings(for: arch) {
            identity["settings"] = String(decoding: (try? JSONEncoder().encode(settings)) ?? Data(), as: UTF8.self)
        }
        let checkpoint = checkpointDirectory.map { ($0 as NSString).appendingPathComponent("proxy.weights") }
        var startStep = 0
        if let checkpoint, FileManager.default.fileExists(atPath: checkpoint + ".json"),
           let index = try? TrainedModel.index(at: checkpoint), index.metadata["arch"] == identity["arch"],
           index.metadata["evaluator"] == identity["evaluator"], index.metadata["settings"] == identity["settings"], let step = index.metadata["step"].flatMap(Int.init), step <= stopStep,
           (try? TrainedModel.read(into: network, from: checkpoint, optimizerState: true)) != nil {
            startStep = step  // anything else (another architecture, a damaged file) trains from the start
        }
        let trained = Trainer.train(network, on: train, settings: settings, startStep: startStep, stopStep: stopStep, shouldStop: shouldStop)
        if trained.stopped { return nil }
        if let checkpointDirectory, let checkpoint, stopStep < totalSteps {
            try FileManager.default.createDirectory(atPath: checkpointDirectory, withIntermediateDirectories: true)
            try TrainedModel.write(network, to: checkpoint, optimizerState: true, metadata: identity.merging(["step": "\(stopStep)"]) { a, _ in a })
        }
        let (accuracy, loss) = Trainer.score(network, on: validation)
        return Scores(validationAccuracy: accuracy, validationLoss: loss, trainingLoss: trained.finalLoss,
                      continuedFromEpoch: startStep > 0 ? Double(startStep) / Double(perEpoch) : nil)
    }

    /// Trains to the requested fidelity (nil: the whole schedule); the fidelity reported is
    /// the epochs reached. Per-rung schedules train each fidelity from scratch; `whole` and
    /// `restart` continue from the trial's checkpoint.
    public func evaluate(_ request: EvaluationRequest) -> Evaluation {
        let epochs = request.fidelity?.value ?? scheduleEpochs
        guard epochs > 0, epochs <= scheduleEpochs * (1 + 1e-9) else {
            return .failure("the proxy's schedule spans \(scheduleEpochs.shortText) epochs; it cannot train to fidelity \(epochs)")
        }
        do {
            let run: Scores?
            if rungSchedule == .perRung {
                // From scratch, annealed over the rung's own epochs; nothing to continue from or save.
                run = try scores(request.arch, settings: trainingSettings(for: request.arch, epochs: epochs), checkpointDirectory: nil,
                                 shouldStop: request.shouldStop)
            } else {
                run = try scores(request.arch, epochs: epochs, checkpointDirectory: request.checkpointDirectory, shouldStop: request.shouldStop)
            }
            guard let scores = run else { return .interrupted }
            return .success(accuracy: scores.validationAccuracy, latencyMs: nil, fidelity: Fidelity(epochs))
        } catch {
            return .failure("proxy: \(error)")
        }
    }
}
