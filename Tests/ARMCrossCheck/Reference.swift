// Plain loops, in Double, written independently of the kernels: what every kernel on aarch64
// is checked against. Layouts as the kernels': NHWC tensors, HWIO convolution weights
// (`[k·k·cin × cout]` row-major), depthwise weights `[k, k, c]`, "same" padding `k/2`.

/// The activations by their definitions (sigmoid through libm's `expf`).
func referenceActivation(_ activation: Activation, _ x: Double) -> Double {
    switch activation {
    case .none: return x
    case .relu: return x > 0 ? x : 0
    case .relu6: return x < 0 ? 0 : (x > 6 ? 6 : x)
    case .hswish:
        let gate = x + 3 < 0 ? 0 : (x + 3 > 6 ? 6 : x + 3)
        return x * gate / 6
    case .sigmoid: return 1 / (1 + Double(expf(Float(-x))))
    }
}

/// `ceil(size / stride)`.
func outputExtent(_ size: Int, _ stride: Int) -> Int { (size + stride - 1) / stride }

/// Regular convolution: `y = act(conv(x, w) + bias) + residual`, output NHWC.
/// - Returns: the output and, per element, the sum of absolute products (the tolerance's scale).
func referenceConvolution(
    _ x: [Float], n: Int, h: Int, w: Int, cin: Int, kernel k: Int, stride s: Int,
    weights: [Float], bias: [Float], cout: Int, activation: Activation, residual: [Float]?
) -> (values: [Double], scale: [Double]) {
    let ho = outputExtent(h, s), wo = outputExtent(w, s), pad = k / 2
    var values = [Double](repeating: 0, count: n * ho * wo * cout)
    var scale = values
    for b in 0..<n {
        for oy in 0..<ho {
            for ox in 0..<wo {
                for co in 0..<cout {
                    var acc = Double(bias[co]), magnitude = abs(Double(bias[co]))
                    for kh in 0..<k {
                        let iy = oy * s + kh - pad
                        if iy < 0 || iy >= h { continue }
                        for kw in 0..<k {
                            let ix = ox * s + kw - pad
                            if ix < 0 || ix >= w { continue }
                            for ci in 0..<cin {
                                let product = Double(x[((b * h + iy) * w + ix) * cin + ci]) * Double(weights[((kh * k + kw) * cin + ci) * cout + co])
                                acc += product
                                magnitude += abs(product)
                            }
                        }
                    }
                    let index = ((b * ho + oy) * wo + ox) * cout + co
                    values[index] = referenceActivation(activation, acc) + (residual.map { Double($0[index]) } ?? 0)
                    scale[index] = magnitude
                }
            }
        }
    }
    return (values, scale)
}

/// Depthwise convolution: one `k×k` filter per channel, `y = act(dw(x) + bias)`.
func referenceDepthwise(
    _ x: [Float], n: Int, h: Int, w: Int, c: Int, kernel k: Int, stride s: Int,
    weights: [Float], bias: [Float], activation: Activation
) -> (values: [Double], scale: [Double]) {
    let ho = outputExtent(h, s), wo = outputExtent(w, s), pad = k / 2
    var values = [Double](repeating: 0, count: n * ho * wo * c)
    var scale = values
    for b in 0..<n {
        for oy in 0..<ho {
            for ox in 0..<wo {
                for ch in 0..<c {
                    var acc = Double(bias[ch]), magnitude = abs(Double(bias[ch]))
                    for kh in 0..<k {
                        for kw in 0..<k {
                            let iy = oy * s + kh - pad, ix = ox * s + kw - pad
                            if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                            let product = Double(x[((b * h + iy) * w + ix) * c + ch]) * Double(weights[(kh * k + kw) * c + ch])
                            acc += product
                            magnitude += abs(product)
                        }
                    }
                    let index = ((b * ho + oy) * wo + ox) * c + ch
                    values[index] = referenceActivation(activation, acc)
                    scale[index] = magnitude
                }
            }
        }
    }
    return (values, scale)
}

/// Average (over in-image elements only) or max pooling with "same" padding.
func referencePool(_ kind: PoolKind, _ x: [Float], n: Int, h: Int, w: Int, c: Int, kernel k: Int, stride s: Int) -> [Double] {
    let ho = outputExtent(h, s), wo = outputExtent(w, s), pad = k / 2
    var values = [Double](repeating: 0, count: n * ho * wo * c)
    for b in 0..<n {
        for oy in 0..<ho {
            for ox in 0..<wo {
                for ch in 0..<c {
                    var total = 0.0, peak = -Double.infinity, count = 0
                    for kh in 0..<k {
                        for kw in 0..<k {
                            let iy = oy * s + kh - pad, ix = ox * s + kw - pad
                            if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                            let v = Double(x[((b * h + iy) * w + ix) * c + ch])
                            total += v; count += 1
                            if v > peak { peak = v }
                        }
                    }
                    values[((b * ho + oy) * wo + ox) * c + ch] = kind == .max ? peak : total / Double(count)
                }
            }
        }
    }
    return values
}
