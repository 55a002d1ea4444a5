import Foundation

/// An IDX file (the MNIST format) of unsigned bytes: big-endian magic `0x0000_08_NN` with NN
/// the number of dimensions, NN big-endian UInt32 sizes, then the bytes. Gzipped files
/// (`.gz`) are decompressed through zlib.
public struct IDXFile: Sendable {
    public var dimensions: [Int]
    public var bytes: [UInt8]

    /// Reads and checks a file: magic, element type, declared sizes against the data length.
    public static func load(_ path: String) throws -> IDXFile {
        guard let raw = FileManager.default.contents(atPath: path) else {
            throw DataError(file: path, problem: "no such file or not readable")
        }
        var data = raw
        if raw.starts(with: [0x1f, 0x8b]) {
            do { data = try Zlib.gunzip(raw) } catch { throw DataError(file: path, problem: "not a valid gzip file: \(error)") }
        }
        return try parse(data, source: path)
    }

    public static func parse(_ data: Data, source: String) throws -> IDXFile {
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { throw DataError(file: source, problem: "truncated: \(bytes.count) bytes, no IDX header") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError(file: source, problem: String(format: "wrong magic number 0x%02x%02x%02x%02x (an IDX file starts with 0x0000)", bytes[0], bytes[1], bytes[2], bytes[3]))
        }
        guard bytes[2] == 0x08 else {
            throw DataError(file: source, problem: String(format: "element type 0x%02x is not unsigned bytes (0x08)", bytes[2]))
        }
        let rank = Int(bytes[3])
        guard rank >= 1, rank <= 4 else { throw DataError(file: source, problem: "\(rank) dimensions; expected 1 to 4") }
        let headerBytes = 4 + 4 * rank
        guard bytes.count >= headerBytes else { throw DataError(file: source, problem: "truncated header: \(bytes.count) bytes, need \(headerBytes)") }
        var dimensions: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dimensions.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        var expected = 1
        for d in dimensions {
            let (product, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw DataError(file: source, problem: "the header declares \(dimensions.map(String.init).joined(separator: "x")) bytes, more than any file can hold")
            }
            expected = product
        }
        let actual = bytes.count - headerBytes
        guard actual == expected else {
            throw DataError(file: source, problem: actual < expected
                ? "truncated: the header declares \(dimensions.map(String.init).joined(separator: "x")) = \(expected) bytes, the file has \(actual)"
                : "\(actual - expected) bytes more than the header's \(dimensions.map(String.init).joined(separator: "x")) declares")
        }
        return IDXFile(dimensions: dimensions, bytes: Array(bytes[headerBytes...]))
    }
}
