/// A data-set file that cannot be used, naming the file and what is wrong.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var problem: String
    public init(file: String, problem: String) { self.file = file; self.problem = problem }
    public var description: String { "\(file): \(problem)" }
}
