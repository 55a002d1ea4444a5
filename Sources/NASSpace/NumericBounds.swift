import Foundation

/// The range of an int or float decision: `low ≤ x ≤ high`, optionally on a grid
/// `low + k·step`, optionally log-uniform (ln x uniform).
///
/// Strategies see a range through its *unit* coordinate u ∈ [0, 1): `value(atUnit:)` maps u to
/// a value (uniform u gives the decision's uniform or log-uniform distribution) and
/// `unitCell(of:)` gives the interval of u that maps to a discrete value, so a density model
/// (TPE) can put mass on whole cells. A log int range maps u through ln over
/// [low − ½, high + ½], so every integer keeps its share of the log scale. Drawn floats are
/// rounded to six significant digits (a value given in a file keeps up to twelve).
public struct NumericBounds: Hashable, Codable, Sendable {
    public var low: Double
    public var high: Double
    /// The grid spacing (nil: continuous for float, 1 for int).
    public var step: Double?
    public var log: Bool

    public init(low: Double, high: Double, step: Double? = nil, log: Bool = false) {
        self.low = low; self.high = high; self.step = step; self.log = log
    }

    /// What is wrong with these bounds for an int (`integer`) or float decision, or nil.
    public func problem(integer: Bool) -> String? {
        guard low.isFinite, high.isFinite else { return "bounds must be finite numbers" }
        guard low <= high else { return "low \(Self.text(low)) is above high \(Self.text(high)); give [low, high]" }
        if integer {
            guard low == low.rounded(), high == high.rounded() else { return "an int range needs integer bounds (use float for real numbers)" }
            guard abs(low) < 1e15, abs(high) < 1e15 else { return "int bounds must be below 1e15 in size" }
        }
        if let step {
            guard step.isFinite, step > 0 else { return "step must be a positive number" }
            if integer && step != step.rounded() { return "an int range needs an integer step" }
            let k = (high - low) / step
            guard abs(k - k.rounded()) <= 1e-9 * max(1, k) else {
                return "high − low (\(Self.text(high - low))) must be a multiple of step \(Self.text(step)); e.g. high \(Self.text(low + k.rounded(.down) * step))"
            }
            guard k <= 1e9 else { return "step \(Self.text(step)) gives more than 10⁹ values" }
        }
        if log {
            guard low > 0 else { return "a log range needs low > 0 (it is \(Self.text(low)))" }
            if let step, integer ? step != 1 : true { return "a log range cannot have a step\(integer ? " other than 1" : "") (drop 'step' or 'log')" }
        }
        return nil
    }

    /// The step values are on: the step, 1 for an int range, nil for a continuous float range.
    func effectiveStep(integer: Bool) -> Double? { step ?? (integer ? 1 : nil) }

    /// Number of values on the grid (nil: continuous).
    public func stepCount(integer: Bool) -> Int? {
        guard let h = effectiveStep(integer: integer) else { return nil }
        return Int(((high - low) / h).rounded()) + 1
    }

    /// ln for a log range, the identity otherwise.
    private func t(_ x: Double) -> Double { log ? Foundation.log(x) : x }
    private func inverse(_ y: Double) -> Double { log ? exp(y) : y }

    /// The interval [a, b] of the transformed axis that u ∈ [0, 1) spans.
    private func axis(integer: Bool) -> (Double, Double) {
        if log && integer { return (t(low - 0.5), t(high + 0.5)) }
        return (t(low), t(high))
    }

    /// The value at unit coordinate `u` ∈ [0, 1), on the grid.
    public func value(atUnit u: Double, integer: Bool) -> Double {
        let u = min(max(u, 0), 1)
        if let h = effectiveStep(integer: integer), !log, let n = stepCount(integer: integer) {
            return low + Double(min(Int(u * Double(n)), n - 1)) * h
        }
        let (a, b) = axis(integer: integer)
        let x = inverse(a + u * (b - a))
        if integer { return min(max(x.rounded(), low), high) }
        // Six significant digits: readable values, finer than any search tells apart.
        return min(max(Double(String(format: "%.6g", x)) ?? x, low), high)
    }

    /// The unit coordinate of `value` (the centre of its cell for a discrete range).
    public func unit(of value: Double, integer: Bool) -> Double {
        if let cell = unitCell(of: value, integer: integer) { return (cell.0 + cell.1) / 2 }
        let (a, b) = axis(integer: integer)
        return b > a ? (t(value) - a) / (b - a) : 0.5
    }

    /// The unit interval that maps to `value` for a discrete range (nil: continuous).
    public func unitCell(of value: Double, integer: Bool) -> (Double, Double)? {
        guard let h = effectiveStep(integer: integer), let n = stepCount(integer: integer) else { return nil }
        if log && integer {
            let (a, b) = axis(integer: true)
            guard b > a else { return (0, 1) }
            return ((t(value - 0.5) - a) / (b - a), (t(value + 0.5) - a) / (b - a))
        }
        let k = Double(Int(((value - low) / h).rounded()))
        return (k / Double(n), (k + 1) / Double(n))
    }

    /// The canonical form of `x` when it is a value of the range, else nil.
    public func canonical(_ x: Double, integer: Bool) -> String? {
        guard x.isFinite else { return nil }
        let tolerance = 1e-9 * max(1, abs(high - low))
        guard x >= low - tolerance, x <= high + tolerance else { return nil }
        if integer && x != x.rounded() { return nil }
        var value = min(max(x, low), high)
        if let step {
            let k = ((x - low) / step).rounded()
            guard abs(low + k * step - x) <= 1e-9 * max(1, abs(step)) else { return nil }
            value = low + k * step
        }
        return text(value, integer: integer)
    }

    /// The canonical text of a value of the range.
    public func text(_ x: Double, integer: Bool) -> String {
        integer ? String(Int(x.rounded())) : Self.text(x)
    }

    /// A number's canonical text: integers without a fraction (`3`), others rounded to 12
    /// significant digits and written in their shortest form (`0.3`, not `0.30000000000000004`).
    public static func text(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
        let rounded = Double(String(format: "%.12g", x)) ?? x
        return "\(rounded)"
    }

    /// `points` values evenly spaced on the transformed axis from low to high, snapped to the
    /// grid, without repeats; every value when the range has at most `points`.
    public func gridValues(points: Int, integer: Bool) -> [String] {
        let points = max(points, 1)
        if let n = stepCount(integer: integer), n <= points, let h = effectiveStep(integer: integer) {
            return (0..<n).map { text(low + Double($0) * h, integer: integer) }
        }
        var values: [String] = []
        for i in 0..<points {
            let u = points == 1 ? 0.5 : Double(i) / Double(points - 1)
            var x = inverse(t(low) + u * (t(high) - t(low)))
            if let h = effectiveStep(integer: integer) { x = low + ((x - low) / h).rounded() * h }
            let text = text(min(max(x, low), high), integer: integer)
            if !values.contains(text) { values.append(text) }
        }
        return values
    }

    /// `16 to 512, step 16, log`.
    public func description(integer: Bool) -> String {
        var s = "\(text(low, integer: integer)) to \(text(high, integer: integer))"
        if let step { s += ", step \(Self.text(step))" }
        if log { s += ", log" }
        return s
    }
}
