
/// How the engine runs: the thread count the engine's own kernels split their outer loops into
/// (at most `threads` parts), the GEMM backend and the native backend's kernel family.
///
/// A context is a plain value: creating one changes nothing process-wide. OpenBLAS's thread
/// count is process-wide state, so it is set explicitly, once, by whoever owns the process
/// (`setOpenBLASThreads`: a command from its `--threads`, the proxy evaluator to 1 for parallel
/// workers, the profiler for the count it measures at).
public struct ExecutionContext: Sendable {
    public let threads: Int
    /// The GEMM implementation behind convolutions.
    public let gemm: GEMMBackend
    /// The microkernel family of the native GEMM backend (default: the host's).
    public let family: KernelFamily

    /// - Precondition: `threads >= 1` (the CLI validates user input before it gets here).
    public init(threads: Int = 1, gemm: GEMMBackend = .native, family: KernelFamily = .host) {
        precondition(threads >= 1, "ExecutionContext: threads must be >= 1, got \(threads)")
        self.threads = threads
        self.gemm = gemm
        self.family = family
    }

    /// The same context with another GEMM backend.
    public func with(gemm: GEMMBackend) -> ExecutionContext {
        ExecutionContext(threads: threads, gemm: gemm, family: family)
    }

    /// One thread for the engine's own loops, native GEMM.
    public static let engineSerial = ExecutionContext(threads: 1)

    /// Sets OpenBLAS's process-wide worker-thread count (`threads >= 1`).
    public static func setOpenBLASThreads(_ threads: Int) {
        BLAS.setThreads(threads)
    }

    /// OpenBLAS's current worker-thread count.
    public static var openBLASThreads: Int { BLAS.threads }

    /// OpenBLAS's kernel family for this CPU, for reports.
    public static var blasCoreName: String { BLAS.coreName }
    /// OpenBLAS's build configuration, for reports.
    public static var blasConfiguration: String { BLAS.configuration }

    /// Runs `body` over `0..<count` split into contiguous ranges, one per thread, on the
    /// engine's thread pool. Runs inline when one thread is enough.
    @inline(__always)
    public func parallelFor(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(threads, max(1, count / max(minimumPerThread, 1)))
        if parts <= 1 || count <= 1 {
            body(0..<count)
            return
        }
        ThreadPool.shared(threads: threads).run(parts: parts) { part in
            body((count * part / parts)..<(count * (part + 1) / parts))
        }
    }
}
