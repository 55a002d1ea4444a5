import ArgumentParser
import Foundation
import NASLatency
import NASSpace

/// `nasctl predict`: an architecture's latency from the device's table, layer by layer.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict an architecture's latency on this device from its latency table.",
        discussion: "The prediction is the sum of the table entries of the architecture's layers (stem, blocks, head, classifier)."
    )

    @Option(help: "Architecture JSON ({\"space\": NAME, \"decisions\": {...}}).")
    var arch: String

    @OptionGroup var spaceOptions: SpaceOptions
    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var tableOptions: TableOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    struct Report: Encodable {
        var arch: String
        var key: String
        var predicted_ms: Double
        /// 95% half-width of the prediction (percent) from the table's entry intervals; null for tables without them.
        var interval_pct: Double?
        var macs: Int
        var parameters: Int
        var table: String
        var layers: [LatencyPredictor.LayerPrediction]
    }

    func run() throws {
        let space = try spaceOptions.load()
        let architecture = try Architecture.load(file: arch, space: space)
        let predictor = try tableOptions.predictor(space: space, threads: threadOptions.threads)
        let layers = try NetworkBuilder.layers(for: architecture, in: space)
        let breakdown = try predictor.breakdown(layers)
        let total = breakdown.reduce(0) { $0 + $1.ms }
        let cost = NetworkBuilder.cost(of: layers)
        let interval = try predictor.intervalPct(layers)
        if json {
            try printJSON(Report(arch: arch, key: architecture.key(in: space), predicted_ms: total, interval_pct: interval, macs: cost.macs,
                                 parameters: cost.parameters, table: predictor.tablePath, layers: breakdown))
            return
        }
        print("\(arch): predicted \(String(format: "%.3f", total)) ms (\(formatCount(cost.macs)) MACs, \(formatCount(cost.parameters)) parameters)")
        if let interval {
            print(String(format: "the table's precision for it: ±%.3f ms (±%.2f%%, its entries' 95%% intervals carried through the sum)", total * interval / 100, interval))
        }
        print("table \(predictor.tablePath)\n")
        print("  #  \(padded("layer", 15)) \(padded("ms", 7))      %    cum%  signature")
        var cumulative = 0.0
        for (i, entry) in breakdown.enumerated() {
            cumulative += entry.ms
            print(String(format: "%3d  ", i) + padded(entry.role, 15) + String(format: " %7.3f  %5.1f  %6.1f  ", entry.ms,
                         100 * entry.ms / total, 100 * cumulative / total) + entry.signature)
        }
    }
}
