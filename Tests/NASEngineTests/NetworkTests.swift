import Testing
@testable import NASEngine

@Suite struct MobileNetV2Tests {
    @Test func macsAndShapesAt224() throws {
        let network = try MobileNetV2.network(resolution: 224, width: 1.0)
        #expect(network.outputShape == Shape(n: 1, h: 1, w: 1, c: 1000))
        // Published figure: ~300 M multiply-adds, 3.4–3.5 M parameters.
        #expect((295_000_000...306_000_000).contains(network.macs))
        #expect((3_400_000...3_600_000).contains(network.parameterCount))
        let shapes = network.shapes
        #expect(shapes[1] == Shape(h: 112, w: 112, c: 32))                 // after the stem
        #expect(shapes[shapes.count - 4] == Shape(h: 7, w: 7, c: 1280))    // after the head
        #expect(network.layers.count == 1 + 17 + 1 + 3)
    }

    @Test func widthMultiplierRoundsToEight() throws {
        #expect(MobileNetV2.scaled(32, width: 0.75) == 24)
        #expect(MobileNetV2.scaled(24, width: 0.75) == 24)    // 18 → 16 would lose > 10%: 24
        #expect(MobileNetV2.scaled(160, width: 1.4) == 224)
        let small = try MobileNetV2.network(resolution: 224, width: 0.5)
        #expect(small.macs < 120_000_000)
        let wide = try MobileNetV2.network(resolution: 224, width: 1.4)
        #expect(wide.shapes[wide.shapes.count - 4].c == 1792)
    }

    @Test func runsEndToEndAndSoftmaxSumsToOne() throws {
        let network = try MobileNetV2.network(resolution: 32, width: 0.5, classes: 10, batch: 2, seed: 3)
        let executor = NetworkExecutor(network: network, context: ExecutionContext(threads: 1))
        executor.fillInputRandomly(seed: 4)
        let first = Array(executor.run())
        #expect(first.count == 20)
        #expect(abs(first[0..<10].reduce(0, +) - 1) < 1e-4 && abs(first[10..<20].reduce(0, +) - 1) < 1e-4)
        #expect(first.allSatisfy { $0.isFinite && $0 >= 0 })
        // Buffers are reused: a second run gives bit-identical results.
        #expect(Array(executor.run()) == first)
    }

    @Test func executorMatchesLayerByLayerEvaluation() throws {
        let network = try MobileNetV2.network(resolution: 33, width: 0.35, classes: 7, seed: 5)
        let executor = NetworkExecutor(network: network, context: ExecutionContext())
        executor.fillInputRandomly(seed: 6)
        var t = Tensor(shape: network.inputShape, values: executor.input.array)
        for layer in network.layers { t = layer(t) }
        #expect(Array(executor.run()) == t.array)
    }

    /// Per-layer backends: each layer runs on its own backend (bit-identical to evaluating it
    /// alone on that backend), and the mixed network computes what the uniform one does.
    @Test func perLayerBackendsRunEachLayerOnItsBackend() throws {
        let network = try MobileNetV2.network(resolution: 33, width: 0.35, classes: 7, seed: 5)
        let backends = network.layers.indices.map { $0 % 2 == 0 ? GEMMBackend.openblas : .native }
        let mixed = NetworkExecutor(network: network, context: ExecutionContext(family: .avx2), layerBackends: backends)
        mixed.fillInputRandomly(seed: 6)
        var t = Tensor(shape: network.inputShape, values: mixed.input.array)
        for (layer, backend) in zip(network.layers, backends) { t = layer(t, context: ExecutionContext(gemm: backend, family: .avx2)) }
        let output = Array(mixed.run())
        #expect(output == t.array)
        let uniform = NetworkExecutor(network: network, context: ExecutionContext())
        uniform.fillInputRandomly(seed: 6)
        let reference = Array(uniform.run())
        #expect(zip(output, reference).allSatisfy { abs($0 - $1) <= 1e-4 * (1 + abs($1)) })
    }

    @Test func tooSmallResolutionIsAnError() {
        #expect(throws: EngineError.resolutionTooSmall(resolution: 16, minimum: 17, model: "mobilenetv2")) {
            try MobileNetV2.network(resolution: 16)
        }
    }

    @Test func unknownModelIsAnError() {
        #expect(throws: EngineError.unknownModel("resnet", known: ["mobilenetv2"])) {
            try ModelZoo.network(named: "resnet", resolution: 224, width: 1)
        }
    }

    @Test func mismatchedSpecsAreRejected() {
        let specs = [LayerSpec(op: .conv, inChannels: 3, outChannels: 8, kernel: 3, stride: 1, activation: .relu),
                     LayerSpec(op: .conv, inChannels: 16, outChannels: 8, kernel: 1, stride: 1)]
        #expect {
            try Network(inputShape: Shape(h: 8, w: 8, c: 3), specs: specs, seed: 0)
        } throws: { error in
            "\(error)".contains("layer 1") && "\(error)".contains("takes 16 channels, gets 8")
        }
    }
}
