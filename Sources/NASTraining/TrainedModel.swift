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

    /// One tensor of the file: a parameter's values or momentum, or a buffer.
    enum Slot {
        case parameter(Parameter), velocity(Parameter), buffer(Buffer)

        var name: String {
            switch self { case .parameter(let p), .velocity(let p): p.name; case .buffer(let b): b.name }
        }
        var kind: String {
            switch self { case .parameter: "parameter"; case .velocity: "velocity"; case .buffer: "buffer" }
        }
        var values: [Float] {
            get { switch self { case .parameter(let p): p.value; case .velocity(let p): p.velocity; case .buffer(let b): b.value } }
            nonmutating set {
                switch self { case .parameter(let p): p.value = newValue; case .velocity(let p): p.velocity = newValue; case .buffer(let b): b.value = newValue }
            }
        }
    }

    static func slots(of network: TrainingNetwork, optimizerState: Bool) -> [Slot] {
        network.parameters.map(Slot.parameter) + network.body.buffers.map(Slot.buffer)
            + (optimizerState ? network.parameters.map(Slot.velocity) : [])
    }

    /// Writes the data file, then its index (each atomically).
    public static func write(_ network: TrainingNetwork, to path: String, optimizerState: Bool = false,
                             metadata: [String: String] = [:]) throws {
        var data = Data()
        var index: [Index.Tensor] = []
        var offset = 0
        for slot in slots(of: network, optimizerState: optimizerState) {
            let values = slot.values
            values.withUnsafeBytes { data.append(contentsOf: $0) }
            index.append(Index.Tensor(name: slot.name, kind: slot.kind, count: values.count, offset: offset))
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
        return try index(json: json, source: path + ".json")
    }

    /// Parses an index's JSON text (`source` names it in errors).
    public static func index(json: Data, source: String) throws -> Index {
        do {
            return try JSONDecoder().decode(Index.self, from: json)
        } catch {
            throw DataError(file: source, problem: "not a nasctl weights index (\(error))")
        }
    }

    /// Loads `path` into `network`, which must have the same tensors in the same order;
    /// returns the index's metadata. Nothing is changed when the files do not fit.
    @discardableResult
    public static func read(into network: TrainingNetwork, from path: String, optimizerState: Bool = false) throws -> [String: String] {
        let index = try index(at: path)
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, problem: "no such file or not readable") }
        return try read(into: network, index: index, data: data, path: path, optimizerState: optimizerState)
    }

    /// `read(into:from:)` on an index and data already in memory (`path` names them in errors).
    @discardableResult
    public static func read(into network: TrainingNetwork, index: Index, data: Data, path: String, optimizerState: Bool = false) throws -> [String: String] {
        guard String(Digest.fnv1a64(bytes: data), radix: 16) == index.digest else {
            throw DataError(file: path, problem: "does not match the digest in \(path).json (a write was interrupted?)")
        }
        let expected = slots(of: network, optimizerState: optimizerState)
        guard index.tensors.count == expected.count else {
            throw DataError(file: path + ".json", problem: "has \(index.tensors.count) tensors, the network needs \(expected.count)")
        }
        var values: [[Float]] = []
        for (i, (tensor, want)) in zip(index.tensors, expected).enumerated() {
            let count = want.values.count
            guard tensor.name == want.name, tensor.kind == want.kind, tensor.count == count else {
                throw DataError(file: path + ".json", problem: "tensor \(i) is \(tensor.kind) '\(tensor.name)' [\(tensor.count)], the network has \(want.kind) '\(want.name)' [\(count)]")
            }
            let floats = data.count / 4
            guard tensor.offset >= 0, tensor.offset <= floats, tensor.count <= floats - tensor.offset else {
                throw DataError(file: path + ".json", problem: "tensor \(i) '\(tensor.name)': offset \(tensor.offset) and count \(tensor.count) do not fit the \(floats) floats of \(path) (allowed: 0 <= offset, offset + count <= \(floats))")
            }
            values.append(data.withUnsafeBytes { raw in
                Array(raw.bindMemory(to: Float.self)[tensor.offset..<(tensor.offset + tensor.count)])
            })
        }
        for (value, slot) in zip(values, expected) { slot.values = value }
        return index.metadata
    }
}
