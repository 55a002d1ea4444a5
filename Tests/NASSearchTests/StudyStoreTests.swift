import ChildProcessSupport
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
        // Migrated without touching a row, except the objective's value column (v3), filled
        // with the accuracy every older study optimised.
        let beforeWithValues = before.map { t -> TrialRecord in var t = t; t.value = t.accuracy; return t }
        #expect(before.allSatisfy { $0.value == nil })
        #expect(try store.trials() == beforeWithValues)
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        try WorkerLoop(space: space, strategy: RegularizedEvolution(space: space, population: 10, sample: 3), evaluator: table,
                       latency: { _ in nil }, reward: .soft(targetMs: 5), store: store, budget: 30, workers: 1, seed: 5).run()
        let after = try store.trials()
        #expect(after.count == 30)
        #expect(Array(after.prefix(29)) == Array(beforeWithValues.prefix(29)))
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

    /// A search killed between creating study.sqlite and committing its schema leaves a file
    /// with no tables: reading it says so (no raw SQLite error), and the search resumes it.
    @Test func aStudyKilledBeforeItsFirstCommitResumes() throws {
        let space = try nasbench201()
        let dir = temporaryDirectory("empty-study")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = try DatabaseQueue(path: dir + "/study.sqlite")  // an empty database file
        #expect { try SQLiteStudyStore(existing: dir) } throws: { "\($0)".contains("no settings yet") }
        let store = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 10))
        #expect(try store.trials().isEmpty)
        #expect(try SQLiteStudyStore(existing: dir).settings == store.settings)
    }

    @Test func oneOwnerAtATime() throws {
        let space = try nasbench201()
        let dir = temporaryDirectory("owner")
        let store = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 10))
        // Another process holds the lock (util-linux flock, as a second nasctl would).
        let holder = try ChildProcess("/usr/bin/flock", ["--exclusive", "--close", dir + "/study.lock", "sleep", "3"])
        defer { _ = holder.waitOrKill(seconds: 0) }
        var held = false
        for _ in 0..<1000 where !held { held = FileManager.default.fileExists(atPath: dir + "/study.lock") && flockHeld(dir + "/study.lock"); usleep(10_000) }
        #expect(held, "flock did not take the lock")
        try "pid \(holder.pid) on test-host, since now\n".write(toFile: dir + "/study.lock", atomically: false, encoding: .utf8)
        var refused = false
        do { try store.acquireOwnership().release() } catch { refused = "\(error)".contains("in use by another nasctl process (pid \(holder.pid) on test-host") }
        #expect(refused)
        // A search on the owned study is refused before it proposes anything.
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: false), space: space, source: "t.csv")
        let loop = try WorkerLoop(space: space, strategy: RandomSearch(space: space), evaluator: table, latency: { _ in nil },
                                  reward: .soft(targetMs: 5), store: store, budget: 10, workers: 1, seed: 1)
        #expect { try loop.run() } throws: { "\($0)".contains("in use by another nasctl process") }
        #expect(try store.trials().isEmpty)
        // The holder dies: its lock goes with it, and the study can be owned again.
        _ = holder.waitOrKill(seconds: 0)
        try loop.run()
        #expect(try store.trials().count == 10)
    }

    @Test func leasesInOneProcessShareTheLock() throws {
        let dir = temporaryDirectory("lease")
        let locator = StudyLocator.folder(dir)
        let a = try locator.acquireOwnership(), b = try locator.acquireOwnership()
        #expect(try String(contentsOfFile: dir + "/study.lock", encoding: .utf8).hasPrefix("pid \(getpid()) on "))
        a.release()
        #expect(flockHeld(dir + "/study.lock"))
        b.release()
        #expect(!flockHeld(dir + "/study.lock"))
    }

    /// True when another open file description cannot take the lock.
    func flockHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDWR)
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
        return true
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

    @Test func resultsAreCommittedWithSynchronousFull() throws {
        let space = try nasbench201()
        let store = try SQLiteStudyStore(directory: temporaryDirectory("durable"), settings: settings(space, budget: 10))
        #expect(try store.resultSynchronousLevel() == 2)  // FULL
        try store.begin(TrialRecord(number: 0, key: "k", decisions: "[]", status: .running, startedAt: 0, worker: 0))
        #expect(try store.resultSynchronousLevel() == 2)  // back to FULL after a running row
    }

    @Test func locatorsTakeFoldersAndPostgreSQLURLsOnly() throws {
        #expect(try StudyLocator(parsing: "runs/a") == .folder("runs/a"))
        #expect(try StudyLocator(parsing: "/tmp/x://y") == .folder("/tmp/x://y"))
        #expect(try StudyLocator(parsing: "postgresql://u@h/db?study=s").description == "postgresql://u@h:5432/db?study=s")
        #expect { try StudyLocator(parsing: "redis://u@h/db") } throws: { "\($0)".contains("'redis://' studies are not supported") }
        #expect { try StudyLocator(parsing: "") } throws: { "\($0)".contains("--study needs a folder") }
    }
}
