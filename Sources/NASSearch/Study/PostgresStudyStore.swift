import Foundation

/// A study in a PostgreSQL database (`--study postgresql://USER@HOST[:PORT]/DB?study=NAME`):
/// the same records as the SQLite study, in tables shared by every study of the database and
/// keyed by the study's name. Trial numbers and finish orders come from the database (one
/// `UPDATE … RETURNING` each), so processes on several machines never share one. Every write
/// is committed when it returns.
///
/// Schema (version 1, recorded in `nasctl_schema`; created on first use under an advisory lock,
/// so that workers starting together do not race): `nasctl_studies` (name, settings JSON, the
/// next trial number and finish order), `nasctl_trials` (one row per trial, the columns of
/// `TrialRecord`), `nasctl_reports` (intermediate results, in the order recorded).
///
/// Ownership: one search at a time owns a study (a session advisory lock, which the server
/// drops when the owner's connection ends however it ends); a second is refused, naming the
/// owner's application name (pid and host).
public final class PostgresStudyStore: StudyStore, @unchecked Sendable {
    public static let schemaVersion = 1
    public let address: PostgresAddress
    public let settings: StudySettings
    public var locator: StudyLocator { .postgres(address) }
    let session: PostgresSession
    private let readOnly: Bool

    /// Opens the study (creating the schema and the study when absent); a present study's
    /// settings must equal `settings` unless `forceResume`.
    public init(address: PostgresAddress, settings: StudySettings, forceResume: Bool = false) throws {
        self.address = address
        readOnly = false
        session = try PostgresSession(address)
        try Self.createSchema(session)
        let encoded = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        self.settings = try session.transaction { query in
            _ = try query("SELECT pg_advisory_xact_lock(hashtext($1))", [.text("nasctl-study:" + address.study)])
            let rows = try query("SELECT settings FROM nasctl_studies WHERE name = $1", [.text(address.study)])
            guard let stored = rows.first?.first?.text else {
                _ = try query("INSERT INTO nasctl_studies (name, settings, next_trial, next_finish, created_at) VALUES ($1, $2, 0, 0, $3)",
                              [.text(address.study), .text(encoded), .double(Date().timeIntervalSince1970)])
                return settings
            }
            let previous = try Self.decode(stored, address)
            let differences = previous.differences(from: settings)
            if !differences.isEmpty && !forceResume { throw SearchError.studyMismatch(address.description, differences) }
            if forceResume {
                _ = try query("UPDATE nasctl_studies SET settings = $2 WHERE name = $1", [.text(address.study), .text(encoded)])
                return settings
            }
            return previous
        }
    }

    /// Opens an existing study for reading (reports); refused when the study is not there.
    public init(existing address: PostgresAddress) throws {
        self.address = address
        readOnly = true
        session = try PostgresSession(address)
        let exists = try session.query("SELECT to_regclass('nasctl_studies') IS NOT NULL")
        guard exists.first?.first?.int == 1,
              let stored = try session.query("SELECT settings FROM nasctl_studies WHERE name = $1", [.text(address.study)]).first?.first?.text else {
            throw SearchError.study(address.description, "no study '\(address.study)' in this database; run `nasctl search --study \(address)` first")
        }
        settings = try Self.decode(stored, address)
    }

    private static func decode(_ text: String, _ address: PostgresAddress) throws -> StudySettings {
        do {
            return try JSONDecoder().decode(StudySettings.self, from: Data(text.utf8))
        } catch {
            throw SearchError.study(address.description, "the study's settings are unreadable (\(error)); use another study name")
        }
    }

