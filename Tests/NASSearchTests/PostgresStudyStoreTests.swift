import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

/// The PostgreSQL server the tests use (scripts/test-postgres.sh starts one and sets this).
let testPostgresURL = ProcessInfo.processInfo.environment["NASCTL_TEST_POSTGRES"]

/// A fresh study name on the test server.
func testPostgresAddress(_ name: String) throws -> PostgresAddress {
    try PostgresAddress(parsing: "\(testPostgresURL!)?study=\(name)-\(UUID().uuidString.prefix(8))")
}

@Suite struct PostgresAddressTests {
    @Test func urlsAreReadOrRefusedWithTheirForm() throws {
        let a = try PostgresAddress(parsing: "postgresql://ann:secret@db.lab:6543/nas?study=run_1")
        #expect(a.user == "ann" && a.password == "secret" && a.host == "db.lab" && a.port == 6543 && a.database == "nas" && a.study == "run_1")
        #expect(a.description == "postgresql://ann@db.lab:6543/nas?study=run_1")  // no password in messages
        #expect(try PostgresAddress(parsing: "postgres://ann@h/nas?study=s").port == 5432)
        #expect(try StudyLocator(parsing: "postgresql://ann@h/nas?study=s") == .postgres(try PostgresAddress(parsing: "postgresql://ann@h/nas?study=s")))
        for (text, words) in [("postgresql://ann@h/nas", "no study"), ("postgresql://h/nas?study=s", "no user"), ("postgresql://ann@h/?study=s", "no database"),
                              ("postgresql://ann@h/nas?study=a b", "letters, digits"), ("postgresql://ann@h/nas?study=s&x=1", "unknown URL parameter 'x'"),
                              ("mysql://ann@h/nas?study=s", "'mysql://' studies are not supported")] {
            #expect { try StudyLocator(parsing: text) } throws: { "\($0)".contains(words) }
        }
    }
}

@Suite(.serialized, .enabled(if: testPostgresURL != nil, "needs a PostgreSQL server: run under scripts/test-postgres.sh"))
struct PostgresStudyStoreTests {
    @Test func recordsRoundTripAndSettingsAreChecked() throws {
        let space = try nasbench201()
        let address = try testPostgresAddress("roundtrip")
        let s = settings(space, budget: 10)
        let store = try PostgresStudyStore(address: address, settings: s)
        #expect(try store.trials().isEmpty && store.settings == s)
        let n = try store.claimTrialNumber()
        var t = TrialRecord(number: n, key: "k", decisions: TrialRecord.encode(values: ["a"]), status: .running, startedAt: 1.5, worker: 0)
        try store.begin(t)
        t.status = .done; t.accuracy = 0.5; t.latencyMs = 2; t.reward = 0.49; t.finishedAt = 2.5; t.fidelity = 3; t.parent = 7
        let finished = try store.finish(t)
        #expect(finished.finishOrder == 0)
        try store.report(TrialReport(trial: n, fidelity: 3, metrics: ["accuracy": 0.5], reward: 0.49, recordedAt: 2))
        let back = try PostgresStudyStore(existing: address)
        #expect(try back.trials() == [finished])
        #expect(try back.reports().map(\.metricValues) == [["accuracy": 0.5]])
        #expect(throws: SearchError.self) { try back.claimTrialNumber() }  // read-only
        var other = s
        other.seed = 99
        #expect { try PostgresStudyStore(address: address, settings: other) } throws: { "\($0)".contains("seed: study has 1, now 99") }
        #expect(try PostgresStudyStore(address: address, settings: other, forceResume: true).settings.seed == 99)
        #expect { try PostgresStudyStore(existing: try testPostgresAddress("absent")) } throws: { "\($0)".contains("no study") }
    }

