/// A search-space file or architecture that cannot be used, with where and how to fix it.
public struct SpaceError: Error, CustomStringConvertible, Equatable {
    /// The file (or "<text>" for inline YAML/JSON).
    public var file: String
    /// The field, as a path like `blocks[2].stride` or `decisions.block3.op`.
    public var field: String
    /// What is wrong and what is allowed.
    public var problem: String
    /// `line:column` in the file when known.
    public var location: String?

    public init(file: String, field: String, problem: String, location: String? = nil) {
        self.file = file; self.field = field; self.problem = problem; self.location = location
    }

    public var description: String {
        "\(file)\(location.map { ":" + $0 } ?? ""): \(field.isEmpty ? "" : "'\(field)': ")\(problem)"
    }
}
