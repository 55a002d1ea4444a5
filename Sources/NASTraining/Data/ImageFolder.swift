import Foundation

/// Image-folder data sets, the layout of torchvision's `ImageFolder` and Keras'
/// `image_dataset_from_directory`: `DIR/train/CLASS/*.png|jpg|jpeg` and optionally
/// `DIR/test/CLASS/...`. Classes are the training split's folder names in sorted order (their
/// label is that index); files are taken in sorted order; hidden files and files of other
/// extensions are skipped. Each image is decoded (PNG through libpng, JPEG through libjpeg, told
/// apart by their signatures) in parallel, scaled so its shorter side is `side` with a triangle
/// (bilinear) filter widened by the scale factor when shrinking (so it averages instead of
/// aliasing), and centre-cropped to `side x side`. A split of gray images gives 1 channel; any
/// colour image makes it 3 (gray ones repeated in R, G and B). Samples are scaled to [0, 1].
public enum ImageFolder {
    static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Whether `directory` is laid out as an image folder (it has a `train/` folder of folders).
    public static func isImageFolder(_ directory: String) -> Bool {
        var isDirectory: ObjCBool = false
        let train = (directory as NSString).appendingPathComponent("train")
        guard FileManager.default.fileExists(atPath: train, isDirectory: &isDirectory), isDirectory.boolValue else { return false }
        return !((try? classFolders(train)) ?? []).isEmpty
    }

    /// The visible sub-folders of `folder`, sorted.
    static func classFolders(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(name), isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }

    /// The shorter side of the first training image (the default `side`), at most 64.
    public static func defaultSide(_ directory: String) throws -> Int {
        let train = (directory as NSString).appendingPathComponent("train")
        for name in try classFolders(train) {
            let folder = (train as NSString).appendingPathComponent(name)
            if let first = try imageFiles(folder).first {
                let image = try decode(file: first, channels: 1)
                return min(64, min(image.width, image.height))
            }
        }
        throw DataError(file: train, problem: "holds no PNG or JPEG image")
    }

