import Foundation

/// One decision of a search space: a name, its kind and its values, in file order.
///
/// Every value has one canonical text form (`"mbconv6"`, `"3"`, `"0.25"`, `"0.0031"`):
/// architectures, keys, study rows and CSV columns hold that text, and only `Decision`
/// converts between it and other forms (a JSON number, a table cell), so a new kind of
/// decision changes this type, not each reader and writer.
public struct Decision: Hashable, Codable, Sendable {
    /// What values a decision takes.
    public enum Kind: String, Hashable, Codable, Sendable {
        /// One of a list of texts (numbers among them are still compared as numbers when read
        /// from JSON or a table).
        case categorical
        /// One of an increasing list of numbers (`[8, 16, 32, 64]`): strategies that model
        /// distances (TPE) use the order; JSON holds the values as numbers.
        case ordinal
        /// An integer in `bounds` (optionally on a step, or log-uniform).
        case int
        /// A real number in `bounds` (optionally on a step, or log-uniform).
        case float
    }

    public var name: String
    public var kind: Kind
    /// The values of a categorical or ordinal decision, canonical text, in file order (empty for
    /// int and float decisions).
    public var choices: [String]
    /// The range of an int or float decision (nil for categorical and ordinal).
    public var bounds: NumericBounds?

    /// A categorical decision.
    public init(name: String, choices: [String]) {
        self.name = name; self.kind = .categorical; self.choices = choices; self.bounds = nil
    }

    /// An ordinal decision: `values` increasing.
    public init(name: String, ordinal values: [Double]) {
        precondition(zip(values, values.dropFirst()).allSatisfy { $0 < $1 }, "ordinal values must increase")
        self.name = name; self.kind = .ordinal; self.choices = values.map(NumericBounds.text); self.bounds = nil
    }

    /// An int or float decision (`bounds` already validated, see `NumericBounds.problem`).
    public init(name: String, kind: Kind, bounds: NumericBounds) {
        precondition(kind == .int || kind == .float, "numeric decisions are int or float")
        self.name = name; self.kind = kind; self.choices = []; self.bounds = bounds
    }

    /// The group a decision belongs to (`block3` for `block3.op`), or its own name.
    public var group: String { name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name }

    /// True for int and float decisions (values from a range, not a list).
    public var isNumericRange: Bool { bounds != nil }

    /// The canonical text of `text` (a CSV cell, a command line), or nil when it is not a value
    /// of this decision. A number matches a numeric choice written differently (`0.50` → `0.5`).
    public func canonical(text: String) -> String? {
        if let bounds { return Double(text).flatMap { bounds.canonical($0, integer: kind == .int) } }
        if choices.contains(text) { return text }
        guard let number = Double(text) else { return nil }
        return canonical(number: number)
    }

    /// The canonical text of a JSON value, or nil when it is not a value of this decision.
    public func canonical(_ value: DecisionValue) -> String? {
        switch value {
        case let .text(text): return canonical(text: text)
        case let .number(number):
            if let bounds { return bounds.canonical(number, integer: kind == .int) }
            return canonical(number: number)
        }
    }

    private func canonical(number: Double) -> String? {
        choices.first { Double($0) == number }
    }

    /// The JSON form of a canonical value: a number for ordinal, int and float decisions, text
    /// for a categorical one.
    public func jsonValue(_ canonicalText: String) -> DecisionValue {
        if kind != .categorical, let number = Double(canonicalText) { return .number(number) }
        return .text(canonicalText)
    }

    /// True when a mutation can change this decision (it has another value).
    public var isMutable: Bool { bounds.map { $0.high > $0.low } ?? (choices.count > 1) }

    /// How many values the decision has (nil: a continuous range).
    public var valueCount: Int? {
        guard let bounds else { return choices.count }
        return kind == .int || bounds.step != nil ? bounds.stepCount(integer: kind == .int) : nil
    }

    /// A value drawn uniformly (log-uniformly for a log range). - Complexity: O(1).
    public func randomValue<G: RandomNumberGenerator>(using rng: inout G) -> String {
        guard let bounds else { return choices.randomElement(using: &rng)! }
        return bounds.text(bounds.value(atUnit: Double.random(in: 0..<1, using: &rng), integer: kind == .int), integer: kind == .int)
    }

    /// A value other than `current` (requires `isMutable`): for a list, another choice drawn
    /// uniformly; for a range, a Gaussian step of a fifth of the range (in log space for a log
    /// range), reflected at the bounds and snapped to the step, redrawn until it differs.
    /// - Complexity: O(choices), or O(1) expected for a range.
    public func mutatedValue<G: RandomNumberGenerator>(from current: String, using rng: inout G) -> String {
        guard let bounds else { return choices.filter { $0 != current }.randomElement(using: &rng)! }
        let integer = kind == .int
        let start = bounds.unit(of: Double(current) ?? bounds.low, integer: integer)
        for _ in 0..<32 {
            var u = start + 0.2 * Self.standardNormal(using: &rng)
            while u < 0 || u > 1 { u = u < 0 ? -u : 2 - u }  // reflect into [0, 1]
            let text = bounds.text(bounds.value(atUnit: min(u, 1 - 1e-12), integer: integer), integer: integer)
            if text != current { return text }
        }
        // A range of few steps around `current`: any other value.
        let all = bounds.gridValues(points: bounds.stepCount(integer: integer) ?? 2, integer: integer)
        return all.filter { $0 != current }.randomElement(using: &rng) ?? current
    }

    /// Finite values to enumerate or to discretise over: the choices of a list; for a range,
    /// `points` values evenly spaced (log-spaced for a log range) from low to high, snapped to
    /// the step and without repeats (every value when the range has at most `points`).
    public func gridValues(points: Int) -> [String] {
        guard let bounds else { return choices }
        return bounds.gridValues(points: points, integer: kind == .int)
    }

    /// The values for messages: `a, b, c`, or the range (`int 16 to 512, log`).
    public var allowedDescription: String {
        guard let bounds else { return choices.joined(separator: ", ") }
        return "\(kind.rawValue) \(bounds.description(integer: kind == .int))"
    }

    /// A sample of N(0, 1) (Box–Muller).
    public static func standardNormal<G: RandomNumberGenerator>(using rng: inout G) -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng), u2 = Double.random(in: 0..<1, using: &rng)
        return (-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    enum CodingKeys: String, CodingKey { case name, kind, choices, bounds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .categorical
        choices = try c.decodeIfPresent([String].self, forKey: .choices) ?? []
        bounds = try c.decodeIfPresent(NumericBounds.self, forKey: .bounds)
    }
}

/// A decision's value as JSON holds it: text (`"mbconv6"`) or a number (`3`, `0.25`).
public enum DecisionValue: Hashable, Codable, Sendable, CustomStringConvertible {
    case text(String)
    case number(Double)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) {
            self = .text(text)
        } else if let number = try? c.decode(Double.self) {
            self = .number(number)
        } else {
            throw DecodingError.typeMismatch(DecisionValue.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a string or a number"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .text(text): try c.encode(text)
        case let .number(number): try c.encode(number)
        }
    }

    public var description: String {
        switch self {
        case let .text(text): return text
        case let .number(number): return NumericBounds.text(number)
        }
    }
}
