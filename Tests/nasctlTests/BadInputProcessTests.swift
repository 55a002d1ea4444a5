import Foundation
import NASTraining
import Testing
@testable import nasctl

/// Bad input, run through the nasctl binary (the release build under scripts/test.sh): a clear
/// message naming the problem and an exit status below 128, never a signal.
@Suite struct BadInputProcessTests {
    /// A folder for one case's files.
    static func folder() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-bad-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// An IDX file: magic, big-endian sizes (raw 32-bit words), then `bytes`.
    static func idx(_ sizes: [UInt32], _ bytes: [UInt8]) -> Data {
        var data = Data([0, 0, 8, UInt8(sizes.count)])
        for s in sizes { data.append(contentsOf: [UInt8(s >> 24 & 255), UInt8(s >> 16 & 255), UInt8(s >> 8 & 255), UInt8(s & 255)]) }
        data.append(contentsOf: bytes)
        return data
    }

    /// A training split with `images` (header sizes and pixel bytes) and `count` labels 0, 1, 0, ….
    static func dataFolder(images sizes: [UInt32], pixels: Int, labels count: Int, classes: Int = 2) throws -> String {
        let dir = folder()
        try idx(sizes, [UInt8](repeating: 7, count: pixels)).write(to: URL(fileURLWithPath: dir + "/train-images-idx3-ubyte"))
        try idx([UInt32(count)], (0..<count).map { UInt8($0 % classes) }).write(to: URL(fileURLWithPath: dir + "/train-labels-idx1-ubyte"))
        return dir
    }

    func expectCleanFailure(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try NasctlProcess(arguments).wait(seconds: 120)
        #expect(result.reason == .exit, "killed by signal \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.status > 0 && result.status < 128, "exit status \(result.status)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "expected '\(message)' in: \(result.stderr)", sourceLocation: sourceLocation)
    }

    static let mobilenet = "Configs/baselines/mobilenetv2.json"

    @Test func nonSquareImages() throws {
        let data = try Self.dataFolder(images: [4, 28, 20], pixels: 4 * 28 * 20, labels: 4)
        try expectCleanFailure(["evaluate", "--arch", Self.mobilenet, "--data", data], "images are 28x20; nasctl trains square images")
    }

    @Test func anIDXHeaderWhoseSizesOverflow() throws {
        let data = try Self.dataFolder(images: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], pixels: 16, labels: 4)
        try expectCleanFailure(["evaluate", "--arch", Self.mobilenet, "--data", data], "more than any file can hold")
    }

    @Test func anIDXFileWithNoImages() throws {
        let data = try Self.dataFolder(images: [0, 28, 28], pixels: 0, labels: 0)
        try expectCleanFailure(["evaluate", "--arch", Self.mobilenet, "--data", data], "holds no images")
    }

    @Test func oneClass() throws {
        let data = try Self.dataFolder(images: [4, 28, 28], pixels: 4 * 28 * 28, labels: 4, classes: 1)
        try expectCleanFailure(["evaluate", "--arch", Self.mobilenet, "--data", data], "a classifier needs at least 2 classes")
    }

    @Test(arguments: [
        ("resolution: 224 ", "resolution: 1000000 ", "'input.resolution': is 1000000; allowed: 1 to 4096"),
        ("{filters: 16, layers: 1,", "{filters: 16, layers: 100000000,", "'blocks[0].layers': is 100000000; allowed: 1 to 64"),
        ("  epochs: 2 ", "  epochs: .inf ", "'proxy.epochs': is inf"),
    ])
    func hugeOrInfiniteSpaceValues(old: String, new: String, message: String) throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Configs/mnasnet.yaml"), encoding: .utf8)
        let edited = text.replacingOccurrences(of: old, with: new)
        #expect(edited != text, "the default space no longer contains '\(old)'")
        let file = Self.folder() + "/space.yaml"
        try edited.write(toFile: file, atomically: true, encoding: .utf8)
        try expectCleanFailure(["predict", "--arch", Self.mobilenet, "--space", file], message)
    }

    @Test(arguments: [
        (["evaluate", "--arch", mobilenet, "--proxy-epochs", "inf"], "--proxy-epochs is inf; allowed: 0 < x <= 1000"),
        (["evaluate", "--arch", mobilenet, "--proxy-batch-size", "100000000"], "--proxy-batch-size is 100000000"),
        (["search", "--target-ms", "inf", "--space", "Configs/nasbench201.yaml", "--evaluator", "table:x.csv"], "--target-ms must be a positive number"),
        (["search", "--target-ms", "nan", "--space", "Configs/nasbench201.yaml", "--evaluator", "table:x.csv"], "--target-ms must be a positive number"),
        (["measure", "--kernel-family", "avx1024"], "--kernel-family must be auto, avx512, avx2, neon (got 'avx1024')"),
        (["measure", "--gemm", "auto"], "--gemm must be native, openblas (got 'auto')"),
        (["profile", "--gemm", "mkl"], "--gemm must be auto, native, openblas (got 'mkl')"),
        (["profile", "--warmup=-1"], "--warmup must be 0 or more (got -1)"),
        (["profile", "--runs", "0"], "--runs must be at least 1 (got 0)"),
        (["profile", "--contexts", "0"], "--contexts must be at least 1 (got 0)"),
        (["profile", "--max-contexts", "5"], "--max-contexts (5) must be at least --contexts (7)"),
        (["profile", "--retime-budget=-0.5"], "--retime-budget must be 0 or more (got -0.5)"),
        (["profile", "--retime-budget", "nan"], "--retime-budget must be 0 or more (got nan)"),
        (["measure", "--table", "t.json"], "--table needs --arch"),
    ])
    func infiniteOrHugeFlags(arguments: [String], message: String) throws {
        try expectCleanFailure(arguments, message)
    }

    @Test func twoDecisionsWithOneName() throws {
        let file = Self.folder() + "/space.yaml"
        try "name: dup\nkind: categorical\ndecisions: {1: [a, b], '1': [c]}\n".write(toFile: file, atomically: true, encoding: .utf8)
        try expectCleanFailure(["search", "--target-ms", "1", "--space", file, "--evaluator", "table:x.csv"], "'decisions.1': appears twice")
    }

    @Test func forceResumeAfterTheSpaceGainedADecision() throws {
        let dir = Self.folder()
        let command = #"command:echo '{"accuracy": 0.5}'; :"#
        try "name: grow\nkind: categorical\ndecisions: {a: [x, y], b: [p, q]}\n".write(toFile: dir + "/two.yaml", atomically: true, encoding: .utf8)
        try "name: grow\nkind: categorical\ndecisions: {a: [x, y], b: [p, q], c: [u, v]}\n".write(toFile: dir + "/three.yaml", atomically: true, encoding: .utf8)
        let first = try NasctlProcess(["search", "--target-ms", "1", "--space", dir + "/two.yaml", "--evaluator", command, "--cycles", "4",
                                       "--population", "2", "--sample", "1", "--study", dir + "/study", "--workers", "1"]).wait()
        #expect(first.status == 0, "\(first.stderr)")
        try expectCleanFailure(["search", "--target-ms", "1", "--space", dir + "/three.yaml", "--evaluator", command, "--cycles", "8",
                                "--population", "2", "--sample", "1", "--study", dir + "/study", "--workers", "1", "--force-resume"],
                               "cannot be resumed even with --force-resume")
    }
}

