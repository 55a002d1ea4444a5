/// Straight-line fits `y = intercept + slope · x` that follow the median of `y`, not its mean.
enum RobustLine {
    /// The least-squares line (the mean of `y` at each `x`); nil when every `x` is equal.
    /// - Precondition: `xs.count == ys.count`, both non-empty.
    /// - Complexity: O(n).
    static func leastSquares(xs: [Double], ys: [Double]) -> (intercept: Double, slope: Double)? {
        precondition(xs.count == ys.count && !xs.isEmpty)
        let n = Double(xs.count)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, ys) { sxy += (x - mx) * (y - my); sxx += (x - mx) * (x - mx) }
        guard sxx > 1e-12 * n * max(1, mx * mx) else { return nil }
        let slope = sxy / sxx
        return (my - slope * mx, slope)
    }

    /// The line minimising `Σ |y − intercept − slope·x|` (the conditional median of `y`).
    ///
    /// For a fixed slope the best intercept is the median of `y − slope·x`, and the cost left
    /// is convex in the slope (a partial minimum of a jointly convex function), so a bracket
    /// grown from the least-squares slope and a golden-section search on it find the optimum to
    /// a relative 10⁻¹⁰ of the bracket. Deterministic; a point far off the others' line moves it
    /// no more than any other point on the same side does.
    /// - Precondition: `xs.count == ys.count >= 2` with at least two distinct `x`.
    /// - Complexity: O(n log n) per step, about 60 steps.
    static func leastAbsoluteDeviations(xs: [Double], ys: [Double]) -> (intercept: Double, slope: Double) {
        guard let start = leastSquares(xs: xs, ys: ys), let xLo = xs.min(), let xHi = xs.max(), let yLo = ys.min(), let yHi = ys.max() else {
            preconditionFailure("RobustLine: every x is equal")
        }
        var residuals = [Double](repeating: 0, count: xs.count)
        /// The best intercept for `slope` and the cost there.
        func evaluate(_ slope: Double) -> (intercept: Double, cost: Double) {
            for i in xs.indices { residuals[i] = ys[i] - slope * xs[i] }
            residuals.sort()
            let n = residuals.count
            let intercept = n % 2 == 1 ? residuals[n / 2] : (residuals[n / 2 - 1] + residuals[n / 2]) / 2
            return (intercept, residuals.reduce(0) { $0 + abs($1 - intercept) })
        }
        func cost(_ slope: Double) -> Double { evaluate(slope).cost }
        // Bracket [lo, hi] around a point no worse than both ends, widening outwards.
        var step = max(abs(start.slope), (yHi - yLo) / (xHi - xLo), 1e-12)
        var lo = start.slope - step, mid = start.slope, hi = start.slope + step
        var fLo = cost(lo), fMid = cost(mid), fHi = cost(hi)
        var widenings = 0
        while (fLo < fMid || fHi < fMid) && widenings < 200 {
            widenings += 1
            step *= 2
            if fLo < fMid {
                (hi, fHi) = (mid, fMid); (mid, fMid) = (lo, fLo)
                lo = mid - step; fLo = cost(lo)
            } else {
                (lo, fLo) = (mid, fMid); (mid, fMid) = (hi, fHi)
                hi = mid + step; fHi = cost(hi)
            }
        }
        // Golden-section search on the convex cost within the bracket.
        let ratio = (5.0.squareRoot() - 1) / 2
        let tolerance = 1e-10 * max(hi - lo, 1e-300)
        var a = lo, b = hi
        var c = b - ratio * (b - a), d = a + ratio * (b - a)
        var fc = cost(c), fd = cost(d)
        while b - a > tolerance {
            if fc <= fd {
                b = d; d = c; fd = fc
                c = b - ratio * (b - a); fc = cost(c)
            } else {
                a = c; c = d; fc = fd
                d = a + ratio * (b - a); fd = cost(d)
            }
        }
        let slope = fc <= fd ? c : d
        return (evaluate(slope).intercept, slope)
    }
}
