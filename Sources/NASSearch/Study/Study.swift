import Foundation
import GRDB

/// A search's durable record: its settings and every trial, in SQLite (`DIR/study.sqlite`).
///
/// Every trial is committed the moment it starts and again when it finishes (WAL journal), so
/// a killed search loses nothing finished; trials left `running` by a crash are evaluated again
/// on resume under the same number.
public final class Study: @unchecked Sendable {
    public let directory: String
    public let settings: StudySettings
    private let db: DatabaseQueue

    /// Opens `directory` (creating it), or resumes it when it holds a study: the stored settings
    /// must equal `settings` unless `forceResume`.
    public init(directory: String, settings: StudySettings, forceResume: Bool = false) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SearchError.study(directory, "cannot create the study folder: \(error.localizedDescription)")
        }
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")  // durable across process crashes, cheap commits
        }
        let path = (directory as NSString).appendingPathComponent("study.sqlite")
        do {
            db = try DatabaseQueue(path: path, configuration: config)
            try db.write { db in
                try db.create(table: "meta", ifNotExists: true) { t in
                    t.primaryKey("name", .text)
                    t.column("value", .text).notNull()
                }
                try db.create(table: "trials", ifNotExists: true) { t in
                    t.primaryKey("number", .integer)
                    t.column("key", .text).notNull()
                    t.column("decisions", .text).notNull()
                    t.column("status", .text).notNull()
                    t.column("accuracy", .double)
                    t.column("latency_ms", .double)
                    t.column("reward", .double)
                    t.column("macs", .integer)
                    t.column("params", .integer)
                    t.column("error", .text)
                    t.column("started_at", .double).notNull()
                    t.column("finished_at", .double)
                    t.column("finish_order", .integer)
                    t.column("worker", .integer).notNull()
                    t.column("parent", .integer)
                }
            }
        } catch {
            throw SearchError.study(path, "cannot open the study database: \(error)")
        }
        let stored: String? = try db.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'settings'") }
        if let stored, let previous = try? JSONDecoder().decode(StudySettings.self, from: Data(stored.utf8)) {
            let differences = previous.differences(from: settings)
            if !differences.isEmpty && !forceResume { throw SearchError.studyMismatch(directory, differences) }
            self.settings = forceResume ? settings : previous
        } else {
            self.settings = settings
        }
        let encoded = String(decoding: try JSONEncoder().encode(self.settings), as: UTF8.self)
        try db.write { db in try db.execute(sql: "INSERT OR REPLACE INTO meta (name, value) VALUES ('settings', ?)", arguments: [encoded]) }
    }

    /// Opens an existing study read-only (for reports).
    public init(existing directory: String) throws {
        self.directory = directory
        let path = (directory as NSString).appendingPathComponent("study.sqlite")
        guard FileManager.default.fileExists(atPath: path) else {
            throw SearchError.study(directory, "no study here (expected \(path)); run `nasctl search --study \(directory)` first")
        }
        var config = Configuration()
        config.readonly = true
        do {
            db = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw SearchError.study(path, "cannot open the study database: \(error)")
        }
        let stored: String? = try db.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'settings'") }
        guard let stored, let settings = try? JSONDecoder().decode(StudySettings.self, from: Data(stored.utf8)) else {
            throw SearchError.study(path, "the study has no readable settings")
        }
        self.settings = settings
    }

    /// Every trial, by number.
    public func trials() throws -> [TrialRecord] {
        try db.read { db in try TrialRecord.order(Column("number")).fetchAll(db) }
    }

    /// Records a trial as running (committed at once).
    public func begin(_ trial: TrialRecord) throws {
        try db.write { db in try trial.upsert(db) }
    }

    /// Records a trial's result (committed at once).
    public func finish(_ trial: TrialRecord) throws {
        try db.write { db in try trial.upsert(db) }
    }
}

/// What a study was started with; a resume with different values is refused.
public struct StudySettings: Codable, Sendable, Equatable {
    public var space: String
    public var spaceDigest: String
    /// Where the space was read from (not compared on resume: only the digest is).
    public var spaceFile: String
    public var table: String?
    public var evaluator: String
    public var strategy: String
    public var reward: Reward
    public var population: Int
    public var sample: Int
    public var budget: Int
    public var seed: UInt64

    public init(space: String, spaceDigest: String, spaceFile: String, table: String?, evaluator: String, strategy: String, reward: Reward,
                population: Int, sample: Int, budget: Int, seed: UInt64) {
        self.space = space; self.spaceDigest = spaceDigest; self.spaceFile = spaceFile; self.table = table; self.evaluator = evaluator
        self.strategy = strategy; self.reward = reward; self.population = population; self.sample = sample
        self.budget = budget; self.seed = seed
    }

    func differences(from other: StudySettings) -> [String] {
        var d: [String] = []
        func check<T: Equatable>(_ name: String, _ a: T, _ b: T) { if a != b { d.append("\(name): study has \(a), now \(b)") } }
        check("space", space, other.space)
        check("space digest", spaceDigest, other.spaceDigest)
        check("table", table ?? "none", other.table ?? "none")
        check("evaluator", evaluator, other.evaluator)
        check("strategy", strategy, other.strategy)
        check("target ms", reward.targetMs, other.reward.targetMs)
        check("alpha", reward.alpha, other.reward.alpha)
        check("beta", reward.beta, other.reward.beta)
        check("population", population, other.population)
        check("sample", sample, other.sample)
        check("cycles", budget, other.budget)
        check("seed", seed, other.seed)
        return d
    }
}
