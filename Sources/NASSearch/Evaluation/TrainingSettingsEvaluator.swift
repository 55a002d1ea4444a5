import Foundation
import NASSpace
import NASTraining

/// `--evaluator proxy` on a training-settings space (one with a `training:` section): every
/// trial trains the same architecture of the named network space on the proxy's data, with the
/// proxy budget's settings except those the trial's decisions set (`learning_rate`,
/// `weight_decay`, `momentum`, `batch_size`, `label_smoothing`, `warmup_epochs`, `epochs`,
/// `clip_norm`, `adaptive_clip`), and reports validation accuracy. The initial weights are the
/// architecture's (seeded from its key), so trials differ by their settings only.
///
/// One fidelity only (the trial's own `epochs` span its schedule): no scheduler.
public struct TrainingSettingsEvaluator: Evaluator {
    /// The hyper-parameter space whose architectures are training settings.
    public let space: SearchSpace
    public let proxy: ProxyEvaluator
    public let arch: Architecture

    public init(space: SearchSpace, proxy: ProxyEvaluator, arch: Architecture) {
        self.space = space; self.proxy = proxy; self.arch = arch
    }

    public var name: String { "training:\(proxy.name) arch=\(arch.key(in: proxy.space))" }

    /// The proxy's settings for the architecture with `settings`' decisions applied.
    public func trainingSettings(_ settings: Architecture) -> TrainingSettings {
        var s = proxy.trainingSettings(for: arch)
        for (decision, text) in zip(space.decisions, settings.values) {
            guard let parameter = TrainingHyperParameter(rawValue: decision.name), let x = Double(text) else { continue }
            switch parameter {
            case .learningRate: s.learningRate = x
            case .weightDecay: s.weightDecay = x
            case .momentum: s.momentum = x
            case .batchSize: s.batchSize = Int(x)
            case .labelSmoothing: s.labelSmoothing = x
            case .warmupEpochs: s.warmupEpochs = x
            case .epochs: s.epochs = x
            case .clipNorm: s.gradientClipNorm = x
            case .adaptiveClip: s.adaptiveClip = x
            }
        }
        s.warmupEpochs = min(s.warmupEpochs, s.epochs / 4)  // as the proxy caps it
        return s
    }

    public func evaluate(_ request: EvaluationRequest) -> Evaluation {
        if let fidelity = request.fidelity { return .unsupported(fidelity, by: "a training-settings search") }
        do {
            guard let scores = try proxy.scores(arch, settings: trainingSettings(request.arch), shouldStop: request.shouldStop) else { return .interrupted }
            return .success(accuracy: scores.validationAccuracy, latencyMs: nil)
        } catch {
            return .failure("training: \(error)")
        }
    }
}