    /// Creates the tables when absent and checks the schema version.
    static func createSchema(_ session: PostgresSession) throws {
        try session.transaction { query in
            _ = try query("SELECT pg_advisory_xact_lock(hashtext('nasctl-schema'))", [])
            _ = try query("CREATE TABLE IF NOT EXISTS nasctl_schema (version INTEGER NOT NULL)", [])
            let version = try query("SELECT MAX(version) FROM nasctl_schema", []).first?.first?.int
            if let version, version > schemaVersion {
                throw SearchError.study(session.address.description, "the database holds nasctl schema version \(version), newer than this build's \(schemaVersion); use a newer nasctl")
            }
            guard version == nil else { return }
            _ = try query("""
                CREATE TABLE nasctl_studies (name TEXT PRIMARY KEY, settings TEXT NOT NULL, next_trial BIGINT NOT NULL,
                                             next_finish BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL)
                """, [])
            _ = try query("""
                CREATE TABLE nasctl_trials (study TEXT NOT NULL REFERENCES nasctl_studies(name), number BIGINT NOT NULL, key TEXT NOT NULL,
                    decisions TEXT NOT NULL, status TEXT NOT NULL, accuracy DOUBLE PRECISION, value DOUBLE PRECISION,
                    latency_ms DOUBLE PRECISION, reward DOUBLE PRECISION, macs BIGINT, params BIGINT, error TEXT,
                    started_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION, finish_order BIGINT, worker BIGINT NOT NULL,
                    parent BIGINT, fidelity DOUBLE PRECISION, failure_kind TEXT, secondary_values TEXT, PRIMARY KEY (study, number))
                """, [])
            _ = try query("""
                CREATE TABLE nasctl_reports (id BIGSERIAL PRIMARY KEY, study TEXT NOT NULL REFERENCES nasctl_studies(name),
                    trial BIGINT NOT NULL, fidelity DOUBLE PRECISION NOT NULL, metrics TEXT NOT NULL, reward DOUBLE PRECISION,
                    recorded_at DOUBLE PRECISION NOT NULL)
                """, [])
            _ = try query("INSERT INTO nasctl_schema (version) VALUES ($1)", [.int(schemaVersion)])
        }
    }

    static let columns = "number, key, decisions, status, accuracy, value, latency_ms, reward, macs, params, error, started_at, finished_at, finish_order, worker, parent, fidelity, failure_kind, secondary_values"

    public func trials() throws -> [TrialRecord] {
        try session.query("SELECT \(Self.columns) FROM nasctl_trials WHERE study = $1 ORDER BY number", [.text(address.study)]).map(Self.record)
    }

    static func record(_ r: [SQLValue]) throws -> TrialRecord {
        guard r.count == 19, let number = r[0].int, let key = r[1].text, let decisions = r[2].text, let statusText = r[3].text,
              let status = TrialStatus(rawValue: statusText), let startedAt = r[11].double, let worker = r[14].int else {
            throw SearchError.study("postgresql", "a trial row is malformed: \(r)")
        }
        var t = TrialRecord(number: number, key: key, decisions: decisions, status: status, accuracy: r[4].double, latencyMs: r[6].double,
                            reward: r[7].double, macs: r[8].int, params: r[9].int, error: r[10].text, startedAt: startedAt,
                            finishedAt: r[12].double, finishOrder: r[13].int, worker: worker, parent: r[15].int, fidelity: r[16].double,
                            failureKind: r[17].text.flatMap(FailureKind.init(rawValue:)))
        t.value = r[5].double
        t.secondaryValues = r[18].text
        return t
    }

    public func claimTrialNumber() throws -> Int {
        try writable()
        guard let n = try session.query("UPDATE nasctl_studies SET next_trial = next_trial + 1 WHERE name = $1 RETURNING next_trial - 1",
                                        [.text(address.study)]).first?.first?.int else {
            throw SearchError.study(address.description, "the study vanished from the database")
        }
        return n
    }

    public func begin(_ trial: TrialRecord) throws {
        try writable()
        try upsert(trial, query: { try self.session.query($0, $1) })
    }

    @discardableResult
    public func finish(_ trial: TrialRecord) throws -> TrialRecord {
        try writable()
        return try session.transaction { query in
            var trial = trial
            if trial.finishOrder == nil && !trial.status.needsEvaluation {
                trial.finishOrder = try query("UPDATE nasctl_studies SET next_finish = next_finish + 1 WHERE name = $1 RETURNING next_finish - 1",
                                              [.text(address.study)]).first?.first?.int
            }
            try upsert(trial, query: query)
            return trial
        }
    }

