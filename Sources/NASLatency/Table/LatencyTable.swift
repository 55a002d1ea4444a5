import Foundation
import NASEngine
import NASSpace

/// Measured latency of every layer a search space can produce, on one device, with one engine
/// configuration: what `nasctl profile` writes and the predictor reads.
public struct LatencyTable: Codable, Sendable {
    public static let currentSchema = 1

    public struct Engine: Codable, Sendable, Equatable {
        public var threads: Int
        /// `release` or `debug` (a debug build's timings are meaningless).
        public var build: String
        /// GEMM backend (`native`, `openblas`) and OpenBLAS's kernel family.
        public var gemm: String
        public var blasCore: String
        /// How layers were timed in context.
        public var measurement: ProfileSettings
    }

    public struct Space: Codable, Sendable, Equatable {
        public var name: String
        public var digest: String
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var signature: String
        public var role: String
        /// Median time of this layer measured inside whole networks (over every context it
        /// was timed in), milliseconds.
        public var medianMs: Double
        /// Interquartile range across contexts over the median, in percent.
        public var spreadPct: Double
        /// Networks (contexts) the layer was timed in.
        public var contexts: Int
        /// The spread stayed above the target.
        public var noisy: Bool
        public var macs: Int
        /// Every context's time for this layer (milliseconds) and that context network's total
        /// multiply-adds, in the same order: the predictor fits the layer's time against the
        /// size of the network around it.
        public var samplesMs: [Double]
        public var contextMacs: [Int]

        enum CodingKeys: String, CodingKey {
            case signature, role, medianMs = "median_ms", spreadPct = "spread_pct", contexts, noisy, macs,
                 samplesMs = "samples_ms", contextMacs = "context_macs"
        }
    }

    public var schema: Int
    public var deviceID: String
    public var device: DeviceIdentity
    public var engine: Engine
    public var space: Space
    /// ISO 8601, UTC.
    public var createdAt: String
    public var seconds: Double
    public var entries: [Entry]

    enum CodingKeys: String, CodingKey {
        case schema, deviceID = "device_id", device, engine, space, createdAt = "created_at", seconds, entries
    }

    /// Reads a table, with errors naming the file and what is wrong.
    public static func load(file path: String) throws -> LatencyTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LatencyError.tableNotFound(path)
        }
        return try parse(data, source: path)
    }

    /// Parses a table's JSON (`source` names it in errors).
    public static func parse(_ data: Data, source path: String) throws -> LatencyTable {
        let table: LatencyTable
        do {
            table = try JSONDecoder().decode(LatencyTable.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw LatencyError.badTable(path, "missing field '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw LatencyError.badTable(path, "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch {
            throw LatencyError.badTable(path, "not a latency table JSON (\(error))")
        }
        guard table.schema == currentSchema else {
            throw LatencyError.badTable(path, "schema \(table.schema) is not supported (this nasctl reads schema \(currentSchema)); re-run `nasctl profile`")
        }
        return table
    }

    /// Writes the table as pretty JSON, atomically (a crash never leaves half a table).
    public func write(file path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// Differences that make this table unfit for `device`, `space` and `threads`; empty if fit.
    public func mismatches(device: DeviceIdentity, space: SearchSpace, threads: Int) -> [String] {
        var problems: [String] = []
        if deviceID != device.id {
            problems.append("device: table was measured on \(deviceID) (\(self.device.packageName)), this is \(device.id) (\(device.packageName))")
        }
        if self.space.name != space.name {
            problems.append("space: table is for '\(self.space.name)', the space in use is '\(space.name)'")
        } else if self.space.digest != space.digest {
            problems.append("space digest: table has \(self.space.digest), '\(space.name)' now has \(space.digest) (the space file changed)")
        }
        if engine.threads != threads {
            problems.append("threads: table was measured at \(engine.threads), this run uses \(threads)")
        }
        return problems
    }
}
