/// One decision of a search space: a name and its choices, in file order. Choices are
/// canonical text (`"mbconv6"`, `"3"`, `"0.25"`, `"identity"`).
public struct Decision: Hashable, Codable, Sendable {
    public var name: String
    public var choices: [String]

    public init(name: String, choices: [String]) {
        self.name = name; self.choices = choices
    }

    /// The group a decision belongs to (`block3` for `block3.op`), or its own name.
    public var group: String { name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name }
}
