import Foundation

/// A training-settings space's `training:` section: the network space and the one
/// architecture whose training the space's decisions tune (paths resolved against the space
/// file's folder). Its decisions are named after `TrainingHyperParameter`s.
public struct TrainingTarget: Sendable, Equatable {
    public var spaceFile: String
    public var archFile: String
    /// The two paths as the file wrote them (what the space's digest sees, so that the digest
    /// does not depend on where the file was read from).
    public var written: String
    public init(spaceFile: String, archFile: String, written: String? = nil) {
        self.spaceFile = spaceFile; self.archFile = archFile; self.written = written ?? "space=\(spaceFile) arch=\(archFile)"
    }
}

/// The training settings a training-settings space may search, by their YAML names, each with
/// the values it allows.
public enum TrainingHyperParameter: String, CaseIterable, Sendable {
    case learningRate = "learning_rate", weightDecay = "weight_decay", momentum, batchSize = "batch_size",
         labelSmoothing = "label_smoothing", warmupEpochs = "warmup_epochs", epochs, clipNorm = "clip_norm", adaptiveClip = "adaptive_clip"

    /// True when every value must be a whole number.
    public var isInteger: Bool { self == .batchSize }

    /// Whether `x` is allowed, and what is.
    public func allows(_ x: Double) -> Bool {
        switch self {
        case .learningRate, .epochs: return x > 0 && x <= 1000
        case .weightDecay, .warmupEpochs, .clipNorm, .adaptiveClip: return x >= 0 && x <= 1000
        case .momentum, .labelSmoothing: return x >= 0 && x < 1
        case .batchSize: return x >= 1 && x <= 65_536 && x == x.rounded()
        }
    }

    public var allowed: String {
        switch self {
        case .learningRate, .epochs: return "0 < x <= 1000"
        case .weightDecay, .warmupEpochs, .clipNorm, .adaptiveClip: return "0 <= x <= 1000"
        case .momentum, .labelSmoothing: return "0 <= x < 1"
        case .batchSize: return "an integer from 1 to 65536"
        }
    }

    /// What is wrong with `decision` as this setting (a list of text, a value out of range), or nil.
    public func problem(_ decision: Decision) -> String? {
        let values: [Double]
        switch decision.kind {
        case .categorical, .ordinal:
            let numbers = decision.choices.compactMap(Double.init)
            guard numbers.count == decision.choices.count else { return "must be numbers (an ordinal list, int or float); allowed: \(allowed)" }
            values = numbers
        case .int, .float:
            guard let b = decision.bounds else { return nil }
            values = [b.low, b.high]
            if isInteger && decision.kind == .float { return "must be int or an ordinal list of integers; allowed: \(allowed)" }
        }
        if let bad = values.first(where: { !allows($0) }) { return "has \(NumericBounds.text(bad)); allowed: \(allowed)" }
        return nil
    }
}
