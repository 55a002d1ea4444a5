import CJPEG
import Foundation

/// The one place nasctl calls libjpeg(-turbo) (through `CJPEG`, which keeps libjpeg's
/// longjmp error handling in C).
enum JPEG {
    /// Whether `data` starts with a JPEG start-of-image marker.
    static func isJPEG(_ data: Data) -> Bool { data.starts(with: [0xFF, 0xD8, 0xFF]) }

    /// Decodes `data` to `channels` (1 or 3) 8-bit samples per pixel.
    static func decode(_ data: Data, channels: Int) throws -> DecodedImage {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0, fileChannels: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw in
            nasctl_jpeg_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, Int32(channels), &pixels, &width, &height,
                               &fileChannels, &message, message.count)
        }
        guard status == 0, let pixels else {
            throw ImageCodecError(message: "a damaged or truncated JPEG (\(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))")
        }
        defer { free(pixels) }
        guard width >= 1, height >= 1, Int(width) <= ImageDataset.maximumSide, Int(height) <= ImageDataset.maximumSide else {
            throw ImageCodecError(message: "a \(width)x\(height) JPEG; each side must be 1 to \(ImageDataset.maximumSide) pixels")
        }
        let count = Int(width) * Int(height) * channels
        return DecodedImage(width: Int(width), height: Int(height), channels: channels,
                            samples: Array(UnsafeBufferPointer(start: pixels, count: count)), fileChannels: fileChannels >= 3 ? 3 : 1)
    }

    /// Encodes `samples` (8-bit, 1 or 3 channels per pixel) as a JPEG at `quality` (1-100).
    static func encode(_ samples: [UInt8], width: Int, height: Int, channels: Int, quality: Int = 95) throws -> Data {
        precondition(samples.count == width * height * channels && (channels == 1 || channels == 3), "JPEG.encode: bad size")
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = nasctl_jpeg_encode(samples, Int32(width), Int32(height), Int32(channels), Int32(quality), &out, &size, &message, message.count)
        guard status == 0, let out else { throw ImageCodecError(message: "cannot encode a JPEG") }
        defer { free(out) }
        return Data(bytes: out, count: size)
    }
}
