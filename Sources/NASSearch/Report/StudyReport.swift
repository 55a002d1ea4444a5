import Foundation
import NASSpace

/// The files a finished (or interrupted) study is summarised in: `trials.csv`, `pareto.csv`,
/// `pareto.svg`, `best.json`, and the summary `nasctl search --json` prints.
public struct StudyReport: Sendable {
    public let space: SearchSpace
    public let settings: StudySettings
    public let trials: [TrialRecord]
    /// What `nasctl finalize` trained (nil: not finalized).
    public let finalized: FinalizedModels?

    public init(space: SearchSpace, settings: StudySettings, trials: [TrialRecord], finalized: FinalizedModels? = nil) {
        self.space = space; self.settings = settings; self.trials = trials; self.finalized = finalized
    }

    /// Successful evaluations to the end (cached repeats and trials a scheduler stopped below
    /// its top rung excluded: only results at the same, full fidelity are compared).
    public var done: [TrialRecord] { trials.filter { $0.status == .done } }
    public var failedCount: Int { trials.filter { $0.status == .failed }.count }

    public var objective: Objective { settings.objective }

    /// The objective's value of a trial, oriented so that higher is better (a minimised
    /// objective negated); nil without one.
    func score(_ t: TrialRecord) -> Double? {
        guard let v = t.value ?? (objective == .accuracy ? t.accuracy : nil) else { return nil }
        return objective.direction == .maximize ? v : -v
    }

    /// The trials on the front: over the objective and latency, by latency; with secondary
    /// objectives, the non-dominated trials over every objective (and latency when known), by
    /// the plot's horizontal axis.
    /// - Complexity: O(n log n) for two axes; O(M · n²) with secondary objectives.
    public var front: [TrialRecord] {
        guard !settings.secondaryObjectives.isEmpty else {
            let measured = done.filter { $0.latencyMs != nil && score($0) != nil }
            return Pareto.front(measured.map { Pareto.Point(accuracy: score($0)!, latencyMs: $0.latencyMs!) }).map { measured[$0] }
        }
        let axes = settings.objectives + (done.contains { $0.latencyMs != nil } ? [.latency] : [])
        let measured = done.filter { t in axes.allSatisfy { t.value(of: $0, primary: objective) != nil } }
        let points = measured.map { t in axes.map { t.value(of: $0, primary: objective)! } }
        let first = ParetoRanking.fronts(points, directions: axes.map(\.direction), limit: 1).first ?? []
        let x = horizontalAxis
        return first.map { measured[$0] }.sorted {
            ($0.value(of: x, primary: objective) ?? 0, $0.number) < ($1.value(of: x, primary: objective) ?? 0, $1.number)
        }
    }

    /// What the plot puts across: latency, or for a study without latency the first secondary
    /// objective.
    public var horizontalAxis: Objective {
        if let other = settings.secondaryObjectives.first, !done.contains(where: { $0.latencyMs != nil }) { return other }
        return .latency
    }

    /// Reference latency of the hypervolume: twice the target.
    public var referenceMs: Double { 2 * settings.reward.targetMs }

    /// The front's hypervolume over accuracy [0, 1] x latency (0 for another objective, or
    /// several: their ranges are not known).
    public var hypervolume: Double {
        guard objective == .accuracy, settings.secondaryObjectives.isEmpty else { return 0 }
        let measured = done.filter { $0.latencyMs != nil && $0.accuracy != nil }
        return Pareto.hypervolume(measured.map { Pareto.Point(accuracy: $0.accuracy!, latencyMs: $0.latencyMs!) }, referenceMs: referenceMs)
    }

    public var best: TrialRecord? {
        done.max { ($0.reward ?? -1, -$0.number) < ($1.reward ?? -1, -$1.number) }
    }

    public struct Summary: Encodable, Sendable {
        public struct Best: Encodable, Sendable {
            public var trial: Int
            public var key: String
            public var accuracy: Double
            /// The objective's value (the accuracy for the accuracy objective).
            public var value: Double?
            public var latency_ms: Double?
            public var reward: Double
            /// The secondary objectives' values (nil without any).
            public var secondary: [String: Double]?
        }
        public var trials: Int
        public var evaluated: Int
        public var failed: Int
        public var cached: Int
        /// Stopped below the top rung by the scheduler (0 without one).
        public var pruned: Int
        public var scheduler: String
        public var best: Best?
        /// What the study optimised: `accuracy`, or e.g. `mse`, and its direction.
        public var objective: String
        public var direction: Direction
        /// Further objectives (`--objective` given more than once), each with its direction.
        public var secondary_objectives: [Objective]?
        public var pareto_size: Int
        public var hypervolume: Double
        public var hypervolume_reference_ms: Double
        public var target_ms: Double
        public var study: String
        /// Front models trained to the end by `nasctl finalize`, with their test accuracy.
        public var finalized: [FinalizedModels.Model]?
        public var baseline: FinalizedModels.Model?
        /// Hypervolume of the finalized models with their final test accuracies.
        public var hypervolume_final: Double?

        /// One line on the front: its size and hypervolume, or why there is none.
        public var paretoDescription: String {
            guard pareto_size > 0 else {
                return evaluated == 0 ? "none yet (no trial evaluated)" : "none (no evaluated trial has a latency: the space has no latency table and the evaluator reported none)"
            }
            return "\(pareto_size) models, hypervolume \(StudyReport.number(hypervolume, 4)) (accuracy x latency up to \(StudyReport.number(hypervolume_reference_ms, 1)) ms, normalised)"
        }
    }

