import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

/// Strategies on int, float and log decisions, and objectives other than accuracy.
@Suite struct NumericSearchTests {
    /// The Gaussian's mass on [a, b], by Simpson's rule on its density (independent of the
    /// estimator's closed form through erfc).
    static func mass(_ a: Double, _ b: Double, mean: Double, sigma: Double) -> Double {
        let n = 2000
        let h = (b - a) / Double(n)
        func f(_ x: Double) -> Double { exp(-0.5 * ((x - mean) / sigma) * ((x - mean) / sigma)) / (sigma * (2 * Double.pi).squareRoot()) }
        var s = f(a) + f(b)
        for i in 1..<n { s += f(a + Double(i) * h) * (i % 2 == 1 ? 4 : 2) }
        return s * h / 3
    }

    /// An int range 1...10 with one good observation at 4: each value's density is the mean of
    /// the truncated Gaussian's mass on its cell and the prior's 1/10; the values sum to 1.
    @Test func intDensitiesByHand() {
        let bounds = NumericBounds(low: 1, high: 10)
        let axis = TreeParzenEstimator.Axis.range(bounds, integer: true)
        let at4 = axis.coordinate(of: "4")
        #expect(abs(at4 - 0.35) < 1e-12)  // the centre of cell [0.3, 0.4]
        let mixture = TreeParzenEstimator.Mixture(observations: [[at4]], axes: [axis], priorWeight: 1)
        let sigma = 0.2 * pow(1, -1.0 / 5)
        let total = Self.mass(0, 1, mean: at4, sigma: sigma)
        var sum = 0.0
        for v in 1...10 {
            let u = axis.coordinate(of: String(v))
            let expected = (Self.mass(Double(v - 1) / 10, Double(v) / 10, mean: at4, sigma: sigma) / total + 0.1) / 2
            let got = exp(mixture.logDensity([u]))
            #expect(abs(got - expected) < 1e-9, "value \(v): \(got) vs \(expected)")
            sum += got
        }
        #expect(abs(sum - 1) < 1e-9)
    }

    /// A log range: coordinates are on the log scale (the geometric mean is at 0.5), a
    /// continuous density integrates to 1 over [0, 1], and a log int range gives each integer
    /// its share of [ln(low − ½), ln(high + ½)].
    @Test func logDensitiesByHand() {
        let bounds = NumericBounds(low: 1e-4, high: 1e-1, log: true)
        let axis = TreeParzenEstimator.Axis.range(bounds, integer: false)
        #expect(abs(axis.coordinate(of: NumericBounds.text(pow(10, -2.5))) - 0.5) < 1e-9)
        let mixture = TreeParzenEstimator.Mixture(observations: [[0.2], [0.9]], axes: [axis], priorWeight: 1)
        let n = 4000
        var integral = 0.0
        for i in 0...n {
            let u = Double(i) / Double(n)
            integral += exp(mixture.logDensity([u])) * (i == 0 || i == n ? 0.5 : 1) / Double(n)
        }
        #expect(abs(integral - 1) < 1e-4, "integral \(integral)")
        let sigma = 0.2 * pow(2, -1.0 / 5)
        let expected = ((exp(-0.5 * pow(0.1 / sigma, 2)) / (sigma * (2 * Double.pi).squareRoot())) / Self.mass(0, 1, mean: 0.2, sigma: sigma)
            + (exp(-0.5 * pow(0.6 / sigma, 2)) / (sigma * (2 * Double.pi).squareRoot())) / Self.mass(0, 1, mean: 0.9, sigma: sigma) + 1) / 3
        #expect(abs(exp(mixture.logDensity([0.3])) - expected) < 1e-6)

        let units = NumericBounds(low: 16, high: 512, log: true)
        let cell = units.unitCell(of: 100, integer: true)!
        let width = log(512.5) - log(15.5)
        #expect(abs(cell.0 - (log(99.5) - log(15.5)) / width) < 1e-12 && abs(cell.1 - (log(100.5) - log(15.5)) / width) < 1e-12)
    }

