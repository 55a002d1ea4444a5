import ArgumentParser
import Foundation
import NASEngine
import NASSpace
import NASTraining

/// `nasctl train`: full training of one architecture, then test-set accuracy.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an architecture on the whole training set and report test accuracy.",
        discussion: """
        Builds the architecture at the data's resolution, channels and class count (a space \
        designed for 224x224x3 runs at 28x28x1), trains it with SGD (momentum 0.9, weight decay \
        on weights only, warm-up then cosine learning rate, label smoothing 0.1, gradient norm \
        clipped at 2, residual blocks starting as the identity), then measures \
        top-1 accuracy on the test set. Writes ARCH.weights (float32 parameters and batch-norm \
        statistics) with a JSON index and ARCH.metrics.json next to the architecture file. After \
        every epoch a checkpoint (ARCH.checkpoint: weights, momentum, statistics) is saved; the \
        same command after a crash continues from it, exactly, and it is removed at the end.
        """
    )

    @Option(help: "Architecture JSON.")
    var arch: String

    @OptionGroup var spaceOptions: SpaceOptions

    @Option(help: "Training epochs.")
    var epochs: Double = 10

    @Option(help: "Mini-batch size.")
    var batchSize: Int = 128

    @Option(help: "Peak learning rate.")
    var learningRate: Double = 0.1

    @Option(help: "Epochs of linear learning-rate warm-up before the cosine decay.")
    var warmupEpochs: Double = 0.5

    @Option(help: "Clip the gradient's global L2 norm to this value (0: no clipping).")
    var clipNorm: Double = 2

    @Option(help: "Adaptive gradient clipping: cap each convolution and linear weight's gradient norm at this times the weight's norm (0: off).")
    var adaptiveClip: Double = 0

    @Option(help: "Directory with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz], or an image folder DIR/{train,test}/CLASS/*.png|jpg (default: Debian's dataset-fashion-mnist).")
    var data: String = ImageDataset.fashionMNISTDirectory

    @Option(help: "Random crops (padding an eighth of the side) and horizontal flips while training: auto (on for image folders, off for IDX), on or off.")
    var augment: AugmentChoice = .auto

    @Option(help: "Side in pixels an image folder's images are scaled and centre-cropped to (default: the first training image's shorter side, at most 64).")
    var imageSize: Int?

    @Option(help: "Seed for initialisation and shuffling.")
    var seed: UInt64 = 1

    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "Start over even when a checkpoint of this same run exists (ARCH.checkpoint).")
    var restart = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs must be positive (got \(epochs)).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive.") }
        guard warmupEpochs >= 0 && warmupEpochs < epochs else { throw ValidationError("--warmup-epochs must be at least 0 and less than --epochs (got \(warmupEpochs)).") }
        guard clipNorm >= 0 else { throw ValidationError("--clip-norm must be 0 (off) or positive (got \(clipNorm)).") }
        guard adaptiveClip >= 0 else { throw ValidationError("--adaptive-clip must be 0 (off) or positive (got \(adaptiveClip)).") }
        if let imageSize, !(1...ImageDataset.maximumSide).contains(imageSize) {
            throw ValidationError("--image-size must be 1 to \(ImageDataset.maximumSide) pixels (got \(imageSize)).")
        }
    }

    struct Report: Codable {
        var arch: String
        var epochs: Double
        var train_accuracy: Double
        var test_accuracy: Double
        var final_loss: Double
        var seconds: Double
        var images_per_second: Double
        var parameters: Int
        /// Forward multiply-adds per image at the data's resolution.
        var macs_per_image: Int
        /// Training FLOP/s counting forward + backward as 3 forward passes (2 FLOPs per MAC).
        var training_gflops: Double
        var weights: String
        /// Set when the run continued from a checkpoint (seconds and images/s cover the rest).
        var resumed_at_epoch: Double?
        var seed: UInt64?
        /// The run's identity (architecture, settings, training-set size), hex.
        var run: String?
    }

    /// Everything a run is made of before it trains: data, network, settings, where its
    /// checkpoint lives and the run's identity (a checkpoint of another run is not resumed).
    struct Plan {
        var space: SearchSpace
        var architecture: Architecture
        var layers: [BuiltLayer]
        var network: TrainingNetwork
        var train: ImageDataset
        var test: ImageDataset
        var settings: TrainingSettings
        var stem: String
        var checkpoint: String
        var run: String
        /// Per-channel normalisation of the training split (what a deployed model must apply).
        var mean: [Float]
        var std: [Float]
    }

    func plan() throws -> Plan {
        let space = try spaceOptions.load()
        let architecture = try Architecture.load(file: arch, space: space)
        ExecutionContext.setOpenBLASThreads(threadOptions.threads)
        let context = ExecutionContext(threads: threadOptions.threads)
        let rawTrain = try ImageDataset.load(.train, directory: data, imageSide: imageSize)
        let rawTest = try ImageDataset.load(.test, directory: data, imageSide: imageSize ?? (ImageFolder.isImageFolder(data) ? rawTrain.height : nil))
        let (mean, std) = rawTrain.statistics
        let train = rawTrain.normalised(mean: mean, std: std), test = rawTest.normalised(mean: mean, std: std)
        let adapted = try space.adapted(resolution: train.height, channels: train.channels, classes: train.classes)
        let layers = try NetworkBuilder.layers(for: architecture, in: adapted)
        let network = TrainingNetwork(inputShape: layers[0].input, specs: layers.map(\.spec), seed: seed, context: context)
        let settings = TrainingSettings(epochs: epochs, batchSize: batchSize, learningRate: learningRate,
                                        warmupEpochs: warmupEpochs, gradientClipNorm: clipNorm,
                                        adaptiveClip: adaptiveClip,
                                        augmentation: (augment.value ?? ImageFolder.isImageFolder(data)) ? Augmentation.standard(side: train.height) : nil,
                                        seed: seed)
        let stem = (arch as NSString).deletingPathExtension
        let run = try runIdentity(architecture.key(in: space), settings: settings, trainImages: train.count)
        return Plan(space: space, architecture: architecture, layers: layers, network: network, train: train, test: test,
                    settings: settings, stem: stem, checkpoint: stem + ".checkpoint", run: run, mean: mean, std: std)
    }

    func run() throws {
        let report = try train(progress: !json)
        if json {
            try printJSON(report)
        } else {
            print(String(format: "test accuracy %.4f (train %.4f) after %.2f epochs in %@, %.0f images/s, %.1f GFLOP/s",
                         report.test_accuracy, report.train_accuracy, epochs, ProgressLine.clock(report.seconds) as NSString,
                         report.images_per_second, report.training_gflops))
            print("weights: \(report.weights), metrics: \((arch as NSString).deletingPathExtension).metrics.json")
        }
    }

    /// Trains (continuing from this run's checkpoint when there is one), writes the weights and
    /// `ARCH.metrics.json`, and returns the metrics; `progress` shows a progress line on
    /// standard error.
    func train(progress: Bool) throws -> Report {
        let plan = try plan()
        let (space, architecture, layers, network) = (plan.space, plan.architecture, plan.layers, plan.network)
        let (train, test, settings, stem, checkpoint, run) = (plan.train, plan.test, plan.settings, plan.stem, plan.checkpoint, plan.run)
        let startStep = restart ? 0 : resumeStep(checkpoint: checkpoint, run: run, network: network)
        let stepsPerEpoch = Trainer.stepsPerEpoch(train, settings: settings)
        if progress {
            FileHandle.standardError.write(Data("training \(arch): \(network.parameterCount) parameters, \(train.count) images, \(epochs) epochs\n".utf8))
        }
        var bar = ProgressLine(label: "train", total: 1)
        var lastShown = -1.0
        var checkpointFailure: String?
        let result = Trainer.train(network, on: train, settings: settings, startStep: startStep) { p in
            guard progress else { return }
            if bar.total != p.totalSteps { bar = ProgressLine(label: "train", total: p.totalSteps) }
            if p.step == p.totalSteps || p.elapsedSeconds - lastShown >= 1 {
                lastShown = p.elapsedSeconds
                bar.update(done: p.step, elapsed: p.elapsedSeconds, eta: p.etaSeconds,
                           detail: String(format: "epoch %.2f loss %.4f acc %.3f %.0f img/s", p.epoch, p.loss, p.trainAccuracy, p.imagesPerSecond))
            }
        } epochEnd: { step in
            do {
                try TrainedModel.write(network, to: checkpoint, optimizerState: true, metadata: ["run": run, "step": String(step)])
            } catch {
                if checkpointFailure == nil { FileHandle.standardError.write(Data("\nwarning: cannot write checkpoint \(checkpoint): \(error)\n".utf8)) }
                checkpointFailure = "\(error)"
            }
        }
        let testAccuracy = Trainer.accuracy(network, on: test)
        let weights = stem + ".weights"
        var metadata = ["architecture": architecture.key(in: space), "test_accuracy": String(testAccuracy),
                        "input": "\(train.height)x\(train.width)x\(train.channels)", "mean": plan.mean.map { String($0) }.joined(separator: ","),
                        "std": plan.std.map { String($0) }.joined(separator: ",")]
        if !train.classNames.isEmpty,
           let names = try? JSONEncoder().encode(train.classNames) { metadata["class_names"] = String(decoding: names, as: UTF8.self) }
        try TrainedModel.write(network, to: weights, metadata: metadata)
        for file in [checkpoint, checkpoint + ".json"] { try? FileManager.default.removeItem(atPath: file) }
        let report = Report(arch: arch, epochs: epochs, train_accuracy: result.trainAccuracy, test_accuracy: testAccuracy,
                            final_loss: result.finalLoss, seconds: result.seconds, images_per_second: result.imagesPerSecond,
                            parameters: network.parameterCount, macs_per_image: NetworkBuilder.cost(of: layers).macs,
                            training_gflops: 6 * Double(NetworkBuilder.cost(of: layers).macs) * result.imagesPerSecond / 1e9,
                            weights: weights, resumed_at_epoch: startStep > 0 ? Double(startStep) / Double(stepsPerEpoch) : nil,
                            seed: seed, run: run)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: stem + ".metrics.json"), options: .atomic)
        return report
    }

    /// What makes two runs the same run: architecture, settings and training-set size.
    func runIdentity(_ key: String, settings: TrainingSettings, trainImages: Int) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = key + String(decoding: try encoder.encode(settings), as: UTF8.self) + "\(trainImages)"
        return String(Digest.fnv1a64(text), radix: 16)
    }

    /// The step to continue from: a checkpoint of this same run restored into `network`, or 0
    /// (no checkpoint, another run's, or an unusable one; each said on standard error).
    func resumeStep(checkpoint: String, run: String, network: TrainingNetwork) -> Int {
        guard FileManager.default.fileExists(atPath: checkpoint + ".json") else { return 0 }
        do {
            let metadata = try TrainedModel.index(at: checkpoint).metadata
            guard metadata["run"] == run, let step = Int(metadata["step"] ?? "") else {
                FileHandle.standardError.write(Data("note: \(checkpoint) is from a run with other settings: starting over\n".utf8))
                return 0
            }
            try TrainedModel.read(into: network, from: checkpoint, optimizerState: true)
            FileHandle.standardError.write(Data("resuming from \(checkpoint) at step \(step) (--restart starts over)\n".utf8))
            return step
        } catch {
            FileHandle.standardError.write(Data("warning: ignoring \(checkpoint): \(error)\n".utf8))
            return 0
        }
    }
}
