import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

@Suite struct SearcherTests {
    func run(_ space: SearchSpace, table: any Evaluator, strategy: any SearchStrategy, budget: Int, workers: Int = 1,
             seed: UInt64 = 1, directory: String) throws -> [TrialRecord] {
        let study = try SQLiteStudyStore(directory: directory, settings: settings(space, strategy: strategy.name, budget: budget, seed: seed))
        let searcher = try WorkerLoop(space: space, strategy: strategy, evaluator: table, latency: { _ in nil }, reward: .soft(targetMs: 5),
                                    store: study, budget: budget, workers: workers, seed: seed)
        try searcher.run()
        return try study.trials()
    }

    @Test func oneWorkerWithASeedIsExactlyReproducible() throws {
        let space = try nasbench201()
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        let evolution = RegularizedEvolution(space: space, population: 10, sample: 3)
        let a = try run(space, table: table, strategy: evolution, budget: 60, directory: temporaryDirectory("a"))
        let b = try run(space, table: table, strategy: evolution, budget: 60, directory: temporaryDirectory("b"))
        #expect(a.count == 60)
        #expect(a.map(\.key) == b.map(\.key))
        #expect(a.map(\.parent) == b.map(\.parent))
        let c = try run(space, table: table, strategy: evolution, budget: 60, seed: 2, directory: temporaryDirectory("c"))
        #expect(a.map(\.key) != c.map(\.key))
    }

    @Test func evolutionMutatesTheTournamentWinnerAfterThePopulationFills() throws {
        let space = try nasbench201()
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        let trials = try run(space, table: table, strategy: RegularizedEvolution(space: space, population: 10, sample: 3), budget: 80,
                             directory: temporaryDirectory("evo"))
        #expect(trials.prefix(10).allSatisfy { $0.parent == nil })
        let byNumber = Dictionary(uniqueKeysWithValues: trials.map { ($0.number, $0) })
        for child in trials.dropFirst(10) {
            let parent = try #require(child.parent.flatMap { byNumber[$0] })
            #expect(zip(parent.values, child.values).filter { $0 != $1 }.count == 1)
        }
        // It climbs: the best of the last 40 beats the best of the random first 10.
        let firstBest = trials.prefix(10).compactMap(\.reward).max()!
        #expect(trials.suffix(40).compactMap(\.reward).max()! > firstBest)
    }

    @Test func asynchronousWorkersStopExactlyAtTheBudget() throws {
        let space = try nasbench201()
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: false), space: space, source: "t.csv")
        // 2 ms per evaluation: an instant one lets a single worker take every trial on a busy machine.
        let trials = try run(space, table: SlowEvaluator(base: table, seconds: 0.002), strategy: RandomSearch(space: space), budget: 50, workers: 3,
                             directory: temporaryDirectory("async"))
        #expect(trials.count == 50)
        #expect(Set(trials.map(\.number)) == Set(0..<50))
        #expect(trials.allSatisfy { $0.status == .done || $0.status == .cached })
        #expect(Set(trials.map(\.worker)).count > 1)
    }

    @Test func repeatedProposalsReuseTheResultAndCountAsCycles() throws {
        let space = try SearchSpace.parse(yaml: "name: two\nkind: categorical\ndecisions: {a: [x, y]}")
        let table = try TableEvaluator(csv: "a,accuracy\nx,0.4\ny,0.6\n", space: space, source: "t.csv")
        let trials = try run(space, table: table, strategy: RandomSearch(space: space), budget: 20, directory: temporaryDirectory("dup"))
        #expect(trials.count == 20)
        #expect(trials.filter { $0.status == .done }.count == 2)
        for t in trials where t.status == .cached { #expect(t.accuracy == (t.key == "x" ? 0.4 : 0.6)) }
    }

    @Test func resumeReRunsLeftoversAndReachesTheBudget() throws {
        let space = try nasbench201()
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        let dir = temporaryDirectory("resume")
        let evolution = RegularizedEvolution(space: space, population: 10, sample: 3)
        let first = try run(space, table: table, strategy: evolution, budget: 25, directory: dir)
        // Simulate a crash: trial 24 was still running when the process died.
        let study = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 40), forceResume: true)
        var leftover = first.last!
        leftover.status = .running; leftover.accuracy = nil; leftover.reward = nil; leftover.finishedAt = nil; leftover.finishOrder = nil
        try study.finish(leftover)
        let searcher = try WorkerLoop(space: space, strategy: evolution, evaluator: table, latency: { _ in nil }, reward: .soft(targetMs: 5),
                                    store: study, budget: 40, workers: 1, seed: 1)
        try searcher.run()
        let all = try study.trials()
        #expect(all.count == 40)
        #expect(Set(all.map(\.number)).count == 40)
        #expect(all.allSatisfy { $0.status != .running })
        for old in first.dropLast() { #expect(all[old.number] == old) }  // nothing finished was lost or changed
        #expect(all[24].key == leftover.key)
    }

    @Test func resumingWithOtherSettingsIsRefused() throws {
        let space = try nasbench201()
        let dir = temporaryDirectory("mismatch")
        _ = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 10, seed: 1))
        #expect { try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 10, seed: 2)) } throws: { error in
            "\(error)".contains("seed: study has 1, now 2") && "\(error)".contains("--force-resume")
        }
        _ = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 10, seed: 2), forceResume: true)
    }

    @Test func resumingAgainstAnotherLatencyTableIsRefused() throws {
        let space = try nasbench201()
        let dir = temporaryDirectory("digest")
        var first = settings(space, budget: 10)
        first.table = "LatencyTables/x.json"
        first.tableDigest = "0123456789abcdef"
        _ = try SQLiteStudyStore(directory: dir, settings: first)
        var changed = first
        changed.tableDigest = "fedcba9876543210"
        #expect { try SQLiteStudyStore(directory: dir, settings: changed) } throws: { error in
            "\(error)".contains("table digest (its content): study has 0123456789abcdef, now fedcba9876543210") && "\(error)".contains("--force-resume")
        }
        // A study from before digests (none recorded) resumes with one.
        let old = temporaryDirectory("nodigest")
        var undigested = first
        undigested.tableDigest = nil
        _ = try SQLiteStudyStore(directory: old, settings: undigested)
        #expect(try SQLiteStudyStore(directory: old, settings: first).settings.tableDigest == first.tableDigest)  // learnt on resume
        #expect(throws: SearchError.self) { try SQLiteStudyStore(directory: old, settings: changed) }  // and then compared
    }

    @Test func failedTrialsAreRecordedWithTheirReason() throws {
        let space = try SearchSpace.parse(yaml: "name: two\nkind: categorical\ndecisions: {a: [x, y, z]}")
        let dir = temporaryDirectory("fail")
        let evaluator = try CommandEvaluator(command: #"grep -q '"x"' "$NASCTL_ARCH" && exit 4; echo '{"accuracy": 0.5}'; :"#, timeoutSeconds: 10,
                                             space: space, workDirectory: URL(fileURLWithPath: dir).appendingPathComponent("eval"))
        let study = try SQLiteStudyStore(directory: dir, settings: settings(space, strategy: "random", budget: 12))
        let searcher = try WorkerLoop(space: space, strategy: RandomSearch(space: space), evaluator: evaluator, latency: { _ in nil },
                                    reward: .soft(targetMs: 5), store: study, budget: 12, workers: 2, seed: 3)
        try searcher.run()
        let trials = try study.trials()
        #expect(trials.count == 12)
        let failed = trials.filter { $0.status == .failed }
        #expect(failed.count == 1 && failed[0].key == "x")
        #expect(failed[0].error == "exit status 4", "\(failed[0].error ?? "")")
        let report = StudyReport(space: space, settings: study.settings, trials: trials)
        #expect(report.failedCount == 1)
        #expect(report.best?.key != "x")
    }
}

