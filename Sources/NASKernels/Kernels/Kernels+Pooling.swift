/// Window reductions for pooling.
public enum PoolKind: String, Sendable { case average, max }

extension Kernels {
    /// Average or max pooling over `k×k` windows with stride `s` and "same" padding.
    ///
    /// Layout: NHWC in, NHWC `[n, ceil(h/s), ceil(w/s), c]` out. Padded positions are ignored:
    /// an average divides by the number of in-image elements (`count_include_pad = false`).
    /// - Complexity: `n·ho·wo·c·k²`.
    public static func pool(
        _ kind: PoolKind, _ x: UnsafePointer<Float>, input: Shape, geometry g: WindowGeometry,
        into y: UnsafeMutablePointer<Float>, context: ExecutionContext
    ) {
        let out = g.output(input, channels: input.c)
        let k = g.kernel, s = g.stride, pad = g.padding, c = input.c
        context.parallelFor(out.n * out.h) { rows in
            for r in rows {
                let b = r / out.h, oy = r % out.h
                let khLo = max(0, pad - oy * s), khHi = min(k, input.h + pad - oy * s)
                for ox in 0..<out.w {
                    let kwLo = max(0, pad - ox * s), kwHi = min(k, input.w + pad - ox * s)
                    let dst = y + (r * out.w + ox) * c
                    let initial: Float = kind == .max ? -.infinity : 0
                    dst.update(repeating: initial, count: c)
                    for kh in khLo..<khHi {
                        let iy = oy * s - pad + kh
                        for kw in kwLo..<kwHi {
                            let src = x + ((b * input.h + iy) * input.w + (ox * s - pad + kw)) * c
                            if kind == .max {
                                for ch in 0..<c { dst[ch] = Swift.max(dst[ch], src[ch]) }
                            } else {
                                for ch in 0..<c { dst[ch] += src[ch] }
                            }
                        }
                    }
                    if kind == .average {
                        let scale = 1 / Float((khHi - khLo) * (kwHi - kwLo))
                        for ch in 0..<c { dst[ch] *= scale }
                    }
                }
            }
        }
    }

    /// Global average pooling: `y[b, ch] = mean over (h, w) of x[b, :, :, ch]`.
    ///
    /// Layout: NHWC in, `[n, c]` out (an `n×1×1×c` tensor).
    /// - Complexity: `n·h·w·c`.
    public static func globalAveragePool(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>) {
        let c = input.c, hw = input.h * input.w
        let scale = 1 / Float(hw)
        let vectorC = c - c % lanes
        for b in 0..<input.n {
            let dst = y + b * c
            dst.update(repeating: 0, count: c)
            let image = x + b * hw * c
            for p in 0..<hw {
                let src = image + p * c
                var ch = 0
                while ch < vectorC {
                    let sum = UnsafeRawPointer(dst + ch).loadUnaligned(as: SIMD16<Float>.self)
                        + UnsafeRawPointer(src + ch).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(dst + ch).storeBytes(of: sum, as: SIMD16<Float>.self)
                    ch += lanes
                }
                while ch < c { dst[ch] += src[ch]; ch += 1 }
            }
            for ch in 0..<c { dst[ch] *= scale }
        }
    }
}

/// Codable outside Embedded Swift, where the ARM cross-check (`scripts/arm-cross-check.sh`)
/// compiles this file and Codable does not exist.
#if !hasFeature(Embedded)
extension PoolKind: Codable {}
#endif
