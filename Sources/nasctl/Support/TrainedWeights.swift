import ArgumentParser
import Foundation
import NASEngine
import NASSpace
import NASTraining

/// What a weights file's index says about the network it holds (as `nasctl train` writes
/// it): the input it was trained on, the normalisation of its training split, class names.
struct TrainedWeights {
    var path: String
    var resolution: Int
    var channels: Int
    var classes: Int
    var mean: [Float]
    var std: [Float]
    var classNames: [String]
    var metadata: [String: String]

    /// Reads `PATH.json`; errors name the file and the field.
    init(path: String) throws {
        let index = try TrainedModel.index(at: path)
        let m = index.metadata
        self.path = path
        metadata = m
        let input = (m["input"] ?? "").split(separator: "x").compactMap { Int($0) }
        guard input.count == 3, input[0] == input[1], input[0] >= 1, input[2] >= 1 else {
            throw ValidationError("\(path).json: metadata 'input' is '\(m["input"] ?? "")', not HxWxC of a square image (weights written by an older nasctl: retrain with `nasctl train`)")
        }
        resolution = input[0]; channels = input[2]
        func floats(_ key: String, count: Int) throws -> [Float] {
            let values = (m[key] ?? "").split(separator: ",").compactMap { Float($0) }
            guard values.count == count, values.allSatisfy(\.isFinite) else {
                throw ValidationError("\(path).json: metadata '\(key)' must hold \(count) numbers, one per channel (got '\(m[key] ?? "")')")
            }
            return values
        }
        mean = try floats("mean", count: input[2]); std = try floats("std", count: input[2])
        guard std.allSatisfy({ $0 > 0 }) else { throw ValidationError("\(path).json: metadata 'std' has a value that is not positive") }
        classNames = []
        if let json = m["class_names"] {
            guard let names = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else {
                throw ValidationError("\(path).json: metadata 'class_names' is not a JSON list of names")
            }
            classNames = names
        }
        // The classifier's bias is the last parameter: its size is the class count.
        guard let last = index.tensors.last(where: { $0.kind == "parameter" }) else { throw ValidationError("\(path).json: no parameters") }
        classes = classNames.isEmpty ? last.count : classNames.count
    }

    /// The architecture's training network with these weights loaded (sizes checked).
    func network(for architecture: Architecture, in space: SearchSpace) throws -> (TrainingNetwork, [BuiltLayer]) {
        let adapted = try space.adapted(resolution: resolution, channels: channels, classes: classes)
        let layers = try NetworkBuilder.layers(for: architecture, in: adapted)
        let network = TrainingNetwork(inputShape: layers[0].input, specs: layers.map(\.spec), seed: 1)
        _ = try TrainedModel.read(into: network, from: path)
        return (network, layers)
    }
}