    private func upsert(_ t: TrialRecord, query: (String, [SQLValue]) throws -> [[SQLValue]]) throws {
        let values: [SQLValue] = [.text(address.study), .int(t.number), .text(t.key), .text(t.decisions), .text(t.status.rawValue), t.accuracy.sql,
                                  t.value.sql, t.latencyMs.sql, t.reward.sql, t.macs.sql, t.params.sql, t.error.sql, .double(t.startedAt),
                                  t.finishedAt.sql, t.finishOrder.sql, .int(t.worker), t.parent.sql, t.fidelity.sql, t.failureKind.map { SQLValue.text($0.rawValue) } ?? .null,
                                  t.secondaryValues.sql]
        let placeholders = (1...values.count).map { "$\($0)" }.joined(separator: ", ")
        let updates = Self.columns.split(separator: ",").dropFirst().map { c in let c = c.trimmingCharacters(in: .whitespaces); return "\(c) = EXCLUDED.\(c)" }
        _ = try query("INSERT INTO nasctl_trials (study, \(Self.columns)) VALUES (\(placeholders)) ON CONFLICT (study, number) DO UPDATE SET \(updates.joined(separator: ", "))", values)
    }

    public func report(_ report: TrialReport) throws {
        try writable()
        try session.query("INSERT INTO nasctl_reports (study, trial, fidelity, metrics, reward, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
                          [.text(address.study), .int(report.trial), .double(report.fidelity), .text(report.metrics), report.reward.sql,
                           .double(report.recordedAt)])
    }

    public func reports() throws -> [TrialReport] {
        try session.query("SELECT trial, fidelity, metrics, reward, recorded_at FROM nasctl_reports WHERE study = $1 ORDER BY id", [.text(address.study)]).map { r in
            guard let trial = r[0].int, let fidelity = r[1].double, let metrics = r[2].text, let at = r[4].double else {
                throw SearchError.study(address.description, "a report row is malformed: \(r)")
            }
            var report = TrialReport(trial: trial, fidelity: fidelity, metrics: [:], reward: r[3].double, recordedAt: at)
            report.metrics = metrics
            return report
        }
    }

    public func acquireOwnership() throws -> StudyOwnership {
        try writable()
        return try Self.ownership(of: address)
    }

    /// A lease on `address`'s study: a session advisory lock on a connection of its own, held
    /// until released (or the process ends: the server then drops the connection and its lock).
    /// Ownership is per process, as for folder studies: leases taken in one process share one
    /// lock, dropped when the last is released.
    static func ownership(of address: PostgresAddress) throws -> StudyOwnership {
        let id = address.description
        heldLock.lock(); defer { heldLock.unlock() }
        if let entry = held[id] {
            held[id] = (entry.session, entry.study, entry.leases + 1)
            return lease(id)
        }
        held[id] = (try lockedSession(address), address.study, 1)
        return lease(id)
    }

    nonisolated(unsafe) private static var held: [String: (session: PostgresSession, study: String, leases: Int)] = [:]
    private static let heldLock = NSLock()

    private static func lease(_ id: String) -> StudyOwnership {
        StudyOwnership {
            heldLock.lock(); defer { heldLock.unlock() }
            guard let entry = held[id] else { return }
            if entry.leases > 1 {
                held[id] = (entry.session, entry.study, entry.leases - 1)
            } else {
                held[id] = nil
                // Unlock before closing: a closed connection's lock is dropped only when the
                // server notices the hang-up, which a next owner could race.
                _ = try? entry.session.query("SELECT pg_advisory_unlock(hashtext($1))", [ownerKey(entry.study)])
                entry.session.close()
            }
        }
    }

    /// The advisory-lock key owning a study (hashed by the server with `hashtext`).
    private static func ownerKey(_ study: String) -> SQLValue { .text("nasctl-owner:" + study) }

    /// A connection holding the study's advisory lock, or the refusal naming the holder (what
    /// another process gets).
    static func lockedSession(_ address: PostgresAddress) throws -> PostgresSession {
        let session = try PostgresSession(address, reconnectSeconds: 0)
        let key = ownerKey(address.study)
        guard try session.query("SELECT pg_try_advisory_lock(hashtext($1))", [key]).first?.first?.int == 1 else {
            let holder = try? session.query("""
                SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.objid::bigint = (hashtext($1)::bigint & 4294967295)
                """, [key]).first?.first?.text
            session.close()
            throw SearchError.study(address.description, "the study is in use by another nasctl process (\(holder ?? "holder unknown")); wait for it to finish, or use another study name")
        }
        return session
    }

    private func writable() throws {
        if readOnly { throw SearchError.study(address.description, "opened read-only (for reports); open it with `nasctl search --study` to add trials") }
    }
}
