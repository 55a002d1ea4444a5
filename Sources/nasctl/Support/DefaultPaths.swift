import Foundation

/// Finds the project's default files (`Configs/…`, `LatencyTables/…`): first relative to the
/// working directory, then in the ancestors of the nasctl executable (so
/// `.build/release/nasctl` works from anywhere in a checkout).
enum DefaultPaths {
    static func find(_ relative: String) -> String? {
        let fm = FileManager.default
        if fm.fileExists(atPath: relative) { return relative }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent(relative).path
            if fm.fileExists(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    /// The directory that holds `LatencyTables/` (where a new table is written by default).
    static func tablesDirectory() -> String {
        if let readme = find("LatencyTables/README.md") { return (readme as NSString).deletingLastPathComponent }
        return "LatencyTables"
    }

    static let defaultSpace = "Configs/mnasnet.yaml"
}
