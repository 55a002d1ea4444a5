/// Which matrix-multiply implementation the engine's GEMM-based layers use.
public enum GEMMBackend: String, Sendable, CaseIterable {
    /// The engine's own register-blocked microkernels on prepacked weights, with the bias,
    /// activation and residual fused into the tile store (default; fastest here).
    case native
    /// OpenBLAS `cblas_sgemm`, then a separate bias/activation/residual pass over each chunk.
    case openblas
}

/// Weights of a GEMM-based layer (`[k × n]` row-major, bias `[n]`), kept both plain (for
/// OpenBLAS and reference checks) and prepacked (for the native microkernels).
public final class GEMMWeights: @unchecked Sendable {
    public let k: Int, n: Int
    public let weights: FloatBuffer
    public let bias: FloatBuffer
    public let packed: PackedWeights

    public init(k: Int, n: Int, weights: [Float], bias: [Float]) {
        precondition(weights.count == k * n && bias.count == n, "GEMMWeights: \(weights.count) weights, \(bias.count) biases for k=\(k) n=\(n)")
        self.k = k; self.n = n
        self.weights = FloatBuffer(weights)
        self.bias = FloatBuffer(bias)
        self.packed = PackedWeights(weights: self.weights.pointer, k: k, n: n, bias: self.bias.pointer)
    }
}

extension Kernels {
    /// `C[m × n] = act(A[m × k] · W + bias) + residual`, rows of A, C and residual with strides
    /// `lda`, `ldc`, `ldr`, on `context.gemm`'s backend.
    /// - Complexity: `m·n·k` multiply-adds.
    public static func gemm(
        _ a: UnsafePointer<Float>, lda: Int, rows m: Int, weights w: GEMMWeights, activation: Activation,
        into c: UnsafeMutablePointer<Float>, ldc: Int, residual: UnsafePointer<Float>? = nil, ldr: Int = 0,
        context: ExecutionContext
    ) {
        switch context.gemm {
        case .native:
            packedGEMM(a, lda: lda, rows: m, weights: w.packed, activation: activation, into: c, ldc: ldc,
                       residual: residual, ldr: ldr, context: context)
        case .openblas:
            // Row chunks so each chunk's epilogue finds its output still in cache.
            let chunk = min(m, max(256, (64 * 1024) / max(w.n, 1)))
            var start = 0
            while start < m {
                let rows = min(chunk, m - start)
                BLAS.sgemm(m: rows, n: w.n, k: w.k, a: a + start * lda, lda: lda, b: w.weights.pointer, ldb: w.n,
                           c: c + start * ldc, ldc: ldc)
                biasActivation(c + start * ldc, rows: rows, cols: w.n, ldc: ldc, bias: w.bias.pointer, activation: activation)
                if let residual {
                    for r in 0..<rows { add(c + (start + r) * ldc, residual + (start + r) * ldr, into: c + (start + r) * ldc, count: w.n) }
                }
                start += rows
            }
        }
    }
}

extension Kernels {
    /// Row-major OpenBLAS GEMM for training code: `C[m×n] = alpha·op(A)·op(B) + beta·C`, with
    /// `op(A)` `[m×k]` (A stored `[k×m]` when `transposeA`) and `op(B)` `[k×n]` (B stored
    /// `[n×k]` when `transposeB`); `lda`, `ldb`, `ldc` are row strides of the stored matrices.
    /// - Complexity: `m·n·k` multiply-adds.
    public static func sgemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLAS.sgemm(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb,
                   transposeB: transposeB, beta: beta, c: c, ldc: ldc)
    }
}

/// Codable outside Embedded Swift, where the ARM cross-check (`scripts/arm-cross-check.sh`)
/// compiles this file and Codable does not exist.
#if !hasFeature(Embedded)
extension GEMMBackend: Codable {}
#endif
