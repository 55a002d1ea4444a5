import Foundation
import NASEngine
import Testing
@testable import NASTraining

/// A training layer's forward pass in Double, written from the layers' definitions (not from
/// their code), as a function of the input and of the layer's parameters in
/// `layer.parameters` order. Finite differences of it need no Float-rounding allowance, so
/// the analytic (Float) gradients can be held to a relative tolerance near 1e-3.
struct DoubleReference {
    /// `(x, shape, parameters) -> (y, output shape)`; `parameters` holds exactly this layer's.
    let run: (_ x: [Double], _ shape: Shape, _ parameters: ArraySlice<[Double]>) -> ([Double], Shape)
    let parameterCount: Int

    /// Batch statistics in batch norm (the `training: true` forward the gradients are for).
    init(_ layer: TrainingLayer) {
        parameterCount = layer.parameters.count
        switch layer {
        case let conv as ConvolutionLayer:
            let k = conv.geometry.kernel, s = conv.geometry.stride, cin = conv.inChannels, cout = conv.outChannels
            let hasBias = conv.bias != nil
            run = { x, shape, p in
                let w = p[p.startIndex], b = hasBias ? p[p.startIndex + 1] : [Double](repeating: 0, count: cout)
                let out = conv.outputShape(for: shape)
                var y = [Double](repeating: 0, count: out.count)
                for n in 0..<shape.n { for oy in 0..<out.h { for ox in 0..<out.w { for o in 0..<cout {
                    var sum = b[o]
                    for kh in 0..<k { for kw in 0..<k {
                        let iy = oy * s - k / 2 + kh, ix = ox * s - k / 2 + kw
                        guard iy >= 0, iy < shape.h, ix >= 0, ix < shape.w else { continue }
                        for i in 0..<cin { sum += x[((n * shape.h + iy) * shape.w + ix) * cin + i] * w[((kh * k + kw) * cin + i) * cout + o] }
                    } }
                    y[((n * out.h + oy) * out.w + ox) * cout + o] = sum
                } } } }
                return (y, out)
            }
        case let depthwise as DepthwiseLayer:
            let k = depthwise.geometry.kernel, s = depthwise.geometry.stride, c = depthwise.channels
            run = { x, shape, p in
                let w = p[p.startIndex]
                let out = depthwise.outputShape(for: shape)
                var y = [Double](repeating: 0, count: out.count)
                for n in 0..<shape.n { for oy in 0..<out.h { for ox in 0..<out.w { for ch in 0..<c {
                    var sum = 0.0
                    for kh in 0..<k { for kw in 0..<k {
                        let iy = oy * s - k / 2 + kh, ix = ox * s - k / 2 + kw
                        guard iy >= 0, iy < shape.h, ix >= 0, ix < shape.w else { continue }
                        sum += x[((n * shape.h + iy) * shape.w + ix) * c + ch] * w[(kh * k + kw) * c + ch]
                    } }
                    y[((n * out.h + oy) * out.w + ox) * c + ch] = sum
                } } } }
                return (y, out)
            }
        case let pool as PoolingLayer:
            let k = pool.geometry.kernel, s = pool.geometry.stride, kind = pool.kind
            run = { x, shape, _ in
                let out = pool.outputShape(for: shape), c = shape.c
                var y = [Double](repeating: 0, count: out.count)
                for n in 0..<shape.n { for oy in 0..<out.h { for ox in 0..<out.w { for ch in 0..<c {
                    var window: [Double] = []
                    for kh in 0..<k { for kw in 0..<k {
                        let iy = oy * s - k / 2 + kh, ix = ox * s - k / 2 + kw
                        if iy >= 0, iy < shape.h, ix >= 0, ix < shape.w { window.append(x[((n * shape.h + iy) * shape.w + ix) * c + ch]) }
                    } }
                    y[((n * out.h + oy) * out.w + ox) * c + ch] = kind == .max ? window.max()! : window.reduce(0, +) / Double(window.count)
                } } } }
                return (y, out)
            }
        case let norm as BatchNormLayer:
            let epsilon = Double(norm.epsilon), f = Self.function(norm.activation)
            run = { x, shape, p in
                let gamma = p[p.startIndex], beta = p[p.startIndex + 1], c = shape.c, m = shape.count / c
                var y = x
                for ch in 0..<c {
                    let values = (0..<m).map { x[$0 * c + ch] }
                    let mean = values.reduce(0, +) / Double(m)
                    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)
                    for i in 0..<m { y[i * c + ch] = f(gamma[ch] * (x[i * c + ch] - mean) / (variance + epsilon).squareRoot() + beta[ch]) }
                }
                return (y, shape)
            }
        case let activation as ActivationLayer:
            let f = Self.function(activation.activation)
            run = { x, shape, _ in (x.map(f), shape) }
        case let linear as LinearLayer:
            let fin = linear.inFeatures, fout = linear.outFeatures
            run = { x, shape, p in
                let w = p[p.startIndex], b = p[p.startIndex + 1]
                var y = [Double](repeating: 0, count: shape.n * fout)
                for n in 0..<shape.n { for j in 0..<fout {
                    y[n * fout + j] = b[j] + (0..<fin).reduce(0.0) { $0 + x[n * fin + $1] * w[$1 * fout + j] }
                } }
                return (y, linear.outputShape(for: shape))
            }
        case is GlobalAveragePoolLayer:
            run = { x, shape, _ in
                let hw = shape.h * shape.w, c = shape.c
                var y = [Double](repeating: 0, count: shape.n * c)
                for n in 0..<shape.n { for p in 0..<hw { for ch in 0..<c { y[n * c + ch] += x[(n * hw + p) * c + ch] / Double(hw) } } }
                return (y, Shape(n: shape.n, h: 1, w: 1, c: c))
            }
        case let sequential as SequentialLayer:
            let parts = sequential.layers.map(DoubleReference.init)
            run = { x, shape, p in
                var value = x, current = shape, next = p.startIndex
                for part in parts {
                    (value, current) = part.run(value, current, p[next..<next + part.parameterCount])
                    next += part.parameterCount
                }
                return (value, current)
            }
        case let residual as ResidualLayer:
            let body = DoubleReference(residual.body)
            run = { x, shape, p in
                let (y, out) = body.run(x, shape, p)
                return (zip(y, x).map(+), out)
            }
        case let excite as SqueezeExciteLayer:
            let reduce = DoubleReference(excite.reduce), expand = DoubleReference(excite.expand)
            run = { x, shape, p in
                let hw = shape.h * shape.w, c = shape.c
                var pooled = [Double](repeating: 0, count: shape.n * c)
                for n in 0..<shape.n { for q in 0..<hw { for ch in 0..<c { pooled[n * c + ch] += x[(n * hw + q) * c + ch] / Double(hw) } } }
                let pooledShape = Shape(n: shape.n, h: 1, w: 1, c: c)
                let (hidden, hiddenShape) = reduce.run(pooled, pooledShape, p[p.startIndex..<p.startIndex + 2])
                let (logits, _) = expand.run(hidden.map { max($0, 0) }, hiddenShape, p[p.startIndex + 2..<p.startIndex + 4])
                let gate = logits.map { 1 / (1 + exp(-$0)) }
                var y = x
                for n in 0..<shape.n { for q in 0..<hw { for ch in 0..<c { y[(n * hw + q) * c + ch] *= gate[n * c + ch] } } }
                return (y, shape)
            }
        default:
            fatalError("DoubleReference: no reference for \(type(of: layer))")
        }
    }

    /// Each activation written out in Double, independently of the kernels' forms.
    static func function(_ activation: Activation) -> (Double) -> Double {
        switch activation {
        case .none: return { $0 }
        case .relu: return { $0 > 0 ? $0 : 0 }
        case .relu6: return { $0 <= 0 ? 0 : ($0 >= 6 ? 6 : $0) }
        case .hswish: return { v in v <= -3 ? 0 : (v >= 3 ? v : v * (v + 3) / 6) }
        case .sigmoid: return { 1 / (1 + exp(-$0)) }
        }
    }
}

