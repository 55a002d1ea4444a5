import NASEngine

/// One layer of a built network: its spec, where it sits and its cost.
public struct BuiltLayer: Hashable, Sendable {
    public var spec: LayerSpec
    public var input: Shape
    public var output: Shape
    /// Where it came from: `stem`, `block3.layer2`, `head`, `pool`, `classifier`, `softmax`.
    public var role: String

    /// The latency-table key: the spec plus the input height and width, e.g.
    /// `op=mbconv,cin=24,…,act=relu6@56x56`.
    public var signature: String { LayerSignature.key(spec: spec, height: input.h, width: input.w) }
}

/// Latency-table keys for layers.
public enum LayerSignature {
    public static func key(spec: LayerSpec, height: Int, width: Int) -> String { "\(spec)@\(height)x\(width)" }
}

/// Turns a network-space architecture into its layers: stem, every block layer, head 1x1,
/// global pool, classifier, softmax. Batch 1.
public enum NetworkBuilder {
    /// - Throws: `SpaceError` when the space has no network or the architecture does not fit.
    public static func layers(for arch: Architecture, in space: SearchSpace) throws -> [BuiltLayer] {
        guard let net = space.network else {
            throw SpaceError(file: space.source, field: "kind", problem: "space '\(space.name)' is categorical: it has no network to build")
        }
        try arch.validate(in: space)
        var layers: [BuiltLayer] = []
        var shape = Shape(h: net.resolution, w: net.resolution, c: net.inputChannels)
        func add(_ spec: LayerSpec, _ role: String) {
            let out: Shape
            switch spec.op {
            case .gap: out = Shape(n: shape.n, h: 1, w: 1, c: shape.c)
            case .fc: out = Shape(n: shape.n, h: 1, w: 1, c: spec.outChannels)
            case .softmax: out = shape
            default: out = WindowGeometry(kernel: spec.kernel, stride: spec.stride).output(shape, channels: spec.outChannels)
            }
            layers.append(BuiltLayer(spec: spec, input: shape, output: out, role: role))
            shape = out
        }
        add(LayerSpec(op: .conv, inChannels: net.inputChannels, outChannels: net.stemFilters, kernel: net.stemKernel,
                      stride: net.stemStride, activation: net.activation), "stem")
        for (i, block) in net.blocks.enumerated() {
            let choice = blockChoice(arch, i)
            let cout = NetworkSpace.filters(block.filters, width: choice.width)
            let count = max(1, block.layers + choice.layerDelta)
            for j in 0..<count {
                let stride = j == 0 ? block.stride : 1
                add(spec(op: choice.op, cin: shape.c, cout: cout, kernel: choice.kernel, stride: stride, se: choice.se,
                         skip: choice.skip, activation: net.activation), "block\(i + 1).layer\(j + 1)")
            }
        }
        add(LayerSpec(op: .conv, inChannels: shape.c, outChannels: net.headFilters, kernel: 1, stride: 1, activation: net.activation), "head")
        add(LayerSpec(op: .gap, inChannels: net.headFilters, outChannels: net.headFilters), "pool")
        add(LayerSpec(op: .fc, inChannels: net.headFilters, outChannels: net.classes), "classifier")
        add(LayerSpec(op: .softmax, inChannels: net.classes, outChannels: net.classes), "softmax")
        return layers
    }

    /// The layer spec of one block layer. The identity skip is applied only where legal
    /// (stride 1, equal channels); squeeze-excite applies to sepconv and mbconv, not conv.
    static func spec(op: ConvOp, cin: Int, cout: Int, kernel: Int, stride: Int, se: Double, skip: Bool, activation: Activation) -> LayerSpec {
        let skipApplies = skip && stride == 1 && cin == cout
        switch op {
        case .conv:
            return LayerSpec(op: .conv, inChannels: cin, outChannels: cout, kernel: kernel, stride: stride, skip: skipApplies, activation: activation)
        case .sepconv:
            return LayerSpec(op: .sepconv, inChannels: cin, outChannels: cout, kernel: kernel, stride: stride, expansion: 1,
                             seRatio: se, skip: skipApplies, activation: activation)
        case .mbconv3, .mbconv6:
            return LayerSpec(op: .mbconv, inChannels: cin, outChannels: cout, kernel: kernel, stride: stride, expansion: op.expansion,
                             seRatio: se, skip: skipApplies, activation: activation)
        }
    }

    struct BlockChoice { var op: ConvOp; var kernel: Int; var se: Double; var skip: Bool; var width: Double; var layerDelta: Int }

    /// Decodes block `i`'s six values (validated beforehand, so parsing cannot fail).
    static func blockChoice(_ arch: Architecture, _ i: Int) -> BlockChoice {
        let v = Array(arch.values[(i * 6)..<(i * 6 + 6)])
        return BlockChoice(op: ConvOp(rawValue: v[0])!, kernel: Int(v[1])!, se: Double(v[2])!, skip: v[3] == "identity",
                           width: Double(v[4])!, layerDelta: Int(v[5].replacingOccurrences(of: "+", with: ""))!)
    }

    /// Instantiates the layers with seeded random folded weights.
    public static func network(for arch: Architecture, in space: SearchSpace, seed: UInt64 = 0) throws -> Network {
        let layers = try layers(for: arch, in: space)
        return try Network(inputShape: layers[0].input, specs: layers.map(\.spec), seed: seed)
    }

    /// Multiply-adds and parameters of the layers, computed without building weights.
    public static func cost(of layers: [BuiltLayer]) -> (macs: Int, parameters: Int) {
        layers.reduce((0, 0)) { acc, layer in
            let c = layer.spec.cost(input: layer.input)
            return (acc.0 + c.macs, acc.1 + c.parameters)
        }
    }
}
