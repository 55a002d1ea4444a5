import NASEngine

/// The convolution operator a block of a network space uses (MNasNet's ConvOp).
public enum ConvOp: String, Sendable, Codable, CaseIterable {
    /// Regular k×k convolution + BN + activation (squeeze-excite does not apply).
    case conv
    /// Depthwise-separable: depthwise k×k + act, pointwise linear.
    case sepconv
    /// Inverted bottleneck with expansion 3 / 6.
    case mbconv3, mbconv6

    var expansion: Int { self == .mbconv3 ? 3 : self == .mbconv6 ? 6 : 1 }
}

/// The per-block choice lists of a network space (MNasNet's factorized hierarchical space).
public struct BlockChoices: Hashable, Sendable {
    public var ops: [ConvOp]
    public var kernels: [Int]
    public var seRatios: [Double]
    /// `true` = identity (applied only where stride is 1 and channels match), `false` = none.
    public var skips: [Bool]
    public var widths: [Double]
    /// Layer-count deltas relative to the block's base count (the result is at least 1).
    public var layerDeltas: [Int]
}

/// A fixed block of the network skeleton: base filters, base layer count, first stride.
public struct BlockDefinition: Hashable, Sendable {
    public var filters: Int
    public var layers: Int
    public var stride: Int
    public var choices: BlockChoices
}

/// A network space: fixed stem and head around blocks whose ops, kernels, SE, skips, widths
/// and depths are searched.
public struct NetworkSpace: Hashable, Sendable {
    /// Bounds on what a space file may ask for: far beyond any real network, small enough that
    /// shapes, counts and buffer sizes derived from them never overflow (a 4096x4096 input with
    /// 16,384 channels after the widest multiplier is about 2^38 floats).
    public enum Limits {
        public static let resolution = 1...4096
        public static let channels = 1...64
        public static let classes = 1...100_000
        public static let filters = 1...4096
        public static let layers = 1...64
        public static let blocks = 32
    }

    public var resolution: Int
    public var inputChannels: Int
    public var classes: Int
    public var activation: Activation
    public var stemFilters: Int
    public var stemKernel: Int
    public var stemStride: Int
    public var headFilters: Int
    public var blocks: [BlockDefinition]

    /// Channels for `base` filters at width multiplier `width`: rounded to a multiple of 8,
    /// never more than 10% below `base · width` (MobileNet's rule).
    public static func filters(_ base: Int, width: Double) -> Int { MobileNetV2.scaled(base, width: width) }

    /// The same network with its first `count` stride-2 layers (stem first, then blocks in
    /// order) at stride 1: every later feature map is 2^count times larger per side.
    public func removingLeadingStrides(_ count: Int) -> NetworkSpace {
        var copy = self
        var left = count
        if left > 0 && copy.stemStride > 1 { copy.stemStride = 1; left -= 1 }
        for i in copy.blocks.indices where left > 0 && copy.blocks[i].stride > 1 {
            copy.blocks[i].stride = 1
            left -= 1
        }
        return copy
    }

    /// The side of the last block's feature map for a `resolution` x `resolution` input.
    public func finalSide(resolution: Int) -> Int {
        var side = resolution
        for _ in 0..<strideTwoLayers { side = (side + 1) / 2 }
        return side
    }

    /// Number of stride-2 layers (stem included).
    public var strideTwoLayers: Int { (stemStride > 1 ? 1 : 0) + blocks.filter { $0.stride > 1 }.count }

    /// Smallest input size at which every strided layer still sees at least 2x2 pixels.
    public var minimumResolution: Int { strideTwoLayers == 0 ? 1 : (1 << (strideTwoLayers - 1)) + 1 }

    /// The decisions, block by block: `blockN.op`, `.kernel`, `.se`, `.skip`, `.width`, `.layers`.
    public var decisions: [Decision] {
        blocks.enumerated().flatMap { i, block -> [Decision] in
            let c = block.choices, prefix = "block\(i + 1)."
            return [
                Decision(name: prefix + "op", choices: c.ops.map(\.rawValue)),
                Decision(name: prefix + "kernel", choices: c.kernels.map(String.init)),
                Decision(name: prefix + "se", choices: c.seRatios.map { "\($0)" }),
                Decision(name: prefix + "skip", choices: c.skips.map { $0 ? "identity" : "none" }),
                Decision(name: prefix + "width", choices: c.widths.map { "\($0)" }),
                Decision(name: prefix + "layers", choices: c.layerDeltas.map { $0 > 0 ? "+\($0)" : "\($0)" }),
            ]
        }
    }
}