    public func summary(studyDirectory: String) -> Summary {
        Summary(trials: trials.count, evaluated: trials.filter { $0.status.isEvaluated }.count,
                failed: failedCount, cached: trials.filter { $0.status == .cached }.count,
                pruned: trials.filter { $0.status == .pruned || $0.status == .paused }.count, scheduler: settings.scheduler,
                best: best.map { .init(trial: $0.number, key: $0.key, accuracy: $0.accuracy ?? 0, value: $0.value ?? $0.accuracy, latency_ms: $0.latencyMs,
                                       reward: $0.reward ?? 0, secondary: $0.secondary.isEmpty ? nil : $0.secondary) },
                objective: objective.name, direction: objective.direction,
                secondary_objectives: settings.secondaryObjectives.isEmpty ? nil : settings.secondaryObjectives,
                pareto_size: front.count, hypervolume: hypervolume, hypervolume_reference_ms: referenceMs,
                target_ms: settings.reward.targetMs, study: studyDirectory, finalized: finalized?.models, baseline: finalized?.baseline,
                hypervolume_final: finalized?.hypervolume(referenceMs: referenceMs))
    }

    /// Writes trials.csv, pareto.csv, pareto.svg, report.html and best.json into `directory`.
    public func write(to directory: String) throws {
        let dir = URL(fileURLWithPath: directory)
        try trialsCSV().write(to: dir.appendingPathComponent("trials.csv"), atomically: true, encoding: .utf8)
        try paretoCSV().write(to: dir.appendingPathComponent("pareto.csv"), atomically: true, encoding: .utf8)
        try ParetoPlot(report: self).svg().write(to: dir.appendingPathComponent("pareto.svg"), atomically: true, encoding: .utf8)
        try HTMLReport(report: self).html().write(to: dir.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        if let best { try bestJSON(best).write(to: dir.appendingPathComponent("best.json"), atomically: true, encoding: .utf8) }
    }

    static func csvField(_ text: String) -> String {
        text.contains(",") || text.contains("\"") || text.contains("\n") || text.contains("|")
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    static func number(_ value: Double?, _ digits: Int = 6) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "" }

    public func trialsCSV() -> String {
        // Each objective other than accuracy gets its own column, named after it, before accuracy.
        let extra = extraColumns
        var lines = [(["trial", "key", "status"] + extra + ["accuracy", "latency_ms", "reward", "fidelity", "macs", "params", "error", "started_at",
                       "finished_at", "worker", "parent"] + space.decisions.map(\.name)).joined(separator: ",")]
        for t in trials {
            var fields: [String] = [String(t.number), Self.csvField(t.key), t.status.rawValue]
            fields += extraFields(t)
            fields += [Self.number(t.accuracy), Self.number(t.latencyMs, 4), Self.number(t.reward), t.fidelity.map { Fidelity($0).description } ?? ""]
            fields += [t.macs.map(String.init) ?? "", t.params.map(String.init) ?? "", Self.csvField(t.error ?? "")]
            fields += [Self.number(t.startedAt, 3), Self.number(t.finishedAt, 3), String(t.worker), t.parent.map(String.init) ?? ""]
            fields += t.values.map(Self.csvField)
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func paretoCSV() -> String {
        let finals = finalized?.byTrial ?? [:]
        let extra = extraColumns
        var lines = [(["trial", "key"] + extra + ["accuracy", "latency_ms", "reward", "params", "macs", "final_test_accuracy"] + space.decisions.map(\.name)).joined(separator: ",")]
        for t in front {
            var fields: [String] = [String(t.number), Self.csvField(t.key)] + extraFields(t)
            fields += [Self.number(t.accuracy), Self.number(t.latencyMs, 4)]
            fields += [Self.number(t.reward), t.params.map(String.init) ?? "", t.macs.map(String.init) ?? "", Self.number(finals[t.number])]
            fields += t.values.map(Self.csvField)
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The columns of trials.csv and pareto.csv besides accuracy, latency and the objectives
    /// and decisions: an objective may not take one of these names.
    public static let reservedColumns = ["trial", "key", "status", "reward", "fidelity", "macs", "params", "error", "started_at", "finished_at",
                                         "worker", "parent", "final_test_accuracy"]

    /// The objectives with a column of their own (accuracy has its column already).
    var extraColumns: [String] { settings.objectives.filter { $0 != .accuracy }.map(\.name) }

    /// `t`'s values of `extraColumns`, as given (empty when unknown).
    func extraFields(_ t: TrialRecord) -> [String] {
        settings.objectives.filter { $0 != .accuracy }.map { o in t.value(of: o, primary: objective).map { "\($0)" } ?? "" }
    }

    /// The architecture file form (`--arch`-ready) plus the trial's figures.
    public func bestJSON(_ t: TrialRecord) throws -> String {
        struct Best: Encodable {
            var space: String
            var decisions: [String: DecisionValue]
            var trial: Int
            var key: String
            var accuracy: Double?
            var objective: String
            var value: Double?
            var secondary: [String: Double]?
            var latency_ms: Double?
            var reward: Double?
            var macs: Int?
            var params: Int?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let best = Best(space: space.name, decisions: Architecture(spaceName: space.name, values: t.values).jsonValues(in: space),
                        trial: t.number, key: t.key, accuracy: t.accuracy, objective: objective.name, value: t.value ?? t.accuracy,
                        secondary: t.secondary.isEmpty ? nil : t.secondary, latency_ms: t.latencyMs, reward: t.reward, macs: t.macs, params: t.params)
        return String(decoding: try encoder.encode(best), as: UTF8.self) + "\n"
    }
}