    /// Two stores (two connections, as two machines would have) claiming from four threads
    /// each: 400 numbers, none twice, none skipped.
    @Test func concurrentClaimsNeverHandOutANumberTwice() throws {
        let space = try nasbench201()
        let address = try testPostgresAddress("claims")
        let stores = try (0..<2).map { _ in try PostgresStudyStore(address: address, settings: settings(space, budget: 400)) }
        let lock = NSLock()
        nonisolated(unsafe) var numbers: [Int] = []
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            for _ in 0..<50 {
                guard let n = try? stores[i % 2].claimTrialNumber() else { continue }
                lock.lock(); numbers.append(n); lock.unlock()
            }
        }
        #expect(numbers.sorted() == Array(0..<400))
    }

    /// One seeded worker gives the same trials on PostgreSQL as on SQLite.
    @Test func theSameSearchOnBothStoresGivesTheSameTrials() throws {
        let space = try nasbench201()
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        func outline(_ store: any StudyStore) throws -> [String] {
            try WorkerLoop(space: space, strategy: RegularizedEvolution(space: space, population: 10, sample: 3), evaluator: table,
                           latency: { _ in nil }, reward: .soft(targetMs: 5), store: store, budget: 40, workers: 1, seed: 3).run()
            return try store.trials().map { "\($0.number) \($0.key) \($0.status) \($0.reward ?? -1) \($0.finishOrder ?? -1) \($0.parent ?? -1)" }
        }
        let sqlite = try outline(SQLiteStudyStore(directory: temporaryDirectory("pg-vs-sqlite"), settings: settings(space, budget: 40, seed: 3)))
        let postgres = try outline(PostgresStudyStore(address: try testPostgresAddress("same"), settings: settings(space, budget: 40, seed: 3)))
        #expect(sqlite.count == 40 && postgres == sqlite)
    }

    /// The claim of trial numbers is the budget: 8 threads on two connections racing for 100
    /// numbers get exactly 0..<100 between them, then nil, never more.
    @Test func theBudgetHoldsUnderRaces() throws {
        let space = try nasbench201()
        let address = try testPostgresAddress("budget")
        let stores = try (0..<2).map { _ in try PostgresStudyStore(address: address, settings: settings(space, budget: 100)) }
        let lock = NSLock()
        nonisolated(unsafe) var numbers: [Int] = []
        nonisolated(unsafe) var refusals = 0
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            for _ in 0..<40 {
                let claimed: Int?
                do { claimed = try stores[i % 2].claimTrialNumber(below: 100) } catch { continue }
                lock.lock()
                if let n = claimed { numbers.append(n) } else { refusals += 1 }
                lock.unlock()
            }
        }
        #expect(numbers.sorted() == Array(0..<100) && refusals == 8 * 40 - 100)
    }

    /// A running trial whose heartbeat stops is taken over after the grace period, exactly once,
    /// under its number; the first worker's late result is refused, and its heartbeats no longer
    /// touch the trial.
    @Test func aStaleTrialIsTakenOverOnceAndTheLateResultDiscarded() throws {
        let space = try nasbench201()
        let address = try testPostgresAddress("stale")
        let first = try PostgresStudyStore(address: address, settings: settings(space, budget: 5))
        let second = try PostgresStudyStore(address: address, settings: settings(space, budget: 5))
        let n = try #require(try first.claimTrialNumber(below: 5))
        var t = TrialRecord(number: n, key: "k", decisions: TrialRecord.encode(values: ["a"]), status: .running, startedAt: 1, worker: 0)
        try first.begin(t)
        #expect(try second.claimAbandoned(worker: 1, graceSeconds: 0.6) == nil)  // fresh heartbeat
        #expect(try first.unfinishedCount() == 1)
        usleep(900_000)
        let taken = try #require(try second.claimAbandoned(worker: 1, graceSeconds: 0.6))
        #expect(taken.number == n && taken.status == .running && taken.worker == 1)
        #expect(try second.claimAbandoned(worker: 1, graceSeconds: 0.6) == nil)  // taken once, with a fresh heartbeat
        try first.heartbeat()  // the presumed-dead worker wakes up: its heartbeat no longer counts
        usleep(900_000)
        #expect(try PostgresStudyStore(address: address, settings: settings(space, budget: 5)).claimAbandoned(worker: 2, graceSeconds: 0.6)?.number == n,
                "the first worker's heartbeat kept a trial it no longer holds alive")
        t.status = .done; t.accuracy = 0.5; t.reward = 0.5; t.finishedAt = 2
        #expect { try first.finish(t) } throws: { "\($0)".contains("trial \(n) was taken over by another worker") }
        #expect(try first.trials().first?.status == .running)
        let attempts = try first.session.query("SELECT attempts FROM nasctl_trials WHERE study = $1 AND number = $2", [.text(address.study), .int(n)])
        #expect(attempts.first?.first?.int == 2)
    }

    /// Heartbeats keep a slow trial with its worker however long it runs.
    @Test func heartbeatsKeepASlowTrialAlive() throws {
        let space = try nasbench201()
        let address = try testPostgresAddress("alive")
        let worker = try PostgresStudyStore(address: address, settings: settings(space, budget: 5))
        let other = try PostgresStudyStore(address: address, settings: settings(space, budget: 5))
        let n = try #require(try worker.claimTrialNumber(below: 5))
        try worker.begin(TrialRecord(number: n, key: "k", decisions: TrialRecord.encode(values: ["a"]), status: .running, startedAt: 1, worker: 0))
        for _ in 0..<12 {  // 3 s, twice the grace period
            usleep(250_000)
            try worker.heartbeat()
            #expect(try other.claimAbandoned(worker: 1, graceSeconds: 1.5) == nil)
        }
    }

    /// Two worker loops on two connections (as two machines) share one study: the budget
    /// exactly, every trial once, and evolution's children have parents the other worker ran.
    @Test func twoWorkersShareOneStudyAsOnePopulation() throws {
        let space = try nasbench201()
        let address = try testPostgresAddress("two")
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        let slow = SlowEvaluator(base: table, seconds: 0.02)
        let loops = try (0..<2).map { _ in
            try WorkerLoop(space: space, strategy: RegularizedEvolution(space: space, population: 6, sample: 3), evaluator: slow,
                           latency: { _ in nil }, reward: .soft(targetMs: 5),
                           store: try PostgresStudyStore(address: address, settings: settings(space, budget: 60)),
                           budget: 60, workers: 1, seed: 3, heartbeatSeconds: 0.5)
        }
        nonisolated(unsafe) var errors: [String] = []
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            do { try loops[i].run() } catch { lock.lock(); errors.append("\(error)"); lock.unlock() }
        }
        #expect(errors.isEmpty, "\(errors)")
        let store = try PostgresStudyStore(existing: address)
        let trials = try store.trials()
        #expect(trials.map(\.number) == Array(0..<60))
        #expect(trials.allSatisfy { $0.status == .done || $0.status == .cached })
        let rows = try store.session.query("SELECT number, split_part(claim, '/', 2) FROM nasctl_trials WHERE study = $1", [.text(address.study)])
        var runBy: [Int: String] = [:]
        for r in rows { runBy[r[0].int!] = r[1].text! }
        #expect(Set(runBy.values).count == 2, "one worker ran everything")
        let crossed = trials.filter { t in t.parent.map { runBy[$0] != runBy[t.number] } ?? false }
        #expect(!crossed.isEmpty, "no child of the other worker's trial: the population was not shared")
    }
}
