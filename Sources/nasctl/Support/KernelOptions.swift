import ArgumentParser
import NASEngine

/// `--kernel-family`: which generated microkernel family the native GEMM backend runs.
struct KernelOptions: ParsableArguments {
    @Option(name: .customLong("kernel-family"),
            help: "Native microkernel family: auto (this CPU's: avx512 with AVX-512, avx2 with AVX2 + FMA, else neon), avx512 (16 lanes), avx2 (8 lanes) or neon (4 lanes). Every family runs on every CPU; one wider than its registers is slower.")
    var kernelFamily: String = "auto"

    func validate() throws { _ = try family() }

    /// The family asked for (the host's for `auto`).
    func family() throws -> KernelFamily {
        if kernelFamily == "auto" { return .host }
        guard let family = KernelFamily(rawValue: kernelFamily) else {
            throw ValidationError("--kernel-family must be auto, \(KernelFamily.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(kernelFamily)').")
        }
        return family
    }
}

/// Parses `--gemm`: `native`, `openblas`, or (where allowed) `auto` → nil.
func parseGEMM(_ value: String, allowAuto: Bool) throws -> GEMMBackend? {
    if allowAuto && value == "auto" { return nil }
    guard let backend = GEMMBackend(rawValue: value) else {
        let choices = (allowAuto ? ["auto"] : []) + GEMMBackend.allCases.map(\.rawValue)
        throw ValidationError("--gemm must be \(choices.joined(separator: ", ")) (got '\(value)').")
    }
    return backend
}

/// Parses `--backend`: `nasctl` (the engine's kernels) or `xnnpack`.
func parseBackend(_ value: String) throws -> InferenceBackend {
    guard let backend = InferenceBackend(rawValue: value) else {
        throw ValidationError("--backend must be \(InferenceBackend.allCases.map(\.rawValue).joined(separator: " or ")) (got '\(value)').")
    }
    return backend
}
