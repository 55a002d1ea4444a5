import ChildProcessSupport
import Foundation
import NASEngine
import Testing
@testable import NASTraining

/// Writes an IDX file (optionally gzipped with the system's gzip) and returns its path.
func writeIDX(_ dimensions: [Int], bytes: [UInt8], magic: [UInt8]? = nil, in directory: String, name: String, gzip: Bool = false) throws -> String {
    var data = Data(magic ?? [0, 0, 8, UInt8(dimensions.count)])
    for d in dimensions { data.append(contentsOf: [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)]) }
    data.append(contentsOf: bytes)
    let path = (directory as NSString).appendingPathComponent(name)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try data.write(to: URL(fileURLWithPath: path))
    if gzip {
        _ = try ChildProcess.run("/bin/gzip", ["-f", path], seconds: 60)
        return path + ".gz"
    }
    return path
}

func temporaryDataDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-data-\(UUID().uuidString)").path
}

@Suite struct IDXTests {
    @Test func readsPlainAndGzippedFiles() throws {
        let dir = temporaryDataDirectory()
        let bytes = (0..<24).map { UInt8($0 * 10) }
        for gz in [false, true] {
            let path = try writeIDX([2, 3, 4], bytes: bytes, in: dir, name: "x\(gz)", gzip: gz)
            let file = try IDXFile.load(path)
            #expect(file.dimensions == [2, 3, 4])
            #expect(file.bytes == bytes)
        }
    }

    @Test func badFilesAreClearErrors() throws {
        let dir = temporaryDataDirectory()
        let truncated = try writeIDX([10, 28, 28], bytes: [UInt8](repeating: 1, count: 100), in: dir, name: "truncated")
        #expect { try IDXFile.load(truncated) } throws: { "\($0)".contains("truncated: the header declares 10x28x28 = 7840 bytes, the file has 100") }
        let magic = try writeIDX([3], bytes: [1, 2, 3], magic: [0x1f, 0x00, 8, 1], in: dir, name: "magic")
        #expect { try IDXFile.load(magic) } throws: { "\($0)".contains("wrong magic number") }
        let floats = try writeIDX([3], bytes: [1, 2, 3], magic: [0, 0, 0x0d, 1], in: dir, name: "floats")
        #expect { try IDXFile.load(floats) } throws: { "\($0)".contains("is not unsigned bytes") }
        let corrupt = (dir as NSString).appendingPathComponent("corrupt.gz")
        try Data([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).write(to: URL(fileURLWithPath: corrupt))
        #expect { try IDXFile.load(corrupt) } throws: { "\($0)".contains("not a valid gzip file") }
        #expect { try IDXFile.load(dir + "/missing") } throws: { "\($0)".contains("no such file") }
    }

    @Test func headerSizesThatOverflowAreAClearError() throws {
        let dir = temporaryDataDirectory()
        let path = try writeIDX([0x7FFF_FFFF, 0x7FFF_FFFF, 0x7FFF_FFFF], bytes: [1, 2, 3], in: dir, name: "huge")
        #expect { try IDXFile.load(path) } throws: { "\($0)".contains("more than any file can hold") }
    }

    @Test(arguments: [([0, 28, 28], 0, 0, "holds no images"), ([3, 28, 20], 3 * 28 * 20, 3, "images are 28x20"),
                      ([3, 5000, 5000], 3 * 5000 * 5000, 3, "the side must be 1 to 4096")])
    func unusableImageFilesAreClearErrors(dimensions: [Int], pixels: Int, labels: Int, message: String) throws {
        let dir = temporaryDataDirectory()
        _ = try writeIDX(dimensions, bytes: [UInt8](repeating: 1, count: pixels), in: dir, name: "train-images-idx3-ubyte")
        _ = try writeIDX([labels], bytes: (0..<labels).map { UInt8($0 % 2) }, in: dir, name: "train-labels-idx1-ubyte")
        #expect { try ImageDataset.load(.train, directory: dir) } throws: { "\($0)".contains(message) }
    }

    @Test func oneClassIsAClearError() throws {
        let dir = temporaryDataDirectory()
        _ = try writeIDX([4, 8, 8], bytes: [UInt8](repeating: 1, count: 256), in: dir, name: "train-images-idx3-ubyte")
        _ = try writeIDX([4], bytes: [0, 0, 0, 0], in: dir, name: "train-labels-idx1-ubyte")
        #expect { try ImageDataset.load(.train, directory: dir) } throws: { "\($0)".contains("at least 2 classes") }
    }

    @Test func imageAndLabelCountsMustMatch() throws {
        let dir = temporaryDataDirectory()
        _ = try writeIDX([3, 2, 2], bytes: [UInt8](repeating: 0, count: 12), in: dir, name: "train-images-idx3-ubyte")
        _ = try writeIDX([4], bytes: [0, 1, 2, 3], in: dir, name: "train-labels-idx1-ubyte")
        #expect { try ImageDataset.load(.train, directory: dir) } throws: { "\($0)".contains("4 labels for 3 images") }
    }

    @Test func missingDataSetNamesThePackageAndOption() {
        #expect { try ImageDataset.load(.train, directory: "/nonexistent") } throws: { error in
            "\(error)".contains("apt-get install dataset-fashion-mnist") && "\(error)".contains("--data DIR")
        }
    }

