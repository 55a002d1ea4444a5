import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

/// Several objectives from the evaluator (`--objective` more than once) on a space without
/// latency: the table reads each column, trials record each value, NSGA-II ranks by all of them,
/// the study's front is the non-dominated set and a stopped search resumes as if uninterrupted.
@Suite struct SecondaryObjectiveTests {
    /// Four decisions of four widths: `mse` falls and `size` grows with the total width, with
    /// seeded noise so that the trade-off has a ragged front.
    static let space = try! SearchSpace.parse(yaml: "name: mlp\nkind: decisions\ndecisions: {a: {ordinal: [8, 16, 32, 64]}, b: {ordinal: [8, 16, 32, 64]}, c: {ordinal: [8, 16, 32, 64]}, act: [relu, tanh, elu, gelu]}")
    static let mse = Objective(name: "mse", direction: .minimize), size = Objective(name: "size", direction: .minimize)

    static func tableCSV() -> String {
        var rng = SplitMix64(seed: 7)
        var lines = ["a,b,c,act,mse,size"]
        for a in [8, 16, 32, 64] { for b in [8, 16, 32, 64] { for c in [8, 16, 32, 64] { for act in ["relu", "tanh", "elu", "gelu"] {
            let width = Double(a + b + c)
            let mse = 1 / width + Double(abs(rng.uniform(1))) * 0.004
            lines.append("\(a),\(b),\(c),\(act),\(mse),\(a * b + b * c + c)")
        } } } }
        return lines.joined(separator: "\n") + "\n"
    }

    static func table() throws -> TableEvaluator {
        try TableEvaluator(csv: tableCSV(), space: space, source: "mlp.csv", objective: mse, secondary: [size])
    }

    static func studySettings(budget: Int) -> StudySettings {
        var s = settings(space, strategy: "nsga2", budget: budget)
        s.objective = mse
        s.secondaryObjectives = [size]
        return s
    }

