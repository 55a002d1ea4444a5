import Testing
@testable import NASEngine

@Suite struct BatchNormTests {
    @Test(arguments: [(3, 1), (5, 2)])
    func foldedConvolutionEqualsConvolutionThenBatchNorm(kernel: Int, stride: Int) {
        let input = Shape(n: 2, h: 6, w: 7, c: 5), cout = 11
        var rng = SplitMix64(seed: 21)
        let raw = rng.uniform(count: kernel * kernel * input.c * cout, scale: 0.5)
        let rawBias = rng.uniform(count: cout, scale: 0.5)
        let bn = BatchNorm.random(channels: cout, rng: &rng)
        let x = randomValues(input.count, seed: 22)
        // Reference: unfolded conv, then BN per channel, then ReLU6.
        let conv = Reference.convolution(x, input, weights: raw, bias: rawBias, kernel: kernel, stride: stride, outChannels: cout, depthwise: false, activation: .none)
        let expected = conv.indices.map { Activation.relu6.apply(bn.apply(conv[$0], channel: $0 % cout)) }
        let (w, b) = bn.fold(weights: raw, bias: rawBias)
        let folded = Convolution(inChannels: input.c, outChannels: cout, kernel: kernel, stride: stride, activation: .relu6, weights: w, bias: b)
        #expect(maxRelativeError(folded(Tensor(shape: input, values: x)).array, expected) < 1e-4)
    }

    @Test func foldIntoDepthwiseWeights() {
        let c = 18
        var rng = SplitMix64(seed: 23)
        let raw = rng.uniform(count: 9 * c, scale: 0.5)
        let bn = BatchNorm.random(channels: c, rng: &rng)
        let input = Shape(n: 1, h: 5, w: 5, c: c)
        let x = randomValues(input.count, seed: 24)
        let conv = Reference.convolution(x, input, weights: raw, bias: nil, kernel: 3, stride: 1, outChannels: c, depthwise: true, activation: .none)
        let expected = conv.indices.map { bn.apply(conv[$0], channel: $0 % c) }
        let (w, b) = bn.fold(weights: raw, bias: nil)
        let layer = DepthwiseConvolution(channels: c, kernel: 3, stride: 1, activation: .none, weights: w, bias: b)
        #expect(maxRelativeError(layer(Tensor(shape: input, values: x)).array, expected) < 1e-4)
    }
}

@Suite struct CompositeLayerTests {
    /// (input, cout, kernel, stride, expansion, se ratio, skip)
    static let blocks: [(Shape, Int, Int, Int, Int, Double, Bool)] = [
        (Shape(n: 1, h: 8, w: 8, c: 16), 16, 3, 1, 6, 0, true),
        (Shape(n: 2, h: 9, w: 7, c: 16), 24, 5, 2, 3, 0.25, false),
        (Shape(n: 1, h: 5, w: 5, c: 24), 24, 5, 1, 6, 0.25, true),
        (Shape(n: 1, h: 1, w: 1, c: 8), 16, 3, 2, 6, 0, false),
        (Shape(n: 2, h: 6, w: 6, c: 17), 17, 3, 1, 1, 0.25, true),  // separable with SE and skip
        (Shape(n: 1, h: 7, w: 7, c: 32), 16, 3, 1, 1, 0, false),     // MobileNetV2's first block
    ]

    @Test(arguments: blocks.indices)
    func mbconvMatchesComposedReference(index: Int) {
        let (input, cout, k, s, e, se, skip) = Self.blocks[index]
        var rng = SplitMix64(seed: 60 + UInt64(index))
        let block = MBConv.random(inChannels: input.c, outChannels: cout, kernel: k, stride: s, expansion: e, seRatio: se,
                                  skip: skip, activation: .relu6, rng: &rng)
        #expect((block.expand == nil) == (e == 1))
        #expect((block.squeezeExcite != nil) == (se > 0))
        let x = Tensor(shape: input, values: randomValues(input.count, seed: 70 + UInt64(index)))
        let y = block(x)
        #expect(y.shape == block.outputShape(for: input))
        #expect(maxRelativeError(y.array, Reference.mbconv(block, x.array, input)) < 1e-4)
    }

    @Test func squeezeExciteLayerMatchesReference() {
        let input = Shape(n: 2, h: 5, w: 3, c: 20)
        var rng = SplitMix64(seed: 80)
        let se = SqueezeExcite.random(channels: 20, reduced: 5, rng: &rng)
        let x = Tensor(shape: input, values: randomValues(input.count, seed: 81))
        #expect(maxRelativeError(se(x).array, Reference.squeezeExcite(x.array, input, se)) < 1e-5)
    }

    @Test func mbconvCountsMacsOfItsParts() {
        var rng = SplitMix64(seed: 90)
        let block = MBConv.random(inChannels: 24, outChannels: 32, kernel: 3, stride: 2, expansion: 6, seRatio: 0, skip: false, activation: .relu6, rng: &rng)
        let input = Shape(h: 56, w: 56, c: 24)
        // expand 56·56·24·144 + depthwise 28·28·144·9 + project 28·28·144·32
        #expect(block.macs(for: input) == 56 * 56 * 24 * 144 + 28 * 28 * 144 * 9 + 28 * 28 * 144 * 32)
    }
}

@Suite struct LayerSpecTests {
    @Test func textFormRoundTrips() throws {
        let specs = [
            LayerSpec(op: .mbconv, inChannels: 24, outChannels: 24, kernel: 5, stride: 1, expansion: 6, seRatio: 0.25, skip: true, activation: .relu6),
            LayerSpec(op: .conv, inChannels: 3, outChannels: 32, kernel: 3, stride: 2, activation: .hswish),
            LayerSpec(op: .depthwise, inChannels: 40, outChannels: 40, kernel: 7, stride: 2, activation: .relu),
            LayerSpec(op: .fc, inChannels: 1280, outChannels: 10),
            LayerSpec(op: .gap, inChannels: 8, outChannels: 8),
        ]
        for spec in specs { #expect(try LayerSpec(parsing: spec.description) == spec) }
    }

    @Test(arguments: [
        ("op=warp,cin=3,cout=4", "'op' must be one of"),
        ("op=conv,cin=3", "missing 'cout='"),
        ("op=conv,cin=3,cout=4,k=4", "kernel must be odd"),
        ("op=mbconv,cin=16,cout=24,s=1,skip=1", "identity skip needs stride 1 and cin == cout"),
        ("op=conv,cin=3,cout=4,act=gelu", "'act=gelu' must be one of"),
        ("op=conv,cin=x,cout=4", "'cin=x' is not a non-negative integer"),
        ("op=conv,cin=3,cout=4,colour=red", "unknown key 'colour'"),
        ("op=depthwise,cin=3,cout=4", "cout must equal cin"),
    ])
    func badTextIsRejectedWithReason(text: String, reason: String) {
        #expect {
            try LayerSpec(parsing: text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
