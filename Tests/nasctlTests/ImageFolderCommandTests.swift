import ArgumentParser
import Foundation
import NASEngine
import NASSpace
@testable import NASTraining
import Testing
@testable import nasctl

/// `nasctl train` and `nasctl evaluate` on an image folder of RGB PNGs.
@Suite struct ImageFolderCommandTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-images-\(UUID().uuidString)").path

    /// `count` 12x12 RGB images per class; class "red" is reddish, "teal" bluish-green.
    func writeFolder(split: String, count: Int, seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        for (name, colour) in [("red", [200, 40, 40]), ("teal", [30, 160, 170])] {
            let folder = "\(dir)/images/\(split)/\(name)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for i in 0..<count {
                let samples = (0..<(12 * 12)).flatMap { _ in colour.map { UInt8(max(0, min(255, $0 + Int(rng.next() % 60) - 30))) } }
                try PNG.encode(samples, width: 12, height: 12, channels: 3).write(to: URL(fileURLWithPath: "\(folder)/\(i).png"))
            }
        }
    }

    @Test func trainOnAnImageFolderKeepsClassNamesAndChannels() throws {
        try writeFolder(split: "train", count: 20, seed: 1)
        try writeFolder(split: "test", count: 5, seed: 2)
        let spaceFile = dir + "/micro.yaml"
        try """
        name: micro
        kind: network
        input: {resolution: 32, channels: 3}
        classes: 10
        stem: {filters: 8}
        head: {filters: 16}
        choices: {op: [mbconv3], kernel: [3], se: [0], skip: [none], width: [1.0], layers: [0]}
        blocks:
          - {filters: 8, layers: 1, stride: 2}
        """.write(toFile: spaceFile, atomically: true, encoding: .utf8)
        let space = try SpaceOptions.parse(["--space", spaceFile]).load()
        var rng = SplitMix64(seed: 1)
        let arch = dir + "/arch.json"
        try Architecture.random(in: space, using: &rng).json(in: space).write(toFile: arch, atomically: true, encoding: .utf8)
        let command = try TrainCommand.parse(["--arch", arch, "--space", spaceFile, "--data", dir + "/images", "--epochs", "2",
                                              "--batch-size", "10", "--image-size", "8"])
        let report = try command.train(progress: false)
        #expect(report.test_accuracy > 0.5, "two colours are easy: \(report.test_accuracy)")
        let metadata = try TrainedModel.index(at: report.weights).metadata
        #expect(metadata["class_names"] == #"["red","teal"]"# && metadata["input"] == "8x8x3")
        #expect(metadata["mean"]?.split(separator: ",").count == 3)
        #expect(throws: (any Error).self) { _ = try TrainCommand.parse(["--arch", arch, "--image-size", "0"]) }
    }
}
