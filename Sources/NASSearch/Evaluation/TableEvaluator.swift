import Foundation
import NASSpace

/// `--evaluator table:FILE`: the objective (and optionally latency) looked up in a CSV with one
/// column per decision (named as in the space), a column named as the objective (`accuracy`, a
/// fraction, by default; e.g. `mse` with `--objective mse`), one per secondary objective, and
/// optionally `latency_ms` — how search strategies are compared on tabular benchmarks
/// (NAS-Bench-201, HPOLib).
public struct TableEvaluator: Evaluator {
    public let name: String
    public let hasLatency: Bool
    public let objective: Objective
    /// Further objective columns, reported beside the objective.
    public let secondary: [Objective]
    /// Per architecture: the objective's value, the secondary objectives' (in order), latency.
    private let rows: [[String]: (value: Double, secondary: [Double], latency: Double?)]

    /// Reads and checks the whole CSV; every problem names the file and line.
    public init(file path: String, space: SearchSpace, objective: Objective = .accuracy, secondary: [Objective] = []) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SearchError.badTable(path, line: nil, "no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let line = 1 + (String(decoding: data, as: UTF8.self).prefix { $0 != "\u{FFFD}" }.filter { $0 == "\n" }.count)
            throw SearchError.badTable(path, line: line, "is not UTF-8 text; save the CSV as UTF-8")
        }
        try self.init(csv: text, space: space, source: path, objective: objective, secondary: secondary)
    }

    public init(csv text: String, space: SearchSpace, source: String, objective: Objective = .accuracy, secondary: [Objective] = []) throws {
        name = "table:\(source)"
        self.objective = objective
        self.secondary = secondary
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        guard let headerLine = lines.first, !headerLine.isEmpty else { throw SearchError.badTable(source, line: 1, "empty file; expected a header row") }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var columnOf: [String: Int] = [:]
        for (i, column) in header.enumerated() {
            guard columnOf[column] == nil else { throw SearchError.badTable(source, line: 1, "column '\(column)' appears twice") }
            columnOf[column] = i
        }
        var decisionColumns: [Int] = []
        for d in space.decisions {
            guard let c = columnOf[d.name] else {
                throw SearchError.badTable(source, line: 1, "missing column '\(d.name)' (the space '\(space.name)' has decisions \(space.decisions.map(\.name).joined(separator: ", ")))")
            }
            decisionColumns.append(c)
        }
        guard let valueColumn = columnOf[objective.name] else {
            let others = header.filter { column in column != "latency_ms" && !space.decisions.contains { $0.name == column } }
            let hint = objective == .accuracy && !others.isEmpty
                ? "; its other columns are \(others.joined(separator: ", ")): name the one to optimise with --objective NAME --direction minimize|maximize"
                : ""
            throw SearchError.badTable(source, line: 1, "missing column '\(objective.name)'\(hint)")
        }
        var secondaryColumns: [Int] = []
        for other in secondary {
            guard let c = columnOf[other.name] else { throw SearchError.badTable(source, line: 1, "missing column '\(other.name)' (an --objective)") }
            secondaryColumns.append(c)
        }
        let metric = objective.name
        let latencyColumn = columnOf["latency_ms"]
        hasLatency = latencyColumn != nil
        var rows: [[String]: (value: Double, secondary: [Double], latency: Double?)] = [:]
        for (index, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let n = index + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == header.count else {
                throw SearchError.badTable(source, line: n, "has \(fields.count) fields, the header has \(header.count)")
            }
            var key: [String] = []
            for (d, c) in zip(space.decisions, decisionColumns) {
                guard let value = d.canonical(text: fields[c]) else {
                    throw SearchError.badTable(source, line: n, "'\(fields[c])' is not a choice of '\(d.name)' (allowed: \(d.allowedDescription))")
                }
                key.append(value)
            }
            guard let value = Double(fields[valueColumn]), value.isFinite else {
                throw SearchError.badTable(source, line: n, "\(metric) '\(fields[valueColumn])' is not a number")
            }
            if objective == .accuracy, !(0...1).contains(value) {
                throw SearchError.badTable(source, line: n, "accuracy \(value) is outside [0, 1] (give a fraction, not a percentage)")
            }
            var others: [Double] = []
            for (other, c) in zip(secondary, secondaryColumns) {
                guard let v = Double(fields[c]), v.isFinite else {
                    throw SearchError.badTable(source, line: n, "\(other.name) '\(fields[c])' is not a number")
                }
                others.append(v)
            }
            var latency: Double?
            if let lc = latencyColumn {
                guard let value = Double(fields[lc]), value.isFinite, value > 0 else {
                    throw SearchError.badTable(source, line: n, "latency_ms '\(fields[lc])' is not a positive number")
                }
                latency = value
            }
            guard rows[key] == nil else { throw SearchError.badTable(source, line: n, "repeats the architecture of an earlier row") }
            rows[key] = (value, others, latency)
        }
        guard !rows.isEmpty else { throw SearchError.badTable(source, line: nil, "has a header but no rows") }
        self.rows = rows
    }

    public var count: Int { rows.count }

    public func evaluate(_ request: EvaluationRequest) -> Evaluation {
        if let fidelity = request.fidelity { return .unsupported(fidelity, by: name) }
        guard let row = rows[request.arch.values] else { return .failure("not in \(name)") }
        var metrics = [objective.name: row.value]
        for (other, v) in zip(secondary, row.secondary) { metrics[other.name] = v }
        return Evaluation(metrics: metrics, latencyMs: row.latency)
    }
}
