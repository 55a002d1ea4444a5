/// MobileNetV2 (Sandler et al. 2018) as layer specs: stem conv 3x3/2 → inverted-residual
/// blocks `[t, c, n, s]` → head 1x1 to 1280 → global pool → FC → softmax. ReLU6 throughout,
/// batch norm folded. About 300 M multiply-adds at 224x224 and width 1.0.
public enum MobileNetV2 {
    /// `[expansion t, channels c, repeats n, first stride s]` of the seven block groups.
    public static let blocks: [(t: Int, c: Int, n: Int, s: Int)] = [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]
    public static let stemChannels = 32
    public static let headChannels = 1280
    /// The number of stride-2 layers.
    public static let strideTwoLayers = 5
    /// Smallest input at which every stride-2 layer still sees at least 2x2 pixels (17); the
    /// same rule as network search spaces.
    public static var minimumResolution: Int { (1 << (strideTwoLayers - 1)) + 1 }

    /// Channels scaled by `width` and rounded to a multiple of 8, never down by more than 10%.
    public static func scaled(_ channels: Int, width: Double) -> Int {
        let v = Double(channels) * width
        var rounded = max(8, Int(v + 4) / 8 * 8)
        if Double(rounded) < 0.9 * v { rounded += 8 }
        return rounded
    }

    /// The layer specs for `width` and `classes` at 3 input channels.
    public static func specs(width: Double = 1.0, classes: Int = 1000) throws -> [LayerSpec] {
        guard width > 0, width <= 4 else { throw EngineError.badWidth(width) }
        var specs: [LayerSpec] = []
        var channels = scaled(stemChannels, width: width)
        specs.append(LayerSpec(op: .conv, inChannels: 3, outChannels: channels, kernel: 3, stride: 2, activation: .relu6))
        for block in blocks {
            let out = scaled(block.c, width: width)
            for i in 0..<block.n {
                let stride = i == 0 ? block.s : 1
                specs.append(LayerSpec(op: block.t == 1 ? .sepconv : .mbconv, inChannels: channels, outChannels: out, kernel: 3,
                                       stride: stride, expansion: block.t, skip: stride == 1 && channels == out, activation: .relu6))
                channels = out
            }
        }
        let head = width > 1 ? scaled(headChannels, width: width) : headChannels
        specs.append(LayerSpec(op: .conv, inChannels: channels, outChannels: head, kernel: 1, stride: 1, activation: .relu6))
        specs.append(LayerSpec(op: .gap, inChannels: head, outChannels: head))
        specs.append(LayerSpec(op: .fc, inChannels: head, outChannels: classes))
        specs.append(LayerSpec(op: .softmax, inChannels: classes, outChannels: classes))
        return specs
    }

    /// MobileNetV2 with seeded random folded weights for batch `batch` at `resolution`².
    public static func network(resolution: Int = 224, width: Double = 1.0, classes: Int = 1000, batch: Int = 1, seed: UInt64 = 0) throws -> Network {
        guard resolution >= minimumResolution else {
            throw EngineError.resolutionTooSmall(resolution: resolution, minimum: minimumResolution, model: "mobilenetv2")
        }
        return try Network(inputShape: Shape(n: batch, h: resolution, w: resolution, c: 3), specs: specs(width: width, classes: classes), seed: seed)
    }
}

/// Named reference models for `nasctl measure --model`.
public enum ModelZoo {
    public static let names = ["mobilenetv2"]

    public static func network(named name: String, resolution: Int, width: Double, batch: Int = 1, seed: UInt64 = 0) throws -> Network {
        switch name.lowercased() {
        case "mobilenetv2", "mobilenet_v2", "mobilenet-v2": return try MobileNetV2.network(resolution: resolution, width: width, batch: batch, seed: seed)
        default: throw EngineError.unknownModel(name, known: names)
        }
    }
}
