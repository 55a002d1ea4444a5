import ArgumentParser
import Foundation
import Testing
@testable import nasctl

/// Bad input gets a clear message and a non-zero exit, never a crash.
@Suite struct CommandLineTests {
    /// Parses and runs `arguments`; returns the message and exit code the CLI would print.
    func failure(_ arguments: [String]) -> (message: String, code: Int32)? {
        do {
            var command = try Nasctl.parseAsRoot(arguments)
            try command.run()
            return nil
        } catch {
            return (Nasctl.fullMessage(for: error), Nasctl.exitCode(for: error).rawValue)
        }
    }

    @Test(arguments: [
        (["measure", "--model", "resnet"], "unknown model 'resnet' (known: mobilenetv2)"),
        (["measure", "--threads", "0"], "--threads must be at least 1"),
        (["measure", "--resolution", "16"], "resolution 16 is too small for mobilenetv2"),
        (["measure", "--runs", "0"], "--runs must be at least 1"),
        (["measure", "--width", "0"], "--width must be in (0, 4]"),
        (["measure", "--warmup=-1"], "--warmup must be 0 or more"),
    ])
    func badMeasureInputIsAClearError(arguments: [String], message: String) throws {
        let result = try #require(failure(arguments))
        #expect(result.message.contains(message), "got: \(result.message)")
        #expect(result.code != 0)
    }

    @Test(arguments: [
        (["validate", "--samples", "1"], "--samples must be at least 2"),
        (["validate", "--retime-passes=-1"], "--retime-passes must be between 0 and 10"),
        (["validate", "--retime-passes", "11"], "--retime-passes must be between 0 and 10"),
    ])
    func badValidateInputIsAClearError(arguments: [String], message: String) throws {
        let result = try #require(failure(arguments))
        #expect(result.message.contains(message), "got: \(result.message)")
        #expect(result.code != 0)
    }

    @Test(arguments: [
        (["search", "--target-ms", "30", "--finalize-select", "accuracy"], "--finalize-select needs --finalize K"),
        (["search", "--target-ms", "30", "--finalize", "2", "--finalize-select", "best"], "'reward', 'accuracy' or 'spread'"),
        (["search", "--target-ms", "30", "--export"], "--export needs --finalize K"),
        (["search", "--target-ms", "30", "--finalize", "0"], "--finalize must be at least 1"),
        (["search", "--target-ms", "30", "--rung-schedule", "per-rung"], "add --scheduler sha|asha|hyperband|median"),
        (["search", "--target-ms", "30", "--min-epochs", "1"], "add --scheduler sha|asha|hyperband|median"),
        (["search", "--target-ms", "30", "--scheduler", "sha", "--rung-schedule", "cosine"], "'whole', 'per-rung' or 'restart'"),
        (["search", "--target-ms", "30", "--scheduler", "fifo"], "--scheduler is 'fifo'; allowed: none, sha, asha, hyperband, median"),
        (["search", "--target-ms", "30", "--scheduler", "median", "--eta", "3"], "--eta has no part in the median stopping rule"),
        (["search", "--target-ms", "30", "--promote-by", "objective"], "add --scheduler sha|asha|hyperband|median"),
        (["search", "--target-ms", "30", "--scheduler", "sha", "--promote-by", "accuracy"], "one of 'reward' and 'objective'"),
    ])
    func badSchedulerOptionsAreAClearError(arguments: [String], message: String) throws {
        let result = try #require(failure(arguments))
        #expect(result.message.contains(message), "got: \(result.message)")
        #expect(result.code != 0)
    }

    @Test(arguments: [
        (["evaluate", "--arch", "a.json", "--restart-epochs", "1,x"], "--restart-epochs must be increasing positive epochs"),
        (["evaluate", "--arch", "a.json", "--restart-epochs", "3,1", "--schedule-epochs", "9"], "--restart-epochs must be increasing positive epochs"),
        (["evaluate", "--arch", "a.json", "--restart-epochs", "0,3", "--schedule-epochs", "9"], "--restart-epochs must be increasing positive epochs"),
        (["evaluate", "--arch", "a.json", "--restart-epochs", "1,3"], "--restart-epochs needs --schedule-epochs above every restart"),
        (["evaluate", "--arch", "a.json", "--restart-epochs", "1,9", "--schedule-epochs", "9"], "--restart-epochs needs --schedule-epochs above every restart"),
        (["search", "--target-ms", "30", "--rung-schedule", "restart"], "add --scheduler sha|asha|hyperband|median"),
    ])
    func badRestartOptionsAreAClearError(arguments: [String], message: String) throws {
        let result = try #require(failure(arguments))
        #expect(result.message.contains(message), "got: \(result.message)")
        #expect(result.code != 0)
    }

