extension Kernels {
    /// Residual add: `y = a + b` over `count` floats (`y` may alias `a` or `b`).
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + lanes <= count {
            let sum = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
                + UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: sum, as: SIMD16<Float>.self)
            i += lanes
        }
        while i < count { y[i] = a[i] + b[i]; i += 1 }
    }

    /// Per-image channel scaling in place: `x[b, p, ch] *= scale[b, ch]` for an NHWC tensor
    /// viewed as `[n, pixels, c]` (the excite step of squeeze-and-excite).
    public static func scaleChannels(_ x: UnsafeMutablePointer<Float>, batch: Int, pixels: Int, channels c: Int, scale: UnsafePointer<Float>) {
        let vectorC = c - c % lanes
        for b in 0..<batch {
            let gate = scale + b * c
            for p in 0..<pixels {
                let row = x + (b * pixels + p) * c
                var ch = 0
                while ch < vectorC {
                    let v = UnsafeRawPointer(row + ch).loadUnaligned(as: SIMD16<Float>.self)
                        * UnsafeRawPointer(gate + ch).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(row + ch).storeBytes(of: v, as: SIMD16<Float>.self)
                    ch += lanes
                }
                while ch < c { row[ch] *= gate[ch]; ch += 1 }
            }
        }
    }

    /// Fully connected: `y[b, :] = act(x[b, :] · W + bias)` with `W` `[cin × cout]`.
    /// - Complexity: `n · cin · cout` multiply-adds.
    public static func fullyConnected(
        _ x: UnsafePointer<Float>, batch: Int, weights: GEMMWeights, activation: Activation,
        into y: UnsafeMutablePointer<Float>, context: ExecutionContext
    ) {
        gemm(x, lda: weights.k, rows: batch, weights: weights, activation: activation, into: y, ldc: weights.n, context: context)
    }

    /// Row-wise softmax over `[rows × cols]`, numerically stable (max subtracted first).
    public static func softmax(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let src = x + r * cols, dst = y + r * cols
            var peak = -Float.infinity
            for j in 0..<cols { peak = max(peak, src[j]) }
            var total: Float = 0
            for j in 0..<cols { let e = cExpf(src[j] - peak); dst[j] = e; total += e }
            let inverse = 1 / total
            for j in 0..<cols { dst[j] *= inverse }
        }
    }

    /// Squeeze-and-excite in place on NHWC `x`: squeeze by global average, reduce FC + ReLU,
    /// expand FC + sigmoid, scale every channel by its gate.
    ///
    /// `reduce` is `[c × r]`, `expand` `[r × c]`; `scratch` holds `n·(2c + r)` floats.
    /// - Complexity: `n·h·w·c` (pool and scale) + `2·n·c·r` (the FCs).
    public static func squeezeExcite(
        _ x: UnsafeMutablePointer<Float>, shape: Shape, reduce: GEMMWeights, expand: GEMMWeights,
        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext
    ) {
        let c = shape.c, n = shape.n
        let pooled = scratch, hidden = scratch + n * c, gate = hidden + n * reduce.n
        globalAveragePool(x, input: shape, into: pooled)
        fullyConnected(pooled, batch: n, weights: reduce, activation: .relu, into: hidden, context: context)
        fullyConnected(hidden, batch: n, weights: expand, activation: .sigmoid, into: gate, context: context)
        scaleChannels(x, batch: n, pixels: shape.h * shape.w, channels: c, scale: gate)
    }
}
