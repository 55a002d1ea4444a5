import Foundation
import GRDB

/// A study in one SQLite file, `DIR/study.sqlite`: the embedded default, one owner at a time.
///
/// Every trial is committed the moment it starts and again when it finishes (WAL journal).
/// Results (evaluated trials, reports, settings) are committed with `synchronous = FULL`, so they
/// survive a power cut as well as a killed process; the start of a trial and a cached repeat
/// with `NORMAL` (a process kill loses nothing; a power cut may lose the last such rows, which
/// carry no evaluation: a resume simply proposes again). Trials left `running` by a crash are evaluated
/// again on resume under the same number. The schema is versioned (`meta.schema_version`, GRDB
/// migrations): a study written by an older nasctl is migrated when it is opened for a search.
public final class SQLiteStudyStore: StudyStore, @unchecked Sendable {
    /// Schema version written by this build. 1: wave 1 (meta, trials); 2: trial fidelity and
    /// failure kind, intermediate results (`reports`); 3: the objective's value per trial (`value`); 4: secondary objectives' values
    /// (`secondary_values`).
    public static let schemaVersion = 3

    public let directory: String
    public let settings: StudySettings
    public var locator: StudyLocator { .folder(directory) }
    private let db: DatabaseQueue
    private let readOnly: Bool
    /// Guards the two counters below.
    private let counters = NSLock()
    private var nextNumber = 0
    private var nextFinishOrder = 0

    /// How long a connection waits for another connection's lock before failing (seconds); the
    /// writer and the read-only reports alike.
    static let lockWaitSeconds: TimeInterval = 10

