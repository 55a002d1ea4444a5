import Foundation
import NASEngine
import Testing
@testable import NASSpace

@Suite struct ArchitectureTests {
    @Test func jsonRoundTripsAndKeyIsStable() throws {
        let space = try defaultSpace()
        var rng = SplitMix64(seed: 5)
        for _ in 0..<50 {
            let arch = Architecture.random(in: space, using: &rng)
            let json = try arch.json(in: space)
            let back = try Architecture.parse(json: Data(json.utf8), space: space)
            #expect(back == arch)
            #expect(back.key(in: space) == arch.key(in: space))
        }
        let baseline = try Architecture.load(file: configPath("baselines/mobilenetv2.json"), space: space)
        #expect(baseline.key(in: space).hasPrefix("sepconv/3/0.0/identity/1.0/0|mbconv6/3/0.0/identity/1.0/0|"))
        #expect(baseline.key(in: space).split(separator: "|").count == 7)
    }

    @Test func mutationChangesExactlyOneDecisionAndStaysValid() throws {
        let space = try defaultSpace()
        var rng = SplitMix64(seed: 6)
        for _ in 0..<500 {
            let parent = Architecture.random(in: space, using: &rng)
            let child = parent.mutated(in: space, using: &rng)
            #expect(zip(parent.values, child.values).filter { $0 != $1 }.count == 1)
            try child.validate(in: space)
        }
    }

    @Test func samplingCoversEveryChoice() throws {
        for space in [try defaultSpace(), try SearchSpace.load(file: configPath("nasbench201.yaml"))] {
            var rng = SplitMix64(seed: 7)
            var seen = Array(repeating: Set<String>(), count: space.decisions.count)
            for _ in 0..<400 {
                let arch = Architecture.random(in: space, using: &rng)
                for (i, v) in arch.values.enumerated() { seen[i].insert(v) }
            }
            for (d, s) in zip(space.decisions, seen) { #expect(s == Set(d.choices), "\(d.name)") }
        }
    }

    @Test func architecturesThatDoNotFitAreRejectedWithAReason() throws {
        let space = try defaultSpace()
        let baseline = try String(contentsOfFile: configPath("baselines/mobilenetv2.json"), encoding: .utf8)
        let cases: [(String, String)] = [
            (baseline.replacingOccurrences(of: "\"mbconv6\"", with: "\"mbconv9\""), "'decisions.block2.op': 'mbconv9' is not a choice"),
            (baseline.replacingOccurrences(of: "\"space\": \"mnasnet\"", with: "\"space\": \"nasbench201\""), "architecture is for space 'nasbench201'"),
            (baseline.replacingOccurrences(of: "\"block3.kernel\": \"3\",", with: ""), "'decisions.block3.kernel': missing"),
            (baseline.replacingOccurrences(of: "\"block3.kernel\": \"3\",", with: "\"block3.kernel\": \"3\", \"block9.op\": \"conv\","), "'decisions.block9.op': is not a decision"),
            ("{\"space\": 3}", "not an architecture JSON"),
        ]
        for (json, message) in cases {
            #expect {
                try Architecture.parse(json: Data(json.utf8), space: space, source: "arch.json")
            } throws: { error in
                "\(error)".hasPrefix("arch.json") && "\(error)".contains(message)
            }
        }
    }
}

@Suite struct NetworkBuilderTests {
    /// Property: every layer of every sampled architecture has a signature the profiler enumerates.
    @Test(arguments: [UInt64(1), 2, 3])
    func everyBuiltLayerIsEnumerated(seed: UInt64) throws {
        for space in [try defaultSpace(), try SearchSpace.parse(yaml: smallSpaceYAML)] {
            let enumerated = Set(try NetworkBuilder.allLayers(in: space).map(\.signature))
            var rng = SplitMix64(seed: seed)
            for _ in 0..<300 {
                let arch = Architecture.random(in: space, using: &rng)
                for layer in try NetworkBuilder.layers(for: arch, in: space) {
                    #expect(enumerated.contains(layer.signature), "missing \(layer.signature)")
                }
            }
        }
    }

    @Test func enumerationHasNoDuplicatesAndEveryLayerIsValid() throws {
        let layers = try NetworkBuilder.allLayers(in: try defaultSpace())
        #expect(Set(layers.map(\.signature)).count == layers.count)
        for layer in layers { try layer.spec.validate() }
        #expect(layers.count > 1000 && layers.count < 3000)
    }

    @Test func skipIsAppliedOnlyWhereLegal() throws {
        let space = try defaultSpace()
        var rng = SplitMix64(seed: 4)
        for _ in 0..<100 {
            for layer in try NetworkBuilder.layers(for: Architecture.random(in: space, using: &rng), in: space) where layer.spec.skip {
                #expect(layer.spec.stride == 1 && layer.spec.inChannels == layer.spec.outChannels)
            }
        }
    }

    @Test func costMatchesTheInstantiatedNetwork() throws {
        let space = try SearchSpace.parse(yaml: smallSpaceYAML)
        var rng = SplitMix64(seed: 8)
        for i in 0..<10 {
            let arch = Architecture.random(in: space, using: &rng)
            let layers = try NetworkBuilder.layers(for: arch, in: space)
            let network = try NetworkBuilder.network(for: arch, in: space, seed: UInt64(i))
            let cost = NetworkBuilder.cost(of: layers)
            #expect(cost.macs == network.macs)
            #expect(cost.parameters == network.parameterCount)
            #expect(network.outputShape == Shape(h: 1, w: 1, c: 10))
        }
    }
}

