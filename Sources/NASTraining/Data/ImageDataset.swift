import Foundation
import NASEngine

/// Images with class labels, as NHWC floats (`[n, h, w, c]`, 1 channel for gray, 3 for RGB),
/// normalised per channel to zero mean and unit variance with the training set's statistics.
public struct ImageDataset: Sendable {
    public var height: Int
    public var width: Int
    public var channels: Int = 1
    /// `count · height · width · channels` floats.
    public var pixels: [Float]
    public var labels: [Int]
    public var classes: Int
    /// The classes' names in label order (image folders: the folder names; IDX: none).
    public var classNames: [String] = []

    public var count: Int { labels.count }
    /// Floats per image: `height · width · channels`.
    public var valuesPerImage: Int { height * width * channels }

    public init(height: Int, width: Int, channels: Int = 1, pixels: [Float], labels: [Int], classes: Int, classNames: [String] = []) {
        self.height = height; self.width = width; self.channels = channels; self.pixels = pixels; self.labels = labels
        self.classes = classes; self.classNames = classNames
    }

    /// The default location of Debian's `dataset-fashion-mnist`.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    public enum Split: String, Sendable { case train, test }

    /// The largest image side accepted (pixels): far above any proxy resolution, small enough
    /// that sizes derived from it never overflow.
    public static let maximumSide = 4096

    /// File names of a split in an MNIST-layout directory (gzipped or not).
    static func files(_ split: Split, in directory: String) -> (images: String, labels: String)? {
        let stem = split == .train ? "train" : "t10k"
        for suffix in [".gz", ""] {
            let images = (directory as NSString).appendingPathComponent("\(stem)-images-idx3-ubyte\(suffix)")
            let labels = (directory as NSString).appendingPathComponent("\(stem)-labels-idx1-ubyte\(suffix)")
            if FileManager.default.fileExists(atPath: images) && FileManager.default.fileExists(atPath: labels) { return (images, labels) }
        }
        return nil
    }

    /// Loads one split of an MNIST-layout directory (Fashion-MNIST by default) or of an image
    /// folder (`DIR/train/CLASS/*.png|jpg`, see `ImageFolder`; `imageSide` is the side its
    /// images are scaled to, nil for its default). Samples are scaled to [0, 1]; call
    /// `normalised(mean:std:)` with the training statistics.
    public static func load(_ split: Split, directory: String = fashionMNISTDirectory, imageSide: Int? = nil) throws -> ImageDataset {
        if ImageFolder.isImageFolder(directory) { return try ImageFolder.load(split, directory: directory, side: imageSide) }
        guard let files = files(split, in: directory) else {
            throw DataError(file: directory, problem: """
                no \(split == .train ? "train" : "t10k")-images-idx3-ubyte[.gz] / -labels-idx1-ubyte[.gz] here and no image folder \
                (train/CLASS/*.png|jpg); \
                install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass --data DIR \
                with another copy of the same files (e.g. MNIST in IDX form)
                """)
        }
        let images = try IDXFile.load(files.images)
        let labels = try IDXFile.load(files.labels)
        guard images.dimensions.count == 3 else {
            throw DataError(file: files.images, problem: "has \(images.dimensions.count) dimensions; images need 3 (count, height, width)")
        }
        guard labels.dimensions.count == 1 else {
            throw DataError(file: files.labels, problem: "has \(labels.dimensions.count) dimensions; labels need 1")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw DataError(file: files.labels, problem: "\(labels.dimensions[0]) labels for \(images.dimensions[0]) images in \(files.images)")
        }
        let (n, h, w) = (images.dimensions[0], images.dimensions[1], images.dimensions[2])
        guard n >= 1 else { throw DataError(file: files.images, problem: "holds no images (the header declares 0)") }
        guard h == w else {
            throw DataError(file: files.images, problem: "images are \(h)x\(w); nasctl trains square images (resize them to one side, e.g. \(min(h, w))x\(min(h, w)))")
        }
        guard (1...maximumSide).contains(h) else {
            throw DataError(file: files.images, problem: "images are \(h)x\(w); the side must be 1 to \(maximumSide) pixels")
        }
        let classes = Int(labels.bytes.max() ?? 0) + 1
        guard classes >= 2 else {
            throw DataError(file: files.labels, problem: "every label is 0: a classifier needs at least 2 classes")
        }
        return ImageDataset(height: images.dimensions[1], width: images.dimensions[2],
                            pixels: images.bytes.map { Float($0) / 255 }, labels: labels.bytes.map(Int.init), classes: classes)
    }

    /// Mean and standard deviation of each channel over every pixel. O(n·h·w·c).
    public var statistics: (mean: [Float], std: [Float]) {
        var means: [Float] = [], stds: [Float] = []
        let c = channels
        let perChannel = Double(pixels.count / c)
        for ch in 0..<c {
            var sum = 0.0
            var i = ch
            while i < pixels.count { sum += Double(pixels[i]); i += c }
            let mean = sum / perChannel
            var squares = 0.0
            i = ch
            while i < pixels.count { squares += (Double(pixels[i]) - mean) * (Double(pixels[i]) - mean); i += c }
            means.append(Float(mean))
            stds.append(Float(max(squares / perChannel, 1e-12).squareRoot()))
        }
        return (means, stds)
    }

    /// `(x − mean[c]) / std[c]` for every pixel of channel c.
    public func normalised(mean: [Float], std: [Float]) -> ImageDataset {
        precondition(mean.count == channels && std.count == channels, "normalised: \(mean.count) means for \(channels) channels")
        var copy = self
        if channels == 1 {
            copy.pixels = pixels.map { ($0 - mean[0]) / std[0] }
        } else {
            for i in copy.pixels.indices { copy.pixels[i] = (pixels[i] - mean[i % channels]) / std[i % channels] }
        }
        return copy
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ImageDataset {
        let size = valuesPerImage
        var pixels: [Float] = []
        pixels.reserveCapacity(indices.count * size)
        for i in indices { pixels.append(contentsOf: self.pixels[(i * size)..<((i + 1) * size)]) }
        return ImageDataset(height: height, width: width, channels: channels, pixels: pixels, labels: indices.map { labels[$0] },
                            classes: classes, classNames: classNames)
    }

    /// A seeded shuffle split into (train, validation) with `validationCount` examples held out:
    /// how a search scores candidates without touching the test set.
    public func split(validationCount: Int, seed: UInt64) -> (train: ImageDataset, validation: ImageDataset) {
        precondition(validationCount >= 0 && validationCount < count, "split: validation count \(validationCount) out of range for \(count) examples")
        var order = Array(0..<count)
        var rng = SplitMix64(seed: seed)
        order.shuffle(using: &rng)
        return (subset(Array(order[validationCount...]).sorted()), subset(Array(order[..<validationCount]).sorted()))
    }
}
