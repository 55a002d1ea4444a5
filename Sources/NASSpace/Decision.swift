/// One decision of a search space: a name, its kind and its values, in file order.
///
/// Every value has one canonical text form (`"mbconv6"`, `"3"`, `"0.25"`, `"identity"`):
/// architectures, keys, study rows and CSV columns hold that text, and only `Decision`
/// converts between it and other forms (a JSON number, a table cell), so a new kind of
/// decision changes this type, not each reader and writer.
public struct Decision: Hashable, Codable, Sendable {
    /// What values a decision takes. Categorical: one of a list of texts (numbers among them
    /// are still compared as numbers when read from JSON or a table).
    public enum Kind: String, Hashable, Codable, Sendable {
        case categorical
    }

    public var name: String
    public var kind: Kind
    /// The values, canonical text, in file order.
    public var choices: [String]

    public init(name: String, choices: [String]) {
        self.name = name; self.kind = .categorical; self.choices = choices
    }

    /// The group a decision belongs to (`block3` for `block3.op`), or its own name.
    public var group: String { name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name }

    /// The canonical text of `text` (a CSV cell, a command line), or nil when it is not a value
    /// of this decision. A number matches a numeric choice written differently (`0.50` → `0.5`).
    public func canonical(text: String) -> String? {
        if choices.contains(text) { return text }
        guard let number = Double(text) else { return nil }
        return canonical(number: number)
    }

    /// The canonical text of a JSON value, or nil when it is not a value of this decision.
    public func canonical(_ value: DecisionValue) -> String? {
        switch value {
        case let .text(text): return canonical(text: text)
        case let .number(number): return canonical(number: number)
        }
    }

    private func canonical(number: Double) -> String? {
        choices.first { Double($0) == number }
    }

    /// The JSON form of a canonical value (text for a categorical decision).
    public func jsonValue(_ canonicalText: String) -> DecisionValue { .text(canonicalText) }

    /// True when a mutation can change this decision (it has another value).
    public var isMutable: Bool { choices.count > 1 }

    /// A value drawn uniformly. - Complexity: O(1).
    public func randomValue<G: RandomNumberGenerator>(using rng: inout G) -> String {
        choices.randomElement(using: &rng)!
    }

    /// A value other than `current`, drawn uniformly (requires `isMutable`). - Complexity: O(choices).
    public func mutatedValue<G: RandomNumberGenerator>(from current: String, using rng: inout G) -> String {
        choices.filter { $0 != current }.randomElement(using: &rng)!
    }

    /// The values for messages: `a, b, c`.
    public var allowedDescription: String { choices.joined(separator: ", ") }

    enum CodingKeys: String, CodingKey { case name, kind, choices }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .categorical
        choices = try c.decode([String].self, forKey: .choices)
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
        case let .number(number): return number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        }
    }
}
