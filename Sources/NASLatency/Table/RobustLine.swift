/// Straight-line fits `y = intercept + slope · x` that follow the median of `y`, not its mean.
enum RobustLine {
    /// The least-squares line (the mean of `y` at each `x`); nil when every `x` is equal.
    /// - Precondition: `xs.count == ys.count`, both non-empty; `weights` nil or as long.
    /// - Complexity: O(n).
    static func leastSquares(xs: [Double], ys: [Double], weights: [Double]? = nil) -> (intercept: Double, slope: Double)? {
        precondition(xs.count == ys.count && !xs.isEmpty && (weights?.count ?? xs.count) == xs.count)
        var sw = 0.0, sx = 0.0, sy = 0.0
        for i in xs.indices {
            let w = weights?[i] ?? 1
            sw += w; sx += w * xs[i]; sy += w * ys[i]
        }
        guard sw > 0 else { return nil }
        let mx = sx / sw, my = sy / sw
        var sxy = 0.0, sxx = 0.0
        for i in xs.indices {
            let w = weights?[i] ?? 1, dx = xs[i] - mx
            sxy += w * dx * (ys[i] - my); sxx += w * dx * dx
        }
        guard sxx > 1e-12 * sw * max(1, mx * mx) else { return nil }
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
        for _ in 0..<200 where fLo < fMid || fHi < fMid {
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