@Suite struct ReportTests {
    @Test func reportsAreWrittenAndBestIsUsableAsAnArchitecture() throws {
        let space = try nasbench201()
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        let dir = temporaryDirectory("report")
        let study = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 60))
        try WorkerLoop(space: space, strategy: RegularizedEvolution(space: space, population: 10, sample: 3), evaluator: table,
                     latency: { _ in nil }, reward: .soft(targetMs: 5), store: study, budget: 60, workers: 1, seed: 1).run()
        let report = StudyReport(space: space, settings: study.settings, trials: try study.trials())
        try report.write(to: dir)
        let trialsCSV = try String(contentsOfFile: dir + "/trials.csv", encoding: .utf8).split(separator: "\n")
        #expect(trialsCSV.count == 61)
        #expect(trialsCSV[0].hasPrefix("trial,key,status,accuracy,latency_ms,reward"))
        let paretoCSV = try String(contentsOfFile: dir + "/pareto.csv", encoding: .utf8).split(separator: "\n")
        #expect(paretoCSV[0] == "trial,key,accuracy,latency_ms,reward,params,macs,final_test_accuracy,edge0,edge1,edge2,edge3,edge4,edge5")
        #expect(paretoCSV.count - 1 == report.front.count && report.front.count >= 1)
        let svg = try String(contentsOfFile: dir + "/pareto.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("latency (ms)") && svg.contains("accuracy (fraction)") && svg.contains("target 5 ms"))
        let best = try Architecture.load(file: dir + "/best.json", space: space)
        #expect(best.key(in: space) == report.best?.key)
        let summary = report.summary(studyDirectory: dir)
        #expect(summary.trials == 60 && summary.pareto_size == report.front.count && summary.hypervolume > 0)
        #expect(summary.paretoDescription.hasPrefix("\(report.front.count) models, hypervolume"))
    }

    /// A study without latency says why it has no front instead of "0 models ... up to 2.0 ms".
    @Test func aStudyWithoutLatencyHasNoFrontAndSaysWhy() throws {
        let space = try nasbench201()
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: false), space: space, source: "t.csv")
        let store = try SQLiteStudyStore(directory: temporaryDirectory("nolatency"), settings: settings(space, strategy: "random", budget: 10))
        let empty = StudyReport(space: space, settings: store.settings, trials: []).summary(studyDirectory: "x")
        #expect(empty.paretoDescription == "none yet (no trial evaluated)")
        try WorkerLoop(space: space, strategy: RandomSearch(space: space), evaluator: table, latency: { _ in nil }, reward: .soft(targetMs: 5),
                       store: store, budget: 10, workers: 1, seed: 1).run()
        let report = StudyReport(space: space, settings: store.settings, trials: try store.trials())
        let summary = report.summary(studyDirectory: "x")
        #expect(summary.evaluated == 10 && summary.pareto_size == 0)
        #expect(summary.paretoDescription.hasPrefix("none (no evaluated trial has a latency"))
        #expect(HTMLReport(report: report).html().contains(summary.paretoDescription))
    }
}