    /// A smooth 2-D objective over a log learning rate and an int width with its maximum at
    /// (10^-2.5, 200): over 30 seeds of 40 trials, TPE's mean best is above random search's.
    @Test func tpeBeatsRandomSearchOnNumericDecisions() throws {
        let space = try SearchSpace.parse(yaml: "name: lr\nkind: decisions\ndecisions: {lr: {log: [0.00001, 1]}, width: {int: [8, 512]}}")
        struct Hill: Evaluator {
            var name: String { "hill" }
            func evaluate(_ request: EvaluationRequest) -> Evaluation {
                let lr = Double(request.arch.values[0])!, width = Double(request.arch.values[1])!
                let d = pow(log10(lr) + 2.5, 2) / 6.25 + pow((width - 200) / 504, 2)
                return Evaluation(metrics: ["loss": d])
            }
        }
        func meanBest(_ make: () -> any SearchStrategy) throws -> Double {
            var total = 0.0
            for seed in 1...30 {
                var s = settings(space, strategy: "x", budget: 40)
                s.objective = Objective(name: "loss", direction: .minimize)
                let store = try SQLiteStudyStore(directory: temporaryDirectory("hill"), settings: s)
                try WorkerLoop(space: space, strategy: make(), evaluator: Hill(), latency: { _ in nil }, reward: .soft(targetMs: 1, w: 0),
                               store: store, budget: 40, workers: 1, seed: UInt64(seed)).run()
                total += try store.trials().compactMap(\.value).min()!
            }
            return total / 30
        }
        let tpe = try meanBest { TreeParzenEstimator(space: space) }
        let random = try meanBest { RandomSearch(space: space) }
        #expect(tpe < random, "tpe \(tpe), random \(random)")
    }

    /// The textbook grid: learning rate {0.01, 0.05} x weight decay {0.1, 0.2} as float ranges
    /// with two grid points each is exactly four trials, the product.
    @Test func aNumericGridIsTheProductOfItsPoints() throws {
        let space = try SearchSpace.parse(yaml: "name: hpo\nkind: decisions\ndecisions: {lr: {float: [0.01, 0.05]}, wd: {float: [0.1, 0.2]}}")
        let grid = GridSearch(space: space, points: 2)
        #expect(grid.size == 4)
        struct Sum: Evaluator {
            var name: String { "sum" }
            func evaluate(_ request: EvaluationRequest) -> Evaluation { .success(accuracy: request.arch.values.map { Double($0)! }.reduce(0, +), latencyMs: nil) }
        }
        let store = try SQLiteStudyStore(directory: temporaryDirectory("grid"), settings: settings(space, strategy: "grid", budget: 4))
        try WorkerLoop(space: space, strategy: grid, evaluator: Sum(), latency: { _ in nil }, reward: .soft(targetMs: 1, w: 0),
                       store: store, budget: 4, workers: 1, seed: 1).run()
        let points = try store.trials().map(\.values)
        #expect(points == [["0.01", "0.1"], ["0.01", "0.2"], ["0.05", "0.1"], ["0.05", "0.2"]])
    }

    /// REINFORCE discretises a range to grid points; rewarding values near the top moves the
    /// policy toward the top points, and a trial's off-grid value counts as the nearest point.
    @Test func reinforceLearnsOnADiscretisedRange() throws {
        let space = try SearchSpace.parse(yaml: "name: r\nkind: decisions\ndecisions: {x: {float: [0, 1]}}")
        let strategy = Reinforce(space: space, gridPoints: 5)
        #expect(strategy.actions == [["0", "0.25", "0.5", "0.75", "1"]])
        #expect(strategy.action(0, of: "0.7") == 3 && strategy.action(0, of: "0.1") == 0)
        var history: [Member] = []
        for i in 0..<40 {
            let x = ["0", "0.25", "0.5", "0.8", "1"][i % 5]
            history.append(Member(trial: i, arch: Architecture(spaceName: "r", values: [x]), reward: Double(x)!))
        }
        let p = strategy.probabilities(after: history)[0]
        #expect(p[4] > p[3] && p[3] > p[2] && p[2] > p[0], "\(p)")
    }

