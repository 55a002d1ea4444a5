import ChildProcessSupport
import Foundation
import NASEngine
import Testing

/// nasctl runs OpenBLAS's kernels for this CPU's vector ISA, replacing a fallback the installed
/// OpenBLAS picked for a model it does not know, and leaves a user's OPENBLAS_CORETYPE alone.
@Suite struct OpenBLASCoreProcessTests {
    struct DeviceReport: Decodable {
        var openblas_core: String
        var openblas_replaced_core: String?
    }

    func device(_ coreType: String?) throws -> DeviceReport {
        var environment = ProcessInfo.processInfo.environment
        environment[OpenBLASCore.environmentVariable] = coreType
        environment[OpenBLASCore.replacedVariable] = nil
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-device-\(UUID().uuidString).json").path
        let child = try ChildProcess(try nasctlBinaryOrThrow(), ["device", "--json"], environment: environment,
                                     directory: repositoryRoot.path, stdout: out, stderr: "/dev/null")
        #expect(child.waitOrKill(seconds: 60) == .exit(0))
        return try JSONDecoder().decode(DeviceReport.self, from: Data(contentsOf: URL(fileURLWithPath: out)))
    }

    @Test func theCoreMatchesThisCPUsVectorISA() throws {
        let report = try device(nil)
        let features = Set(KernelFamily.hostFeatures)
        if features.contains("avx2") && features.contains("fma3") {
            #expect(OpenBLASCore.capableReplacement(for: report.openblas_core, features: features) == nil,
                    "OpenBLAS runs \(report.openblas_core) on a CPU with AVX2 + FMA")
        }
        if let replaced = report.openblas_replaced_core {
            #expect(OpenBLASCore.capableReplacement(for: replaced, features: features) == report.openblas_core)
        }
    }

    @Test func aUsersCoreTypeIsKept() throws {
        let report = try device("Prescott")
        #expect(report.openblas_core == "Prescott" && report.openblas_replaced_core == nil)
    }
}
