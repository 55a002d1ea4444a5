import ArgumentParser
import Foundation
import NASEngine
import NASExport
import NASSpace
import NASTraining

/// `nasctl export`: an architecture (with trained weights) as an ONNX model.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an architecture as an ONNX model (opset 17), with its trained weights.",
        discussion: """
        The graph is the network the engine runs: batch norm folded into the convolutions. One \
        input named `input`, NCHW float32 [N, C, H, W], taking pixel values in [0, 1] (the \
        training split's normalisation is inside the graph), and one output `logits` [N, classes]. \
        The weights default to what `nasctl train --arch A` wrote next to the architecture \
        (A without .json, plus .weights); the resolution, channels, class names and \
        normalisation come from their metadata. With --random-weights (or when no weights \
        file exists) the space's own input and random weights are exported, for latency \
        studies in other runtimes.
        """
    )

    @Option(help: "Architecture JSON ({\"space\": NAME, \"decisions\": {...}}).")
    var arch: String

    @OptionGroup var spaceOptions: SpaceOptions

    @Option(help: "Trained weights (PATH with PATH.json beside it), as `nasctl train` writes them (default: the architecture's path with .weights for .json, when that file exists).")
    var weights: String?

    @Flag(help: "Export random weights and the space's own input even if trained weights exist.")
    var randomWeights = false

    @Option(help: "Where to write the model.")
    var output: String

    @Option(help: "Seed of the random weights when there are no --weights.")
    var seed: UInt64 = 1

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    struct Report: Encodable {
        var model: String
        var input: [Int]
        var classes: Int
        var nodes: Int
        var parameters: Int
        var trained: Bool
        var bytes: Int
    }

    /// The export of `arch` (with `weights`), as model bytes and its report.
    static func export(arch: String, space: SearchSpace, weights: String?, seed: UInt64, output: String) throws -> Report {
        let architecture = try Architecture.load(file: arch, space: space)
        guard let network = space.network else {
            throw ValidationError("space '\(space.name)' is categorical: only network spaces have a network to export")
        }
        var resolution = network.resolution, channels = network.inputChannels, classes = network.classes
        var mean = [Float](repeating: 0, count: channels), std = [Float](repeating: 1, count: channels)
        var classNames: [String] = []
        var metadata = ["architecture": architecture.key(in: space), "space": space.name]
        if let weights {
            let info = try TrainedWeights(path: weights)
            resolution = info.resolution; channels = info.channels; classes = info.classes
            mean = info.mean; std = info.std; classNames = info.classNames
            metadata["weights"] = weights
            if let accuracy = info.metadata["test_accuracy"] { metadata["test_accuracy"] = accuracy }
        }
        let adapted = try space.adapted(resolution: resolution, channels: channels, classes: classes)
        let layers = try NetworkBuilder.layers(for: architecture, in: adapted)
        let trainable = TrainingNetwork(inputShape: layers[0].input, specs: layers.map(\.spec), seed: seed)
        if let weights { _ = try TrainedModel.read(into: trainable, from: weights) }
        let exporter = ONNXExporter(inputShape: layers[0].input, mean: mean, std: std, classNames: classNames, metadata: metadata)
        let model = try exporter.model(of: trainable)
        let data = try model.serializedData()
        try writeOutput(data, to: output)
        return Report(model: output, input: [channels, resolution, resolution], classes: trainable.classes, nodes: model.graph.node.count,
                      parameters: trainable.parameterCount, trained: weights != nil, bytes: data.count)
    }

    func validate() throws {
        guard !(randomWeights && weights != nil) else { throw ValidationError("give --weights or --random-weights, not both.") }
    }

    /// The weights to export: `--weights`, else the file `train` writes next to the architecture.
    var resolvedWeights: String? {
        if randomWeights { return nil }
        if let weights { return weights }
        let beside = (arch as NSString).deletingPathExtension + ".weights"
        return FileManager.default.fileExists(atPath: beside) ? beside : nil
    }

    func run() throws {
        let chosen = resolvedWeights
        if chosen == nil && !randomWeights && !json {
            FileHandle.standardError.write(Data("note: no weights given and none next to \(arch): exporting random weights at the space's input\n".utf8))
        }
        let report = try Self.export(arch: arch, space: try spaceOptions.load(), weights: chosen, seed: seed, output: output)
        if json {
            try printJSON(report)
        } else {
            print("wrote \(report.model): \(report.nodes) nodes, input [N, \(report.input.map(String.init).joined(separator: ", "))], \(report.classes) classes, \(report.trained ? "trained" : "random") weights, \(report.bytes) bytes")
        }
    }
}

/// Writes a command's output file (its folder made if missing); a failure names the file.
func writeOutput(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    } catch {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error
        let reason = (underlying ?? error).localizedDescription
        throw ValidationError("cannot write \(path): \(reason)")
    }
}
