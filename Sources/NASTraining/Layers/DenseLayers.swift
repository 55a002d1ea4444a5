import NASEngine

/// Trainable fully connected layer over flattened features: `y = x·W + b`, `W` `[in × out]`.
public final class LinearLayer: TrainingLayer {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter, bias: Parameter
    private var x: [Float] = []
    private var batch = 1

    public init(inFeatures: Int, outFeatures: Int, rng: inout SplitMix64) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures
        weight = Parameter(heUniform(count: inFeatures * outFeatures, fanIn: inFeatures, rng: &rng), decays: true, name: "linear.weight")
        bias = Parameter([Float](repeating: 0, count: outFeatures), decays: false, name: "linear.bias")
    }

    public var parameters: [Parameter] { [weight, bias] }
    public func outputShape(for input: Shape) -> Shape { Shape(n: input.n, h: 1, w: 1, c: outFeatures) }

    public func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float] {
        precondition(shape.h * shape.w * shape.c == inFeatures, "LinearLayer: input \(shape) for \(inFeatures) features")
        batch = shape.n
        if training { self.x = x }
        var y = uninitialisedFloats(batch * outFeatures)
        fillRows(&y, rows: batch, with: bias.value)
        x.withUnsafeBufferPointer { xp in weight.value.withUnsafeBufferPointer { wp in y.withUnsafeMutableBufferPointer { yp in
            Kernels.sgemm(m: batch, n: outFeatures, k: inFeatures, a: xp.baseAddress!, lda: inFeatures, b: wp.baseAddress!,
                          ldb: outFeatures, beta: 1, c: yp.baseAddress!, ldc: outFeatures)
        } } }
        return y
    }

    public func backward(_ dy: [Float]) -> [Float] {
        precondition(dy.count == batch * outFeatures && x.count == batch * inFeatures, "LinearLayer.backward: call forward(training: true) first")
        var dx = [Float](repeating: 0, count: batch * inFeatures)
        dy.withUnsafeBufferPointer { dp in
            x.withUnsafeBufferPointer { xp in weight.gradient.withUnsafeMutableBufferPointer { gp in
                Kernels.sgemm(m: inFeatures, n: outFeatures, k: batch, a: xp.baseAddress!, lda: inFeatures, transposeA: true,
                              b: dp.baseAddress!, ldb: outFeatures, beta: 1, c: gp.baseAddress!, ldc: outFeatures)
            } }
            weight.value.withUnsafeBufferPointer { wp in dx.withUnsafeMutableBufferPointer { dxp in
                Kernels.sgemm(m: batch, n: inFeatures, k: outFeatures, a: dp.baseAddress!, lda: outFeatures,
                              b: wp.baseAddress!, ldb: outFeatures, transposeB: true, c: dxp.baseAddress!, ldc: inFeatures)
            } }
        }
        addColumnSums(of: dy, rows: batch, columns: outFeatures, into: bias)
        return dx
    }
}

/// Global average pooling `[n, h, w, c]` → `[n, 1, 1, c]`.
public final class GlobalAveragePoolLayer: TrainingLayer {
    private var input = Shape(h: 1, w: 1, c: 1)
    public init() {}
    public var parameters: [Parameter] { [] }
    public func outputShape(for input: Shape) -> Shape { Shape(n: input.n, h: 1, w: 1, c: input.c) }

    public func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float] {
        input = shape
        return Self.pooled(x, shape: shape)
    }

    /// Per image and channel the mean over `h·w` pixels: summed in pixel order, then scaled by
    /// `1/(h·w)`. `[n, h, w, c]` → `[n, c]`, O(n·h·w·c).
    static func pooled(_ x: [Float], shape: Shape) -> [Float] {
        let hw = shape.h * shape.w, c = shape.c
        precondition(x.count == shape.count, "GlobalAveragePoolLayer: \(x.count) values for \(shape)")
        var y = [Float](repeating: 0, count: shape.n * c)
        let scale = 1 / Float(hw)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            for b in 0..<shape.n {
                let sums = yp.baseAddress! + b * c
                var row = xp.baseAddress! + b * hw * c
                for _ in 0..<hw {
                    for ch in 0..<c { sums[ch] += row[ch] }
                    row += c
                }
                for ch in 0..<c { sums[ch] *= scale }
            }
        } }
        return y
    }

    public func backward(_ dy: [Float]) -> [Float] {
        let hw = input.h * input.w, c = input.c
        precondition(dy.count == input.n * c, "GlobalAveragePoolLayer.backward: call forward first")
        var dx = uninitialisedFloats(input.count)
        let scale = 1 / Float(hw)
        dy.withUnsafeBufferPointer { d in dx.withUnsafeMutableBufferPointer { dxp in
            for b in 0..<input.n {
                var row = dxp.baseAddress! + b * hw * c
                for _ in 0..<hw {
                    for ch in 0..<c { row[ch] = d[b * c + ch] * scale }
                    row += c
                }
            }
        } }
        return dx
    }
}

/// Softmax cross-entropy over `[n × classes]` logits with optional label smoothing ε: the
/// target puts `1 − ε + ε/K` on the label and `ε/K` elsewhere. Returns the mean loss and its
/// gradient with respect to the logits.
public enum SoftmaxCrossEntropy {
    public static func lossAndGradient(logits: [Float], labels: [Int], classes: Int, smoothing: Float = 0) -> (loss: Double, gradient: [Float]) {
        let n = labels.count
        precondition(logits.count == n * classes, "SoftmaxCrossEntropy: \(logits.count) logits for \(n)×\(classes)")
        var gradient = [Float](repeating: 0, count: logits.count)
        var loss = 0.0
        let off = smoothing / Float(classes), on = 1 - smoothing + off
        for r in 0..<n {
            let row = logits[(r * classes)..<((r + 1) * classes)]
            let peak = row.max()!
            var total = 0.0
            for v in row { total += exp(Double(v - peak)) }
            let logTotal = log(total)
            for j in 0..<classes {
                let logP = Double(logits[r * classes + j] - peak) - logTotal
                let target = j == labels[r] ? on : off
                loss -= Double(target) * logP
                gradient[r * classes + j] = (Float(exp(logP)) - target) / Float(n)
            }
        }
        return (loss / Double(n), gradient)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
