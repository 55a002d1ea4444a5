import Testing
import Foundation
@testable import NASLatency
import NASEngine

@Suite struct DeviceIdentityTests {
    @Test func readsThisMachineThroughCPUInfo() throws {
        let device = try DeviceIdentity.current()
        #expect(device.cores >= 1)
        #expect(device.logicalProcessors >= device.cores)
        #expect(!device.packageName.isEmpty)
        #expect(device.signature.hasPrefix("0x") && device.signature.count == 10)
        #if arch(x86_64)
        #expect(device.architecture == "x86_64")
        #expect(device.features.contains("sse4.2"))  // every x86-64 CPU that runs Swift 6 has it
        #elseif arch(arm64)
        #expect(device.features.contains("neon"))
        #endif
    }

    @Test func idIsStableAndReadable() throws {
        let a = try DeviceIdentity.current(), b = try DeviceIdentity.current()
        #expect(a.id == b.id)
        let parts = a.id.split(separator: "-")
        #expect(parts.last?.count == 12)
        #expect(a.id.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(a.id.contains(a.architecture.lowercased()))
    }

    @Test func idTellsCPUsApartWhenTheMicroarchitectureIsUnknown() throws {
        var a = try DeviceIdentity.current()
        a.microarchitecture = "unknown"
        var b = a
        b.signature = "0x00a20f12"  // another family/model/stepping, same name and uarch
        #expect(a.id != b.id)
        var c = a
        c.l2Bytes *= 2
        #expect(a.id != c.id)
        var d = a
        d.features.removeAll { $0 == "avx2" || $0 == "neon" }
        #expect(a.id != d.id)
        // Frequency and OS release do not change the device.
        var e = a
        e.frequencyHz = 3_000_000_000
        e.os = "Linux 9.9"
        #expect(a.id == e.id)
    }

    @Test func digestIsFNV1a() {
        #expect(Digest.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(Digest.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(Digest.hex("a") == "af63dc4c8601ec8c")
    }
}

@Suite struct LatencyStatisticsTests {
    @Test func summarisesLikeBenchmarkModel() {
        let s = LatencyStatistics(samples: [5, 1, 3, 2, 4])
        #expect(s.count == 5 && s.firstMs == 5 && s.minMs == 1 && s.maxMs == 5 && s.medianMs == 3 && s.meanMs == 3)
        #expect(abs(s.stdMs - 2.0.squareRoot()) < 1e-12)
        #expect(LatencyStatistics(samples: [4, 1, 2, 3]).medianMs == 2.5)
    }

    @Test func encodesSnakeCaseKeys() throws {
        let data = try JSONEncoder().encode(LatencyStatistics(samples: [1]))
        let text = String(decoding: data, as: UTF8.self)
        for key in ["count", "first_ms", "min_ms", "median_ms", "mean_ms", "max_ms", "std_ms"] { #expect(text.contains("\"\(key)\"")) }
    }
}
