import ArgumentParser
import Foundation
import NASEngine
import NASSpace
import NASTraining

/// `nasctl classify`: a trained model's logits and accuracy on a data set's images.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Run trained weights on a data set's images: top-1 accuracy, and the logits as a file.",
        discussion: """
        Normalises the images with the weights' own training statistics (as `train` did) and \
        runs the network in inference mode. --output writes the logits as raw little-endian \
        float32 [images x classes] (numpy.fromfile(PATH, "<f4")), for comparing a runtime's \
        predictions on an exported model image by image.
        """
    )

    @Option(help: "Architecture JSON ({\"space\": NAME, \"decisions\": {...}}).")
    var arch: String

    @OptionGroup var spaceOptions: SpaceOptions

    @Option(help: "Trained weights (PATH with PATH.json beside it).")
    var weights: String

    @Option(help: "Data: an IDX folder (Fashion-MNIST layout) or an image folder with train/ and test/.")
    var data: String = ImageDataset.fashionMNISTDirectory

    @Option(help: "Which split to classify: test or train.")
    var split: String = "test"

    @Option(help: "Write the logits here (raw float32).")
    var output: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    struct Report: Encodable {
        var images: Int
        var classes: Int
        var accuracy: Double
        var logits: String?
    }

    func run() throws {
        guard let which = ImageDataset.Split(rawValue: split) else { throw ValidationError("--split must be test or train (got '\(split)').") }
        let space = try spaceOptions.load()
        let architecture = try Architecture.load(file: arch, space: space)
        let info = try TrainedWeights(path: weights)
        let (network, _) = try info.network(for: architecture, in: space)
        let dataset = try ImageDataset.load(which, directory: data, imageSide: info.resolution).normalised(mean: info.mean, std: info.std)
        guard dataset.channels == info.channels else {
            throw ValidationError("\(data): images have \(dataset.channels) channel(s), the weights were trained on \(info.channels)")
        }
        var logits: [Float] = []
        logits.reserveCapacity(dataset.count * network.classes)
        var correct = 0, start = 0
        let size = dataset.valuesPerImage
        while start < dataset.count {
            let n = min(256, dataset.count - start)
            let batch = network.forward(Array(dataset.pixels[(start * size)..<((start + n) * size)]), batch: n, training: false)
            correct += Trainer.correctCount(batch, labels: Array(dataset.labels[start..<(start + n)]), classes: network.classes)
            logits += batch
            start += n
        }
        if let output { try writeOutput(logits.withUnsafeBufferPointer { Data(buffer: $0) }, to: output) }
        let report = Report(images: dataset.count, classes: network.classes, accuracy: Double(correct) / Double(max(dataset.count, 1)), logits: output)
        if json { try printJSON(report) } else {
            print(String(format: "%d images, top-1 accuracy %.4f%@", report.images, report.accuracy, output.map { ", logits in \($0)" as NSString } ?? ""))
        }
    }
}
