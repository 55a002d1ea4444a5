import Foundation
import GRDB

/// One row of a study: an architecture proposed, evaluated (or failed, pruned, or found in the
/// cache).
public struct TrialRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public typealias Status = TrialStatus

    public static let databaseTableName = "trials"

    public var number: Int
    public var key: String
    /// The decision values (canonical text) as a JSON array, in the space's order.
    public var decisions: String
    public var status: TrialStatus
    /// Validation accuracy (fraction) when the evaluator reported one.
    public var accuracy: Double?
    /// The study objective's value (the accuracy for the accuracy objective; e.g. an MSE to
    /// minimise for `--objective mse --direction minimize`).
    public var value: Double?
    public var latencyMs: Double?
    public var reward: Double?
    public var macs: Int?
    public var params: Int?
    /// The failure's message (or, for a cached failure, which trial it repeats).
    public var error: String?
    public var startedAt: Double
    public var finishedAt: Double?
    /// Order in which trials finished (the aging population follows it); assigned by the store.
    public var finishOrder: Int?
    public var worker: Int
    public var parent: Int?
    /// The fidelity of the recorded result (nil: the evaluator's only one).
    public var fidelity: Double?
    /// For a failed trial: deterministic, transient or interrupted.
    public var failureKind: FailureKind?
    /// The secondary objectives' values as a JSON object (name → value; nil for a study with
    /// one objective, or a trial without a result).
    public var secondaryValues: String?

    public init(number: Int, key: String, decisions: String, status: TrialStatus, accuracy: Double? = nil, latencyMs: Double? = nil,
                reward: Double? = nil, macs: Int? = nil, params: Int? = nil, error: String? = nil, startedAt: Double,
                finishedAt: Double? = nil, finishOrder: Int? = nil, worker: Int, parent: Int? = nil, fidelity: Double? = nil,
                failureKind: FailureKind? = nil, value: Double? = nil) {
        self.number = number; self.key = key; self.decisions = decisions; self.status = status; self.accuracy = accuracy
        self.latencyMs = latencyMs; self.reward = reward; self.macs = macs; self.params = params; self.error = error
        self.startedAt = startedAt; self.finishedAt = finishedAt; self.finishOrder = finishOrder; self.worker = worker
        self.parent = parent; self.fidelity = fidelity; self.failureKind = failureKind
        self.value = value ?? accuracy
    }

    enum CodingKeys: String, CodingKey {
        case number, key, decisions, status, accuracy, latencyMs = "latency_ms", reward, macs, params, error,
             startedAt = "started_at", finishedAt = "finished_at", finishOrder = "finish_order", worker, parent,
             fidelity, failureKind = "failure_kind", value, secondaryValues = "secondary_values"
    }

    /// `secondaryValues` decoded (empty when there are none).
    public var secondary: [String: Double] {
        get { secondaryValues.flatMap { try? JSONDecoder().decode([String: Double].self, from: Data($0.utf8)) } ?? [:] }
        set {
            guard !newValue.isEmpty else { secondaryValues = nil; return }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            secondaryValues = (try? encoder.encode(newValue)).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// The value of `objective` for this trial: the first objective's `value`, a secondary
    /// one's from `secondary`, latency from `latencyMs`.
    public func value(of objective: Objective, primary: Objective) -> Double? {
        if objective == primary { return value ?? (primary == .accuracy ? accuracy : nil) }
        if objective == .latency { return latencyMs }
        return secondary[objective.name]
    }

    public var values: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(decisions.utf8))) ?? []
    }

    static func encode(values: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(values)) ?? Data("[]".utf8), as: UTF8.self)
    }
}

extension FailureKind: DatabaseValueConvertible {}

/// An intermediate result of a trial at one fidelity (a rung), kept for the scheduler.
public struct TrialReport: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "reports"
    public var trial: Int
    public var fidelity: Double
    /// Metric name → value, as JSON.
    public var metrics: String
    public var reward: Double?
    public var recordedAt: Double

    public init(trial: Int, fidelity: Double, metrics: [String: Double], reward: Double?, recordedAt: Double) {
        self.trial = trial; self.fidelity = fidelity; self.reward = reward; self.recordedAt = recordedAt
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        self.metrics = String(decoding: (try? encoder.encode(metrics)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public var metricValues: [String: Double] {
        (try? JSONDecoder().decode([String: Double].self, from: Data(metrics.utf8))) ?? [:]
    }

    enum CodingKeys: String, CodingKey { case trial, fidelity, metrics, reward, recordedAt = "recorded_at" }
}
