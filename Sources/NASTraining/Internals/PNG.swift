import CPNG
import Foundation

/// The one place nasctl calls libpng, through its simplified API (`png_image`): any PNG
/// (palette, 16-bit, alpha, gray or colour) read as 8-bit gray or RGB, alpha composited on black.
enum PNG {
    /// Whether `data` starts with the PNG signature.
    static func isPNG(_ data: Data) -> Bool { data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) }

    /// Decodes `data` to `channels` (1 or 3) 8-bit samples per pixel.
    static func decode(_ data: Data, channels: Int) throws -> DecodedImage {
        precondition(channels == 1 || channels == 3, "PNG.decode: channels must be 1 or 3")
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = data.withUnsafeBytes { raw in png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) }
        guard begun != 0 else { throw ImageCodecError(message: "not a readable PNG (\(message(of: &image)))") }
        let fileChannels = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0 ? 3 : 1
        image.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        let (width, height) = (Int(image.width), Int(image.height))
        guard width >= 1, height >= 1, width <= ImageDataset.maximumSide, height <= ImageDataset.maximumSide else {
            png_image_free(&image)
            throw ImageCodecError(message: "a \(width)x\(height) PNG; each side must be 1 to \(ImageDataset.maximumSide) pixels")
        }
        var samples = [UInt8](repeating: 0, count: width * height * channels)
        let finished = samples.withUnsafeMutableBytes { out in png_image_finish_read(&image, nil, out.baseAddress, 0, nil) }
        guard finished != 0 else { throw ImageCodecError(message: "a damaged or truncated PNG (\(message(of: &image)))") }
        return DecodedImage(width: width, height: height, channels: channels, samples: samples, fileChannels: fileChannels)
    }

    /// Encodes `samples` (8-bit, `channels` of 1 or 3 per pixel) as a PNG.
    static func encode(_ samples: [UInt8], width: Int, height: Int, channels: Int) throws -> Data {
        precondition(samples.count == width * height * channels && (channels == 1 || channels == 3), "PNG.encode: bad size")
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        var size = 0
        guard samples.withUnsafeBytes({ png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }) != 0 else {
            throw ImageCodecError(message: "cannot encode a PNG (\(message(of: &image)))")
        }
        var out = Data(count: size)
        let written = out.withUnsafeMutableBytes { target in
            samples.withUnsafeBytes { png_image_write_to_memory(&image, target.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard written != 0 else { throw ImageCodecError(message: "cannot encode a PNG (\(message(of: &image)))") }
        return out.prefix(size)
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
