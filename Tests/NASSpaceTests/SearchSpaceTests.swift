import Foundation
import NASEngine
import Testing
@testable import NASSpace

@Suite struct SearchSpaceTests {
    @Test func defaultSpaceIsMNasNetAroundMobileNetV2() throws {
        let space = try defaultSpace()
        let net = try #require(space.network)
        #expect(space.name == "mnasnet")
        #expect(net.blocks.map(\.filters) == [16, 24, 32, 64, 96, 160, 320])
        #expect(net.blocks.map(\.layers) == [1, 2, 3, 4, 3, 3, 1])
        #expect(net.blocks.map(\.stride) == [1, 2, 2, 2, 1, 2, 1])
        #expect(space.decisions.count == 42)
        #expect(space.decisions[0] == Decision(name: "block1.op", choices: ["conv", "sepconv", "mbconv3", "mbconv6"]))
        #expect(space.decisions[5].choices == ["0", "+1"])
        #expect(space.decisions[11].choices == ["-1", "0", "+1"])
        #expect(space.digest.count == 16)
    }

    @Test func baselineBuildsExactlyMobileNetV2() throws {
        let space = try defaultSpace()
        let arch = try Architecture.load(file: configPath("baselines/mobilenetv2.json"), space: space)
        let layers = try NetworkBuilder.layers(for: arch, in: space)
        #expect(layers.map(\.spec) == (try MobileNetV2.specs()))
        #expect(layers.last?.output == Shape(h: 1, w: 1, c: 1000))
        #expect(NetworkBuilder.cost(of: layers).macs == (try MobileNetV2.network()).macs)
    }

    @Test func categoricalSpaceHasSixEdges() throws {
        let space = try SearchSpace.load(file: configPath("nasbench201.yaml"))
        #expect(space.network == nil)
        #expect(space.decisions.map(\.name) == (0..<6).map { "edge\($0)" })
        #expect(space.decisions.allSatisfy { $0.choices == ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"] })
        #expect(space.size == 15_625)
        #expect(throws: SpaceError.self) { try NetworkBuilder.layers(for: Architecture.random(in: space, using: &rngForTests), in: space) }
    }

    @Test func digestIgnoresCommentsButNotContent() throws {
        let a = try SearchSpace.parse(yaml: smallSpaceYAML)
        let b = try SearchSpace.parse(yaml: "# a comment\n" + smallSpaceYAML)
        let c = try SearchSpace.parse(yaml: smallSpaceYAML.replacingOccurrences(of: "classes: 10", with: "classes: 11"))
        #expect(a.digest == b.digest)
        #expect(a.digest != c.digest)
    }

    @Test(arguments: [
        ("name: x\nkind: network\ninput: [", "not valid YAML"),
        ("", "empty"),
        ("name: x\nkind: graph", "'kind': is 'graph'; allowed: network, decisions (or its older name, categorical)"),
        ("kind: categorical\ndecisions: {a: [x]}", "'name': missing"),
        ("name: x\nkind: categorical\ndecisions: {a: []}", "'decisions.a': needs at least one choice"),
        ("name: x\nkind: categorical\ndecisions: {a: [p, p]}", "'decisions.a': has a repeated choice"),
        ("name: x\nkind: categorical\ndecisions: {a: [p]}\ncolour: red", "'colour': unknown field"),
        ("name: x\nkind: categorical\ndecisions: {1: [p], '1': [q]}", "'decisions.1': appears twice"),
    ])
    func malformedFilesAreClearErrors(yaml: String, message: String) {
        #expect {
            try SearchSpace.parse(yaml: yaml, source: "bad.yaml")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("bad.yaml") && text.contains(message)
        }
    }

    @Test(arguments: [
        ("op: [conv, sepconv, mbconv3, mbconv6]", "op: [conv, warpconv]", "'blocks[0].choices.op' is not it", "unknown op 'warpconv'; allowed: conv, sepconv, mbconv3, mbconv6"),
        ("kernel: [3, 5]", "kernel: []", "", "'choices.kernel': is empty"),
        ("kernel: [3, 5]", "kernel: [3, 4]", "", "'choices.kernel': '4' is not allowed; allowed: 3, 5, 7"),
        ("resolution: 32", "resolution: 4", "", "'input.resolution': 4 is too small: the 3 stride-2 layers need at least 5x5"),
        ("layers: [-1, 0, 1]", "layers: [-2, 0, 1]", "", "'blocks[1].layers': base 2 with layer choice -2 leaves 0 layers"),
        ("{filters: 24, layers: 2, stride: 2}", "{filters: 24, layers: -1, stride: 2}", "", "'blocks[1].layers': is -1; allowed: 1 to 64"),
        ("{filters: 24, layers: 2, stride: 2}", "{filters: 24, layers: 2, stride: 3}", "", "'blocks[1].stride': '3' is not allowed; allowed: 1, 2"),
        ("se: [0, 0.25]", "se: [0, 1.5]", "", "'choices.se': '1.5' must be a ratio in [0, 1)"),
        ("width: [0.75, 1.0, 1.25]", "width: wide", "", "'choices.width': must be a list"),
        ("activation: relu6", "activation: gelu", "", "'activation': is 'gelu'"),
        // Sizes a user controls are bounded where they enter (no overflow, no out-of-memory kill).
        ("resolution: 32", "resolution: 100000", "", "'input.resolution': is 100000; allowed: 1 to 4096"),
        ("head: {filters: 64}", "head: {filters: 9223372036854775807}", "", "'head.filters': is 9223372036854775807; allowed: 1 to 4096"),
        ("{filters: 24, layers: 2, stride: 2}", "{filters: 24, layers: 1000000, stride: 2}", "", "'blocks[1].layers': is 1000000; allowed: 1 to 64"),
        ("layers: [-1, 0, 1]", "layers: [-1, 0, 63]", "", "'blocks[1].layers': base 2 with layer choice +63 gives 65 layers; at most 64"),
        ("classes: 10", "classes: 10000000", "", "'classes': is 10000000; allowed: 1 to 100000"),
        ("classes: 10", "classes: 10\nproxy: {epochs: .inf}", "", "'proxy.epochs': is inf; allowed: 0 < x <= 1000"),
        ("classes: 10", "classes: 10\nproxy: {train_images: 2.5}", "", "'proxy.train_images': '2.5' must be an integer"),
        ("classes: 10", "classes: 10\nproxy: {batch_size: 100000000000000000000}", "", "'proxy.batch_size'"),
    ])
    func badNetworkFieldsNameTheField(old: String, new: String, _: String, message: String) throws {
        var yaml = smallSpaceYAML
        if !yaml.contains(old) { yaml += "\n" + old }  // e.g. the activation line
        yaml = yaml.replacingOccurrences(of: old, with: new)
        #expect {
            try SearchSpace.parse(yaml: yaml, source: "space.yaml")
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func missingFileIsAClearError() {
        #expect {
            try SearchSpace.load(file: "/nonexistent/space.yaml")
        } throws: { error in
            "\(error)".contains("/nonexistent/space.yaml") && "\(error)".contains("no such file")
        }
    }
}

nonisolated(unsafe) var rngForTests = SplitMix64(seed: 1)
