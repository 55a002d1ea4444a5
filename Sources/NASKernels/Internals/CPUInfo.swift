import CCPUInfo

/// The one place nasctl calls the cpuinfo library. Every `cpuinfo_*` call goes through here and
/// comes back as plain Swift values: the kernels pick their family from the features, the
/// latency module names the device from the rest.
package enum CPUInfo {
    /// What cpuinfo reports about processor 0's package, core and caches.
    package struct Snapshot: Sendable {
        package var vendor: UInt32
        package var microarchitecture: UInt32
        /// x86: CPUID leaf 1 EAX (family/model/stepping); ARM: MIDR.
        package var signature: UInt32
        package var packageName: String
        package var cores: Int
        package var logicalProcessors: Int
        package var l1dBytes: Int, l2Bytes: Int, l3Bytes: Int
        package var frequencyHz: UInt64
        package var features: [String]
    }

    /// Reads the snapshot; nil when cpuinfo cannot initialise (e.g. /proc or /sys unreadable).
    package static func snapshot() -> Snapshot? {
        guard cpuinfo_initialize() else { return nil }
        guard cpuinfo_get_cores_count() > 0, let core = cpuinfo_get_core(0)?.pointee else { return nil }
        let packageName: String = cpuinfo_get_package(0).map { package in
            withUnsafeBytes(of: package.pointee.name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
        } ?? ""
        #if arch(x86_64) || arch(i386)
        let signature = core.cpuid
        #elseif arch(arm64) || arch(arm)
        let signature = core.midr
        #else
        let signature: UInt32 = 0
        #endif
        return Snapshot(
            vendor: core.vendor.rawValue,
            microarchitecture: core.uarch.rawValue,
            signature: signature,
            packageName: packageName,
            cores: Int(cpuinfo_get_cores_count()),
            logicalProcessors: Int(cpuinfo_get_processors_count()),
            l1dBytes: cacheSize(cpuinfo_get_l1d_caches_count(), cpuinfo_get_l1d_cache(0)),
            l2Bytes: cacheSize(cpuinfo_get_l2_caches_count(), cpuinfo_get_l2_cache(0)),
            l3Bytes: cacheSize(cpuinfo_get_l3_caches_count(), cpuinfo_get_l3_cache(0)),
            frequencyHz: core.frequency,
            features: features())
    }

    private static func cacheSize(_ count: UInt32, _ cache: UnsafePointer<cpuinfo_cache>?) -> Int {
        guard count > 0, let cache else { return 0 }
        return Int(cache.pointee.size)
    }

    /// The ISA features that matter for float32/int8 CNN kernels, by cpuinfo's name for them.
    private static func features() -> [String] {
        let x86: [(String, Bool)] = [
            ("sse4.2", cpuinfo_has_x86_sse4_2()), ("avx", cpuinfo_has_x86_avx()), ("avx2", cpuinfo_has_x86_avx2()),
            ("fma3", cpuinfo_has_x86_fma3()), ("f16c", cpuinfo_has_x86_f16c()),
            ("avx512f", cpuinfo_has_x86_avx512f()), ("avx512bw", cpuinfo_has_x86_avx512bw()),
            ("avx512vnni", cpuinfo_has_x86_avx512vnni()), ("avx512bf16", cpuinfo_has_x86_avx512bf16()),
        ]
        let arm: [(String, Bool)] = [
            ("neon", cpuinfo_has_arm_neon()), ("fma", cpuinfo_has_arm_neon_fma()), ("dotprod", cpuinfo_has_arm_neon_dot()),
            ("fp16", cpuinfo_has_arm_fp16_arith() || cpuinfo_has_arm_neon_fp16_arith()),
            ("bf16", cpuinfo_has_arm_bf16()), ("sve", cpuinfo_has_arm_sve()), ("sve2", cpuinfo_has_arm_sve2()),
        ]
        return (x86 + arm).filter(\.1).map(\.0)
    }
}
