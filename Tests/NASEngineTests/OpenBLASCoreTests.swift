import NASKernels
import Testing

/// Which OpenBLAS core replaces the one OpenBLAS picked on its own, for which CPU.
@Suite struct OpenBLASCoreTests {
    let avx512 = ["sse4.2", "avx", "avx2", "fma3", "f16c", "avx512f", "avx512bw", "avx512vnni"]
    let avx2 = ["sse4.2", "avx", "avx2", "fma3", "f16c"]

    @Test func aFallbackBelowTheCPUsISAIsReplaced() {
        // Debian's OpenBLAS 0.3.21 on an Intel Xeon of model 207 picks Prescott (SSE3).
        #expect(OpenBLASCore.capableReplacement(for: "Prescott", features: avx512) == "SkylakeX")
        #expect(OpenBLASCore.capableReplacement(for: "Sandybridge", features: avx512) == "SkylakeX")
        #expect(OpenBLASCore.capableReplacement(for: "Nehalem", features: avx2) == "Haswell")
        #expect(OpenBLASCore.capableReplacement(for: "Core2", features: avx2) == "Haswell")
        // AVX-512 F without BW is not enough for the SkylakeX kernels.
        #expect(OpenBLASCore.capableReplacement(for: "Prescott", features: avx2 + ["avx512f"]) == "Haswell")
    }

    @Test func aCoreOfTheAVX2ClassIsKept() {
        for core in ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SAPPHIRERAPIDS"] {
            #expect(OpenBLASCore.capableReplacement(for: core, features: avx512) == nil, "\(core)")
            #expect(OpenBLASCore.capableReplacement(for: core, features: avx2) == nil, "\(core)")
        }
    }

    @Test func aCPUWithoutAVX2AndFMAKeepsWhatOpenBLASPicked() {
        #expect(OpenBLASCore.capableReplacement(for: "Prescott", features: ["sse4.2", "avx"]) == nil)
        #expect(OpenBLASCore.capableReplacement(for: "Sandybridge", features: ["sse4.2", "avx", "avx2"]) == nil)  // no FMA
        #expect(OpenBLASCore.capableReplacement(for: "ARMV8", features: ["neon", "fma"]) == nil)
    }
}
