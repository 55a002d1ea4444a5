import NASEngine
import Foundation

/// This CPU as cpuinfo sees it, plus OS and architecture, and a stable `id` naming its tables.
///
/// cpuinfo 2022 (Debian bookworm) reports `uarch = unknown` and frequency 0 on newer cores such
/// as Zen 4/5, so the id never rests on the microarchitecture alone: it digests the vendor,
/// package name, CPUID signature (x86 family/model/stepping, or ARM MIDR), core and processor
/// counts, cache sizes and ISA features. Frequency is reported but excluded (often 0, and it
/// varies with governors).
public struct DeviceIdentity: Codable, Equatable, Sendable {
    public var vendor: String
    public var packageName: String
    public var microarchitecture: String
    /// x86: CPUID leaf 1 EAX; ARM: MIDR; as `0x%08x`.
    public var signature: String
    public var cores: Int
    public var logicalProcessors: Int
    public var l1dBytes: Int
    public var l2Bytes: Int
    public var l3Bytes: Int
    public var frequencyHz: UInt64
    public var features: [String]
    public var architecture: String
    public var os: String

    /// Reads this machine's identity through cpuinfo.
    public static func current() throws -> DeviceIdentity {
        guard let snap = CPUInfo.snapshot() else { throw DeviceError.cpuinfoUnavailable }
        let signature = String(snap.signature, radix: 16)
        return DeviceIdentity(
            vendor: CPUInfoNames.vendors[snap.vendor] ?? "vendor-\(snap.vendor)",
            packageName: snap.packageName.trimmingCharacters(in: .whitespaces).isEmpty ? "unknown" : snap.packageName.trimmingCharacters(in: .whitespaces),
            microarchitecture: CPUInfoNames.microarchitectures[snap.microarchitecture]
                ?? "uarch-0x" + String(snap.microarchitecture, radix: 16),
            signature: "0x" + String(repeating: "0", count: max(0, 8 - signature.count)) + signature,
            cores: snap.cores, logicalProcessors: snap.logicalProcessors,
            l1dBytes: snap.l1dBytes, l2Bytes: snap.l2Bytes, l3Bytes: snap.l3Bytes,
            frequencyHz: snap.frequencyHz, features: snap.features,
            architecture: Self.machineArchitecture(), os: Self.operatingSystem())
    }

    /// The fields that make the identity, in a fixed order (what the digest covers).
    public var canonicalText: String {
        [vendor, packageName, microarchitecture, signature, "\(cores)", "\(logicalProcessors)",
         "\(l1dBytes)", "\(l2Bytes)", "\(l3Bytes)", features.sorted().joined(separator: "+"), architecture]
            .joined(separator: "|")
    }

    /// Readable slug plus digest, e.g. `amd-epyc-x86_64-2c-1f3a9c0d2b4e`: names latency tables.
    public var id: String {
        let slugSource = "\(vendor == "unknown" || packageName.lowercased().contains(vendor) ? "" : vendor + " ")\(packageName) \(architecture) \(cores)c"
        var slug = ""
        for ch in slugSource.lowercased() {
            if ch.isLetter || ch.isNumber || ch == "_" { slug.append(ch) } else if slug.last != "-" { slug.append("-") }
        }
        slug = slug.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return slug + "-" + Digest.hex(canonicalText).prefix(12)
    }

    static func machineArchitecture() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: name.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    static func operatingSystem() -> String {
        var name = utsname()
        uname(&name)
        let sys = withUnsafeBytes(of: name.sysname) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return "\(sys) \(release)"
    }
}
