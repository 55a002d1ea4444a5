/// An image decoded to 8-bit samples: `height` rows of `width` pixels of `channels` (1 gray,
/// 3 RGB) interleaved samples.
struct DecodedImage: Equatable, Sendable {
    var width: Int
    var height: Int
    var channels: Int
    var samples: [UInt8]
    /// Channels stored in the file (1 for gray, 3 for colour): what the image really is,
    /// whatever it was decoded to.
    var fileChannels: Int
}

/// A file the PNG or JPEG decoder refused, with the library's reason.
struct ImageCodecError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
