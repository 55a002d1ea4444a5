/// A family of generated GEMM microkernels, one per vector ISA, each register-blocked for its
/// register file (`scripts/generate-microkernels.py`).
///
/// Every family is portable Swift SIMD code compiled for the host (`-target-cpu native`), so
/// each one runs on every CPU: a family narrower than the host's registers runs as is, a wider
/// one is split by the compiler into two registers per vector (and spills). `preferred` picks
/// the family whose vectors match the host's registers.
///
/// Every family is checked against reference loops on this machine (`swift test`) and on
/// aarch64 under qemu-user (`scripts/arm-cross-check.sh`).
public enum KernelFamily: String, Sendable, CaseIterable {
    /// 16 lanes; tiles 8x32 and 12x16 for AVX-512's 32 zmm registers.
    case avx512
    /// 8 lanes; tiles 6x16 for AVX2 + FMA's 16 ymm registers.
    case avx2
    /// 4 lanes; tiles 6x16 for NEON's 32 q registers (SSE on x86).
    case neon

    /// Floats per vector register of the family.
    public var lanes: Int {
        switch self {
        case .avx512: 16
        case .avx2: 8
        case .neon: 4
        }
    }

    /// The family for a CPU with these features (cpuinfo's names, as in `DeviceIdentity`):
    /// `avx512f` → avx512; `avx2` with `fma3` → avx2; anything else → neon (4 lanes).
    public static func preferred(features: some Sequence<String>) -> KernelFamily {
        let set = Set(features)
        if set.contains("avx512f") { return .avx512 }
        if set.contains("avx2") && set.contains("fma3") { return .avx2 }
        return .neon
    }

    /// Whether a CPU with `features` has registers at least as wide as this family's vectors
    /// (false: the family still runs, each vector split in two).
    public func runsNatively(features: some Sequence<String>) -> Bool {
        lanes <= Self.preferred(features: features).lanes
    }

    /// This machine's CPU features as cpuinfo reports them (empty if cpuinfo cannot read it).
    public static let hostFeatures: [String] = CPUInfo.snapshot()?.features ?? []

    /// The family this machine runs best, read once through cpuinfo. Without cpuinfo: avx2 on
    /// x86-64 (every x86-64 CPU this build's `-target-cpu native` can target has it or better),
    /// neon elsewhere.
    public static let host: KernelFamily = {
        if !hostFeatures.isEmpty { return preferred(features: hostFeatures) }
        #if arch(x86_64)
        return .avx2
        #else
        return .neon
        #endif
    }()
}

/// The GEMM tiles of one kernel family (generated, `Kernels/Microkernels/`).
protocol MicrokernelSet {
    /// Whether the family has 32-column tiles over two adjacent 16-column panels.
    static var pairsPanels: Bool { get }
    /// Runs the tallest tiles that fit `rows` rows of one panel, or of a panel pair when
    /// `twoPanels` (only asked when `pairsPanels`).
    static func tileRows<A: ActivationFunction, R: RowLayout>(_: A.Type, _: R.Type, _ t: TileArguments, rows: Int, twoPanels: Bool)
    /// Runs 8-column tiles over `rows` rows of one panel's first half (its last columns unused).
    static func halfTileRows<A: ActivationFunction, R: RowLayout>(_: A.Type, _: R.Type, _ t: TileArguments, rows: Int)
}

/// Codable outside Embedded Swift, where the ARM cross-check (`scripts/arm-cross-check.sh`)
/// compiles this file and Codable does not exist.
#if !hasFeature(Embedded)
extension KernelFamily: Codable {}
#endif
