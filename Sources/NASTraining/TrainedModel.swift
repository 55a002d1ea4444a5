import Foundation
import NASEngine

/// A trained network on disk: raw little-endian float32 tensors in a fixed order (every
/// parameter's values, then every buffer such as batch norm's running statistics, then, in a
/// checkpoint, every parameter's momentum), with a JSON index beside it (`PATH.json`: name,
/// kind, count and offset of each tensor, a digest of the data, and the caller's metadata).
///
/// `numpy.fromfile(PATH, "<f4")` reads the data; the index says where each tensor starts.
public enum TrainedModel {
    public struct Index: Codable, Sendable {
        public struct Tensor: Codable, Sendable {
            public var name: String
            /// "parameter", "buffer" or "velocity".
            public var kind: String
            public var count: Int
            public var offset: Int
        }
        public var format = "float32-le"
        /// FNV-1a of the data file, hex: a half-written pair of files is detected.
        public var digest: String
        public var tensors: [Tensor]
        /// Free-form facts for the reader (a checkpoint's step and settings).
        public var metadata: [String: String]
    }

    static func tensors(of network: TrainingNetwork, optimizerState: Bool) -> [(String, String, ReferenceWritableKeyPath<Parameter, [Float]>?, Buffer?, Parameter?)] {
        var list: [(String, String, ReferenceWritableKeyPath<Parameter, [Float]>?, Buffer?, Parameter?)] = []
        for p in network.parameters { list.append((p.name, "parameter", \Parameter.value, nil, p)) }
        for b in network.body.buffers { list.append((b.name, "buffer", nil, b, nil)) }
        if optimizerState { for p in network.parameters { list.append((p.name, "velocity", \Parameter.velocity, nil, p)) } }
        return list
    }

    /// Writes the data file, then its index (each atomically).
    public static func write(_ network: TrainingNetwork, to path: String, optimizerState: Bool = false,
                             metadata: [String: String] = [:]) throws {
        var data = Data()
        var index: [Index.Tensor] = []
        var offset = 0
        for (name, kind, keyPath, buffer, parameter) in tensors(of: network, optimizerState: optimizerState) {
            let values = buffer?.value ?? parameter![keyPath: keyPath!]
            values.withUnsafeBytes { data.append(contentsOf: $0) }
            index.append(Index.Tensor(name: name, kind: kind, count: values.count, offset: offset))
            offset += values.count
        }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(Index(digest: String(Digest.fnv1a64(bytes: data), radix: 16), tensors: index, metadata: metadata))
        try json.write(to: URL(fileURLWithPath: path + ".json"), options: .atomic)
    }

    /// The index of `path` (reads `PATH.json`).
    public static func index(at path: String) throws -> Index {
        guard let json = FileManager.default.contents(atPath: path + ".json") else {
            throw DataError(file: path + ".json", problem: "no such file or not readable")
        }
        do {
            return try JSONDecoder().decode(Index.self, from: json)
        } catch {
            throw DataError(file: path + ".json", problem: "not a nasctl weights index (\(error))")
        }
    }

    /// Loads `path` into `network`, which must have the same tensors in the same order;
    /// returns the index's metadata. Nothing is changed when the files do not fit.
    @discardableResult
    public static func read(into network: TrainingNetwork, from path: String, optimizerState: Bool = false) throws -> [String: String] {
        let index = try index(at: path)
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, problem: "no such file or not readable") }
        guard String(Digest.fnv1a64(bytes: data), radix: 16) == index.digest else {
            throw DataError(file: path, problem: "does not match the digest in \(path).json (a write was interrupted?)")
        }
        let expected = tensors(of: network, optimizerState: optimizerState)
        guard index.tensors.count == expected.count else {
            throw DataError(file: path + ".json", problem: "has \(index.tensors.count) tensors, the network needs \(expected.count)")
        }
        var values: [[Float]] = []
        for (i, (tensor, want)) in zip(index.tensors, expected).enumerated() {
            let count = want.3?.value.count ?? want.4![keyPath: want.2!].count
            guard tensor.name == want.0, tensor.kind == want.1, tensor.count == count else {
                throw DataError(file: path + ".json", problem: "tensor \(i) is \(tensor.kind) '\(tensor.name)' [\(tensor.count)], the network has \(want.1) '\(want.0)' [\(count)]")
            }
            guard (tensor.offset + tensor.count) * 4 <= data.count else {
                throw DataError(file: path, problem: "is \(data.count) bytes, too short for tensor \(i) '\(tensor.name)'")
            }
            values.append(data.withUnsafeBytes { raw in
                Array(raw.bindMemory(to: Float.self)[tensor.offset..<(tensor.offset + tensor.count)])
            })
        }
        for (value, want) in zip(values, expected) {
            if let buffer = want.3 { buffer.value = value } else { want.4![keyPath: want.2!] = value }
        }
        return index.metadata
    }
}
