import CZlib
import Foundation

/// The one place nasctl calls zlib: gzip decompression of data-set files.
enum Zlib {
    /// Decompresses a gzip stream (RFC 1952), all members. Throws with zlib's message on
    /// corrupt or truncated input.
    static func gunzip(_ input: Data) throws -> Data {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ZlibError(message: "inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        try input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.bindMemory(to: Bytef.self).baseAddress else { throw ZlibError(message: "empty input") }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(raw.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                output.append(buffer, count: chunk - Int(stream.avail_out))
                if status == Z_STREAM_END {
                    if stream.avail_in == 0 { return }
                    guard inflateReset(&stream) == Z_OK else { throw ZlibError(message: "cannot read the next gzip member") }
                    continue
                }
                guard status == Z_OK else {
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw ZlibError(message: message)
                }
                if stream.avail_in == 0 && stream.avail_out != 0 {
                    throw ZlibError(message: "truncated gzip stream")
                }
            }
        }
        return output
    }
}

struct ZlibError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