/// A training checkpoint whose index points outside its data: the binary says so and starts
/// over, never reads out of bounds.
@Suite struct BadCheckpointProcessTests {
    @Test(arguments: [-5, Int.max - 3])
    func aCheckpointOffsetOutsideItsDataIsIgnoredWithAWarning(offset: Int) throws {
        let dir = BadInputProcessTests.folder()
        // 32 training and 8 test images, 28x28, 2 classes.
        for (split, count) in [("train", 32), ("t10k", 8)] {
            try BadInputProcessTests.idx([UInt32(count), 28, 28], (0..<(count * 784)).map { UInt8(truncatingIfNeeded: $0 * 7) })
                .write(to: URL(fileURLWithPath: dir + "/\(split)-images-idx3-ubyte"))
            try BadInputProcessTests.idx([UInt32(count)], (0..<count).map { UInt8($0 % 2) }).write(to: URL(fileURLWithPath: dir + "/\(split)-labels-idx1-ubyte"))
        }
        let arch = dir + "/mobilenetv2.json"
        try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("Configs/baselines/mobilenetv2.json").path, toPath: arch)
        let arguments = ["train", "--arch", arch, "--data", dir, "--epochs", "2", "--batch-size", "16", "--warmup-epochs", "0",
                         "--space", repositoryRoot.appendingPathComponent("Configs/mnasnet.yaml").path]
        // The checkpoint this very run would resume from (step 2 = one epoch), then one offset broken.
        let command = try #require(try Nasctl.parseAsRoot(arguments) as? TrainCommand)
        let plan = try command.plan()
        try TrainedModel.write(plan.network, to: plan.checkpoint, optimizerState: true, metadata: ["run": plan.run, "step": "2"])
        var index = try TrainedModel.index(at: plan.checkpoint)
        index.tensors[3].offset = offset
        try JSONEncoder().encode(index).write(to: URL(fileURLWithPath: plan.checkpoint + ".json"))
        let result = try NasctlProcess(arguments).wait(seconds: 300)
        #expect(result.reason == .exit && result.status == 0, "status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("warning: ignoring \(plan.checkpoint)") && result.stderr.contains("offset \(offset)")
                && result.stderr.contains("do not fit"), "\(result.stderr)")
        #expect(!result.stderr.contains("resuming from"))
    }
}
