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

    @Test func oneOwnerAtATimeNamedInTheRefusal() throws {
        let address = try testPostgresAddress("owner")
        _ = try PostgresStudyStore(address: address, settings: settings(try nasbench201(), budget: 1))
        let lease = try PostgresStudyStore.ownership(of: address)
        let again = try PostgresStudyStore.ownership(of: address)  // the same process: shared
        // Another connection (another process) is refused, naming the holder.
        #expect { try PostgresStudyStore.lockedSession(address) } throws: { "\($0)".contains("in use by another nasctl process (nasctl pid \(getpid())") }
        lease.release()
        #expect(throws: SearchError.self) { try PostgresStudyStore.lockedSession(address) }  // one lease still held
        again.release()
        try PostgresStudyStore.lockedSession(address).close()
    }
}
