extension Kernels {
    /// Input-channel counts at or below this take `directConvolution` instead of im2col + GEMM.
    public static let directConvolutionMaxInputChannels = 4

    /// Regular convolution for few input channels (the 3-channel stem): no im2col. Each step
    /// computes 4 adjacent output pixels × 16 output channels (× 32 with the AVX-512 family,
    /// whose 32 registers hold 8 accumulators and reuse each broadcast twice): for every tap and
    /// input channel, one 16-wide weight row of the prepacked panels (rows in im2col order
    /// `(kh, kw, ci)`) times the 4 input values broadcast. Border pixels skip the taps outside
    /// the image.
    ///
    /// Layout as `convolution`: NHWC `x`, packed `[k²·cin × cout]` weights, NHWC `y`; padding
    /// `k/2`; `y = act(conv + bias) + residual`. Output rows are split across threads.
    /// - Complexity: `n·ho·wo · k²·cin · cout` multiply-adds.
    static func directConvolution(
        _ x: UnsafePointer<Float>, input: Shape, geometry g: WindowGeometry, weights: GEMMWeights,
        activation: Activation, into y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
        context: ExecutionContext
    ) {
        let out = g.output(input, channels: weights.n)
        func run<A: ActivationFunction>(_: A.Type) {
            let pairs = context.family == .avx512
            context.parallelFor(out.n * out.h, minimumPerThread: 2) { rows in
                for r in rows { directConvolutionRow(A.self, x, input, g, weights.packed, y, residual, out, row: r, pairs: pairs) }
            }
        }
        switch activation {
        case .none: run(IdentityActivation.self)
        case .relu: run(ReLUActivation.self)
        case .relu6: run(ReLU6Activation.self)
        case .hswish: run(HardSwishActivation.self)
        case .sigmoid: run(SigmoidActivation.self)
        }
    }

    /// One output row (flat over n·ho) of `directConvolution`.
    @inline(__always)
    private static func directConvolutionRow<A: ActivationFunction>(
        _: A.Type, _ x: UnsafePointer<Float>, _ input: Shape, _ g: WindowGeometry, _ w: PackedWeights,
        _ y: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?, _ out: Shape, row r: Int, pairs: Bool
    ) {
        let k = g.kernel, s = g.stride, pad = g.padding, cin = input.c, cout = w.n
        let b = r / out.h, oy = r % out.h
        let iy0 = oy * s - pad
        let khLo = max(0, -iy0), khHi = min(k, input.h - iy0)
        let image = x + b * input.h * input.w * cin
        // Output columns whose window is inside the image horizontally: [oxLo, oxHi).
        let oxLo = min(out.w, (pad + s - 1) / s)
        let oxHi = input.w + pad - k < 0 ? oxLo : max(oxLo, min(out.w, (input.w + pad - k) / s + 1))
        let depth = k * k * cin
        @inline(__always) func store(_ acc: SIMD16<Float>, _ ox: Int, panel p: Int) {
            let cols = min(16, cout - p * 16)
            let pixel = r * out.w + ox
            let dst = y + pixel * cout + p * 16
            let v = A.apply(acc + load16(w.bias.pointer + p * 16))
            let res = residual.map { $0 + pixel * cout + p * 16 }
            if cols == 16 {
                store16(res.map { v + load16($0) } ?? v, dst)
            } else {
                for j in 0..<cols { dst[j] = v[j] + (res?[j] ?? 0) }
            }
        }
        var p = 0
        // Panel pairs: 4 pixels × 32 channels per step, interior columns only.
        var pairedUpTo = oxLo
        if pairs {
            while p + 1 < w.panels {
                let panel0 = w.data.pointer + p * depth * 16, panel1 = panel0 + depth * 16
                var ox = oxLo
                while ox + 4 <= oxHi {
                    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
                    var b0 = SIMD16<Float>(), b1 = SIMD16<Float>(), b2 = SIMD16<Float>(), b3 = SIMD16<Float>()
                    for kh in khLo..<khHi {
                        let rowBase = image + ((iy0 + kh) * input.w + (ox * s - pad)) * cin
                        var w0 = panel0 + (kh * k) * cin * 16, w1 = panel1 + (kh * k) * cin * 16
                        for tap in 0..<(k * cin) {
                            let v0 = load16(w0), v1 = load16(w1)
                            let src = rowBase + tap
                            let x0 = SIMD16<Float>(repeating: src[0]), x1 = SIMD16<Float>(repeating: src[s * cin])
                            let x2 = SIMD16<Float>(repeating: src[2 * s * cin]), x3 = SIMD16<Float>(repeating: src[3 * s * cin])
                            a0.addProduct(x0, v0); a1.addProduct(x1, v0); a2.addProduct(x2, v0); a3.addProduct(x3, v0)
                            b0.addProduct(x0, v1); b1.addProduct(x1, v1); b2.addProduct(x2, v1); b3.addProduct(x3, v1)
                            w0 += 16; w1 += 16
                        }
                    }
                    store(a0, ox, panel: p); store(a1, ox + 1, panel: p); store(a2, ox + 2, panel: p); store(a3, ox + 3, panel: p)
                    store(b0, ox, panel: p + 1); store(b1, ox + 1, panel: p + 1); store(b2, ox + 2, panel: p + 1); store(b3, ox + 3, panel: p + 1)
                    ox += 4
                }
                pairedUpTo = ox
                p += 2
            }
        }
        for q in 0..<w.panels {
            let paired = q < p  // this panel's interior 4-blocks were done in pairs
            let panel = w.data.pointer + q * depth * 16
            // Interior columns, 4 at a time: every horizontal tap is inside.
            var ox = paired ? pairedUpTo : oxLo
            while !paired && ox + 4 <= oxHi {
                var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
                for kh in khLo..<khHi {
                    let rowBase = image + ((iy0 + kh) * input.w + (ox * s - pad)) * cin
                    var wr = panel + (kh * k) * cin * 16
                    for tap in 0..<(k * cin) {
                        // tap = kw·cin + ci: input offset kw·cin + ci from the window's left pixel.
                        let wv = load16(wr)
                        let src = rowBase + tap
                        a0.addProduct(SIMD16(repeating: src[0]), wv)
                        a1.addProduct(SIMD16(repeating: src[s * cin]), wv)
                        a2.addProduct(SIMD16(repeating: src[2 * s * cin]), wv)
                        a3.addProduct(SIMD16(repeating: src[3 * s * cin]), wv)
                        wr += 16
                    }
                }
                store(a0, ox, panel: q); store(a1, ox + 1, panel: q); store(a2, ox + 2, panel: q); store(a3, ox + 3, panel: q)
                ox += 4
            }
            // The rest (borders and leftovers), one pixel at a time with clipped taps.
            func single(_ ox: Int) {
                var acc = SIMD16<Float>()
                let ix0 = ox * s - pad
                let kwLo = max(0, -ix0), kwHi = min(k, input.w - ix0)
                for kh in khLo..<khHi {
                    for kw in kwLo..<kwHi {
                        let src = image + ((iy0 + kh) * input.w + ix0 + kw) * cin
                        let wr = panel + ((kh * k + kw) * cin) * 16
                        for ci in 0..<cin { acc.addProduct(SIMD16(repeating: src[ci]), load16(wr + ci * 16)) }
                    }
                }
                store(acc, ox, panel: q)
            }
            for o in 0..<oxLo { single(o) }
            for o in ox..<out.w { single(o) }
        }
    }
}
