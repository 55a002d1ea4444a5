/// Errors of the search: bad evaluator input, a study that cannot be resumed.
public enum SearchError: Error, CustomStringConvertible, Equatable {
    case badTable(String, line: Int?, String)
    case badEvaluator(String)
    case badScheduler(String)
    /// A worker's result for a trial another worker has taken over (this one was presumed
    /// dead): trial number, study.
    case superseded(Int, String)
    case studyMismatch(String, [String])
    case study(String, String)

    public var description: String {
        switch self {
        case let .badTable(path, line, why): return "\(path)\(line.map { ":\($0)" } ?? ""): \(why)"
        case let .badEvaluator(why): return "--evaluator: \(why)"
        case let .badScheduler(why): return "--scheduler: \(why)"
        case let .superseded(number, study):
            return "\(study): trial \(number) was taken over by another worker (this one's heartbeat had stopped); its result here is discarded"
        case let .studyMismatch(path, differences):
            return "\(path) was started with other settings:\n  - " + differences.joined(separator: "\n  - ")
                + "\nUse another --study DIR, or pass --force-resume to continue with the new settings."
        case let .study(path, why): return "\(path): \(why)"
        }
    }
}
