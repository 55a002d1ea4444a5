import ArgumentParser
import NASEngine
import NASLatency

/// `nasctl device`: this CPU as cpuinfo sees it, and the id that names its latency tables.
struct DeviceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device",
        abstract: "Show this CPU (through cpuinfo) and its device id.",
        discussion: "The device id (a readable slug plus a digest of the identity) names latency tables under LatencyTables/."
    )

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    struct Report: Encodable {
        var id: String
        var identity: DeviceIdentity
        /// The OpenBLAS core this process runs, and the one OpenBLAS had picked when nasctl replaced it.
        var openblasCore: String
        var openblasReplacedCore: String?
        enum CodingKeys: String, CodingKey { case id, identity, openblasCore = "openblas_core", openblasReplacedCore = "openblas_replaced_core" }
    }

    func run() throws {
        let device = try DeviceIdentity.current()
        if json {
            try printJSON(Report(id: device.id, identity: device, openblasCore: OpenBLASCore.current, openblasReplacedCore: OpenBLASCore.replaced))
            return
        }
        print("""
        device id:          \(device.id)
        vendor:             \(device.vendor)
        package:            \(device.packageName)
        microarchitecture:  \(device.microarchitecture)\(device.microarchitecture == "unknown" ? " (cpuinfo does not know this core; the id uses the signature instead)" : "")
        signature:          \(device.signature)
        cores / logical:    \(device.cores) / \(device.logicalProcessors)
        L1d / L2 / L3:      \(formatBytes(device.l1dBytes)) / \(formatBytes(device.l2Bytes)) / \(formatBytes(device.l3Bytes))
        frequency:          \(device.frequencyHz == 0 ? "not reported" : "\(device.frequencyHz / 1_000_000) MHz")
        ISA features:       \(device.features.isEmpty ? "none detected" : device.features.joined(separator: " "))
        architecture:       \(device.architecture)
        OS:                 \(device.os)
        OpenBLAS core:      \(OpenBLASCore.current)\(OpenBLASCore.replaced.map { " (OpenBLAS picked \($0), which lacks this CPU's vector ISA; nasctl set \(OpenBLASCore.environmentVariable))" } ?? "")
        """)
    }
}
