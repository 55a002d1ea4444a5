import Foundation
import NASEngine
import Testing
@testable import NASLatency

/// The predictor's per-entry line (`RobustLine`) against an exhaustive reference and on the
/// skewed timings it is meant for.
@Suite struct RobustLineTests {
    /// The smallest `Σ |y − a − b·x|` over every line through two of the points: a least
    /// absolute deviations optimum passes through at least two of them (the objective is
    /// piecewise linear in (a, b), its minimum at a vertex). O(n³).
    static func exhaustiveLADCost(_ xs: [Double], _ ys: [Double]) -> Double {
        var best = Double.infinity
        for i in xs.indices {
            for j in xs.indices where j > i && xs[j] != xs[i] {
                let b = (ys[j] - ys[i]) / (xs[j] - xs[i]), a = ys[i] - b * xs[i]
                best = min(best, cost(xs, ys, a, b))
            }
        }
        return best
    }

    static func cost(_ xs: [Double], _ ys: [Double], _ a: Double, _ b: Double) -> Double {
        zip(xs, ys).reduce(0) { $0 + abs($1.1 - a - b * $1.0) }
    }

    @Test func reachesTheExhaustiveOptimumOnSkewedTimings() {
        var rng = SplitMix64(seed: 20261207)
        for trial in 0..<40 {
            let n = 2 + trial % 14
            // ln(MACs) of context networks, times on a line plus upward-skewed noise.
            let xs = (0..<n).map { _ in 18 + 3 * Double(rng.uniform(1) + 1) / 2 }
            let ys = xs.map { x -> Double in
                let u = Double(rng.uniform(1) + 1) / 2
                return 0.2 + 0.01 * (x - 18) + 0.05 * u * u * u
            }
            guard Set(xs).count >= 2 else { continue }
            let line = RobustLine.leastAbsoluteDeviations(xs: xs, ys: ys)
            let reference = Self.exhaustiveLADCost(xs, ys)
            let got = Self.cost(xs, ys, line.intercept, line.slope)
            #expect(got <= reference * (1 + 1e-4) + 1e-12, "trial \(trial): \(got) against \(reference)")
        }
    }

    @Test func aSlowContextDoesNotPullTheLine() {
        // Seven contexts on ms = 0.1 + 0.02·x, one of them timed 3x slow (a neighbour's burst).
        let xs: [Double] = [18, 18.5, 19, 19.5, 20, 20.5, 21]
        var ys = xs.map { 0.1 + 0.02 * ($0 - 18) }
        ys[3] *= 3
        let lad = RobustLine.leastAbsoluteDeviations(xs: xs, ys: ys)
        #expect(abs(lad.slope - 0.02) < 1e-6)
        #expect(abs(lad.intercept + 0.02 * 18 - 0.1) < 1e-6)
        // Least squares, by contrast, is pulled up at every size.
        let ls = RobustLine.leastSquares(xs: xs, ys: ys)!
        #expect(ls.intercept + ls.slope * 19.5 > 0.13 + 0.02)
    }

    @Test func leastSquaresMatchesTheClosedFormAndRefusesOneX() {
        let xs: [Double] = [1, 2, 3, 4], ys: [Double] = [2, 4.5, 5.5, 8]
        let line = RobustLine.leastSquares(xs: xs, ys: ys)!
        // Normal equations by hand: slope = Sxy / Sxx = 9.5 / 5, intercept = 5 - 1.9 · 2.5.
        #expect(abs(line.slope - 1.9) < 1e-12)
        #expect(abs(line.intercept - 0.25) < 1e-12)
        #expect(RobustLine.leastSquares(xs: [2, 2, 2], ys: [1, 2, 3]) == nil)
    }

    @Test func thePredictorFollowsTheMedianContextNotTheMean() throws {
        // One entry timed in five contexts of the same size, one of them slow: the prediction
        // is their median, as before, and with sizes spread it stays on the steady contexts' line.
        let same = LatencyPredictor.LayerModel(samples: [1, 1, 1, 1, 5], contextMacs: [100, 100, 100, 100, 100], median: 1)
        #expect(same.ms(at: log(100)) == 1)
        let spread = LatencyPredictor.LayerModel(samples: [1.0, 1.1, 1.2, 5.0, 1.4], contextMacs: [100, 200, 400, 800, 1600], median: 1.2)
        let x = log(400.0)
        #expect(abs(spread.ms(at: x) - 1.2) < 1e-6)
    }
}
