import NASEngine

/// A layer the space can produce, with decision values that make an architecture contain it.
public struct EnumeratedLayer: Sendable {
    public var layer: BuiltLayer
    /// `decision name → value`: any architecture with these values contains `layer`.
    public var requirements: [String: String]
}

extension NetworkBuilder {
    /// Every distinct layer (by signature) that some architecture of `space` can produce:
    /// what `nasctl profile` measures. Deterministic order (stem, blocks in order, head).
    ///
    /// Per block, the first layer takes any width of the previous block (or the stem) as input
    /// and may be strided; later layers keep the block's width at stride 1. Each is crossed with
    /// every op, kernel, SE ratio and skip, with the same normalisation as `layers(for:in:)`.
    /// - Complexity: O(blocks · widths² · ops · kernels · se · skips).
    public static func allLayers(in space: SearchSpace) throws -> [BuiltLayer] {
        try enumerateLayers(in: space).map(\.layer)
    }

    /// `allLayers` with, for each layer, the decision values that produce it.
    public static func enumerateLayers(in space: SearchSpace) throws -> [EnumeratedLayer] {
        guard let net = space.network else {
            throw SpaceError(file: space.source, field: "kind", problem: "space '\(space.name)' is categorical: it has no layers to profile")
        }
        var seen = Set<String>()
        var result: [EnumeratedLayer] = []
        func add(_ spec: LayerSpec, _ input: Shape, _ role: String, _ requirements: [String: String] = [:]) {
            let out: Shape
            switch spec.op {
            case .gap: out = Shape(h: 1, w: 1, c: input.c)
            case .fc: out = Shape(h: 1, w: 1, c: spec.outChannels)
            case .softmax: out = input
            default: out = WindowGeometry(kernel: spec.kernel, stride: spec.stride).output(input, channels: spec.outChannels)
            }
            let layer = BuiltLayer(spec: spec, input: input, output: out, role: role)
            if seen.insert(layer.signature).inserted { result.append(EnumeratedLayer(layer: layer, requirements: requirements)) }
        }
        let stemSpec = LayerSpec(op: .conv, inChannels: net.inputChannels, outChannels: net.stemFilters, kernel: net.stemKernel,
                                 stride: net.stemStride, activation: net.activation)
        let image = Shape(h: net.resolution, w: net.resolution, c: net.inputChannels)
        add(stemSpec, image, "stem")
        var size = Shape.sameOutput(net.resolution, stride: net.stemStride)
        // Channels → a width choice (text) producing them, for the previous block.
        var inputWidths: [Int: String] = [net.stemFilters: ""]
        for (i, block) in net.blocks.enumerated() {
            let c = block.choices
            let prefix = "block\(i + 1)."
            var widths: [Int: String] = [:]
            for w in c.widths where widths[NetworkSpace.filters(block.filters, width: w)] == nil {
                widths[NetworkSpace.filters(block.filters, width: w)] = "\(w)"
            }
            let maxDelta = c.layerDeltas.max() ?? 0
            let maxLayers = max(1, block.layers + maxDelta)
            let outSize = Shape.sameOutput(size, stride: block.stride)
            for op in c.ops {
                for k in c.kernels {
                    for se in c.seRatios {
                        for skip in c.skips {
                            var base = [prefix + "op": op.rawValue, prefix + "kernel": "\(k)", prefix + "se": "\(se)",
                                        prefix + "skip": skip ? "identity" : "none"]
                            for cout in widths.keys.sorted() {
                                base[prefix + "width"] = widths[cout]
                                for cin in inputWidths.keys.sorted() {
                                    var needs = base
                                    if i > 0 { needs["block\(i).width"] = inputWidths[cin] }
                                    add(spec(op: op, cin: cin, cout: cout, kernel: k, stride: block.stride, se: se, skip: skip, activation: net.activation),
                                        Shape(h: size, w: size, c: cin), prefix + "layer1", needs)
                                }
                                if maxLayers > 1 {
                                    var needs = base
                                    needs[prefix + "layers"] = maxDelta > 0 ? "+\(maxDelta)" : "\(maxDelta)"
                                    add(spec(op: op, cin: cout, cout: cout, kernel: k, stride: 1, se: se, skip: skip, activation: net.activation),
                                        Shape(h: outSize, w: outSize, c: cout), prefix + "layerN", needs)
                                }
                            }
                        }
                    }
                }
            }
            size = outSize
            inputWidths = widths
        }
        for cin in inputWidths.keys.sorted() {
            add(LayerSpec(op: .conv, inChannels: cin, outChannels: net.headFilters, kernel: 1, stride: 1, activation: net.activation),
                Shape(h: size, w: size, c: cin), "head", ["block\(net.blocks.count).width": inputWidths[cin]!])
        }
        add(LayerSpec(op: .gap, inChannels: net.headFilters, outChannels: net.headFilters), Shape(h: size, w: size, c: net.headFilters), "pool")
        add(LayerSpec(op: .fc, inChannels: net.headFilters, outChannels: net.classes), Shape(h: 1, w: 1, c: net.headFilters), "classifier")
        add(LayerSpec(op: .softmax, inChannels: net.classes, outChannels: net.classes), Shape(h: 1, w: 1, c: net.classes), "softmax")
        return result
    }
}
