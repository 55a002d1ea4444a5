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
        on weights only, warm-up then cosine learning rate, label smoothing 0.1), then measures \
        top-1 accuracy on the test set. Writes ARCH.weights (float32) with a JSON index and \
        ARCH.metrics.json next to the architecture file.
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

    @Option(help: "Directory with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] (default: Debian's dataset-fashion-mnist).")
    var data: String = ImageDataset.fashionMNISTDirectory

    @Option(help: "Seed for initialisation and shuffling.")
    var seed: UInt64 = 1

    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs must be positive (got \(epochs)).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive.") }
    }

    struct Report: Encodable {
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
    }

    func run() throws {
        let space = try spaceOptions.load()
        let architecture = try Architecture.load(file: arch, space: space)
        let context = ExecutionContext(threads: threadOptions.threads)
        let rawTrain = try ImageDataset.load(.train, directory: data)
        let rawTest = try ImageDataset.load(.test, directory: data)
        let (mean, std) = rawTrain.statistics
        let train = rawTrain.normalised(mean: mean, std: std), test = rawTest.normalised(mean: mean, std: std)
        let adapted = try space.adapted(resolution: train.height, channels: 1, classes: train.classes)
        let layers = try NetworkBuilder.layers(for: architecture, in: adapted)
        let network = TrainingNetwork(inputShape: layers[0].input, specs: layers.map(\.spec), seed: seed, context: context)
        let settings = TrainingSettings(epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: seed)
        if !json {
            FileHandle.standardError.write(Data("training \(arch): \(network.parameterCount) parameters, \(train.count) images, \(epochs) epochs\n".utf8))
        }
        var bar = ProgressLine(label: "train", total: 1)
        var lastShown = -1.0
        let result = Trainer.train(network, on: train, settings: settings) { p in
            if bar.total != p.totalSteps { bar = ProgressLine(label: "train", total: p.totalSteps) }
            if p.step == p.totalSteps || p.elapsedSeconds - lastShown >= 1 {
                lastShown = p.elapsedSeconds
                bar.update(done: p.step, elapsed: p.elapsedSeconds, eta: p.etaSeconds,
                           detail: String(format: "epoch %.2f loss %.4f acc %.3f %.0f img/s", p.epoch, p.loss, p.trainAccuracy, p.imagesPerSecond))
            }
        }
        let testAccuracy = Trainer.accuracy(network, on: test)
        let stem = (arch as NSString).deletingPathExtension
        let weights = stem + ".weights"
        try TrainedModel.write(network, weights: weights)
        let report = Report(arch: arch, epochs: epochs, train_accuracy: result.trainAccuracy, test_accuracy: testAccuracy,
                            final_loss: result.finalLoss, seconds: result.seconds, images_per_second: result.imagesPerSecond,
                            parameters: network.parameterCount, macs_per_image: NetworkBuilder.cost(of: layers).macs,
                            training_gflops: 6 * Double(NetworkBuilder.cost(of: layers).macs) * result.imagesPerSecond / 1e9,
                            weights: weights)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: stem + ".metrics.json"))
        if json {
            try printJSON(report)
        } else {
            print(String(format: "test accuracy %.4f (train %.4f) after %.2f epochs in %@, %.0f images/s, %.1f GFLOP/s",
                         testAccuracy, result.trainAccuracy, epochs, ProgressLine.clock(result.seconds) as NSString,
                         result.imagesPerSecond, report.training_gflops))
            print("weights: \(weights), metrics: \(stem).metrics.json")
        }
    }
}
