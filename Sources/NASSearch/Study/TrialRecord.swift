import Foundation
import GRDB

/// One row of a study: an architecture proposed, evaluated (or failed, or found in the cache).
public struct TrialRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public enum Status: String, Codable, Sendable, DatabaseValueConvertible {
        /// Proposed and being evaluated (a leftover after a crash is run again on resume).
        case running
        case done
        case failed
        /// Already evaluated in an earlier trial: result reused, not counted against the budget.
        case cached
    }

    public static let databaseTableName = "trials"

    public var number: Int
    public var key: String
    /// The decision values as a JSON array, in the space's order.
    public var decisions: String
    public var status: Status
    public var accuracy: Double?
    public var latencyMs: Double?
    public var reward: Double?
    public var macs: Int?
    public var params: Int?
    public var error: String?
    public var startedAt: Double
    public var finishedAt: Double?
    /// Order in which trials finished (the aging population follows it).
    public var finishOrder: Int?
    public var worker: Int
    public var parent: Int?

    enum CodingKeys: String, CodingKey {
        case number, key, decisions, status, accuracy, latencyMs = "latency_ms", reward, macs, params, error,
             startedAt = "started_at", finishedAt = "finished_at", finishOrder = "finish_order", worker, parent
    }

    public var values: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(decisions.utf8))) ?? []
    }

    static func encode(values: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(values)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
