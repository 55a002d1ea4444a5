import Foundation
import NASEngine
import NASSpace
import NASTraining
import Testing
@testable import nasctl

@Suite struct ExportCommandTests {
    static func fixture() throws -> (dir: String, space: SearchSpace, arch: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-export-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let space = try SearchSpace.load(file: repositoryRoot.appendingPathComponent("Configs/mnasnet.yaml").path)
        var rng = SplitMix64(seed: 2)
        let arch = dir + "/arch.json"
        try Architecture.random(in: space, using: &rng).json(in: space).write(toFile: arch, atomically: true, encoding: .utf8)
        return (dir, space, arch)
    }

    /// Without weights: the space's own input and random weights.
    @Test func randomWeightsExportTheSpacesInput() throws {
        let (dir, space, arch) = try Self.fixture()
        let report = try ExportCommand.export(arch: arch, space: space, weights: nil, seed: 1, output: dir + "/m.onnx")
        #expect(report.input == [3, 224, 224] && report.classes == 1000 && !report.trained)
        #expect(report.nodes > 50 && report.bytes > 1_000_000)
        #expect(FileManager.default.fileExists(atPath: dir + "/m.onnx"))
        // An output that cannot be written is named.
        try "x".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
        #expect { try ExportCommand.export(arch: arch, space: space, weights: nil, seed: 1, output: dir + "/file/m.onnx") }
            throws: { "\($0)".contains("cannot write \(dir)/file/m.onnx") }
    }

    /// Weights carry their input and normalisation; weights without them, or for another
    /// architecture, are clear errors naming the file.
    @Test func weightsDecideTheInputAndBadOnesAreNamed() throws {
        let (dir, space, arch) = try Self.fixture()
        let architecture = try Architecture.load(file: arch, space: space)
        let adapted = try space.adapted(resolution: 28, channels: 1, classes: 10)
        let layers = try NetworkBuilder.layers(for: architecture, in: adapted)
        let network = TrainingNetwork(inputShape: layers[0].input, specs: layers.map(\.spec), seed: 1)
        let weights = dir + "/a.weights"
        try TrainedModel.write(network, to: weights, metadata: ["input": "28x28x1", "mean": "0.25", "std": "0.5",
                                                                  "class_names": "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\"]"])
        let report = try ExportCommand.export(arch: arch, space: space, weights: weights, seed: 1, output: dir + "/t.onnx")
        #expect(report.input == [1, 28, 28] && report.classes == 10 && report.trained)
        // --weights defaults to what `train --arch A.json` writes, A.weights; --random-weights opts out.
        #expect(try ExportCommand.parse(["--arch", arch, "--output", dir + "/d.onnx"]).resolvedWeights == nil)
        try FileManager.default.copyItem(atPath: weights, toPath: dir + "/arch.weights")
        try FileManager.default.copyItem(atPath: weights + ".json", toPath: dir + "/arch.weights.json")
        #expect(try ExportCommand.parse(["--arch", arch, "--output", dir + "/d.onnx"]).resolvedWeights == dir + "/arch.weights")
        #expect(try ExportCommand.parse(["--arch", arch, "--output", dir + "/d.onnx", "--random-weights"]).resolvedWeights == nil)
        #expect(throws: (any Error).self) { try ExportCommand.parse(["--arch", arch, "--output", "o", "--random-weights", "--weights", weights]) }

        try TrainedModel.write(network, to: dir + "/old.weights", metadata: [:])
        #expect { try ExportCommand.export(arch: arch, space: space, weights: dir + "/old.weights", seed: 1, output: dir + "/o.onnx") }
            throws: { "\($0)".contains("old.weights.json: metadata 'input' is ''") }
        try TrainedModel.write(network, to: dir + "/bad.weights", metadata: ["input": "28x28x1", "mean": "0.25", "std": "0,1"])
        #expect { try ExportCommand.export(arch: arch, space: space, weights: dir + "/bad.weights", seed: 1, output: dir + "/b.onnx") }
            throws: { "\($0)".contains("metadata 'std' must hold 1 numbers") }
        // Weights of another architecture do not fit its tensors.
        var rng = SplitMix64(seed: 9)
        let other = dir + "/other.json"
        try Architecture.random(in: space, using: &rng).json(in: space).write(toFile: other, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try ExportCommand.export(arch: other, space: space, weights: weights, seed: 1, output: dir + "/x.onnx") }
    }
}
