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
/// Shared by many workers: there is no owner. A trial is claimed by the process that writes it
/// first (a claim token naming its pid and host) and every later write of it must carry that
/// claim; a worker keeps its running trials' heartbeats fresh (`heartbeat`), and one whose
/// heartbeat is older than a grace period is taken over by the next free worker under its
/// number (`claimAbandoned`). The presumed-dead worker's late result is then refused
/// (`SearchError.superseded`) instead of recorded twice. The budget is enforced by the claim
/// of trial numbers itself (`next_trial < budget` in the same `UPDATE`).
public final class PostgresStudyStore: StudyStore, @unchecked Sendable {
    public static let schemaVersion = 1
    public let address: PostgresAddress
    public let settings: StudySettings
    public var locator: StudyLocator { .postgres(address) }
    let session: PostgresSession
    private let readOnly: Bool
    /// This process's (this store's) claims: `pid@host/run`, shared by its claim tokens.
    private let processToken = "\(getpid())@\(ProcessInfo.processInfo.hostName)/\(UUID().uuidString.prefix(8))"
    /// Trial number → the claim token this store wrote it with (while it may still write it).
    private var claims: [Int: String] = [:]
    private let claimsLock = NSLock()

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
                                             next_finish BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                                             space_text TEXT, table_text TEXT)
                """, [])
            _ = try query("""
                CREATE TABLE nasctl_trials (study TEXT NOT NULL REFERENCES nasctl_studies(name), number BIGINT NOT NULL, key TEXT NOT NULL,
                    decisions TEXT NOT NULL, status TEXT NOT NULL, accuracy DOUBLE PRECISION, value DOUBLE PRECISION,
                    latency_ms DOUBLE PRECISION, reward DOUBLE PRECISION, macs BIGINT, params BIGINT, error TEXT,
                    started_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION, finish_order BIGINT, worker BIGINT NOT NULL,
                    parent BIGINT, fidelity DOUBLE PRECISION, failure_kind TEXT, secondary_values TEXT,
                    claim TEXT, heartbeat_at DOUBLE PRECISION, attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (study, number))
                """, [])
            // What every proposal asks: trials finished since a finish order, and unfinished ones.
            _ = try query("CREATE INDEX nasctl_trials_finished ON nasctl_trials (study, finish_order)", [])
            _ = try query("CREATE INDEX nasctl_trials_unfinished ON nasctl_trials (study, number) WHERE status IN ('running', 'interrupted', 'stale')", [])
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

    public func claimTrialNumber(below budget: Int) throws -> Int? {
        try writable()
        if let n = try session.query("UPDATE nasctl_studies SET next_trial = next_trial + 1 WHERE name = $1 AND next_trial < $2 RETURNING next_trial - 1",
                                     [.text(address.study), .int(budget)]).first?.first?.int {
            return n
        }
        guard try !session.query("SELECT 1 FROM nasctl_studies WHERE name = $1", [.text(address.study)]).isEmpty else {
            throw SearchError.study(address.description, "the study vanished from the database")
        }
        return nil
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

    /// Writes `t` under this store's claim on it (a new claim for a trial it has not written);
    /// refused with `SearchError.superseded` when another worker has claimed the trial since.
    private func upsert(_ t: TrialRecord, query: (String, [SQLValue]) throws -> [[SQLValue]]) throws {
        claimsLock.lock()
        let token = claims[t.number] ?? newToken()
        claims[t.number] = t.status.needsEvaluation || t.status == .paused ? token : nil
        claimsLock.unlock()
        let values: [SQLValue] = [.text(address.study), .int(t.number), .text(t.key), .text(t.decisions), .text(t.status.rawValue), t.accuracy.sql,
                                  t.value.sql, t.latencyMs.sql, t.reward.sql, t.macs.sql, t.params.sql, t.error.sql, .double(t.startedAt),
                                  t.finishedAt.sql, t.finishOrder.sql, .int(t.worker), t.parent.sql, t.fidelity.sql, t.failureKind.map { SQLValue.text($0.rawValue) } ?? .null,
                                  t.secondaryValues.sql, .text(token)]
        let placeholders = (1...values.count).map { "$\($0)" }.joined(separator: ", ")
        let updates = (Self.columns.split(separator: ",").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) } + ["claim", "heartbeat_at"])
            .map { "\($0) = EXCLUDED.\($0)" }
        let written = try query("""
            INSERT INTO nasctl_trials (study, \(Self.columns), claim, heartbeat_at) VALUES (\(placeholders), \(Self.now))
            ON CONFLICT (study, number) DO UPDATE SET \(updates.joined(separator: ", ")) WHERE nasctl_trials.claim IS NOT DISTINCT FROM EXCLUDED.claim
            RETURNING number
            """, values)
        if written.isEmpty {
            claimsLock.lock(); claims[t.number] = nil; claimsLock.unlock()
            throw SearchError.superseded(t.number, address.description)
        }
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

    /// Stores the space's YAML and the latency table's JSON (their digests are in the settings),
    /// so that `nasctl worker` on any machine runs the study as it was started. The first
    /// search to attach them wins; a resume with other files is refused by the digests first.
    public func attach(space: String, table: String?) throws {
        try writable()
        try session.query("UPDATE nasctl_studies SET space_text = COALESCE(space_text, $2), table_text = COALESCE(table_text, $3) WHERE name = $1",
                          [.text(address.study), .text(space), table.sql])
    }

    /// The space YAML and latency table JSON `attach` stored (nil: none).
    public func sharedFiles() throws -> (space: String?, table: String?) {
        let row = try session.query("SELECT space_text, table_text FROM nasctl_studies WHERE name = $1", [.text(address.study)]).first
        return (row?[0].text, row?[1].text)
    }

    /// Many processes work on a PostgreSQL study at once: nothing to own. (Trials are claimed
    /// one by one instead, and abandoned ones taken over; see `claimAbandoned`.)
    public func acquireOwnership() throws -> StudyOwnership {
        try writable()
        return StudyOwnership(releasing: {})
    }

    public var isShared: Bool { true }

    public func trials(finishedAfter order: Int) throws -> [TrialRecord] {
        try session.query("SELECT \(Self.columns) FROM nasctl_trials WHERE study = $1 AND finish_order > $2 ORDER BY finish_order",
                          [.text(address.study), .int(order)]).map(Self.record)
    }

    /// The server's clock in seconds (heartbeats are compared on one clock, whatever the
    /// workers' clocks say).
    static let now = "extract(epoch from clock_timestamp())"

    public func claimAbandoned(worker: Int, graceSeconds: Double) throws -> TrialRecord? {
        try writable()
        let token = newToken()
        let rows = try session.query("""
            UPDATE nasctl_trials SET status = 'running', claim = $2, worker = $3, heartbeat_at = \(Self.now), attempts = attempts + 1
            WHERE study = $1 AND number = (
                SELECT number FROM nasctl_trials WHERE study = $1 AND (status IN ('interrupted', 'stale')
                    OR (status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < \(Self.now) - $4)))
                ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING \(Self.columns)
            """, [.text(address.study), .text(token), .int(worker), .double(graceSeconds)])
        guard let row = rows.first else { return nil }
        let trial = try Self.record(row)
        claimsLock.lock(); claims[trial.number] = token; claimsLock.unlock()
        return trial
    }

    public func heartbeat() throws {
        try session.query("UPDATE nasctl_trials SET heartbeat_at = \(Self.now) WHERE study = $1 AND status = 'running' AND starts_with(claim, $2)",
                          [.text(address.study), .text(processToken + "/")])
    }

    public func unfinishedCount() throws -> Int {
        try session.query("SELECT count(*) FROM nasctl_trials WHERE study = $1 AND status IN ('running', 'interrupted', 'stale')",
                          [.text(address.study)]).first?.first?.int ?? 0
    }

    /// A claim token of this process: `pid@host/run` then a claim of its own.
    private func newToken() -> String { processToken + "/" + UUID().uuidString.prefix(8) }

    private func writable() throws {
        if readOnly { throw SearchError.study(address.description, "opened read-only (for reports); open it with `nasctl search --study` to add trials") }
    }
}
