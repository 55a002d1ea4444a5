#if canImport(Glibc)
import Glibc
#endif

/// Which OpenBLAS kernel set (its "core") this process runs, and the fix for a CPU that the
/// installed OpenBLAS does not know.
///
/// OpenBLAS built with DYNAMIC_ARCH (Debian's) picks its core from the CPU model once, when the
/// library loads. A model newer than the library (Debian 12's 0.3.21 on an Intel Xeon of family 6
/// model 207) falls back to `Prescott`, its SSE3 kernels: on that AVX-512 machine sgemm ran at
/// 29 GFLOP/s instead of 114 with `SkylakeX`. The only public way to choose is the environment
/// variable `OPENBLAS_CORETYPE`, read at load time, so `nasctl` re-executes itself with it set
/// before doing anything else (`reexecWithCapableCoreIfNeeded`). A user's own setting wins.
public enum OpenBLASCore {
    /// The environment variable OpenBLAS reads its core from.
    public static let environmentVariable = "OPENBLAS_CORETYPE"
    /// Set on the re-executed process to the core OpenBLAS had picked on its own.
    public static let replacedVariable = "NASCTL_OPENBLAS_REPLACED_CORE"

    /// OpenBLAS cores with AVX2 + FMA kernels (or wider), as `openblas_get_corename` spells them.
    static let avx2Class: Set<String> = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]

    /// The core OpenBLAS runs in this process (e.g. "SkylakeX", "Haswell", "Prescott").
    public static var current: String { BLAS.coreName }

    /// The core OpenBLAS had picked before nasctl replaced it, nil when it was kept.
    public static var replaced: String? { getenv(replacedVariable).map { String(cString: $0) } }

    /// The core to run instead of `current` on a CPU with `features` (cpuinfo's names), or nil
    /// to keep it. Only a core without AVX2 + FMA kernels is replaced, and only on a CPU that
    /// has them: by `SkylakeX` where AVX-512 F and BW are present, else by `Haswell`. A core of
    /// the AVX2 class is kept even on an AVX-512 CPU (OpenBLAS chose it knowingly, e.g. `Zen`).
    public static func capableReplacement(for current: String, features: some Sequence<String>) -> String? {
        let set = Set(features)
        guard set.contains("avx2"), set.contains("fma3"), !avx2Class.contains(current.lowercased()) else { return nil }
        return set.contains("avx512f") && set.contains("avx512bw") ? "SkylakeX" : "Haswell"
    }

    /// Re-executes this program (`/proc/self/exe`, the same arguments and environment) with
    /// `OPENBLAS_CORETYPE` set when OpenBLAS picked a core below this CPU's ISA and the user set
    /// none. Returns when nothing needs to change or when the re-exec fails (the process then
    /// carries on with OpenBLAS's own choice). Call it first thing in `main`, before any thread
    /// of the program's own starts. Linux only; elsewhere a no-op.
    public static func reexecWithCapableCoreIfNeeded() {
        #if os(Linux)
        guard getenv(environmentVariable) == nil,
              let core = capableReplacement(for: current, features: KernelFamily.hostFeatures) else { return }
        setenv(environmentVariable, core, 1)
        setenv(replacedVariable, current, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: undo, so child processes see what this one runs.
        unsetenv(environmentVariable)
        unsetenv(replacedVariable)
        #endif
    }
}
