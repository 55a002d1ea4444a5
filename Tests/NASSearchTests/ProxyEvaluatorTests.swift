import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch
@testable import NASTraining

/// A data directory with learnable 8x8 training images (class k lights row k mod 8) and
/// corrupt test files: anything that reads them fails.
func proxyDataDirectory(count: Int = 300) throws -> String {
    let dir = temporaryDirectory("proxy-data")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var rng = SplitMix64(seed: 9)
    var images = Data([0, 0, 8, 3, 0, 0, UInt8(count >> 8), UInt8(count & 255), 0, 0, 0, 8, 0, 0, 0, 8])
    var labels = Data([0, 0, 8, 1, 0, 0, UInt8(count >> 8), UInt8(count & 255)])
    for i in 0..<count {
        let label = i % 10
        for y in 0..<8 { for x in 0..<8 {
            let lit = y == label % 8 || (label >= 8 && x == label - 6)
            images.append(UInt8(min(255, (lit ? 160 : 0) + Int(rng.next() % 60))))
        } }
        labels.append(UInt8(label))
    }
    try images.write(to: URL(fileURLWithPath: dir + "/train-images-idx3-ubyte"))
    try labels.write(to: URL(fileURLWithPath: dir + "/train-labels-idx1-ubyte"))
    try Data("corrupt: the search must never read the test split".utf8).write(to: URL(fileURLWithPath: dir + "/t10k-images-idx3-ubyte"))
    try Data("corrupt".utf8).write(to: URL(fileURLWithPath: dir + "/t10k-labels-idx1-ubyte"))
    return dir
}

let proxySpaceYAML = """
name: proxytiny
kind: network
input: {resolution: 224, channels: 3}
classes: 1000
stem: {filters: 8, kernel: 3, stride: 1}
head: {filters: 32}
choices: {op: [conv, mbconv3], kernel: [3], se: [0, 0.25], skip: [identity], width: [1.0], layers: [0]}
blocks:
  - {filters: 8, layers: 1, stride: 2}
proxy: {epochs: 4, train_images: 200, validation_images: 100, batch_size: 20, learning_rate: 0.1}
"""

