/// Errors from latency tables, prediction and profiling, each saying how to fix it.
public enum LatencyError: Error, CustomStringConvertible, Equatable {
    case tableNotFound(String)
    case badTable(String, String)
    case mismatchedTable(String, [String])
    case missingSignatures(table: String, [String])
    case debugBuild

    public var description: String {
        switch self {
        case let .tableNotFound(path):
            return "\(path): no latency table there; run `nasctl profile` on this device (or pass --table FILE)"
        case let .badTable(path, why):
            return "\(path): \(why)"
        case let .mismatchedTable(path, problems):
            return "\(path) does not fit this run:\n  - " + problems.joined(separator: "\n  - ")
                + "\nRe-profile with `nasctl profile`, or pass --force to use it anyway."
        case let .missingSignatures(path, missing):
            let shown = missing.prefix(10).map { "  - \($0)" }.joined(separator: "\n")
            return "\(path) has no entry for \(missing.count) layer\(missing.count == 1 ? "" : "s") of this architecture:\n\(shown)"
                + (missing.count > 10 ? "\n  … and \(missing.count - 10) more" : "")
                + "\nRe-profile the space with `nasctl profile --space FILE`."
        case .debugBuild:
            return "this nasctl is a debug build: its timings say nothing about the device; build with `swift build -c release`"
        }
    }
}
