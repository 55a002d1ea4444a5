import Foundation
import NASEngine

/// Mini-batch training and evaluation of a `TrainingNetwork` on an `ImageDataset`.
/// Seeded and reproducible at one thread.
public enum Trainer {
    public struct Progress: Sendable {
        public var epoch: Double
        public var step: Int
        public var totalSteps: Int
        public var loss: Double
        public var trainAccuracy: Double
        public var imagesPerSecond: Double
        public var elapsedSeconds: Double
        public var etaSeconds: Double
    }

    public struct Result: Sendable, Codable {
        public var finalLoss: Double
        public var trainAccuracy: Double
        public var seconds: Double
        public var imagesPerSecond: Double
        public var steps: Int
        /// True when `shouldStop` ended the training before its last step.
        public var stopped: Bool = false
    }

    /// Steps in one epoch of `data` at `settings.batchSize` (the last partial batch is dropped).
    public static func stepsPerEpoch(_ data: ImageDataset, settings: TrainingSettings) -> Int {
        max(1, data.count / min(settings.batchSize, data.count))
    }

    /// Trains `network` on `data` for `settings.epochs` (fractions allowed); `progress` after
    /// every step. Loss and accuracy are running means over the last epoch's steps.
    ///
    /// Resuming: `epochEnd(step)` runs after each whole epoch but the last (save a checkpoint
    /// there); a network restored from it (parameters, momentum, buffers) and trained with
    /// `startStep: step` continues exactly as an uninterrupted run would (at one thread). The
    /// data order of earlier epochs is replayed from the seed. Any step works as a start, not
    /// only an epoch boundary.
    ///
    /// Budgets: `stopStep` ends training after that many steps of the schedule (the learning
    /// rate still follows `settings.epochs`, so training to step a, saving, and continuing from
    /// a to b is the same run as training to b). `Result.steps` is the step reached.
    ///
    /// `shouldStop` is polled before every step; when it turns true training ends there and the
    /// result says `stopped`.
    public static func train(_ network: TrainingNetwork, on data: ImageDataset, settings: TrainingSettings,
                             startStep: Int = 0, stopStep: Int? = nil, progress: (Progress) -> Void = { _ in },
                             epochEnd: (Int) -> Void = { _ in }, shouldStop: () -> Bool = { false }) -> Result {
        let batch = min(settings.batchSize, data.count)
        let stepsPerEpoch = stepsPerEpoch(data, settings: settings)
        let totalSteps = max(1, Int((settings.epochs * Double(stepsPerEpoch)).rounded()))
        let endStep = min(totalSteps, stopStep ?? totalSteps)
        precondition(startStep >= 0 && startStep <= endStep, "Trainer.train: start step \(startStep) beyond the end \(endStep)")
        let warmup = Int(settings.warmupEpochs * Double(stepsPerEpoch))
        let restarts = settings.restartSteps(stepsPerEpoch: stepsPerEpoch, totalSteps: totalSteps)
        let parameters = network.parameters
        var rng = SplitMix64(seed: settings.seed)
        var order = Array(0..<data.count)
        let imageSize = data.valuesPerImage
        var lossWindow: [Double] = [], correctWindow: [Int] = []
        let start = Date()
        var imagesSeen = 0
        var x = [Float](repeating: 0, count: batch * imageSize)
        var labels = [Int](repeating: 0, count: batch)
        // Replay the shuffles of the epochs before the start (and of the one it falls in).
        for _ in 0..<((startStep + stepsPerEpoch - 1) / stepsPerEpoch) { order.shuffle(using: &rng) }
        var stopped = false
        var reached = startStep
        for step in startStep..<endStep {
            if shouldStop() {
                stopped = true
                break
            }
            if step % stepsPerEpoch == 0 { order.shuffle(using: &rng) }
            let offset = (step % stepsPerEpoch) * batch
            // Copy through raw pointers: touching the shared data set's storage element by
            // element would bounce its reference count between the threads of parallel trials.
            data.pixels.withUnsafeBufferPointer { source in
                x.withUnsafeMutableBufferPointer { target in
                    for i in 0..<batch {
                        let example = order[offset + i]
                        (target.baseAddress! + i * imageSize).update(from: source.baseAddress! + example * imageSize, count: imageSize)
                    }
                }
            }
            for i in 0..<batch { labels[i] = data.labels[order[offset + i]] }
            settings.augmentation?.apply(&x, count: batch, height: data.height, width: data.width, channels: data.channels,
                                         seed: settings.seed, step: step)
            for p in parameters { p.zeroGradient() }
            let logits = network.forward(x, batch: batch, training: true)
            let (loss, dLogits) = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, classes: network.classes,
                                                                      smoothing: Float(settings.labelSmoothing))
            network.backward(dLogits)
            if settings.adaptiveClip > 0 { clipGradientsAdaptively(parameters, ratio: settings.adaptiveClip) }
            if settings.gradientClipNorm > 0 { clipGradients(parameters, maxNorm: settings.gradientClipNorm) }
            let lr = TrainingSettings.learningRate(base: settings.learningRate, step: step, totalSteps: totalSteps, warmupSteps: warmup,
                                                   restartSteps: restarts)
            sgdStep(parameters, learningRate: Float(lr), momentum: Float(settings.momentum), weightDecay: Float(settings.weightDecay))
            imagesSeen += batch
            reached = step + 1
            if (step + 1) % stepsPerEpoch == 0 && step + 1 < endStep { epochEnd(step + 1) }
            lossWindow.append(loss)
            correctWindow.append(correctCount(logits, labels: labels, classes: network.classes))
            if lossWindow.count > stepsPerEpoch { lossWindow.removeFirst(); correctWindow.removeFirst() }
            let elapsed = Date().timeIntervalSince(start)
            progress(Progress(epoch: Double(step + 1) / Double(stepsPerEpoch), step: step + 1, totalSteps: endStep,
                              loss: lossWindow.reduce(0, +) / Double(lossWindow.count),
                              trainAccuracy: Double(correctWindow.reduce(0, +)) / Double(correctWindow.count * batch),
                              imagesPerSecond: Double(imagesSeen) / max(elapsed, 1e-9),
                              elapsedSeconds: elapsed, etaSeconds: elapsed / Double(step + 1 - startStep) * Double(endStep - step - 1)))
        }
        let seconds = Date().timeIntervalSince(start)
        return Result(finalLoss: lossWindow.reduce(0, +) / Double(max(lossWindow.count, 1)),
                      trainAccuracy: Double(correctWindow.reduce(0, +)) / Double(max(correctWindow.count * batch, 1)),
                      seconds: seconds, imagesPerSecond: Double(imagesSeen) / max(seconds, 1e-9), steps: reached, stopped: stopped)
    }

    /// `v = μv + (g + λw)`, `w −= lr·v` (λ only where the parameter decays).
    static func sgdStep(_ parameters: [Parameter], learningRate: Float, momentum: Float, weightDecay: Float) {
        for p in parameters {
            let decay = p.decays ? weightDecay : 0
            // Raw pointers: indexing the class's arrays element by element costs a uniqueness
            // check per store and keeps the loop scalar.
            p.value.withUnsafeMutableBufferPointer { value in
                p.velocity.withUnsafeMutableBufferPointer { velocity in
                    p.gradient.withUnsafeBufferPointer { gradient in
                        let (w, v, g) = (value.baseAddress!, velocity.baseAddress!, gradient.baseAddress!)
                        for i in 0..<value.count {
                            v[i] = momentum * v[i] + (g[i] + decay * w[i])
                            w[i] -= learningRate * v[i]
                        }
                    }
                }
            }
        }
    }

    /// `sqrt(Σ g²)` over every parameter's gradient (`squaredNorm` per tensor, Double across
    /// tensors). O(parameters).
    static func globalGradientNorm(_ parameters: [Parameter]) -> Double {
        var total = 0.0
        for p in parameters { total += p.gradient.withUnsafeBufferPointer(squaredNorm) }
        return total.squareRoot()
    }

    /// Scales every gradient by `maxNorm / norm` when their global norm exceeds `maxNorm`
    /// (direction kept). Returns the norm before clipping. O(parameters).
    @discardableResult
    static func clipGradients(_ parameters: [Parameter], maxNorm: Double) -> Double {
        let norm = globalGradientNorm(parameters)
        if norm > maxNorm {
            let factor = Float(maxNorm / norm)
            for p in parameters {
                p.gradient.withUnsafeMutableBufferPointer { g in
                    for i in 0..<g.count { g[i] *= factor }
                }
            }
        }
        return norm
    }

    /// Adaptive clipping: scales each decaying parameter's (convolution and linear weight's)
    /// gradient so that `‖g‖ ≤ ratio·max(‖w‖, 10⁻³)`; batch-norm scales and shifts and biases
    /// are left alone (β starts at 0, so a ratio to it would freeze it). O(parameters).
    static func clipGradientsAdaptively(_ parameters: [Parameter], ratio: Double) {
        for p in parameters where p.decays {
            let weightNorm = p.value.withUnsafeBufferPointer(squaredNorm).squareRoot()
            let gradientNorm = p.gradient.withUnsafeBufferPointer(squaredNorm).squareRoot()
            let limit = ratio * max(weightNorm, 1e-3)
            guard gradientNorm > limit else { continue }
            let factor = Float(limit / gradientNorm)
            p.gradient.withUnsafeMutableBufferPointer { g in
                for i in 0..<g.count { g[i] *= factor }
            }
        }
    }

    /// `Σ v²` in 32 Float lanes (fused multiply-adds; a plain Float loop is one dependent add
    /// per element: adaptive clipping then cost the largest proxy candidate 8% more time), the lanes and the tail summed in Double. O(n).
    static func squaredNorm(_ values: UnsafeBufferPointer<Float>) -> Double {
        guard let base = values.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base)
        var low = SIMD16<Float>(), high = SIMD16<Float>()
        var i = 0
        while i + 32 <= values.count {
            let a = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            let b = raw.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            low.addProduct(a, a)
            high.addProduct(b, b)
            i += 32
        }
        var sum = 0.0
        for lane in 0..<16 { sum += Double(low[lane]) + Double(high[lane]) }
        while i < values.count { sum += Double(base[i] * base[i]); i += 1 }
        return sum
    }

    /// How many rows of `logits` (`[labels.count × classes]`) have their label as the top class
    /// (the first of tied maxima), as every accuracy nasctl reports counts them.
    public static func correctCount(_ logits: [Float], labels: [Int], classes: Int) -> Int {
        var correct = 0
        for (r, label) in labels.enumerated() {
            var best = 0
            for j in 1..<classes where logits[r * classes + j] > logits[r * classes + best] { best = j }
            if best == label { correct += 1 }
        }
        return correct
    }

    /// Top-1 accuracy on `data` in inference mode (running batch-norm statistics).
    public static func accuracy(_ network: TrainingNetwork, on data: ImageDataset, batchSize: Int = 256) -> Double {
        score(network, on: data, batchSize: batchSize).accuracy
    }

    /// Top-1 accuracy and mean cross-entropy (nats per image, no label smoothing) on `data` in
    /// inference mode (running batch-norm statistics). One forward pass over `data`.
    public static func score(_ network: TrainingNetwork, on data: ImageDataset, batchSize: Int = 256) -> (accuracy: Double, loss: Double) {
        let imageSize = data.valuesPerImage
        var correct = 0
        var loss = 0.0
        var start = 0
        while start < data.count {
            let n = min(batchSize, data.count - start)
            let x = Array(data.pixels[(start * imageSize)..<((start + n) * imageSize)])
            let labels = Array(data.labels[start..<(start + n)])
            let logits = network.forward(x, batch: n, training: false)
            correct += correctCount(logits, labels: labels, classes: network.classes)
            loss += SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, classes: network.classes).loss * Double(n)
            start += n
        }
        let count = Double(max(data.count, 1))
        return (Double(correct) / count, loss / count)
    }
}
