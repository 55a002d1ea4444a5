import Foundation
import NASEngine

/// One choice per decision of a space, by value (canonical text), in the space's order.
public struct Architecture: Hashable, Sendable {
    /// The space's name, carried in the JSON form so a file is not used with another space.
    public var spaceName: String
    public var values: [String]

    public init(spaceName: String, values: [String]) {
        self.spaceName = spaceName; self.values = values
    }

    /// Builds from `decision name → value`, checked against `space`.
    public init(space: SearchSpace, choices: [String: String], source: String = "<arch>") throws {
        try self.init(space: space, values: choices.mapValues { DecisionValue.text($0) }, source: source)
    }

    /// Builds from `decision name → value` as JSON holds it (text or number), each value turned
    /// into its decision's canonical text; checked against `space`.
    public init(space: SearchSpace, values choices: [String: DecisionValue], source: String = "<arch>") throws {
        var values: [String] = []
        for d in space.decisions {
            guard let given = choices[d.name] else {
                throw SpaceError(file: source, field: "decisions.\(d.name)", problem: "missing; choose one of \(d.allowedDescription)")
            }
            guard let v = d.canonical(given) else {
                throw SpaceError(file: source, field: "decisions.\(d.name)", problem: "'\(given)' is not a choice; allowed: \(d.allowedDescription)")
            }
            values.append(v)
        }
        if let extra = choices.keys.sorted().first(where: { name in !space.decisions.contains { $0.name == name } }) {
            throw SpaceError(file: source, field: "decisions.\(extra)", problem: "is not a decision of space '\(space.name)'")
        }
        self.init(spaceName: space.name, values: values)
        try validate(in: space, source: source)
    }

    /// Canonical, readable, stable key: the values of each decision group joined by `/`, the
    /// groups by `|` (e.g. `sepconv/3/0.0/identity/1.0/0|mbconv6/3/…`).
    public func key(in space: SearchSpace) -> String {
        var groups: [String] = []
        var current: [String] = []
        var currentGroup: String?
        for (d, v) in zip(space.decisions, values) {
            if d.group != currentGroup, currentGroup != nil {
                groups.append(current.joined(separator: "/"))
                current = []
            }
            currentGroup = d.group
            current.append(v)
        }
        if !current.isEmpty { groups.append(current.joined(separator: "/")) }
        return groups.joined(separator: "|")
    }

    /// `decision name → value` (canonical text).
    public func choices(in space: SearchSpace) -> [String: String] {
        Dictionary(uniqueKeysWithValues: zip(space.decisions.map(\.name), values))
    }

    /// `decision name → value` as JSON writes it (numbers as numbers once a space has numeric
    /// decisions).
    public func jsonValues(in space: SearchSpace) -> [String: DecisionValue] {
        Dictionary(uniqueKeysWithValues: zip(space.decisions, values).map { ($0.name, $0.jsonValue($1)) })
    }

    /// Why this architecture does not fit `space`, as an error naming the decision.
    public func validate(in space: SearchSpace, source: String = "<arch>") throws {
        guard spaceName == space.name else {
            throw SpaceError(file: source, field: "space", problem: "architecture is for space '\(spaceName)', not '\(space.name)'")
        }
        guard values.count == space.decisions.count else {
            throw SpaceError(file: source, field: "decisions", problem: "has \(values.count) values; space '\(space.name)' has \(space.decisions.count) decisions")
        }
        for (d, v) in zip(space.decisions, values) where d.canonical(text: v) != v {
            throw SpaceError(file: source, field: "decisions.\(d.name)", problem: "'\(v)' is not a choice; allowed: \(d.allowedDescription)")
        }
    }

    /// Uniformly random: each decision's choice drawn independently.
    public static func random<G: RandomNumberGenerator>(in space: SearchSpace, using rng: inout G) -> Architecture {
        Architecture(spaceName: space.name, values: space.decisions.map { $0.randomValue(using: &rng) })
    }

    /// Random, except for the decisions in `fixed` (`name → value`), which are set as given.
    public static func random<G: RandomNumberGenerator>(in space: SearchSpace, fixing fixed: [String: String], using rng: inout G) -> Architecture {
        var arch = random(in: space, using: &rng)
        for (i, d) in space.decisions.enumerated() {
            if let v = fixed[d.name] { arch.values[i] = v }
        }
        return arch
    }

    /// A copy with exactly one decision changed to a different valid value (decisions with a
    /// single choice are never picked). Returns self when no decision has two choices.
    public func mutated<G: RandomNumberGenerator>(in space: SearchSpace, using rng: inout G) -> Architecture {
        let mutable = space.decisions.indices.filter { space.decisions[$0].isMutable }
        guard let index = mutable.randomElement(using: &rng) else { return self }
        var copy = self
        copy.values[index] = space.decisions[index].mutatedValue(from: values[index], using: &rng)
        return copy
    }
}

extension Architecture {
    /// The JSON file form: `{"space": NAME, "decisions": {name: value, …}}`.
    struct FileForm: Codable {
        var space: String
        var decisions: [String: DecisionValue]
    }

    /// JSON text (keys sorted) that `load` reads back to the same architecture.
    public func json(in space: SearchSpace) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(FileForm(space: spaceName, decisions: jsonValues(in: space))), as: UTF8.self)
    }

    /// Parses and validates an architecture JSON against `space`.
    public static func parse(json data: Data, space: SearchSpace, source: String = "<arch>") throws -> Architecture {
        let form: FileForm
        do {
            form = try JSONDecoder().decode(FileForm.self, from: data)
        } catch {
            throw SpaceError(file: source, field: "", problem: "not an architecture JSON ({\"space\": NAME, \"decisions\": {NAME: VALUE, …}}): \(error)")
        }
        guard form.space == space.name else {
            throw SpaceError(file: source, field: "space", problem: "architecture is for space '\(form.space)', but the space in use is '\(space.name)' (pass the matching --space)")
        }
        return try Architecture(space: space, values: form.decisions, source: source)
    }

    /// Reads an architecture file.
    public static func load(file path: String, space: SearchSpace) throws -> Architecture {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpaceError(file: path, field: "", problem: "no such file or not readable")
        }
        return try parse(json: data, space: space, source: path)
    }
}