    /// The PNG and JPEG files of a class folder, sorted.
    static func imageFiles(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter {
            !$0.hasPrefix(".") && extensions.contains(($0 as NSString).pathExtension.lowercased())
        }.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    static func decode(file: String, channels: Int) throws -> DecodedImage {
        guard let data = FileManager.default.contents(atPath: file) else { throw DataError(file: file, problem: "cannot be read") }
        return try decode(data, file: file, channels: channels)
    }

    /// A PNG of 8-bit samples (`channels` 1 or 3 per pixel): test and fuzz seeds.
    public static func encodePNG(_ samples: [UInt8], width: Int, height: Int, channels: Int) throws -> Data {
        try PNG.encode(samples, width: width, height: height, channels: channels)
    }

    /// A JPEG of 8-bit samples at `quality`: test and fuzz seeds.
    public static func encodeJPEG(_ samples: [UInt8], width: Int, height: Int, channels: Int, quality: Int = 95) throws -> Data {
        try JPEG.encode(samples, width: width, height: height, channels: channels, quality: quality)
    }

    /// Decodes a PNG or JPEG file's bytes (`file` names it in errors) and scales it to `side`
    /// as a data set would; returns its size and the channels stored in the file.
    public static func check(_ data: Data, file: String, side: Int = 8) throws -> (width: Int, height: Int, channels: Int) {
        let image = try decode(data, file: file, channels: 3)
        _ = resized(image, side: side)
        return (image.width, image.height, image.fileChannels)
    }

    static func decode(_ data: Data, file: String, channels: Int) throws -> DecodedImage {
        do {
            if PNG.isPNG(data) { return try PNG.decode(data, channels: channels) }
            if JPEG.isJPEG(data) { return try JPEG.decode(data, channels: channels) }
        } catch let error as ImageCodecError {
            throw DataError(file: file, problem: "is \(error.message)")
        }
        throw DataError(file: file, problem: "is neither a PNG nor a JPEG (its first bytes are neither signature)")
    }

    /// Loads one split: images scaled and cropped to `side x side` (nil: `defaultSide`).
    public static func load(_ split: ImageDataset.Split, directory: String, side: Int? = nil) throws -> ImageDataset {
        let train = (directory as NSString).appendingPathComponent("train")
        let classes = try classFolders(train)
        guard classes.count >= 2 else {
            throw DataError(file: train, problem: classes.isEmpty ? "has no class folders (expected train/CLASS/*.png|jpg)"
                                                                   : "has one class folder ('\(classes[0])'): a classifier needs at least 2 classes")
        }
        let root = (directory as NSString).appendingPathComponent(split.rawValue)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError(file: root, problem: "no such folder (an image folder's \(split.rawValue) split is \(split.rawValue)/CLASS/*.png|jpg)")
        }
        var files: [(path: String, label: Int)] = []
        for name in try classFolders(root) {
            guard let label = classes.firstIndex(of: name) else {
                throw DataError(file: (root as NSString).appendingPathComponent(name), problem: "is a class the training split does not have (its classes: \(classes.joined(separator: ", ")))")
            }
            let folder = (root as NSString).appendingPathComponent(name)
            let images = try imageFiles(folder)
            guard !images.isEmpty else { throw DataError(file: folder, problem: "is an empty class folder (no .png, .jpg or .jpeg file)") }
            files += images.map { ($0, label) }
        }
        guard !files.isEmpty else { throw DataError(file: root, problem: "has no class folders") }
        let side = try side ?? defaultSide(directory)
        guard (1...ImageDataset.maximumSide).contains(side) else {
            throw DataError(file: directory, problem: "image size \(side) must be 1 to \(ImageDataset.maximumSide) pixels")
        }

        // Decode and resize in parallel, three channels each; one channel when every file is gray.
        let results = DecodeResults(count: files.count)
        let paths = files.map(\.path)
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            do {
                let image = try decode(file: paths[i], channels: 3)
                results.set(i, .success((resized(image, side: side), image.fileChannels)))
            } catch {
                results.set(i, .failure(error))
            }
        }
        let perImage = side * side
        let colour = try results.values().contains { try $0.get().1 == 3 }
        let channels = colour ? 3 : 1
        var pixels = [Float]()
        pixels.reserveCapacity(files.count * perImage * channels)
        for result in results.values() {
            let rgb = try result.get().0
            if colour {
                pixels += rgb
            } else {
                for p in 0..<perImage { pixels.append(rgb[p * 3]) }
            }
        }
        return ImageDataset(height: side, width: side, channels: channels, pixels: pixels, labels: files.map(\.label),
                            classes: classes.count, classNames: classes)
    }

    /// `image` (3 channels) scaled so its shorter side is `side`, centre-cropped to `side x
    /// side`, as Floats in [0, 1], interleaved RGB. Separable triangle filter with support
    /// `max(1, scale)` input pixels. O(side² · support).
    static func resized(_ image: DecodedImage, side: Int) -> [Float] {
        let (w, h) = (image.width, image.height)
        if w == side && h == side { return image.samples.map { Float($0) / 255 } }
        let scale = Double(min(w, h)) / Double(side)
        let (fullW, fullH) = (max(side, Int((Double(w) / scale).rounded())), max(side, Int((Double(h) / scale).rounded())))
        let (offsetX, offsetY) = ((fullW - side) / 2, (fullH - side) / 2)
        let columns = weights(input: w, output: fullW, first: offsetX, count: side)
        let rows = weights(input: h, output: fullH, first: offsetY, count: side)
        // Horizontal pass: h rows of `side` pixels.
        var across = [Float](repeating: 0, count: h * side * 3)
        for y in 0..<h {
            for (x, taps) in columns.enumerated() {
                var r: Float = 0, g: Float = 0, b: Float = 0
                for (source, weight) in taps {
                    let i = (y * w + source) * 3
                    r += weight * Float(image.samples[i]); g += weight * Float(image.samples[i + 1]); b += weight * Float(image.samples[i + 2])
                }
                let o = (y * side + x) * 3
                across[o] = r; across[o + 1] = g; across[o + 2] = b
            }
        }
        var out = [Float](repeating: 0, count: side * side * 3)
        for (y, taps) in rows.enumerated() {
            for x in 0..<side {
                var r: Float = 0, g: Float = 0, b: Float = 0
                for (source, weight) in taps {
                    let i = (source * side + x) * 3
                    r += weight * across[i]; g += weight * across[i + 1]; b += weight * across[i + 2]
                }
                let o = (y * side + x) * 3
                out[o] = min(1, max(0, r / 255)); out[o + 1] = min(1, max(0, g / 255)); out[o + 2] = min(1, max(0, b / 255))
            }
        }
        return out
    }

    /// For output pixels `first ..< first + count` of an `output`-wide resampling of `input`
    /// pixels: each one's (input pixel, weight) taps, weights summing to 1.
    static func weights(input: Int, output: Int, first: Int, count: Int) -> [[(Int, Float)]] {
        let scale = Double(input) / Double(output)
        let support = max(1, scale)
        return (first..<(first + count)).map { o in
            let centre = (Double(o) + 0.5) * scale - 0.5
            let low = max(0, Int((centre - support).rounded(.up))), high = min(input - 1, Int((centre + support).rounded(.down)))
            var taps: [(Int, Float)] = []
            var total = 0.0
            for i in low...max(low, high) {
                let weight = max(0, 1 - abs(Double(i) - centre) / support)
                if weight > 0 { taps.append((i, Float(weight))); total += weight }
            }
            if taps.isEmpty { return [(min(max(0, Int(centre.rounded())), input - 1), 1)] }
            return taps.map { ($0.0, Float(Double($0.1) / total)) }
        }
    }
}

/// Per-file results of the parallel decode, each written by one iteration.
private final class DecodeResults: @unchecked Sendable {
    private var results: [Result<([Float], Int), Error>?]
    private let lock = NSLock()
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ result: Result<([Float], Int), Error>) { lock.lock(); results[i] = result; lock.unlock() }
    func values() -> [Result<([Float], Int), Error>] { lock.lock(); defer { lock.unlock() }; return results.map { $0! } }
}
