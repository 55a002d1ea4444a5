import CBLAS

/// The one place the engine calls OpenBLAS. Every `cblas_*` / `openblas_*` call goes through here.
enum BLAS {
    /// Row-major single-precision GEMM: `C[m×n] = alpha · A[m×k] · B[k×n] + beta · C`.
    ///
    /// `lda`, `ldb`, `ldc` are row strides in elements. `transposeA`/`transposeB` read A as
    /// `[k×m]` / B as `[n×k]` row-major instead.
    /// - Complexity: 2·m·n·k floating-point operations.
    @inline(__always)
    static func sgemm(
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension m=\(m) n=\(n) k=\(k)")
        if m == 0 || n == 0 { return }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

    /// Sets OpenBLAS's worker-thread count (process-wide). `threads >= 1`.
    static func setThreads(_ threads: Int) {
        precondition(threads >= 1)
        openblas_set_num_threads(Int32(threads))
    }

    /// OpenBLAS's current worker-thread count.
    static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel family OpenBLAS selected for this CPU (e.g. "Haswell", "SkylakeX").
    static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration string.
    static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }
}