    @Test(arguments: [
        (["train", "--arch", "a.json", "--epochs", "0"], "--epochs must be positive"),
        (["train", "--arch", "a.json", "--clip-norm=-1"], "--clip-norm must be 0 (off) or positive"),
        (["train", "--arch", "a.json", "--adaptive-clip=-0.1"], "--adaptive-clip must be 0 (off) or positive"),
        (["train", "--arch", "a.json", "--epochs", "2", "--warmup-epochs", "2"], "--warmup-epochs must be at least 0 and less than --epochs"),
        (["train", "--arch", "a.json", "--warmup-epochs=-0.5"], "--warmup-epochs must be at least 0"),
    ])
    func badTrainSettingsAreAClearError(arguments: [String], message: String) throws {
        let result = try #require(failure(arguments))
        #expect(result.message.contains(message), "got: \(result.message)")
        #expect(result.code != 0)
    }

    @Test(arguments: [
        (["search", "--target-ms", "30", "--space", "Configs/nasbench201.yaml", "--evaluator", "table:t.csv", "--study", "postgresql://u@h/db"],
         "the URL names no study; add ?study=NAME"),
        (["pareto", "--study", "sqlite://x"], "'sqlite://' studies are not supported; give a folder"),
    ])
    func studyURLsAreAClearError(arguments: [String], message: String) throws {
        let result = try #require(failure(arguments))
        #expect(result.message.contains(message), "got: \(result.message)")
        #expect(result.code != 0)
    }

    @Test func measureJSONHasTheBenchmarkModelFields() throws {
        let report = try MeasureCommand.measureReport(model: "mobilenetv2", resolution: 32, width: 0.35, threads: 1, runs: 3, warmup: 1, seed: 1, profile: true)
        let text = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        for key in ["count", "first_ms", "min_ms", "median_ms", "mean_ms", "max_ms", "std_ms", "threads", "macs", "layers"] {
            #expect(text.contains("\"\(key)\""), "missing \(key)")
        }
        #expect(report.statistics.count == 3)
        #expect(report.layers?.count == 22)
    }

    @Test func deviceRuns() throws {
        var command = try Nasctl.parseAsRoot(["device", "--json"])
        try command.run()
    }
}

@Suite struct DefaultStudyFolderTests {
    @Test func searchesStartedInTheSameSecondGetTheirOwnFolders() throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-runs-\(UUID().uuidString)").path
        let folders = try (0..<3).map { _ in try SearchCommand.newStudyFolder(under: parent) }
        #expect(Set(folders).count == 3)
        #expect(folders.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        #expect(folders[1] == folders[0] + "-2" || !folders[1].hasPrefix(folders[0]))  // same second: suffixed
    }
}

@Suite struct GridCommandTests {
    @Test func aGridLargerThanTheBudgetIsRefusedWithItsSize() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-grid-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "name: hp\nkind: categorical\ndecisions: {a: [x, y, z], b: [u, v]}\n".write(toFile: dir + "/hp.yaml", atomically: true, encoding: .utf8)
        do {
            var command = try Nasctl.parseAsRoot(["search", "--target-ms", "1", "--space", dir + "/hp.yaml", "--strategy", "grid", "--cycles", "5",
                                                  "--evaluator", "command:echo '{\"accuracy\": 0.5}'; :", "--study", dir + "/study"])
            try command.run()
            Issue.record("a 6-point grid ran with 5 cycles")
        } catch {
            let text = Nasctl.fullMessage(for: error)
            #expect(text.contains("has 6 architectures, more than --cycles 5"), "\(text)")
        }
    }
}
