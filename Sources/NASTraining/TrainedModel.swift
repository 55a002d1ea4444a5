import Foundation

/// Writes a trained network's parameters as raw little-endian float32 in `parameters` order,
/// with a JSON index (name, count, offset) beside it.
public enum TrainedModel {
    public static func write(_ network: TrainingNetwork, weights path: String) throws {
        var data = Data()
        var index: [[String: Any]] = []
        var offset = 0
        for p in network.parameters {
            p.value.withUnsafeBytes { data.append(contentsOf: $0) }
            index.append(["name": p.name, "count": p.value.count, "offset": offset])
            offset += p.value.count
        }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        let json = try JSONSerialization.data(withJSONObject: ["format": "float32-le", "parameters": index], options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: path + ".json"), options: .atomic)
    }
}
