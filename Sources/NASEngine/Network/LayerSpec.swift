/// A weight-free description of one layer: what the network builder produces, what the
/// profiler times and what `Network` instantiates with random (folded) weights.
///
/// Text form, used on the command line and in tables: comma-separated `key=value`, e.g.
/// `op=mbconv,cin=24,cout=24,k=3,s=1,e=6,se=0.25,skip=1,act=relu6`.
public struct LayerSpec: Hashable, Codable, Sendable, CustomStringConvertible {
    public enum Op: String, Codable, Sendable, CaseIterable {
        /// Regular convolution + folded BN + act (`k=1,s=1` is pointwise).
        case conv
        /// Depthwise convolution + folded BN + act.
        case depthwise
        /// Inverted bottleneck (`e` expansion; `e=1` is a separable convolution).
        case mbconv
        /// Depthwise-separable convolution: depthwise + act, pointwise linear.
        case sepconv
        case avgpool, maxpool
        /// Global average pooling.
        case gap
        /// Fully connected over flattened features.
        case fc
        case softmax
    }

    public var op: Op
    public var inChannels: Int
    public var outChannels: Int
    public var kernel: Int
    public var stride: Int
    public var expansion: Int
    public var seRatio: Double
    public var skip: Bool
    public var activation: Activation

    public init(op: Op, inChannels: Int, outChannels: Int, kernel: Int = 1, stride: Int = 1, expansion: Int = 1,
                seRatio: Double = 0, skip: Bool = false, activation: Activation = .none) {
        self.op = op; self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel
        self.stride = stride; self.expansion = expansion; self.seRatio = seRatio; self.skip = skip; self.activation = activation
    }

    public var description: String {
        var parts = ["op=\(op.rawValue)", "cin=\(inChannels)", "cout=\(outChannels)"]
        switch op {
        case .conv: parts += ["k=\(kernel)", "s=\(stride)", "skip=\(skip ? 1 : 0)", "act=\(activation.rawValue)"]
        case .depthwise: parts += ["k=\(kernel)", "s=\(stride)", "act=\(activation.rawValue)"]
        case .mbconv, .sepconv:
            parts += ["k=\(kernel)", "s=\(stride)", "e=\(expansion)", "se=\(seRatio)", "skip=\(skip ? 1 : 0)", "act=\(activation.rawValue)"]
        case .avgpool, .maxpool: parts += ["k=\(kernel)", "s=\(stride)"]
        case .fc: parts += ["act=\(activation.rawValue)"]
        case .gap, .softmax: break
        }
        return parts.joined(separator: ",")
    }

    /// Parses the text form; unknown keys and bad values are errors naming the key.
    public init(parsing text: String) throws {
        var fields: [String: String] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else { throw EngineError.badLayerSpec(text, "'\(part)' is not key=value") }
            fields[kv[0]] = kv[1]
        }
        let known: Set = ["op", "cin", "cout", "k", "s", "e", "se", "skip", "act"]
        if let unknown = fields.keys.first(where: { !known.contains($0) }) {
            throw EngineError.badLayerSpec(text, "unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        func int(_ key: String, _ fallback: Int?) throws -> Int {
            guard let raw = fields[key] else {
                if let fallback { return fallback }
                throw EngineError.badLayerSpec(text, "missing '\(key)='")
            }
            guard let value = Int(raw), value >= 0 else { throw EngineError.badLayerSpec(text, "'\(key)=\(raw)' is not a non-negative integer") }
            return value
        }
        guard let opText = fields["op"], let op = Op(rawValue: opText) else {
            throw EngineError.badLayerSpec(text, "'op' must be one of \(Op.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let actText = fields["act"] ?? "none"
        guard let act = Activation(rawValue: actText) else {
            throw EngineError.badLayerSpec(text, "'act=\(actText)' must be one of \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let se = Double(fields["se"] ?? "0"), se >= 0, se <= 1 else { throw EngineError.badLayerSpec(text, "'se' must be a ratio in [0, 1]") }
        let cin = try int("cin", nil)
        self.init(op: op, inChannels: cin, outChannels: try int("cout", op == .conv || op == .mbconv || op == .sepconv || op == .fc ? nil : cin),
                  kernel: try int("k", 1), stride: try int("s", 1), expansion: try int("e", 1),
                  seRatio: se, skip: try int("skip", 0) != 0, activation: act)
        try validate()
    }

    /// Checks the fields fit together (odd kernel, positive sizes, skip only where legal).
    public func validate() throws {
        let me = description
        guard inChannels >= 1, outChannels >= 1 else { throw EngineError.badLayerSpec(me, "channels must be >= 1") }
        guard kernel >= 1, kernel % 2 == 1 else { throw EngineError.badLayerSpec(me, "kernel must be odd (1, 3, 5, 7)") }
        guard stride >= 1 else { throw EngineError.badLayerSpec(me, "stride must be >= 1") }
        guard expansion >= 1 else { throw EngineError.badLayerSpec(me, "expansion must be >= 1") }
        if op == .depthwise || op == .avgpool || op == .maxpool || op == .gap || op == .softmax, outChannels != inChannels {
            throw EngineError.badLayerSpec(me, "\(op.rawValue) keeps the channel count: cout must equal cin")
        }
        if skip && !(op == .conv || op == .mbconv || op == .sepconv) {
            throw EngineError.badLayerSpec(me, "only conv, mbconv and sepconv take an identity skip")
        }
        if skip && (stride != 1 || inChannels != outChannels) {
            throw EngineError.badLayerSpec(me, "identity skip needs stride 1 and cin == cout")
        }
    }

    /// Builds the layer with seeded random weights (batch norm folded).
    public func instantiate(rng: inout SplitMix64) -> any Layer {
        switch op {
        case .conv:
            return Convolution.random(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, activation: activation, skip: skip, rng: &rng)
        case .depthwise:
            return DepthwiseConvolution.random(channels: inChannels, kernel: kernel, stride: stride, activation: activation, rng: &rng)
        case .mbconv:
            return MBConv.random(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, expansion: expansion,
                                 seRatio: seRatio, skip: skip, activation: activation, rng: &rng)
        case .sepconv:
            return MBConv.separable(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride,
                                    seRatio: seRatio, skip: skip, activation: activation, rng: &rng)
        case .avgpool: return Pooling(.average, kernel: kernel, stride: stride)
        case .maxpool: return Pooling(.max, kernel: kernel, stride: stride)
        case .gap: return GlobalAveragePooling()
        case .fc: return FullyConnected.random(inFeatures: inChannels, outFeatures: outChannels, activation: activation, rng: &rng)
        case .softmax: return Softmax()
        }
    }
}
