import NASEngine

/// Which network the proxy trains for an architecture (the deployment network, at the space's
/// `input.resolution`, is always what latency describes).
public enum ProxyGeometry: String, Codable, Sendable, CaseIterable {
    /// The space's strides at the data's resolution (28x28 data through MobileNetV2's five
    /// stride-2 layers leaves its last blocks at 2x2 and 1x1).
    case asDesigned = "as-designed"
    /// The fewest leading stride-2 layers set to stride 1 so that every block's output is at
    /// least 4x4 (the CIFAR form of MobileNetV2): 28x28 data gives 28 28 28 14 7 7 4 4.
    case minimum4x4 = "min-4x4"
}

/// How the proxy evaluator trains each candidate (the space file's `proxy:` section).
public struct ProxyBudget: Codable, Sendable, Equatable {
    public var epochs: Double = 2
    public var trainImages: Int = 8000
    public var validationImages: Int = 2000
    public var batchSize: Int = 64
    public var learningRate: Double = 0.05
    /// Largest global gradient norm (0: no clipping), as `nasctl train --clip-norm`. Off by
    /// default: a global clip holds back every layer while a few early ones explode, which
    /// slows a short proxy's start (Benchmarks/README.md).
    public var clipNorm: Double = 0
    /// Linear learning-rate warm-up, in epochs (capped at a quarter of `epochs`).
    public var warmupEpochs: Double = 0.2
    /// Adaptive gradient clipping λ, as `nasctl train --adaptive-clip`: each weight's gradient
    /// norm at most λ times the weight's norm (0: off). On by default: it tames the exploding
    /// early layers of plain (skip-less) stacks alone, so no short proxy run collapses, and it
    /// ranked a search's trials better (Benchmarks/README.md).
    public var adaptiveClip: Double = 0.1
    /// The proxy network's geometry (`geometry:` in the file, `--proxy-geometry`).
    public var geometry: ProxyGeometry = .asDesigned
    public init() {}

    /// The budget's fields by their YAML names (`--proxy-` + the name with '-' for '_' on the
    /// command line), each with its allowed range.
    public enum Field: String, CaseIterable, Sendable {
        case epochs, trainImages = "train_images", validationImages = "validation_images", batchSize = "batch_size",
             learningRate = "learning_rate", clipNorm = "clip_norm", warmupEpochs = "warmup_epochs", adaptiveClip = "adaptive_clip"

        public var isInteger: Bool { self == .trainImages || self == .validationImages || self == .batchSize }
        /// The allowed values, e.g. `0 < x <= 1000`.
        public var allowed: String {
            let (low, high) = bounds
            return "\(opensAtZero ? "0 < x" : "\(Self.text(low)) <= x") <= \(Self.text(high))"
        }
        public var flag: String { "--proxy-" + rawValue.replacingOccurrences(of: "_", with: "-") }

        /// Epochs and the learning rate must be above 0; the rest may be 0 (off) or start at 1.
        var opensAtZero: Bool { self == .epochs || self == .learningRate }
        var bounds: (Double, Double) {
            switch self {
            case .epochs, .warmupEpochs: return (0, 1000)
            case .trainImages, .validationImages: return (1, 10_000_000)
            case .batchSize: return (1, 65_536)
            case .learningRate: return (0, 100)
            case .clipNorm: return (0, 1e6)
            case .adaptiveClip: return (0, 1000)
            }
        }
        static func text(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
    }

    public subscript(field: Field) -> Double {
        get {
            switch field {
            case .epochs: return epochs
            case .trainImages: return Double(trainImages)
            case .validationImages: return Double(validationImages)
            case .batchSize: return Double(batchSize)
            case .learningRate: return learningRate
            case .clipNorm: return clipNorm
            case .warmupEpochs: return warmupEpochs
            case .adaptiveClip: return adaptiveClip
            }
        }
        set {
            // Integers are range-checked (and so representable) by `problem` before use; clamp so
            // that an out-of-range value can be stored and then reported.
            let integer = Int(max(-1, min(newValue.isFinite ? newValue : -1, 1e12)))
            switch field {
            case .epochs: epochs = newValue
            case .trainImages: trainImages = integer
            case .validationImages: validationImages = integer
            case .batchSize: batchSize = integer
            case .learningRate: learningRate = newValue
            case .clipNorm: clipNorm = newValue
            case .warmupEpochs: warmupEpochs = newValue
            case .adaptiveClip: adaptiveClip = newValue
            }
        }
    }

    /// What is wrong with `field`'s value (nil: it is in range).
    public func problem(_ field: Field) -> String? {
        let value = self[field]
        let (low, high) = field.bounds
        let ok = value.isFinite && (field.opensAtZero ? value > low : value >= low) && value <= high
        return ok ? nil : "is \(Field.text(value)); allowed: \(field.allowed)"
    }