@Suite struct LayerEnumerationTests {
    /// Every enumerated layer really appears in an architecture built from its requirements.
    @Test func requirementsProduceTheLayer() throws {
        for space in [try defaultSpace(), try SearchSpace.parse(yaml: smallSpaceYAML)] {
            var rng = SplitMix64(seed: 12)
            for item in try NetworkBuilder.enumerateLayers(in: space) {
                let arch = Architecture.random(in: space, fixing: item.requirements, using: &rng)
                try arch.validate(in: space)
                let signatures = try NetworkBuilder.layers(for: arch, in: space).map(\.signature)
                #expect(signatures.contains(item.layer.signature), "\(item.layer.signature) not produced by \(item.requirements)")
            }
        }
    }
}

/// Decision values: one canonical text, read from JSON numbers and table cells.
@Suite struct DecisionValueTests {
    @Test func numbersInJSONMatchNumericChoices() throws {
        let space = try defaultSpace()
        var rng = SplitMix64(seed: 4)
        let arch = Architecture.random(in: space, using: &rng)
        var choices = arch.jsonValues(in: space)
        choices["block1.kernel"] = .number(5)
        choices["block1.se"] = .number(0.25)
        choices["block1.layers"] = .number(1)
        let json = try JSONEncoder().encode(["space": AnyEncodable(space.name), "decisions": AnyEncodable(choices)])
        let read = try Architecture.parse(json: json, space: space)
        let c = read.choices(in: space)
        #expect(c["block1.kernel"] == "5" && c["block1.se"] == "0.25" && c["block1.layers"] == "+1")
        // Written back, categorical values stay text, so the file reads back to the same key.
        let again = try Architecture.parse(json: Data(try read.json(in: space).utf8), space: space)
        #expect(again.key(in: space) == read.key(in: space))
        #expect(try read.json(in: space).contains("\"block1.kernel\" : \"5\""))
    }

    @Test func valuesThatAreNoChoiceAreRefusedByName() throws {
        let space = try defaultSpace()
        let d = try #require(space.decisions.first { $0.name == "block1.kernel" })
        #expect(d.canonical(text: "5") == "5" && d.canonical(text: "5.0") == "5" && d.canonical(text: "7") == nil)
        #expect(d.canonical(.number(4)) == nil && d.canonical(.text("three")) == nil)
        var rng = SplitMix64(seed: 1)
        var choices = Architecture.random(in: space, using: &rng).jsonValues(in: space)
        choices["block1.kernel"] = .number(4)
        let json = try JSONEncoder().encode(["space": AnyEncodable(space.name), "decisions": AnyEncodable(choices)])
        #expect { try Architecture.parse(json: json, space: space, source: "a.json") } throws: {
            "\($0)".contains("a.json") && "\($0)".contains("decisions.block1.kernel") && "\($0)".contains("'4' is not a choice")
        }
    }
}

private struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

@Suite struct FeatureMapTests {
    /// MobileNetV2 at 224 (deployment) and adapted to 28x28 Fashion-MNIST (the proxy): the
    /// later blocks of the proxy run at 2x2 and 1x1.
    @Test func mobileNetV2BlocksAtDeploymentAndProxyResolution() throws {
        let space = try defaultSpace()
        let arch = try Architecture.load(file: configPath("baselines/mobilenetv2.json"), space: space)
        let deployment = NetworkBuilder.featureMaps(of: try NetworkBuilder.layers(for: arch, in: space))
        #expect(deployment.map(\.block) == ["stem"] + (1...7).map { "block\($0)" })
        #expect(deployment.map(\.height) == [112, 112, 56, 28, 14, 14, 7, 7])
        let proxy = NetworkBuilder.featureMaps(of: try NetworkBuilder.layers(for: arch, in: space.adapted(resolution: 28, channels: 1, classes: 10)))
        #expect(proxy.map(\.height) == [14, 14, 7, 4, 2, 2, 1, 1])
        #expect(proxy.allSatisfy { $0.height == $0.width })
        // The CIFAR form: the stem and block 2 at stride 1, so every block sees at least 4x4.
        let wide = try space.adapted(resolution: 28, channels: 1, classes: 10, geometry: .minimum4x4)
        #expect(NetworkBuilder.featureMaps(of: try NetworkBuilder.layers(for: arch, in: wide)).map(\.height) == [28, 28, 28, 14, 7, 7, 4, 4])
        // Data already large enough: nothing changes.
        let large = try space.adapted(resolution: 224, channels: 3, classes: 10, geometry: .minimum4x4)
        #expect(NetworkBuilder.featureMaps(of: try NetworkBuilder.layers(for: arch, in: large)).map(\.height) == deployment.map(\.height))
        // Decisions, and so keys, are the same in every geometry.
        #expect(wide.decisions == space.decisions)
    }

    @Test func proxyGeometryIsReadFromTheSpaceFile() throws {
        let text = try String(contentsOfFile: configPath("mnasnet.yaml"), encoding: .utf8)
        let wide = try SearchSpace.parse(yaml: text.replacingOccurrences(of: "  epochs: 2 ", with: "  geometry: min-4x4\n  epochs: 2 "))
        #expect(wide.proxy.geometry == .minimum4x4 && wide.proxy.epochs == 2)
        #expect(try defaultSpace().proxy.geometry == .asDesigned)
        #expect { try SearchSpace.parse(yaml: text.replacingOccurrences(of: "  epochs: 2 ", with: "  geometry: tall\n  epochs: 2 "), source: "s.yaml") } throws: {
            "\($0)".contains("'proxy.geometry': is 'tall'; allowed: as-designed, min-4x4")
        }
    }
}