/// Central finite differences of the Double reference `L = Σ ref(x)·r` (step 1e-6 relative)
/// against the Float layer's analytic input and parameter gradients at up to `samples`
/// coordinates each, within `relative` of the larger of the two (plus 1e-6 absolute for
/// gradients that are zero). Also checks that the layer computes the reference's function.
func checkGradientsInDouble(_ layer: TrainingLayer, input: Shape, seed: UInt64, samples: Int = 30,
                            relative: Double = 1e-3, inputValues: [Float]? = nil) {
    let mismatches = gradientMismatches(layer, input: input, seed: seed, samples: samples, relative: relative, inputValues: inputValues)
    #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(5).joined(separator: "; "))")
}

/// The coordinates where the analytic gradient and the Double finite difference disagree,
/// described; `tamper` may alter the analytic parameter gradients first (to show a check fails).
func gradientMismatches(_ layer: TrainingLayer, input: Shape, seed: UInt64, samples: Int = 30, relative: Double = 1e-3,
                        inputValues: [Float]? = nil, tamper: (inout [[Float]]) -> Void = { _ in }) -> [String] {
    let reference = DoubleReference(layer)
    var rng = SplitMix64(seed: seed)
    let x = inputValues ?? rng.uniform(count: input.count, scale: 1)
    let outShape = layer.outputShape(for: input)
    let r = rng.uniform(count: outShape.count, scale: 1).map(Double.init)

    let y = layer.forward(x, shape: input, training: true)
    for p in layer.parameters { p.zeroGradient() }
    let dx = layer.backward(r.map(Float.init))
    var analyticParameters = layer.parameters.map(\.gradient)
    tamper(&analyticParameters)

    var mismatches: [String] = []
    var xs = x.map(Double.init)
    var ps = layer.parameters.map { $0.value.map(Double.init) }
    let (yReference, shapeReference) = reference.run(xs, input, ps[...])
    let forwardError = zip(y, yReference).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? .infinity
    if shapeReference != outShape || dx.count != xs.count || y.count != yReference.count || !(forwardError < 1e-4) {
        return ["forward differs from the reference (shape \(shapeReference) vs \(outShape), error \(forwardError))"]
    }

    func loss() -> Double { zip(reference.run(xs, input, ps[...]).0, r).reduce(0) { $0 + $1.0 * $1.1 } }
    /// `set` moves one coordinate (from `saved`); the loss reads it back from `xs`/`ps`.
    func numeric(_ saved: Double, _ set: (Double) -> Void) -> Double {
        let h = 1e-6 * max(1, abs(saved))
        set(saved + h); let plus = loss()
        set(saved - h); let minus = loss()
        set(saved)
        return (plus - minus) / (2 * h)
    }
    func check(_ name: String, _ numeric: Double, _ analytic: Float) {
        if !(abs(numeric - Double(analytic)) <= relative * max(abs(numeric), abs(Double(analytic))) + 1e-6) {
            mismatches.append("\(name): numeric \(numeric), analytic \(analytic)")
        }
    }
    for _ in 0..<min(samples, xs.count) {
        let i = Int(rng.next() % UInt64(xs.count))
        check("input[\(i)]", numeric(xs[i]) { xs[i] = $0 }, dx[i])
    }
    for (index, parameter) in layer.parameters.enumerated() {
        for _ in 0..<min(samples, ps[index].count) {
            let i = Int(rng.next() % UInt64(ps[index].count))
            check("\(parameter.name)#\(index)[\(i)]", numeric(ps[index][i]) { ps[index][i] = $0 }, analyticParameters[index][i])
        }
    }
    return mismatches
}
