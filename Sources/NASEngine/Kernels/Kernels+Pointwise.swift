extension Kernels {
    /// Pointwise (1x1, stride 1) convolution as one GEMM through OpenBLAS, then bias + activation.
    ///
    /// Layout: `x` is NHWC `[p × cin]` with `p = n·h·w` pixels, `weights` is `[cin × cout]`,
    /// `y` is `[p × cout]`. Output size equals input size.
    /// The GEMM runs in row chunks so each chunk's epilogue finds its output still in cache.
    /// - Complexity: `p · cin · cout` multiply-adds.
    public static func pointwise(
        _ x: UnsafePointer<Float>, pixels: Int, inChannels cin: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels cout: Int,
        activation: Activation, into y: UnsafeMutablePointer<Float>
    ) {
        precondition(pixels >= 1 && cin >= 1 && cout >= 1, "pointwise: bad sizes p=\(pixels) cin=\(cin) cout=\(cout)")
        let chunk = pointwiseChunkRows(cin: cin, cout: cout, pixels: pixels)
        var start = 0
        while start < pixels {
            let rows = min(chunk, pixels - start)
            BLAS.sgemm(m: rows, n: cout, k: cin, a: x + start * cin, lda: cin, b: weights, ldb: cout, c: y + start * cout, ldc: cout)
            biasActivation(y + start * cout, rows: rows, cols: cout, ldc: cout, bias: bias, activation: activation)
            start += rows
        }
    }

    /// Rows per GEMM call: large enough that OpenBLAS's packing of the weights is amortised,
    /// small enough that the output chunk (`rows · cout` floats) stays in L2 for the epilogue.
    static func pointwiseChunkRows(cin: Int, cout: Int, pixels: Int) -> Int {
        let targetFloats = 64 * 1024  // 256 KiB of output per chunk
        let rows = max(256, targetFloats / max(cout, 1))
        return min(pixels, rows)
    }
}

extension Kernels {
    /// Plain OpenBLAS `C[m×n] = A[m×k]·B[k×n]`, row-major, no epilogue: the yardstick the
    /// pointwise kernel is benchmarked against.
    public static func rawSgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        BLAS.sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n)
    }
}
