import NASEngine

/// Plain nested-loop implementations the engine's kernels are checked against. Written for
/// clarity, not speed; every index is computed from first principles.
enum Reference {
    /// Grouped convolution with zero padding `k/2`, stride `s`.
    /// `weights` for groups == 1: `[k, k, cin, cout]`; for depthwise (groups == c): `[k, k, c]`.
    static func convolution(_ x: [Float], _ input: Shape, weights: [Float], bias: [Float]?, kernel k: Int, stride s: Int,
                            outChannels cout: Int, depthwise: Bool, activation: Activation) -> [Float] {
        let ho = (input.h + s - 1) / s, wo = (input.w + s - 1) / s, pad = k / 2
        var y = [Float](repeating: 0, count: input.n * ho * wo * cout)
        for b in 0..<input.n {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    for o in 0..<cout {
                        var acc: Double = Double(bias?[o] ?? 0)
                        for kh in 0..<k {
                            for kw in 0..<k {
                                let iy = oy * s - pad + kh, ix = ox * s - pad + kw
                                if iy < 0 || iy >= input.h || ix < 0 || ix >= input.w { continue }
                                if depthwise {
                                    acc += Double(x[((b * input.h + iy) * input.w + ix) * input.c + o]) * Double(weights[(kh * k + kw) * cout + o])
                                } else {
                                    for i in 0..<input.c {
                                        acc += Double(x[((b * input.h + iy) * input.w + ix) * input.c + i])
                                            * Double(weights[((kh * k + kw) * input.c + i) * cout + o])
                                    }
                                }
                            }
                        }
                        y[((b * ho + oy) * wo + ox) * cout + o] = activate(activation, Float(acc))
                    }
                }
            }
        }
        return y
    }

    static func pool(_ kind: PoolKind, _ x: [Float], _ input: Shape, kernel k: Int, stride s: Int) -> [Float] {
        let ho = (input.h + s - 1) / s, wo = (input.w + s - 1) / s, pad = k / 2
        var y = [Float](repeating: 0, count: input.n * ho * wo * input.c)
        for b in 0..<input.n { for oy in 0..<ho { for ox in 0..<wo { for c in 0..<input.c {
            var values: [Float] = []
            for kh in 0..<k { for kw in 0..<k {
                let iy = oy * s - pad + kh, ix = ox * s - pad + kw
                if iy >= 0 && iy < input.h && ix >= 0 && ix < input.w { values.append(x[((b * input.h + iy) * input.w + ix) * input.c + c]) }
            } }
            y[((b * ho + oy) * wo + ox) * input.c + c] = kind == .max ? values.max()! : values.reduce(0, +) / Float(values.count)
        } } } }
        return y
    }

    static func globalAverage(_ x: [Float], _ input: Shape) -> [Float] {
        var y = [Float](repeating: 0, count: input.n * input.c)
        for b in 0..<input.n { for c in 0..<input.c {
            var sum: Double = 0
            for p in 0..<(input.h * input.w) { sum += Double(x[(b * input.h * input.w + p) * input.c + c]) }
            y[b * input.c + c] = Float(sum / Double(input.h * input.w))
        } }
        return y
    }

    static func fullyConnected(_ x: [Float], batch: Int, inFeatures: Int, weights: [Float], bias: [Float], outFeatures: Int, activation: Activation) -> [Float] {
        var y = [Float](repeating: 0, count: batch * outFeatures)
        for b in 0..<batch { for o in 0..<outFeatures {
            var acc = Double(bias[o])
            for i in 0..<inFeatures { acc += Double(x[b * inFeatures + i]) * Double(weights[i * outFeatures + o]) }
            y[b * outFeatures + o] = activate(activation, Float(acc))
        } }
        return y
    }

    static func softmax(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        var y = x
        for r in 0..<rows {
            let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let peak = row.max()!
            let exps = row.map { referenceExp($0 - peak) }
            let total = exps.reduce(0, +)
            for j in 0..<cols { y[r * cols + j] = Float(exps[j] / total) }
        }
        return y
    }

    static func squeezeExcite(_ x: [Float], _ shape: Shape, _ se: SqueezeExcite) -> [Float] {
        let pooled = globalAverage(x, shape)
        let hidden = fullyConnected(pooled, batch: shape.n, inFeatures: shape.c, weights: se.w1.array, bias: se.b1.array, outFeatures: se.reduced, activation: .relu)
        let gate = fullyConnected(hidden, batch: shape.n, inFeatures: se.reduced, weights: se.w2.array, bias: se.b2.array, outFeatures: shape.c, activation: .sigmoid)
        var y = x
        for i in y.indices {
            let c = i % shape.c, b = i / (shape.h * shape.w * shape.c)
            y[i] *= gate[b * shape.c + c]
        }
        return y
    }

    /// The layer's convolution, plus the input when it has an identity skip (`act(conv(x)) + x`).
    static func convolution(_ layer: Convolution, _ x: [Float], _ input: Shape) -> [Float] {
        var y = convolution(x, input, weights: layer.weights.array, bias: layer.bias.array, kernel: layer.geometry.kernel,
                            stride: layer.geometry.stride, outChannels: layer.outChannels, depthwise: false, activation: layer.activation)
        if layer.skip { for i in y.indices { y[i] += x[i] } }
        return y
    }

    /// The activations from their definitions (not the engine's `Activation.apply`):
    /// ReLU max(0, x), ReLU6 min(max(0, x), 6), h-swish x·ReLU6(x + 3)/6, sigmoid 1/(1 + e^−x).
    static func activate(_ activation: Activation, _ x: Float) -> Float {
        let v = Double(x)
        switch activation {
        case .none: return x
        case .relu: return Float(v > 0 ? v : 0)
        case .relu6: return Float(v < 0 ? 0 : (v > 6 ? 6 : v))
        case .hswish:
            let r = v + 3 < 0 ? 0 : (v + 3 > 6 ? 6 : v + 3)
            return Float(v * r / 6)
        case .sigmoid: return Float(1 / (1 + referenceExp(-v)))
        }
    }

    static func depthwise(_ layer: DepthwiseConvolution, _ x: [Float], _ input: Shape) -> [Float] {
        convolution(x, input, weights: layer.weights.array, bias: layer.bias.array, kernel: layer.geometry.kernel,
                    stride: layer.geometry.stride, outChannels: layer.channels, depthwise: true, activation: layer.activation)
    }

    /// MBConv composed from the reference pieces above.
    static func mbconv(_ block: MBConv, _ x: [Float], _ input: Shape) -> [Float] {
        var t = x
        var shape = input
        if let expand = block.expand {
            t = convolution(expand, t, shape)
            shape = Shape(n: shape.n, h: shape.h, w: shape.w, c: expand.outChannels)
        }
        t = depthwise(block.depthwise, t, shape)
        shape = block.depthwise.geometry.output(shape, channels: shape.c)
        if let se = block.squeezeExcite { t = squeezeExcite(t, shape, se) }
        t = convolution(block.project, t, shape)
        if block.skip { for i in t.indices { t[i] += x[i] } }
        return t
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
func referenceExp(_ x: Double) -> Double { exp(x) }

/// Seeded random values in [-1, 1).
func randomValues(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return rng.uniform(count: count, scale: 1)
}

/// Largest |a−b| / (1 + |b|) over two equal-length arrays.
func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "maxRelativeError: \(a.count) vs \(b.count) values")
    var worst: Float = 0
    for i in a.indices { worst = max(worst, abs(a[i] - b[i]) / (1 + abs(b[i]))) }
    return worst
}