    @Test func seededSplitIsDisjointAndReproducible() throws {
        let dir = temporaryDataDirectory()
        _ = try writeIDX([20, 1, 1], bytes: (0..<20).map(UInt8.init), in: dir, name: "train-images-idx3-ubyte", gzip: true)
        _ = try writeIDX([20], bytes: (0..<20).map { UInt8($0 % 10) }, in: dir, name: "train-labels-idx1-ubyte", gzip: true)
        let data = try ImageDataset.load(.train, directory: dir)
        #expect(data.count == 20 && data.classes == 10 && data.height == 1)
        let (train, validation) = data.split(validationCount: 5, seed: 7)
        #expect(train.count == 15 && validation.count == 5)
        #expect(Set(train.pixels).isDisjoint(with: Set(validation.pixels)))  // each example's single pixel is unique
        #expect(data.split(validationCount: 5, seed: 7).validation.pixels == validation.pixels)
        #expect(data.split(validationCount: 5, seed: 8).validation.pixels != validation.pixels)
        let (mean, std) = train.statistics
        let normalised = train.normalised(mean: mean, std: std)
        #expect(abs(normalised.statistics.mean[0]) < 1e-5 && abs(normalised.statistics.std[0] - 1) < 1e-4)
    }

    /// Three channels are normalised each with its own statistics.
    @Test func rgbIsNormalisedPerChannel() {
        var rng = SplitMix64(seed: 4)
        var pixels: [Float] = []
        for _ in 0..<(10 * 4 * 4) {
            let a: Float = rng.uniform(1), b: Float = rng.uniform(1), c: Float = rng.uniform(1)
            pixels += [a, 5 + 2 * b, -3 + 0.1 * c]
        }
        let data = ImageDataset(height: 4, width: 4, channels: 3, pixels: pixels, labels: (0..<10).map { $0 % 2 }, classes: 2)
        let (mean, std) = data.statistics
        #expect(mean.count == 3 && mean[1] > 4 && mean[2] < -2 && std[2] < std[1])
        let normalised = data.normalised(mean: mean, std: std).statistics
        #expect(normalised.mean.allSatisfy { abs($0) < 1e-5 } && normalised.std.allSatisfy { abs($0 - 1) < 1e-4 })
        let expected: [Float] = Array(pixels[144..<192]) + Array(pixels[48..<96])
        #expect(data.subset([3, 1]).pixels == expected)
    }

    @Test func fashionMNISTWhenInstalled() throws {
        guard ImageDataset.files(.test, in: ImageDataset.fashionMNISTDirectory) != nil else { return }  // the package is optional for tests
        let test = try ImageDataset.load(.test)
        #expect(test.count == 10_000 && test.height == 28 && test.width == 28 && test.classes == 10)
        #expect(Set(test.labels) == Set(0..<10))
    }
}
