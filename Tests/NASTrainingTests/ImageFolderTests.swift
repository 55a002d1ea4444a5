import Foundation
import NASEngine
import Testing
@testable import NASTraining

/// PNG and JPEG decoding through libpng and libjpeg, and image-folder data sets.
@Suite struct ImageCodecTests {
    @Test func pngRoundTripsExactPixelsGrayAndRGB() throws {
        let gray: [UInt8] = [0, 50, 100, 150, 200, 255]
        let decoded = try PNG.decode(try PNG.encode(gray, width: 3, height: 2, channels: 1), channels: 1)
        #expect(decoded == DecodedImage(width: 3, height: 2, channels: 1, samples: gray, fileChannels: 1))
        #expect(try PNG.decode(try PNG.encode(gray, width: 3, height: 2, channels: 1), channels: 3).samples == gray.flatMap { [$0, $0, $0] })
        let rgb: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        let colour = try PNG.decode(try PNG.encode(rgb, width: 2, height: 2, channels: 3), channels: 3)
        #expect(colour.samples == rgb && colour.fileChannels == 3 && colour.width == 2 && colour.height == 2)
    }

    @Test func jpegDecodesKnownColoursClosely() throws {
        let rgb = [UInt8](repeating: 0, count: 16 * 16 * 3).enumerated().map { i, _ in [200, 40, 90][i % 3] as UInt8 }
        let colour = try JPEG.decode(try JPEG.encode(rgb, width: 16, height: 16, channels: 3, quality: 100), channels: 3)
        #expect(colour.width == 16 && colour.height == 16 && colour.fileChannels == 3)
        #expect(zip(colour.samples, rgb).allSatisfy { abs(Int($0) - Int($1)) <= 3 }, "\(colour.samples.prefix(6))")
        let gray = [UInt8](repeating: 123, count: 8 * 8)
        let decoded = try JPEG.decode(try JPEG.encode(gray, width: 8, height: 8, channels: 1, quality: 100), channels: 1)
        #expect(decoded.fileChannels == 1 && decoded.samples.allSatisfy { abs(Int($0) - 123) <= 1 })
    }

