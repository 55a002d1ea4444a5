import ArgumentParser
import Foundation
import NASEngine
import NASSearch
import NASSpace
import Testing
@testable import nasctl

/// `nasctl evaluate`: one architecture through the search's evaluators, failures as clear errors.
@Suite struct EvaluateCommandTests {
    let dir: String
    let spaceFile: String
    let archFile: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-evaluate-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        spaceFile = dir + "/pair.yaml"
        archFile = dir + "/arch.json"
        try "name: pair\nkind: categorical\ndecisions: {a: [x, y], b: [u, v]}\n".write(toFile: spaceFile, atomically: true, encoding: .utf8)
        try #"{"space": "pair", "decisions": {"a": "y", "b": "u"}}"#.write(toFile: archFile, atomically: true, encoding: .utf8)
        try "a,b,accuracy,latency_ms\nx,u,0.5,1\ny,u,0.75,2.5\n".write(toFile: dir + "/table.csv", atomically: true, encoding: .utf8)
    }

    func command(_ arguments: [String]) throws -> EvaluateCommand {
        try #require(try Nasctl.parseAsRoot(["evaluate"] + arguments) as? EvaluateCommand)
    }

    func message(_ arguments: [String]) -> String {
        do {
            var parsed = try Nasctl.parseAsRoot(["evaluate"] + arguments)
            try parsed.run()
            return "(no error)"
        } catch {
            #expect(Nasctl.exitCode(for: error).rawValue != 0)
            return Nasctl.fullMessage(for: error)
        }
    }

    @Test func tableEvaluatorReportsAccuracyAndLatency() throws {
        let report = try command(["--arch", archFile, "--space", spaceFile, "--evaluator", "table:\(dir)/table.csv"]).evaluate()
        #expect(report.accuracy == 0.75)
        #expect(report.latency_ms == 2.5)
        #expect(report.key.contains("y"))
    }

    @Test func anArchitectureMissingFromTheTableFailsNamingTheFile() throws {
        try "a,b,accuracy\nx,u,0.5\n".write(toFile: dir + "/short.csv", atomically: true, encoding: .utf8)
        let text = message(["--arch", archFile, "--space", spaceFile, "--evaluator", "table:\(dir)/short.csv"])
        #expect(text.contains(archFile) && text.contains("evaluation failed"), "got: \(text)")
    }

    @Test func aFailingCommandIsAnErrorWithItsReason() {
        let text = message(["--arch", archFile, "--space", spaceFile, "--evaluator", "command:echo broken >&2; exit 3"])
        #expect(text.contains("evaluation failed") && text.contains("3"), "got: \(text)")
    }

    /// The proxy's report names each block's feature map in the trained (proxy) network and in
    /// the deployment network, on a tiny synthetic data set (40 images, 28x28, 2 classes).
    @Test func proxyReportsFeatureMapsOfBothNetworks() throws {
        let data = try proxyTestData()
        let mobilenet = repositoryRoot.appendingPathComponent("Configs/baselines/mobilenetv2.json").path
        let report = try command(["--arch", mobilenet, "--space", repositoryRoot.appendingPathComponent("Configs/mnasnet.yaml").path, "--data", data,
                                  "--proxy-train-images", "16", "--proxy-validation-images", "8", "--proxy-batch-size", "16", "--proxy-epochs", "1",
                                  "--proxy-repeats", "2"]).evaluate()
        // Two repeats (data seeds 1 and 2): the accuracy is their mean, each reported.
        let each = try #require(report.repeat_accuracies)
        #expect(each.count == 2 && report.accuracy == (each[0] + each[1]) / 2)
        #expect(report.evaluator.hasSuffix(" repeats=2"))
        let maps = try #require(report.feature_maps)
        #expect(maps.map(\.block) == ["stem"] + (1...7).map { "block\($0)" })
        #expect(maps.map(\.proxy) == ["14x14", "14x14", "7x7", "4x4", "2x2", "2x2", "1x1", "1x1"])
        #expect(maps.map(\.deployment) == ["112x112", "112x112", "56x56", "28x28", "14x14", "14x14", "7x7", "7x7"])
        // The CIFAR form, without training it (a debug build trains it slowly): its network only.
        let options = try EvaluatorOptions.parse(["--data", data, "--proxy-train-images", "16", "--proxy-validation-images", "8", "--proxy-geometry", "min-4x4"])
        let space = try SpaceOptions.parse(["--space", repositoryRoot.appendingPathComponent("Configs/mnasnet.yaml").path]).load()
        let proxy = try #require(try options.make(space: space, workDirectory: dir, seed: 1) as? ProxyEvaluator)
        let wideMaps = NetworkBuilder.featureMaps(of: try proxy.proxyLayers(try Architecture.load(file: mobilenet, space: space)))
        #expect(wideMaps.map { "\($0.height)x\($0.width)" } == ["28x28", "28x28", "28x28", "14x14", "7x7", "7x7", "4x4", "4x4"])
        #expect(proxy.name.hasSuffix(" geometry=min-4x4") && !report.evaluator.contains("geometry"))
        #expect(message(["--arch", archFile, "--proxy-geometry", "huge"]).contains("--proxy-geometry is 'huge'; allowed: as-designed, min-4x4"))
    }

    /// `--proxy-repeats`: 1 to 8, the proxy only; N proxies on data seeds --seed, --seed + 1, ...
    @Test func proxyRepeatsAreCheckedAndBuildOneProxyPerDataSeed() throws {
        #expect(message(["--arch", archFile, "--proxy-repeats", "0"]).contains("--proxy-repeats must be 1 to 8 (got 0)"))
        #expect(message(["--arch", archFile, "--proxy-repeats", "9"]).contains("--proxy-repeats must be 1 to 8 (got 9)"))
        let text = message(["--arch", archFile, "--space", spaceFile, "--evaluator", "table:\(dir)/table.csv", "--proxy-repeats", "2"])
        #expect(text.contains("--proxy-repeats 2: only the proxy evaluator trains"), "got: \(text)")
        let space = try SpaceOptions.parse(["--space", repositoryRoot.appendingPathComponent("Configs/mnasnet.yaml").path]).load()
        let data = try proxyTestData()
        let repeated = try #require(try EvaluatorOptions.parse(["--data", data, "--proxy-repeats", "3"]).make(space: space, workDirectory: dir, seed: 5)
                                    as? RepeatedEvaluator)
        #expect(repeated.repeats.count == 3 && repeated.repeats.allSatisfy { $0 is ProxyEvaluator })
        #expect(repeated.name == repeated.repeats[0].name + " repeats=3")
        #expect(try EvaluatorOptions.parse(["--data", data]).make(space: space, workDirectory: dir, seed: 5) is ProxyEvaluator)
    }

    /// 40 random 28x28 training images of 2 classes in IDX files.
    func proxyTestData() throws -> String {
        let data = dir + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 7)
        var images = Data([0, 0, 8, 3, 0, 0, 0, 40, 0, 0, 0, 28, 0, 0, 0, 28])
        images.append(contentsOf: (0..<(40 * 28 * 28)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        try images.write(to: URL(fileURLWithPath: data + "/train-images-idx3-ubyte"))
        var labels = Data([0, 0, 8, 1, 0, 0, 0, 40])
        labels.append(contentsOf: (0..<40).map { UInt8($0 % 2) })
        try labels.write(to: URL(fileURLWithPath: data + "/train-labels-idx1-ubyte"))
        return data
    }

    @Test func categoricalSpacesNeedAnEvaluator() {
        #expect(message(["--arch", archFile, "--space", spaceFile]).contains("pass --evaluator table:FILE"))
    }

    @Test func proxyWithoutDataNamesThePackageAndTheOption() {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = message(["--arch", root.appendingPathComponent("Configs/baselines/mobilenetv2.json").path,
                            "--space", root.appendingPathComponent("Configs/mnasnet.yaml").path, "--data", dir + "/nothing-here"])
        #expect(text.contains("dataset-fashion-mnist") && text.contains("--data"), "got: \(text)")
    }

    @Test func proxyFlagsOverrideTheSpaceBudget() throws {
        let options = try EvaluatorOptions.parse(["--proxy-epochs", "3", "--proxy-train-images", "500", "--proxy-batch-size", "32",
                                                  "--proxy-learning-rate", "0.2", "--proxy-validation-images", "100",
                                                  "--proxy-clip-norm", "3", "--proxy-warmup-epochs", "0.4", "--proxy-adaptive-clip", "0.07"])
        var space = try nasctl.SpaceOptions.parse(["--space", spaceFile]).load()
        space.proxy.epochs = 1
        let budget = options.budget(for: space)
        #expect(budget.epochs == 3 && budget.trainImages == 500 && budget.batchSize == 32 && budget.learningRate == 0.2 && budget.validationImages == 100)
        #expect(budget.clipNorm == 3 && budget.warmupEpochs == 0.4 && budget.adaptiveClip == 0.07)
        #expect(try EvaluatorOptions.parse([]).budget(for: space) == space.proxy)
    }

    @Test(arguments: [["--proxy-batch-size", "0"], ["--proxy-learning-rate", "0"], ["--proxy-epochs=-1"], ["--trial-timeout", "0"],
                      ["--proxy-clip-norm=-1"], ["--proxy-warmup-epochs=-0.5"], ["--proxy-adaptive-clip=-0.1"],
                      ["--proxy-epochs", "inf"], ["--proxy-epochs", "nan"], ["--proxy-train-images", "100000000"], ["--proxy-batch-size", "1000000"],
                      ["--proxy-learning-rate", "inf"]])
    func outOfRangeBudgetsAreRefused(flags: [String]) {
        let text = message(["--arch", archFile] + flags)
        let flag = flags[0].split(separator: "=")[0]
        #expect(text.contains(flag) && (text.contains("allowed:") || text.contains("must be")), "\(text)")
    }

    /// `--schedule-epochs`: the proxy scores a rung of a longer schedule, exactly as the search's
    /// evaluator at that fidelity; equal to the proxy's epochs it changes nothing. A micro network
    /// on 48 seeded random 12x12 images.
    @Test func scheduleEpochsScoreARungOfALongerSchedule() throws {
        let data = dir + "/rung-data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 11)
        var images = Data([0, 0, 8, 3, 0, 0, 0, 48, 0, 0, 0, 12, 0, 0, 0, 12])
        images.append(contentsOf: (0..<(48 * 12 * 12)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        try images.write(to: URL(fileURLWithPath: data + "/train-images-idx3-ubyte"))
        var labels = Data([0, 0, 8, 1, 0, 0, 0, 48])
        labels.append(contentsOf: (0..<48).map { UInt8($0 % 2) })
        try labels.write(to: URL(fileURLWithPath: data + "/train-labels-idx1-ubyte"))
        let micro = dir + "/micro.yaml"
        try """
        name: micro
        kind: network
        input: {resolution: 12, channels: 1}
        classes: 2
        stem: {filters: 4}
        head: {filters: 8}
        choices: {op: [sepconv, mbconv3], kernel: [3], se: [0], skip: [none], width: [1.0], layers: [0]}
        blocks:
          - {filters: 4, layers: 1, stride: 2}
        """.write(toFile: micro, atomically: true, encoding: .utf8)
        let arch = dir + "/micro-arch.json"
        let space = try SearchSpace.load(file: micro)
        try Architecture(spaceName: "micro", values: space.decisions.map { $0.choices.last! }).json(in: space).write(toFile: arch, atomically: true, encoding: .utf8)
        let common = ["--arch", arch, "--space", micro, "--data", data, "--proxy-train-images", "32", "--proxy-validation-images", "16",
                      "--proxy-batch-size", "8"]
        let plain = try command(common + ["--proxy-epochs", "2"]).evaluate()
        let same = try command(common + ["--proxy-epochs", "2", "--schedule-epochs", "2"]).evaluate()
        #expect(same.accuracy == plain.accuracy && same.validation_loss == plain.validation_loss && same.training_loss == plain.training_loss)
        let rung = try command(common + ["--proxy-epochs", "1", "--schedule-epochs", "2"]).evaluate()
        let alone = try command(common + ["--proxy-epochs", "1"]).evaluate()
        #expect(rung.evaluator.hasSuffix(" schedule=2") && !alone.evaluator.contains("schedule"))
        #expect(rung.validation_loss != alone.validation_loss)  // a different learning-rate schedule over the first epoch
        // The search's evaluator at fidelity 1 of a 2-epoch schedule gives the same score.
        let options = try EvaluatorOptions.parse(["--data", data, "--proxy-train-images", "32", "--proxy-validation-images", "16",
                                                  "--proxy-batch-size", "8", "--proxy-epochs", "1"])
        let proxy = try #require(try options.make(space: space, workDirectory: dir, seed: 1, scheduleEpochs: 2) as? ProxyEvaluator)
        let scores = try #require(try proxy.scores(try Architecture.load(file: arch, space: space), epochs: 1, shouldStop: { false }))
        #expect(scores.validationAccuracy == rung.accuracy && scores.validationLoss == rung.validation_loss)

        // Restarted at 1: the first rung is the annealed 1-epoch proxy, and the top rung is what a
        // search with --rung-schedule restart trains (sha 1/2, eta 2: restart at 1).
        let restarted = try command(common + ["--proxy-epochs", "1", "--schedule-epochs", "2", "--restart-epochs", "1"]).evaluate()
        #expect(restarted.accuracy == alone.accuracy && restarted.validation_loss == alone.validation_loss && restarted.training_loss == alone.training_loss)
        let top = try command(common + ["--proxy-epochs", "2", "--schedule-epochs", "2", "--restart-epochs", "1"]).evaluate()
        #expect(top.evaluator.hasSuffix("rung-schedule=restart restarts=1") && top.validation_loss != plain.validation_loss)
        let scheduler = try SchedulerOptions.parse(["--scheduler", "sha", "--min-epochs", "1", "--max-epochs", "2", "--eta", "2", "--rung-schedule", "restart"])
        #expect(try scheduler.rungEpochs() == [1, 2])
        let searched = try #require(try options.make(space: space, workDirectory: dir, seed: 1, scheduleEpochs: scheduler.topFidelity,
                                                     rungSchedule: scheduler.proxyRungSchedule, rungEpochs: scheduler.rungEpochs()) as? ProxyEvaluator)
        let topScores = try #require(try searched.scores(try Architecture.load(file: arch, space: space), epochs: 2, shouldStop: { false }))
        #expect(searched.restartEpochs == [1] && topScores.validationAccuracy == top.accuracy && topScores.validationLoss == top.validation_loss)

        #expect(message(common + ["--proxy-epochs", "2", "--schedule-epochs", "1"]).contains("must be at least the proxy's epochs"))
        #expect(message(["--arch", archFile, "--space", spaceFile, "--evaluator", "table:\(dir)/table.csv", "--schedule-epochs", "3"])
            .contains("--schedule-epochs applies to the proxy evaluator only"))
    }
}
