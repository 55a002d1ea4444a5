/// How a network is trained: SGD with momentum and weight decay (none on batch norm and
/// biases), a linear warm-up then cosine learning-rate decay, optional label smoothing, and
/// the gradient's global norm clipped at `gradientClipNorm` (2 by default, 0 for none) and,
/// optionally, each weight tensor's gradient clipped relative to the weights (`adaptiveClip`).
public struct TrainingSettings: Codable, Sendable, Equatable {
    public var epochs: Double
    public var batchSize: Int
    public var learningRate: Double
    public var momentum: Double
    public var weightDecay: Double
    public var warmupEpochs: Double
    public var labelSmoothing: Double
    /// Largest global L2 norm of the gradient (all parameters together); a larger gradient is
    /// scaled down to it before the momentum update. 0 turns clipping off.
    public var gradientClipNorm: Double
    /// Adaptive gradient clipping λ (Brock et al. 2021, per tensor rather than per unit): each
    /// convolution and linear weight's gradient norm is capped at `λ·max(‖w‖, 10⁻³)`, before the
    /// global-norm clip. Plain stacks of conv + batch norm start with early-layer gradients
    /// several times their weights; this tames those layers alone. 0 turns it off.
    public var adaptiveClip: Double
    /// Random crops and flips of the training images (nil: none).
    public var augmentation: Augmentation?
    public var seed: UInt64
    /// Epochs (increasing, inside `0 < e < epochs`) at which the cosine decay restarts at the
    /// peak learning rate without warm-up (warm restarts, Loshchilov & Hutter 2017): each
    /// segment between restarts decays to zero by its own end. nil: one decay over all epochs.
    /// A scheduler's rungs as restarts anneal every rung's result while a promoted trial still
    /// continues the same run.
    public var restartEpochs: [Double]?

    public init(epochs: Double = 10, batchSize: Int = 128, learningRate: Double = 0.1, momentum: Double = 0.9,
                weightDecay: Double = 5e-4, warmupEpochs: Double = 0.5, labelSmoothing: Double = 0.1, gradientClipNorm: Double = 2,
                adaptiveClip: Double = 0, augmentation: Augmentation? = nil, seed: UInt64 = 1, restartEpochs: [Double]? = nil) {
        self.epochs = epochs; self.batchSize = batchSize; self.learningRate = learningRate; self.momentum = momentum
        self.weightDecay = weightDecay; self.warmupEpochs = warmupEpochs; self.labelSmoothing = labelSmoothing
        self.gradientClipNorm = gradientClipNorm; self.adaptiveClip = adaptiveClip; self.augmentation = augmentation; self.seed = seed
        self.restartEpochs = restartEpochs
    }

    /// Learning rate at `step` of `totalSteps`: linear warm-up over `warmupSteps`, then
    /// cosine decay to zero.
    public static func learningRate(base: Double, step: Int, totalSteps: Int, warmupSteps: Int) -> Double {
        if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        return base * 0.5 * (1 + cos(Double.pi * min(1, progress)))
    }

    /// Learning rate at `step` with warm restarts at `restartSteps` (increasing): warm-up then
    /// cosine decay to zero over the first segment (up to the first restart), then a cosine
    /// from `base` to zero over each later segment. O(restarts).
    public static func learningRate(base: Double, step: Int, totalSteps: Int, warmupSteps: Int, restartSteps: [Int]) -> Double {
        guard let segmentStart = restartSteps.last(where: { $0 <= step }) else {
            return learningRate(base: base, step: step, totalSteps: restartSteps.first ?? totalSteps, warmupSteps: warmupSteps)
        }
        let segmentEnd = restartSteps.first { $0 > step } ?? totalSteps
        return learningRate(base: base, step: step - segmentStart, totalSteps: segmentEnd - segmentStart, warmupSteps: 0)
    }

    /// The steps `restartEpochs` fall on at `stepsPerEpoch` (rounded as a training's stop step
    /// is), those strictly inside the `totalSteps` of the schedule.
    public func restartSteps(stepsPerEpoch: Int, totalSteps: Int) -> [Int] {
        (restartEpochs ?? []).map { Int(($0 * Double(stepsPerEpoch)).rounded()) }.filter { $0 > 0 && $0 < totalSteps }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