    /// Opens `directory` (creating it), or resumes it when it holds a study: the stored settings
    /// must equal `settings` unless `forceResume`.
    public init(directory: String, settings: StudySettings, forceResume: Bool = false) throws {
        self.directory = directory
        readOnly = false
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SearchError.study(directory, "cannot create the study folder: \(error.localizedDescription)")
        }
        var config = Configuration()
        // Another connection of this study (the previous run's, still checkpointing its WAL as it
        // closes, or a read-only `pareto`) may hold a lock for a moment: wait instead of failing.
        config.busyMode = .timeout(Self.lockWaitSeconds)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let path = Self.databasePath(directory)
        do {
            db = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(db)
            try db.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO meta (name, value) VALUES ('schema_version', ?)", arguments: [String(Self.schemaVersion)])
            }
        } catch {
            throw SearchError.study(path, "cannot open the study database: \(error)")
        }
        if var previous = try Self.storedSettings(db, path: path) {
            let differences = previous.differences(from: settings)
            if !differences.isEmpty && !forceResume { throw SearchError.studyMismatch(directory, differences) }
            // A study from before table digests learns its table's digest on its first resume
            // with the same table, so later resumes compare contents too.
            if previous.tableDigest == nil && previous.table == settings.table { previous.tableDigest = settings.tableDigest }
            self.settings = forceResume ? settings : previous
        } else {
            self.settings = settings
        }
        let encoded = String(decoding: try JSONEncoder().encode(self.settings), as: UTF8.self)
        try db.write { db in try db.execute(sql: "INSERT OR REPLACE INTO meta (name, value) VALUES ('settings', ?)", arguments: [encoded]) }
        try loadCounters()
    }

    /// Opens an existing study read-only (for reports); an older schema is read as it is.
    public init(existing directory: String) throws {
        self.directory = directory
        readOnly = true
        let path = Self.databasePath(directory)
        guard FileManager.default.fileExists(atPath: path) else {
            throw SearchError.study(directory, "no study here (expected \(path)); run `nasctl search --study \(directory)` first")
        }
        var config = Configuration()
        config.readonly = true
        // A search writing the study may hold a lock for a moment (its connection setting WAL
        // mode or checkpointing): wait instead of failing ("database is locked" was seen once in
        // 34 test runs, a report opened beside a search).
        config.busyMode = .timeout(Self.lockWaitSeconds)
        do {
            db = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw SearchError.study(path, "cannot open the study database: \(error)")
        }
        guard let settings = try Self.storedSettings(db, path: path) else {
            throw SearchError.study(path, "the study has no settings yet (its search stopped before its first commit); run the search again with --study \(directory)")
        }
        self.settings = settings
        try loadCounters()
    }

    static func databasePath(_ directory: String) -> String { (directory as NSString).appendingPathComponent("study.sqlite") }
    static func lockPath(_ directory: String) -> String { (directory as NSString).appendingPathComponent("study.lock") }

    /// Version 1 is the wave-1 schema exactly (`ifNotExists`: a wave-1 file has the tables but no
    /// migration record); later versions only add.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
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
        migrator.registerMigration("v2") { db in
            try db.alter(table: "trials") { t in
                t.add(column: "fidelity", .double)
                t.add(column: "failure_kind", .text)
            }
            // Wave-1 failures were all of the architecture's own making or the environment's;
            // without a kind they are treated as deterministic (cached), as wave 1 did.
            try db.execute(sql: "UPDATE trials SET failure_kind = 'deterministic' WHERE status = 'failed'")
            try db.create(table: "reports") { t in
                t.column("trial", .integer).notNull()
                t.column("fidelity", .double).notNull()
                t.column("metrics", .text).notNull()
                t.column("reward", .double)
                t.column("recorded_at", .double).notNull()
            }
        }
        migrator.registerMigration("v3") { db in
            // The objective's value; studies from before objectives optimised accuracy.
            try db.alter(table: "trials") { t in t.add(column: "value", .double) }
            try db.execute(sql: "UPDATE trials SET value = accuracy")
        }
        migrator.registerMigration("v4") { db in
            // Secondary objectives' values (JSON); studies before them had one objective.
            try db.alter(table: "trials") { t in t.add(column: "secondary_values", .text) }
        }
        return migrator
    }

    private static func storedSettings(_ db: DatabaseQueue, path: String) throws -> StudySettings? {
        // A study killed between creating its file and committing its schema has no tables yet.
        let stored: String? = try db.read { db in
            try db.tableExists("meta") ? try String.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'settings'") : nil
        }
        guard let stored else { return nil }
        do {
            return try JSONDecoder().decode(StudySettings.self, from: Data(stored.utf8))
        } catch {
            throw SearchError.study(path, "the study's settings are unreadable (\(error)); use another --study")
        }
    }

    private func loadCounters() throws {
        let (number, order) = try db.read { db in
            (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM trials"), try Int.fetchOne(db, sql: "SELECT MAX(finish_order) FROM trials"))
        }
        nextNumber = (number ?? -1) + 1
        nextFinishOrder = (order ?? -1) + 1
    }

    public func trials() throws -> [TrialRecord] {
        try db.read { db in try TrialRecord.order(Column("number")).fetchAll(db) }
    }

    public func claimTrialNumber(below budget: Int) throws -> Int? {
        counters.lock(); defer { counters.unlock() }
        guard nextNumber < budget else { return nil }
        defer { nextNumber += 1 }
        return nextNumber
    }

    public func begin(_ trial: TrialRecord) throws {
        try writable()
        try write(trial, durable: false)  // a running row: durable across process kills is enough
    }

    /// Upserts `trial` in its own transaction; `durable: false` commits it with `synchronous =
    /// NORMAL` (fsync deferred to the next durable commit, which makes it durable too, since the
    /// WAL is written in order).
    private func write(_ trial: TrialRecord, durable: Bool) throws {
        if durable {
            try db.write { db in try trial.upsert(db) }
            return
        }
        try db.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
            try db.inTransaction {
                try trial.upsert(db)
                return .commit
            }
        }
    }

    /// The `synchronous` level results are committed with (2: FULL), read back from SQLite.
    public func resultSynchronousLevel() throws -> Int {
        try db.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    @discardableResult
    public func finish(_ trial: TrialRecord) throws -> TrialRecord {
        try writable()
        var trial = trial
        if trial.finishOrder == nil && !trial.status.needsEvaluation {
            counters.lock()
            trial.finishOrder = nextFinishOrder
            nextFinishOrder += 1
            counters.unlock()
        }
        // A cached trial copies a result already stored durably: losing it to a power cut loses
        // no evaluation.
        try write(trial, durable: trial.status != .cached && !trial.status.needsEvaluation)
        return trial
    }

    public func report(_ report: TrialReport) throws {
        try writable()
        try db.write { db in try report.insert(db) }
    }

    public func reports() throws -> [TrialReport] {
        try db.read { db in
            guard try db.tableExists(TrialReport.databaseTableName) else { return [] }  // a wave-1 file opened read-only
            return try TrialReport.order(Column("rowid")).fetchAll(db)
        }
    }

    public func acquireOwnership() throws -> StudyOwnership {
        try writable()
        return try StudyOwnership(lockFile: Self.lockPath(directory), study: directory)
    }

    /// The schema version of the file (1 for a wave-1 file, which recorded none).
    public func storedSchemaVersion() throws -> Int {
        try db.read { db in
            (try String.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'schema_version'")).flatMap(Int.init) ?? 1
        }
    }

    private func writable() throws {
        if readOnly { throw SearchError.study(directory, "opened read-only (for reports); open it with `nasctl search --study` to add trials") }
    }
}