@Suite struct ProxyEvaluatorTests {
    @Test func trainsOnTheTrainingSplitOnlyAndScoresReproducibly() throws {
        let space = try SearchSpace.parse(yaml: proxySpaceYAML)
        #expect(space.proxy.trainImages == 200 && space.proxy.epochs == 4)
        let dir = try proxyDataDirectory()
        let proxy = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: dir)
        #expect(proxy.train.count == 200 && proxy.validation.count == 100)
        var rng = SplitMix64(seed: 1)
        let arch = Architecture.random(in: space, using: &rng)
        let first = proxy.evaluate(arch, trial: 0)
        guard let accuracy = first.accuracy else { Issue.record("\(first)"); return }
        let latency = first.latencyMs
        #expect(accuracy > 0.3, "well above chance (0.1)")
        #expect(latency == nil)
        #expect(proxy.evaluate(arch, trial: 5) == first)
        // The extra scores come from the same training: its accuracy, and losses below chance's ln 10.
        let scores = try proxy.scores(arch)
        #expect(scores.validationAccuracy == accuracy)
        #expect(scores.validationLoss > 0 && scores.validationLoss < log(10.0))
        #expect(scores.trainingLoss > 0 && scores.trainingLoss < log(10.0))
    }

    /// A rung continued from its checkpoint is the run that trains to the higher fidelity at
    /// once: 1 epoch, then 1 more, then 2 more of a 4-epoch schedule score exactly as 4 epochs
    /// (and as 2 epochs for the middle rung); a fidelity beyond the schedule is refused.
    @Test func rungsContinueFromTheCheckpointExactly() throws {
        let space = try SearchSpace.parse(yaml: proxySpaceYAML)
        let dir = try proxyDataDirectory()
        let proxy = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: dir, scheduleEpochs: 4)
        var rng = SplitMix64(seed: 3)
        let arch = Architecture.random(in: space, using: &rng)
        let checkpoints = temporaryDirectory("proxy-rungs")
        func at(_ epochs: Double, _ folder: String?) -> Evaluation {
            proxy.evaluate(EvaluationRequest(arch: arch, trial: 0, fidelity: Fidelity(epochs), checkpointDirectory: folder))
        }
        let rung1 = at(1, checkpoints)
        #expect(FileManager.default.fileExists(atPath: checkpoints + "/proxy.weights"))
        let rung2 = at(2, checkpoints), rung4 = at(4, checkpoints)
        #expect(rung1.fidelity == Fidelity(1) && rung2.fidelity == Fidelity(2) && rung4.fidelity == Fidelity(4))
        #expect(rung2 == at(2, nil))
        #expect(rung4 == at(4, nil))
        #expect(rung4 == proxy.evaluate(arch, trial: 0))
        #expect(rung1.accuracy != nil && rung4.accuracy != nil)
        // The rungs did continue: a fresh folder at rung 1, then from epoch 1 to 3.
        let again = temporaryDirectory("proxy-rungs-again")
        #expect(try proxy.scores(arch, epochs: 1, checkpointDirectory: again, shouldStop: { false })?.continuedFromEpoch == nil)
        let continued = try #require(try proxy.scores(arch, epochs: 3, checkpointDirectory: again, shouldStop: { false }))
        #expect(continued.continuedFromEpoch == 1)
        #expect(continued == (try proxy.scores(arch, epochs: 3, shouldStop: { false }).map { s in var s = s; s.continuedFromEpoch = 1; return s }))
        // A checkpoint of another architecture (or beyond the fidelity asked) is not used.
        let other = Architecture.random(in: space, using: &rng)
        #expect(proxy.evaluate(EvaluationRequest(arch: other, trial: 1, fidelity: Fidelity(4), checkpointDirectory: checkpoints))
                == proxy.evaluate(EvaluationRequest(arch: other, trial: 1, fidelity: Fidelity(4))))
        #expect(at(5, nil).failure?.message.contains("spans 4 epochs") == true)
    }

    /// Per-rung schedules: each rung trains from scratch under a complete schedule of its own
    /// epochs (exactly the flat proxy of that many epochs), never reads or writes a checkpoint,
    /// and the top rung is the whole schedule as with `whole`.
    @Test func perRungSchedulesTrainEachRungFromScratch() throws {
        let space = try SearchSpace.parse(yaml: proxySpaceYAML)
        let dir = try proxyDataDirectory()
        let perRung = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: dir, scheduleEpochs: 4, rungSchedule: .perRung)
        let whole = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: dir, scheduleEpochs: 4)
        #expect(perRung.name.contains(" rung-schedule=per-rung") && !whole.name.contains("rung-schedule"), "\(perRung.name)")
        var rng = SplitMix64(seed: 5)
        let arch = Architecture.random(in: space, using: &rng)
        let checkpoints = temporaryDirectory("proxy-per-rung")
        func at(_ proxy: ProxyEvaluator, _ epochs: Double) -> Evaluation {
            proxy.evaluate(EvaluationRequest(arch: arch, trial: 0, fidelity: Fidelity(epochs), checkpointDirectory: checkpoints))
        }
        var oneEpoch = space.proxy
        oneEpoch.epochs = 1
        let flat1 = try ProxyEvaluator(space: space, budget: oneEpoch, dataDirectory: dir).scores(arch)
        let rung1 = at(perRung, 1)
        #expect(rung1.accuracy == flat1.validationAccuracy && rung1.fidelity == Fidelity(1))
        #expect(!FileManager.default.fileExists(atPath: checkpoints + "/proxy.weights"))
        #expect(rung1 != at(whole, 1))  // the whole schedule's first epoch is not annealed
        // The top rung is the whole schedule, not continued from the whole evaluator's rung-1 checkpoint.
        #expect(FileManager.default.fileExists(atPath: checkpoints + "/proxy.weights"))
        #expect(at(perRung, 4) == whole.evaluate(arch, trial: 0))
    }

    /// Restarted schedules: rung 1 is exactly the per-rung (annealed) rung 1; rung 2 continues
    /// from rung 1's checkpoint and equals the uninterrupted restarted run to 2 epochs, bit for
    /// bit; the top rung differs from the unrestarted schedule.
    @Test func restartedSchedulesAnnealEachRungAndContinueExactly() throws {
        let space = try SearchSpace.parse(yaml: proxySpaceYAML)
        let dir = try proxyDataDirectory()
        let restart = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: dir, scheduleEpochs: 4, rungSchedule: .restart,
                                         rungEpochs: [1, 2, 4])
        let perRung = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: dir, scheduleEpochs: 4, rungSchedule: .perRung)
        let whole = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: dir, scheduleEpochs: 4)
        #expect(restart.restartEpochs == [1, 2] && restart.name.hasSuffix("rung-schedule=restart restarts=1,2"), "\(restart.name)")
        var rng = SplitMix64(seed: 11)
        let arch = Architecture.random(in: space, using: &rng)
        let checkpoints = temporaryDirectory("proxy-restart")
        func at(_ proxy: ProxyEvaluator, _ epochs: Double, _ folder: String?) -> Evaluation {
            proxy.evaluate(EvaluationRequest(arch: arch, trial: 0, fidelity: Fidelity(epochs), checkpointDirectory: folder))
        }
        let rung1 = at(restart, 1, checkpoints)
        #expect(rung1 == at(perRung, 1, nil) && rung1 != at(whole, 1, nil))
        #expect(FileManager.default.fileExists(atPath: checkpoints + "/proxy.weights"))
        let continued = try #require(try restart.scores(arch, epochs: 2, checkpointDirectory: checkpoints, shouldStop: { false }))
        #expect(continued.continuedFromEpoch == 1)
        let fresh = try #require(try restart.scores(arch, epochs: 2, shouldStop: { false }))
        #expect(continued.validationAccuracy == fresh.validationAccuracy && continued.validationLoss == fresh.validationLoss
                && continued.trainingLoss == fresh.trainingLoss)
        #expect(at(restart, 4, checkpoints) == at(restart, 4, nil))
        #expect(try restart.scores(arch).validationLoss != (try whole.scores(arch)).validationLoss)
    }

    /// The same images as an IDX pair and as a PNG image folder (written here, in the folder's
    /// order: by class, then file name) train to exactly the same proxy score, augmentation off.
    @Test func anImageFolderScoresAsTheSameImagesInIDX() throws {
        let space = try SearchSpace.parse(yaml: proxySpaceYAML)
        var rng = SplitMix64(seed: 9)
        let count = 300
        var images: [[UInt8]] = [], labels: [Int] = []
        for i in 0..<count {
            let label = i % 10
            images.append((0..<64).map { p in UInt8(min(255, (p / 8 == label % 8 || (label >= 8 && p % 8 == label - 6) ? 160 : 0) + Int(rng.next() % 60))) })
            labels.append(label)
        }
        let order = (0..<count).sorted { (labels[$0], $0) < (labels[$1], $1) }
        let idx = temporaryDirectory("idx-order"), folder = temporaryDirectory("png-folder")
        try FileManager.default.createDirectory(atPath: idx, withIntermediateDirectories: true)
        var imageFile = Data([0, 0, 8, 3, 0, 0, UInt8(count >> 8), UInt8(count & 255), 0, 0, 0, 8, 0, 0, 0, 8])
        var labelFile = Data([0, 0, 8, 1, 0, 0, UInt8(count >> 8), UInt8(count & 255)])
        for i in order {
            imageFile.append(contentsOf: images[i]); labelFile.append(UInt8(labels[i]))
            let dir = "\(folder)/train/\(labels[i])"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try PNG.encode(images[i], width: 8, height: 8, channels: 1).write(to: URL(fileURLWithPath: String(format: "%@/%04d.png", dir, i)))
        }
        try imageFile.write(to: URL(fileURLWithPath: idx + "/train-images-idx3-ubyte"))
        try labelFile.write(to: URL(fileURLWithPath: idx + "/train-labels-idx1-ubyte"))
        let fromIDX = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: idx)
        let fromFolder = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: folder, augment: false)
        #expect(fromFolder.train.pixels == fromIDX.train.pixels && fromFolder.train.labels == fromIDX.train.labels)
        // Image folders augment by default (IDX does not); the comparison turns it off.
        #expect(try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: folder).name.hasSuffix(" augment=crop1+flip"))
        #expect(fromIDX.augmentation == nil && fromFolder.augmentation == nil)
        #expect(fromFolder.train.classNames == (0..<10).map(String.init))
        var archRNG = SplitMix64(seed: 5)
        let arch = Architecture.random(in: space, using: &archRNG)
        let a = fromIDX.evaluate(arch, trial: 0), b = fromFolder.evaluate(arch, trial: 0)
        #expect(a.accuracy != nil && a == b)
    }

    /// Squeeze-excite on a plain convolution and a skip no layer can take (stride 2) change
    /// nothing the proxy trains or latency measures: those architectures share an identity;
    /// squeeze-excite on an MBConv does change the network.
    @Test func architecturesThatBuildTheSameNetworkShareAnIdentity() throws {
        let space = try SearchSpace.parse(yaml: proxySpaceYAML.replacingOccurrences(of: "skip: [identity]", with: "skip: [identity, none]"))
        let proxy = try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: try proxyDataDirectory())
        func arch(_ op: String, se: String, skip: String) throws -> Architecture {
            try Architecture(space: space, choices: ["block1.op": op, "block1.kernel": "3", "block1.se": se, "block1.skip": skip,
                                                     "block1.width": "1.0", "block1.layers": "0"])
        }
        let conv = try proxy.networkIdentity(of: arch("conv", se: "0.0", skip: "identity"))
        #expect(conv != nil)
        #expect(try proxy.networkIdentity(of: arch("conv", se: "0.25", skip: "identity")) == conv)
        #expect(try proxy.networkIdentity(of: arch("conv", se: "0.25", skip: "none")) == conv)
        let mbconv = try proxy.networkIdentity(of: arch("mbconv3", se: "0.0", skip: "identity"))
        #expect(mbconv != conv)
        #expect(try proxy.networkIdentity(of: arch("mbconv3", se: "0.0", skip: "none")) == mbconv)
        #expect(try proxy.networkIdentity(of: arch("mbconv3", se: "0.25", skip: "none")) != mbconv)
        // The keys (what a study shows and seeds training from) stay distinct.
        #expect(try arch("conv", se: "0.0", skip: "identity").key(in: space) != arch("conv", se: "0.25", skip: "identity").key(in: space))
    }

    @Test func categoricalSpacesAreRefused() throws {
        let space = try SearchSpace.parse(yaml: "name: c\nkind: categorical\ndecisions: {a: [x]}")
        #expect(throws: SearchError.self) { try ProxyEvaluator(space: space, budget: ProxyBudget(), dataDirectory: "/nonexistent") }
    }

    @Test func missingDataNamesThePackage() throws {
        let space = try SearchSpace.parse(yaml: proxySpaceYAML)
        #expect { try ProxyEvaluator(space: space, budget: space.proxy, dataDirectory: "/nonexistent") } throws: {
            "\($0)".contains("dataset-fashion-mnist")
        }
    }

    @Test(arguments: [("epochs: 4", "epochs: -1", "'proxy.epochs'"), ("learning_rate: 0.1", "learning_rate: 0.1, clip_norm: -2", "'proxy.clip_norm'"),
                      ("learning_rate: 0.1", "learning_rate: 0.1, warmup_epochs: -1", "'proxy.warmup_epochs'"),
                      ("learning_rate: 0.1", "learning_rate: 0.1, adaptive_clip: -0.1", "'proxy.adaptive_clip'")])
    func badProxySectionNamesTheField(field: String, bad: String, name: String) {
        let yaml = proxySpaceYAML.replacingOccurrences(of: field, with: bad)
        #expect { try SearchSpace.parse(yaml: yaml, source: "p.yaml") } throws: { "\($0)".contains(name) }
    }

    @Test func clipNormWarmupAndAdaptiveClipAreReadFromTheProxySection() throws {
        let defaults = try SearchSpace.parse(yaml: proxySpaceYAML).proxy
        let absent = ProxyBudget()
        #expect(defaults.clipNorm == absent.clipNorm && defaults.warmupEpochs == absent.warmupEpochs
                && defaults.adaptiveClip == absent.adaptiveClip, "absent keys keep the defaults")
        let yaml = proxySpaceYAML.replacingOccurrences(of: "learning_rate: 0.1", with: "learning_rate: 0.1, clip_norm: 2.5, warmup_epochs: 0.5, adaptive_clip: 0.03")
        let budget = try SearchSpace.parse(yaml: yaml).proxy
        #expect(budget.clipNorm == 2.5 && budget.warmupEpochs == 0.5 && budget.adaptiveClip == 0.03)
    }
}
