import Testing
@testable import NASEngine

/// The XNNPACK backend computes what the engine computes, layer kind by layer kind.
@Suite struct XNNPACKExecutorTests {
    /// Networks covering every layer kind and activation the spaces use: regular convolution
    /// (3-channel stem, stride 2, 5x5, skip), depthwise, MBConv with and without expansion, SE
    /// and skip, separable convolution, both poolings, global pooling, fully connected, softmax.
    static let networks: [(String, [String])] = [
        ("stem and blocks", [
            "op=conv,cin=3,cout=16,k=3,s=2,skip=0,act=hswish",
            "op=conv,cin=16,cout=16,k=3,s=1,skip=1,act=relu6",
            "op=sepconv,cin=16,cout=24,k=3,s=1,e=1,se=0,skip=0,act=relu",
            "op=mbconv,cin=24,cout=24,k=5,s=1,e=6,se=0.25,skip=1,act=hswish",
            "op=mbconv,cin=24,cout=40,k=7,s=2,e=3,se=0,skip=0,act=relu6",
            "op=depthwise,cin=40,cout=40,k=3,s=2,act=sigmoid",
            "op=conv,cin=40,cout=64,k=1,s=1,skip=0,act=relu",
            "op=gap,cin=64,cout=64",
            "op=fc,cin=64,cout=10,act=none",
            "op=softmax,cin=10,cout=10",
        ]),
        ("pools", [
            "op=conv,cin=3,cout=8,k=5,s=1,skip=0,act=none",
            "op=avgpool,cin=8,cout=8,k=3,s=2",
            "op=maxpool,cin=8,cout=8,k=3,s=2",
            "op=mbconv,cin=8,cout=8,k=3,s=1,e=4,se=0.5,skip=1,act=relu",
            "op=fc,cin=160,cout=7,act=hswish",
        ]),
    ]

    @Test(arguments: networks.indices, [1, 2])
    func matchesTheEngine(index: Int, threads: Int) throws {
        let (name, texts) = Self.networks[index]
        let specs = try texts.map { try LayerSpec(parsing: $0) }
        let network = try Network(inputShape: Shape(n: 2, h: 17, w: 15, c: 3), specs: specs, seed: 3)
        let engine = NetworkExecutor(network: network, context: ExecutionContext(threads: threads))
        let xnn = try XNNPACKExecutor(network: network, threads: threads)
        engine.fillInputRandomly(seed: 4)
        xnn.fillInputRandomly(seed: 4)
        let expected = Array(engine.run()), got = Array(xnn.run())
        #expect(got.count == expected.count)
        let worst = zip(got, expected).map { abs($0 - $1) / (1e-3 + abs($1)) }.max() ?? 0
        #expect(worst < 1e-3, "\(name) at \(threads) thread(s): worst relative difference \(worst)")
        // Runs are repeatable and per-layer timing covers every layer.
        #expect(Array(xnn.run()) == got)
        #expect(xnn.profileLayerSamples(runs: 2).map(\.count) == Array(repeating: 2, count: network.layers.count))
    }

    /// The blocked HWIO → OHWI repacking against the index formula, over shapes that are and
    /// are not multiples of its 16 x 16 blocks.
    @Test(arguments: [(1, 3, 16), (9, 17, 33), (25, 16, 5), (1, 40, 240), (9, 1, 1)])
    func convolutionWeightsRepackToOHWI(taps: Int, cin: Int, cout: Int) {
        var rng = SplitMix64(seed: UInt64(taps * 1000 + cin * 10 + cout))
        let hwio = (0..<(taps * cin * cout)).map { _ in rng.uniform(1) }
        let packed = hwio.withUnsafeBufferPointer { XNNPACKExecutor.ohwi(fromHWIO: $0.baseAddress!, taps: taps, inChannels: cin, outChannels: cout) }
        #expect(packed.count == hwio.count)
        var mismatches = 0
        for o in 0..<cout {
            for t in 0..<taps {
                for i in 0..<cin where packed[o * taps * cin + t * cin + i] != hwio[t * cin * cout + i * cout + o] { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func mobileNetV2MatchesTheEngine() throws {
        let network = try MobileNetV2.network(resolution: 64, width: 0.5, classes: 10, seed: 5)
        let engine = NetworkExecutor(network: network, context: ExecutionContext())
        let xnn = try XNNPACKExecutor(network: network, threads: 1)
        engine.fillInputRandomly(seed: 6)
        xnn.fillInputRandomly(seed: 6)
        let expected = Array(engine.run()), got = Array(xnn.run())
        #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 1e-3 * (1 + abs($1)) })
    }
}