    /// The first field out of range, with its problem.
    public var firstProblem: (field: Field, problem: String)? {
        for field in Field.allCases { if let p = problem(field) { return (field, p) } }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case epochs, trainImages = "train_images", validationImages = "validation_images", batchSize = "batch_size", learningRate = "learning_rate", clipNorm = "clip_norm",
             warmupEpochs = "warmup_epochs", adaptiveClip = "adaptive_clip", geometry
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ProxyBudget()
        epochs = try c.decodeIfPresent(Double.self, forKey: .epochs) ?? d.epochs
        trainImages = try c.decodeIfPresent(Int.self, forKey: .trainImages) ?? d.trainImages
        validationImages = try c.decodeIfPresent(Int.self, forKey: .validationImages) ?? d.validationImages
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? d.learningRate
        clipNorm = try c.decodeIfPresent(Double.self, forKey: .clipNorm) ?? d.clipNorm
        warmupEpochs = try c.decodeIfPresent(Double.self, forKey: .warmupEpochs) ?? d.warmupEpochs
        adaptiveClip = try c.decodeIfPresent(Double.self, forKey: .adaptiveClip) ?? d.adaptiveClip
        geometry = try c.decodeIfPresent(ProxyGeometry.self, forKey: .geometry) ?? d.geometry
    }
}

/// A named set of decisions. A network space also says what the decisions build; a
/// categorical space has decisions only (a table supplies accuracy, e.g. NAS-Bench-201).
///
/// The searcher sees only `decisions`; what they mean lives in `NetworkBuilder`.
public struct SearchSpace: Sendable {
    public enum Kind: Sendable {
        case network(NetworkSpace)
        case categorical
    }

    public var name: String
    public var kind: Kind
    public var decisions: [Decision]
    /// The proxy-training budget from the file's `proxy:` section (defaults when absent).
    public var proxy = ProxyBudget()
    /// Where the space was read from (for error messages), or "<built-in>".
    public var source: String
    /// For a training-settings space: the network and architecture its decisions train.
    public var training: TrainingTarget?

    public init(name: String, kind: Kind, decisions: [Decision], source: String) {
        self.name = name; self.kind = kind; self.decisions = decisions; self.source = source
    }

    public var network: NetworkSpace? {
        if case let .network(space) = kind { return space }
        return nil
    }

    /// Everything that defines the space's architectures and networks, in a fixed order (not
    /// the file's bytes: comments and formatting do not change it, nor does the proxy budget,
    /// which a study records through its evaluator).
    public var canonicalText: String {
        var parts = ["name=\(name)"]
        if let n = network {
            parts.append("network input=\(n.resolution)x\(n.inputChannels) classes=\(n.classes) act=\(n.activation.rawValue)")
            parts.append("stem=\(n.stemFilters)/k\(n.stemKernel)/s\(n.stemStride) head=\(n.headFilters)")
            for b in n.blocks { parts.append("block f=\(b.filters) n=\(b.layers) s=\(b.stride)") }
        } else {
            parts.append("categorical")
        }
        if let t = training { parts.append("training \(t.written)") }
        for d in decisions {
            // A list keeps wave 1's form, so existing digests (and the tables recording them) hold.
            switch d.kind {
            case .categorical: parts.append("\(d.name)=[\(d.choices.joined(separator: ","))]")
            case .ordinal: parts.append("\(d.name)=ordinal[\(d.choices.joined(separator: ","))]")
            case .int, .float: parts.append("\(d.name)=\(d.kind.rawValue)(\(d.allowedDescription))")
            }
        }
        return parts.joined(separator: "\n")
    }

    /// 16-hex-digit digest of `canonicalText`: tables record it to detect another space.
    public var digest: String { Digest.hex(canonicalText) }

    /// The same space with another input and class count (e.g. a network designed for
    /// 224x224x3 and 1000 classes trained on 28x28x1 Fashion-MNIST). Decisions are unchanged,
    /// so architectures carry over; the digest changes.
    public func adapted(resolution: Int, channels: Int, classes: Int, geometry: ProxyGeometry = .asDesigned) throws -> SearchSpace {
        guard var net = network else { return self }
        if geometry == .minimum4x4 {
            var removed = 0
            while removed < net.strideTwoLayers && net.removingLeadingStrides(removed).finalSide(resolution: resolution) < 4 { removed += 1 }
            net = net.removingLeadingStrides(removed)
        }
        net.resolution = resolution
        net.inputChannels = channels
        net.classes = classes
        guard resolution >= net.minimumResolution else {
            throw SpaceError(file: source, field: "input.resolution", problem: "\(resolution) is too small for this space: its \(net.strideTwoLayers) stride-2 layers need at least \(net.minimumResolution)x\(net.minimumResolution)")
        }
        return SearchSpace(name: name, kind: .network(net), decisions: decisions, source: source)
    }

    /// Number of distinct architectures (product of value counts), saturating at `Int.max`
    /// (and `Int.max` with a continuous decision).
    public var size: Int {
        decisions.reduce(1) { acc, d in
            guard let n = d.valueCount else { return Int.max }
            return acc.multipliedReportingOverflow(by: n).overflow ? Int.max : acc * n
        }
    }
}