    @Test func damagedAndTruncatedFilesAreErrors() throws {
        let png = try PNG.encode([UInt8](repeating: 7, count: 64 * 64), width: 64, height: 64, channels: 1)
        var damaged = png
        for i in 40..<min(damaged.count, 80) { damaged[i] ^= 0x5A }
        for bad in [png.prefix(png.count / 2), damaged, Data(png.prefix(8)) + Data("not a png at all".utf8)] {
            #expect(throws: ImageCodecError.self) { _ = try PNG.decode(Data(bad), channels: 1) }
        }
        var rng = SplitMix64(seed: 3)
        let noise = (0..<(32 * 32 * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let jpeg = try JPEG.encode(noise, width: 32, height: 32, channels: 3)
        #expect(throws: ImageCodecError.self) { _ = try JPEG.decode(jpeg.prefix(jpeg.count / 2), channels: 3) }
        #expect(throws: ImageCodecError.self) { _ = try JPEG.decode(Data([0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3]), channels: 3) }
    }
}

@Suite struct ImageFolderTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-folder-\(UUID().uuidString)").path

    func write(_ relative: String, _ data: Data) throws {
        let path = (root as NSString).appendingPathComponent(relative)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }

    func gray(_ value: UInt8, side: Int = 8) throws -> Data { try PNG.encode([UInt8](repeating: value, count: side * side), width: side, height: side, channels: 1) }

    @Test func classesAreSortedFolderNamesAndSplitsShareThem() throws {
        try write("train/cat/1.png", try gray(10)); try write("train/cat/0.png", try gray(20))
        try write("train/ant/a.PNG", try gray(30)); try write("train/bee/x.jpg", try JPEG.encode([UInt8](repeating: 40, count: 64), width: 8, height: 8, channels: 1, quality: 100))
        try write("train/bee/notes.txt", Data("skipped".utf8)); try write("train/bee/.hidden.png", Data("skipped".utf8))
        try write("test/cat/t.png", try gray(50))
        #expect(ImageFolder.isImageFolder(root))
        let train = try ImageDataset.load(.train, directory: root)
        #expect(train.classNames == ["ant", "bee", "cat"] && train.classes == 3)
        #expect(train.labels == [0, 1, 2, 2] && train.channels == 1 && train.height == 8 && train.width == 8)
        // Files in sorted order within a class: cat/0.png (20) before cat/1.png (10).
        #expect(abs(train.pixels[2 * 64] - 20.0 / 255) < 1e-6 && abs(train.pixels[3 * 64] - 10.0 / 255) < 1e-6)
        #expect(abs(train.pixels[64] - 40.0 / 255) < 2.0 / 255)
        let test = try ImageDataset.load(.test, directory: root)
        #expect(test.labels == [2] && test.classNames == train.classNames)
    }

    @Test func colourMakesThreeChannelsAndMixedSizesAreResized() throws {
        try write("train/a/0.png", try gray(100, side: 8))
        try write("train/b/0.png", try PNG.encode((0..<(16 * 12)).flatMap { _ in [UInt8(200), 0, 50] }, width: 16, height: 12, channels: 3))
        let data = try ImageFolder.load(.train, directory: root, side: 6)
        #expect(data.channels == 3 && data.height == 6 && data.width == 6 && data.pixels.count == 2 * 6 * 6 * 3)
        // A constant image stays that constant through resizing; gray is repeated in R, G, B.
        #expect(data.pixels[0..<108].allSatisfy { abs($0 - 100.0 / 255) < 1e-5 })
        let second = Array(data.pixels[108...])
        #expect(stride(from: 0, to: second.count, by: 3).allSatisfy { abs(second[$0] - 200.0 / 255) < 1e-5 && abs(second[$0 + 1]) < 1e-6 && abs(second[$0 + 2] - 50.0 / 255) < 1e-5 })
    }

    /// Halving averages pairs (the filter widens with the scale), not skipping pixels.
    @Test func shrinkingAverages() throws {
        // Columns alternate 0 and 200: a 2x smaller image is about 100 everywhere.
        let stripes = (0..<(8 * 8)).flatMap { i -> [UInt8] in let v: UInt8 = i % 2 == 0 ? 0 : 200; return [v, v, v] }
        let out = ImageFolder.resized(DecodedImage(width: 8, height: 8, channels: 3, samples: stripes, fileChannels: 1), side: 4)
        #expect(out.allSatisfy { abs($0 * 255 - 100) < 15 }, "\(out.prefix(12).map { $0 * 255 })")
        let same = ImageFolder.resized(DecodedImage(width: 4, height: 4, channels: 3, samples: Array(stripes.prefix(48)), fileChannels: 1), side: 4)
        #expect(same == stripes.prefix(48).map { Float($0) / 255 })
        for weights in ImageFolder.weights(input: 37, output: 11, first: 0, count: 11) + ImageFolder.weights(input: 5, output: 13, first: 2, count: 9) {
            #expect(abs(weights.map(\.1).reduce(0, +) - 1) < 1e-5 && weights.allSatisfy { $0.0 >= 0 })
        }
    }

    @Test func badFoldersNameTheProblem() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "(no error)" } catch { return "\(error)" }
        }
        try write("train/only/0.png", try gray(1))
        #expect(message { _ = try ImageFolder.load(.train, directory: root) }.contains("one class folder ('only')"))
        try FileManager.default.createDirectory(atPath: root + "/train/empty", withIntermediateDirectories: true)
        #expect(message { _ = try ImageFolder.load(.train, directory: root) }.contains("train/empty: is an empty class folder"))
        try write("train/empty/0.png", Data("garbage that is no image".utf8))
        #expect(message { _ = try ImageFolder.load(.train, directory: root) }.contains("empty/0.png: is neither a PNG nor a JPEG"))
        try write("train/empty/0.png", try gray(1).prefix(30))
        let truncated = message { _ = try ImageFolder.load(.train, directory: root) }
        #expect(truncated.contains("empty/0.png: is ") && truncated.contains("PNG ("), "\(truncated)")
        try write("train/empty/0.png", try gray(2))
        try write("test/zebra/0.png", try gray(3))
        #expect(message { _ = try ImageFolder.load(.test, directory: root) }.contains("test/zebra: is a class the training split does not have"))
        #expect(message { _ = try ImageFolder.load(.train, directory: root, side: 0) }.contains("image size 0"))
    }
}

