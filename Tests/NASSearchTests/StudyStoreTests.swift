import Foundation
import GRDB
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

/// The SQLite store: schema versions, a wave-1 study opened and resumed, one owner at a time,
/// study locators.
@Suite struct StudyStoreTests {
    /// A study folder whose `study.sqlite` is the wave-1 file in `Fixtures/study-v1.sql`: 30
    /// trials of an evolution search (seed 5), trial 29 left running by a crash.
    func waveOneStudy() throws -> String {
        let dir = temporaryDirectory("v1")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let dump = try String(contentsOfFile: repositoryRoot.appendingPathComponent("Tests/NASSearchTests/Fixtures/study-v1.sql").path, encoding: .utf8)
        let db = try DatabaseQueue(path: dir + "/study.sqlite")
        try db.writeWithoutTransaction { db in try db.execute(sql: dump) }
        return dir
    }

    @Test func aWaveOneStudyIsMigratedAndResumes() throws {
        let dir = try waveOneStudy()
        let space = try nasbench201()
        let before = try SQLiteStudyStore(existing: dir).trials()
        #expect(before.count == 30 && before[29].status == .running)
        #expect(try SQLiteStudyStore(existing: dir).storedSchemaVersion() == 1)

        let store = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 30, seed: 5))
        #expect(try store.storedSchemaVersion() == SQLiteStudyStore.schemaVersion)
        #expect(store.settings.scheduler == "none")
        #expect(try store.trials() == before)  // migrated without touching a row
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        try WorkerLoop(space: space, strategy: RegularizedEvolution(space: space, population: 10, sample: 3), evaluator: table,
                       latency: { _ in nil }, reward: .soft(targetMs: 5), store: store, budget: 30, workers: 1, seed: 5).run()
        let after = try store.trials()
        #expect(after.count == 30)
        #expect(Array(after.prefix(29)) == Array(before.prefix(29)))
        #expect(after[29].status == .done && after[29].key == before[29].key && after[29].reward != nil)
        #expect(after[29].finishOrder == before.compactMap(\.finishOrder).max()! + 1)
        // Opening it again migrates nothing twice.
        _ = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 30, seed: 5))
    }

    @Test func aWaveOneStudyCanBeReportedWithoutBeingChanged() throws {
        let dir = try waveOneStudy()
        let store = try SQLiteStudyStore(existing: dir)
        #expect(try store.reports().isEmpty)
        #expect(try store.trials().allSatisfy { $0.fidelity == nil && $0.failureKind == nil })
        #expect { try store.begin(store.trials()[0]) } throws: { "\($0)".contains("read-only") }
        #expect(try store.storedSchemaVersion() == 1)
    }

    @Test func oneOwnerAtATime() throws {
        let space = try nasbench201()
        let dir = temporaryDirectory("owner")
        let first = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 10))
        let second = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 10))
        let lease = try first.acquireOwnership()
        #expect { try second.acquireOwnership() } throws: { error in
            "\(error)".contains("in use by another nasctl process") && "\(error)".contains("pid \(getpid())")
        }
        // A search on the owned study is refused before it proposes anything.
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: false), space: space, source: "t.csv")
        let loop = try WorkerLoop(space: space, strategy: RandomSearch(space: space), evaluator: table, latency: { _ in nil },
                                  reward: .soft(targetMs: 5), store: second, budget: 10, workers: 1, seed: 1)
        #expect { try loop.run() } throws: { "\($0)".contains("in use") }
        #expect(try second.trials().isEmpty)
        lease.release()
        try loop.run()
        #expect(try second.trials().count == 10)
    }

    @Test func theStoreNumbersTrialsAndOrdersFinishes() throws {
        let space = try nasbench201()
        let store = try SQLiteStudyStore(directory: temporaryDirectory("numbers"), settings: settings(space, budget: 10))
        #expect(try (0..<3).map { _ in try store.claimTrialNumber() } == [0, 1, 2])
        let running = TrialRecord(number: 1, key: "k", decisions: "[]", status: .running, startedAt: 0, worker: 0)
        try store.begin(running)
        #expect(try store.finish(running).finishOrder == nil)  // still running: no finish order
        var done = running
        done.status = .done
        #expect(try store.finish(done).finishOrder == 0)
        var other = running
        other.number = 2; other.status = .failed; other.failureKind = .transient
        #expect(try store.finish(other).finishOrder == 1)
        let reopened = try SQLiteStudyStore(directory: store.directory, settings: settings(space, budget: 10))
        #expect(try reopened.claimTrialNumber() == 3)
        #expect(try reopened.trials().map(\.failureKind) == [nil, .transient])
        try reopened.report(TrialReport(trial: 2, fidelity: 1, metrics: ["accuracy": 0.5], reward: 0.4, recordedAt: 1))
        #expect(try reopened.reports().map(\.metricValues) == [["accuracy": 0.5]])
    }

    @Test func locatorsTakeFoldersAndRefuseURLs() throws {
        #expect(try StudyLocator(parsing: "runs/a") == .folder("runs/a"))
        #expect(try StudyLocator(parsing: "/tmp/x://y") == .folder("/tmp/x://y"))
        #expect { try StudyLocator(parsing: "postgresql://u@h/db?study=s") } throws: { "\($0)".contains("'postgresql://' studies are not supported") }
        #expect { try StudyLocator(parsing: "") } throws: { "\($0)".contains("--study needs a folder") }
    }
}
