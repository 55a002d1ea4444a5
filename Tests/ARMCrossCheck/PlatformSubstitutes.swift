// Stand-ins for the three NASKernels files the ARM cross-check does not compile: OpenBLAS
// (`Internals/BLAS.swift`), cpuinfo (`Internals/CPUInfo.swift`) and the thread pool
// (`Threading/ThreadPool.swift`, Foundation threads). The cross-check tests the native kernels
// only, so OpenBLAS traps if reached; cpuinfo reports nothing, so `KernelFamily.host` falls
// back on the architecture (neon on aarch64); the pool runs a call's parts one after another
// on the calling thread, so a context with several threads still splits the work into the
// same parts, in order.

enum BLAS {
    static func sgemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        fatalError("ARM cross-check: OpenBLAS is not linked; only the native backend is checked")
    }
    static func setThreads(_ threads: Int) {}
    static var threads: Int { 1 }
    static var coreName: String { "none" }
    static var configuration: String { "none" }
}

enum CPUInfo {
    struct Snapshot { var features: [String] }
    static func snapshot() -> Snapshot? { nil }
}

final class ThreadPool {
    static func shared(threads: Int) -> ThreadPool { ThreadPool() }
    /// Runs `body(0)`, ..., `body(parts - 1)` in order on the calling thread.
    func run(parts: Int, _ body: (Int) -> Void) {
        for part in 0..<parts { body(part) }
    }
}