    /// A table with `mse` and no accuracy: minimised, the reward is −mse, trials record the value
    /// and no accuracy, and the search finds the table's minimum; without --objective the error
    /// names the column to pass.
    @Test func aMinimisedTableObjective() throws {
        let space = try SearchSpace.parse(yaml: "name: t\nkind: decisions\ndecisions: {a: {ordinal: [1, 2, 3, 4]}, b: [p, q]}")
        var csv = "a,b,mse\n"
        for a in 1...4 { for b in ["p", "q"] { csv += "\(a).0,\(b),\(Double(a) * (b == "p" ? 0.01 : 0.02))\n" } }
        #expect { try TableEvaluator(csv: csv, space: space, source: "t.csv") } throws: { "\($0)".contains("missing column 'accuracy'; its other columns are mse: name the one to optimise with --objective NAME") }
        let mse = Objective(name: "mse", direction: .minimize)
        let table = try TableEvaluator(csv: csv, space: space, source: "t.csv", objective: mse)
        var s = settings(space, strategy: "grid", budget: 8)
        s.objective = mse
        let store = try SQLiteStudyStore(directory: temporaryDirectory("mse"), settings: s)
        try WorkerLoop(space: space, strategy: GridSearch(space: space), evaluator: table, latency: { _ in nil }, reward: .soft(targetMs: 1, w: 0),
                       store: store, budget: 8, workers: 1, seed: 1).run()
        let trials = try store.trials()
        #expect(trials.allSatisfy { $0.accuracy == nil && $0.value != nil && $0.reward == -$0.value! })
        let report = StudyReport(space: space, settings: store.settings, trials: trials)
        #expect(report.best?.values == ["1", "p"] && report.best?.value == 0.01)
        #expect(report.trialsCSV().hasPrefix("trial,key,status,mse,accuracy,"))
        #expect(report.summary(studyDirectory: "x").objective == "mse" && report.summary(studyDirectory: "x").best?.value == 0.01)
        // Resuming it to maximise accuracy instead is refused.
        var other = s
        other.objective = .accuracy
        #expect(s.differences(from: other).contains { $0.hasPrefix("objective") })
    }

    /// A command's output with another objective: the last line with that key counts, its value
    /// may be any number, and a line without it is not a result.
    @Test func aCommandReportsAnotherObjective() {
        let loss = Objective(name: "loss", direction: .minimize)
        let out = "{\"epoch\": 1, \"loss\": 2.5}\n{\"accuracy\": 0.4}\n{\"loss\": 1.25, \"accuracy\": 0.6, \"latency_ms\": 3}\nbye\n"
        let e = CommandEvaluator.parse(stdout: out, objective: loss)
        #expect(e.metrics == ["loss": 1.25, "accuracy": 0.6] && e.latencyMs == 3)
        #expect(CommandEvaluator.parse(stdout: "{\"accuracy\": 0.5}\n", objective: loss).failure?.message.contains("no JSON object with 'loss'") == true)
        #expect(CommandEvaluator.parse(stdout: "{\"loss\": true}\n", objective: loss).failure?.message.contains("not a number") == true)
        #expect(CommandEvaluator.parse(stdout: "{\"loss\": 12}\n", objective: loss).metrics == ["loss": 12])
        #expect(CommandEvaluator.fidelity(ofLastResultIn: out, objective: loss) == nil)
        #expect(CommandEvaluator.fidelity(ofLastResultIn: "{\"epoch\": 2, \"loss\": 1}\n{\"accuracy\": 0.1, \"epoch\": 3}\n", objective: loss) == Fidelity(2))
    }
}
