import ArgumentParser
import Foundation
import NASLatency
import NASSpace

/// `nasctl validate`: how well the table predicts whole networks on this device.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Measure random architectures end to end and compare with the table's predictions.",
        discussion: """
        Samples --samples architectures (seeded), measures each whole network in nasctl's \
        engine (in groups of 10, in interleaved rounds, each round of a network after 3 untimed \
        passes of it so that it runs at its steady speed) and predicts it from the table. \
        Prints mean, median and max absolute error (%), the share within ±5% and ±10%, Kendall's tau between predicted and measured, the \
        measurement's own noise floor and, for a table with a reference network, how the \
        machine's speed compared with the table's, and writes a per-architecture CSV.
        """
    )

    @Option(help: "Random architectures to measure.")
    var samples: Int = 100

    @Option(help: "Seed for sampling and weights.")
    var seed: UInt64 = 1

    @Option(help: "Per-architecture CSV (key, predicted, measured, error, noise, rounds, the machine's speed around it).")
    var csv: String = "validate.csv"

    @OptionGroup var spaceOptions: SpaceOptions
    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var tableOptions: TableOptions

    @Option(help: ArgumentHelp("Passes re-measuring the architectures timed while the machine ran at another speed than when profiled.",
                               discussion: "One pass of the table's reference network is timed after every architecture's round; rounds whose passes ran more than the table's drift tolerance (10%) from the table's level are left out, and an architecture short of rounds at the level gets extra ones. An architecture whose reference passes around its counted rounds are still more than half that tolerance from the level is measured again later, with the others like it, as the profile re-times what it measured during a drift. 0 keeps every first measurement."))
    var retimePasses: Int = 3

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard samples >= 2 else { throw ValidationError("--samples must be at least 2 (got \(samples)).") }
        guard (0...10).contains(retimePasses) else { throw ValidationError("--retime-passes must be between 0 and 10 (got \(retimePasses)).") }
    }

    func run() throws {
        guard Profiler.build == "release" else { throw LatencyError.debugBuild }
        let space = try spaceOptions.load()
        let predictor = try tableOptions.predictor(space: space, threads: threadOptions.threads)
        var bar = ProgressLine(label: "validate", total: samples)
        let start = Date()
        let outcome = try Validation.runChecked(space: space, predictor: predictor, count: samples, seed: seed, threads: threadOptions.threads,
                                                settings: MeasurementSettings(minRuns: 10, maxRuns: 40, targetSpreadPct: 2, timeCapMs: 500),
                                                retimePasses: retimePasses) { done, total in
            let elapsed = Date().timeIntervalSince(start)
            bar.update(done: done, elapsed: elapsed, eta: elapsed / Double(done) * Double(total - done))
        }
        try Validation.csv(outcome.samples).write(toFile: csv, atomically: true, encoding: .utf8)
        let reference = outcome.reference
        var summary = Validation.Summary(outcome)
        summary.predictMicroseconds = try Validation.predictionMicroseconds(space: space, predictor: predictor)
        if json {
            try printJSON(summary)
            return
        }
        print(String(format: """
            %d architectures, table %@
            abs error: mean %.2f%%, median %.2f%%, max %.2f%% (bias %+.2f%%)
            within ±5%%: %.0f%%, within ±10%%: %.0f%%, Kendall tau %.3f
            measurement noise floor (interleaved halves): median %.2f%%, p90 %.2f%%%@
            prediction: %.1f µs per architecture
            per-architecture CSV: %@
            """, summary.samples, predictor.tablePath as NSString, summary.meanAbsErrorPct, summary.medianAbsErrorPct,
                     summary.maxAbsErrorPct, summary.biasPct, 100 * summary.within5pct, 100 * summary.within10pct,
                     summary.kendallTau, summary.noiseFloorPct, summary.noiseP90Pct,
                     (summary.noiseFloorPct * 2 >= summary.medianAbsErrorPct ? " — the error is mostly this machine's noise" : "") as NSString,
                     summary.predictMicroseconds ?? 0, csv as NSString))
        if let interval = summary.tableIntervalPct {
            print(String(format: "the table's own precision for these networks (its entries' 95%% intervals carried through each sum): median ±%.2f%%", interval))
        }
        if let r = reference {
            print(String(format: "reference network: %.3f ms when profiled, %.3f ms now (%+.1f%%)%@", r.profileMs, r.nowMs, r.driftPct,
                         abs(r.driftPct) > 5 ? ": the machine runs at another speed than when the table was made, which shifts every prediction about as much; re-profile if it stays so" as NSString : ""))
            print(String(format: "with the machine's speed around each network taken out: median error %.2f%%, within ±10%%: %.0f%%",
                         summary.speedCorrectedMedianAbsErrorPct ?? 0, 100 * (summary.speedCorrectedWithin10pct ?? 0)))
        }
        if let r = summary.retiming, r.driftedFirst > 0 {
            print(String(format: "%d of %d networks were measured at another speed than the profile's and re-measured (%d re-timings); %d still drifted. First measurements: median error %.2f%%, within ±10%%: %.0f%%",
                         r.driftedFirst, r.networks, r.retimings, r.driftedKept, summary.firstMedianAbsErrorPct ?? 0, 100 * (summary.firstWithin10pct ?? 0)))
        }
        if let off = summary.offLevelRoundsPct, off > 0 {
            let extra = summary.extraRounds ?? 0
            print(String(format: "%.0f%% of the rounds ran at another speed than the table's level (by the reference passes around them); they were left out of each network's median where at least half its planned rounds were at the level%@", off,
                         (extra > 0 ? "; \(extra) extra rounds were timed for networks short of them" : "") as NSString))
        }
    }
}