@Suite struct AugmentationTests {
    /// Each augmented image is one of the 18 shifts (±1) and flips of the original, written
    /// here independently; over many steps every one of them occurs; a step's draws repeat.
    @Test func cropsAndFlipsAreShiftsOfTheImage() {
        let (h, w, c) = (3, 4, 2)
        let original = (0..<(h * w * c)).map { Float($0 + 1) }
        func candidate(dx: Int, dy: Int, flip: Bool) -> [Float] {
            var out = [Float](repeating: 0, count: original.count)
            for y in 0..<h { for x in 0..<w {
                let sx = (flip ? w - 1 - x : x) + dx, sy = y + dy
                guard sx >= 0, sx < w, sy >= 0, sy < h else { continue }
                for ch in 0..<c { out[(y * w + x) * c + ch] = original[(sy * w + sx) * c + ch] }
            } }
            return out
        }
        let candidates = (-1...1).flatMap { dx in (-1...1).flatMap { dy in [false, true].map { candidate(dx: dx, dy: dy, flip: $0) } } }
        let augmentation = Augmentation(padding: 1)
        var seen = Set<Int>()
        for step in 0..<400 {
            var batch = original + original
            augmentation.apply(&batch, count: 2, height: h, width: w, channels: c, seed: 7, step: step)
            for image in 0..<2 {
                let got = Array(batch[(image * original.count)..<((image + 1) * original.count)])
                let match = candidates.firstIndex(of: got)
                #expect(match != nil, "step \(step): not a shift or flip")
                if let match { seen.insert(match) }
            }
            var again = original + original
            augmentation.apply(&again, count: 2, height: h, width: w, channels: c, seed: 7, step: step)
            #expect(again == batch)
        }
        #expect(seen.count == 18)
    }

    /// Resuming an augmented run continues it exactly (the draws depend on the step only).
    @Test func anAugmentedRunResumesExactly() throws {
        let specs = [LayerSpec(op: .conv, inChannels: 1, outChannels: 4, kernel: 3, stride: 2, activation: .relu),
                     LayerSpec(op: .gap, inChannels: 4, outChannels: 4), LayerSpec(op: .fc, inChannels: 4, outChannels: 10)]
        let data = syntheticDataset(count: 60, seed: 3)
        let settings = TrainingSettings(epochs: 2, batchSize: 20, augmentation: Augmentation(padding: 2), seed: 5)
        let straight = TrainingNetwork(inputShape: Shape(h: 8, w: 8, c: 1), specs: specs, seed: 1)
        _ = Trainer.train(straight, on: data, settings: settings)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-augment-\(UUID().uuidString)").path
        let first = TrainingNetwork(inputShape: Shape(h: 8, w: 8, c: 1), specs: specs, seed: 1)
        _ = Trainer.train(first, on: data, settings: settings, stopStep: 4)
        try TrainedModel.write(first, to: path, optimizerState: true)
        let resumed = TrainingNetwork(inputShape: Shape(h: 8, w: 8, c: 1), specs: specs, seed: 2)
        try TrainedModel.read(into: resumed, from: path, optimizerState: true)
        _ = Trainer.train(resumed, on: data, settings: settings, startStep: 4)
        #expect(resumed.parameters.flatMap(\.value) == straight.parameters.flatMap(\.value))
        let plain = TrainingNetwork(inputShape: Shape(h: 8, w: 8, c: 1), specs: specs, seed: 1)
        var noAugmentation = settings
        noAugmentation.augmentation = nil
        _ = Trainer.train(plain, on: data, settings: noAugmentation)
        #expect(plain.parameters.flatMap(\.value) != straight.parameters.flatMap(\.value))
    }
}