    @Test func theTableReadsEverySecondaryColumnAndNamesMissingOnes() throws {
        let table = try Self.table()
        let e = table.evaluate(EvaluationRequest(arch: Architecture(spaceName: "mlp", values: ["16", "32", "8", "tanh"]), trial: 0))
        #expect(e.metrics["size"] == Double(16 * 32 + 32 * 8 + 8))
        #expect(e.metrics["mse"] != nil && e.metrics.count == 2)
        #expect(throws: SearchError.self) {
            try TableEvaluator(csv: Self.tableCSV(), space: Self.space, source: "mlp.csv", objective: Self.mse, secondary: [Objective(name: "flops", direction: .minimize)])
        }
        do {
            _ = try TableEvaluator(csv: "a,b,c,act,mse,size\n8,8,8,relu,0.1,many\n", space: Self.space, source: "bad.csv", objective: Self.mse, secondary: [Self.size])
            Issue.record("accepted a non-number")
        } catch {
            #expect("\(error)".contains("bad.csv:2:") && "\(error)".contains("size 'many' is not a number"), "\(error)")
        }
    }

    @Test func nsga2SearchRecordsBothAndTheFrontIsTheNonDominatedSet() throws {
        let store = try SQLiteStudyStore(directory: temporaryDirectory("secondary"), settings: Self.studySettings(budget: 60))
        try WorkerLoop(space: Self.space, strategy: NSGA2(space: Self.space, population: 10), evaluator: try Self.table(), latency: { _ in nil },
                       reward: .soft(targetMs: 1), store: store, budget: 60, workers: 1, seed: 4).run()
        let trials = try store.trials()
        let done = trials.filter { $0.status == .done }
        #expect(trials.count == 60 && done.count > 40)
        let table = try Self.table()
        for t in done {
            let e = table.evaluate(EvaluationRequest(arch: Architecture(spaceName: "mlp", values: t.values), trial: t.number))
            #expect(t.value == e.metrics["mse"] && t.secondary == ["size": e.metrics["size"]!])
            #expect(t.reward == -t.value!)  // a minimised objective's reward is its negation
        }
        // The front, checked pair by pair (not with the ranking code under test).
        let report = StudyReport(space: Self.space, settings: store.settings, trials: trials)
        func dominated(_ t: TrialRecord) -> Bool {
            done.contains { o in
                o.value! <= t.value! && o.secondary["size"]! <= t.secondary["size"]! && (o.value! < t.value! || o.secondary["size"]! < t.secondary["size"]!)
            }
        }
        #expect(Set(report.front.map(\.number)) == Set(done.filter { !dominated($0) }.map(\.number)))
        #expect(report.front.count >= 2)
        #expect(report.front.map { $0.secondary["size"]! } == report.front.map { $0.secondary["size"]! }.sorted())
        #expect(report.horizontalAxis == Self.size)
        // Reports name both objectives.
        #expect(report.trialsCSV().hasPrefix("trial,key,status,mse,size,accuracy,"))
        #expect(report.paretoCSV().split(separator: "\n").count == report.front.count + 1)
        let svg = ParetoPlot(report: report).svg()
        #expect(svg.contains("mse against size") && svg.contains("size (lower is better)") && !svg.contains("target "))
        #expect(svg.components(separatedBy: "class=\"trial\"").count - 1 == done.count)
        let summary = report.summary(studyDirectory: "x")
        #expect(summary.secondary_objectives == [Self.size] && summary.best?.secondary?["size"] != nil)
    }

    /// NSGA-II ranks members by both evaluator objectives: a member better in size only
    /// survives beside one better in mse only.
    @Test func nsga2PointsAreEveryObjective() {
        let arch = Architecture(spaceName: "mlp", values: ["8", "8", "8", "relu"])
        let members = [(0.1, 500.0), (0.2, 100.0), (0.3, 600.0)].enumerated().map { i, p in
            Member(trial: i, arch: arch, reward: -p.0, objectives: [ObjectiveValue(Self.mse, p.0), ObjectiveValue(Self.size, p.1)])
        }
        let (points, directions) = NSGA2.points(members)
        #expect(points == [[0.1, 500], [0.2, 100], [0.3, 600]] && directions == [.minimize, .minimize])
        let survivors = NSGA2.survivors(members, population: 2).map(\.index)
        #expect(Set(survivors) == [0, 1])
    }

    /// The ledger's members carry the secondary values (what NSGA-II reads), after a reload too.
    @Test func membersCarryTheSecondaryValues() throws {
        var t = TrialRecord(number: 3, key: "k", decisions: "[\"8\",\"8\",\"8\",\"relu\"]", status: .done, reward: -0.1, startedAt: 0, worker: 0, value: 0.1)
        t.secondary = ["size": 136]
        let values = TrialLedger.objectives(of: t, objective: Self.mse, secondary: [Self.size])
        #expect(values == [ObjectiveValue(Self.mse, 0.1), ObjectiveValue(Self.size, 136)])
        #expect(t.secondaryValues == "{\"size\":136}")
    }

    /// Stopped after some trials and resumed, the study holds what an uninterrupted run does.
    @Test func aStoppedSearchResumesAsIfUninterrupted() throws {
        func search(stopAfter: Int?) throws -> [TrialRecord] {
            let dir = temporaryDirectory("secondary-resume")
            let settings = Self.studySettings(budget: 40)
            func loop() throws -> WorkerLoop {
                try WorkerLoop(space: Self.space, strategy: NSGA2(space: Self.space, population: 8), evaluator: try Self.table(),
                               latency: { _ in nil }, reward: .soft(targetMs: 1), store: try SQLiteStudyStore(directory: dir, settings: settings),
                               budget: 40, workers: 1, seed: 9)
            }
            if let stopAfter {
                // Stop once `stopAfter` trials were written (read from the file, not the loop:
                // `shouldStop` is asked under the loop's lock).
                let first = try loop()
                let probe = try SQLiteStudyStore(existing: dir)
                try first.run(shouldStop: { ((try? probe.trials().count) ?? 0) >= stopAfter })
                #expect(try SQLiteStudyStore(existing: dir).trials().count < 40)
            }
            try loop().run()
            return try SQLiteStudyStore(existing: dir).trials()
        }
        func rows(_ trials: [TrialRecord]) -> [String] { trials.map { "\($0.number) \($0.key) \($0.status) \($0.parent ?? -1) \($0.secondaryValues ?? "")" } }
        #expect(rows(try search(stopAfter: 17)) == rows(try search(stopAfter: nil)))
    }
}
