extension Kernels {
    /// Pointwise (1x1, stride 1) convolution: one GEMM over all pixels of the batch.
    ///
    /// Layout: `x` NHWC `[p × cin]` with `p = n·h·w`, weights `[cin × cout]`, `y` `[p × cout]`;
    /// `y = act(x·W + bias) + residual` (residual `[p × cout]`, optional).
    /// - Complexity: `p · cin · cout` multiply-adds.
    public static func pointwise(
        _ x: UnsafePointer<Float>, pixels: Int, weights: GEMMWeights, activation: Activation,
        into y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>? = nil, context: ExecutionContext
    ) {
        precondition(pixels >= 1, "pointwise: no pixels")
        gemm(x, lda: weights.k, rows: pixels, weights: weights, activation: activation, into: y, ldc: weights.n,
             residual: residual, ldr: weights.n, context: context)
    }

    /// Plain OpenBLAS `C[m×n] = A[m×k]·B[k×n]`, row-major, no epilogue: the yardstick the
    /// pointwise kernel is benchmarked against.
    public static func rawSgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        BLAS.sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n)
    }
}
