import Foundation
@testable import nasctl

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The nasctl binary the process-level tests run: `NASCTL_BINARY` when set (CI points it at the
/// release build users run), else the debug binary `swift test` built next to this bundle.
func nasctlBinary() -> String? {
    if let path = ProcessInfo.processInfo.environment["NASCTL_BINARY"], !path.isEmpty { return path }
    let build = repositoryRoot.appendingPathComponent(".build")
    let candidates = [build.appendingPathComponent("debug/nasctl").path] +
        ((try? FileManager.default.contentsOfDirectory(atPath: build.path)) ?? []).map { build.appendingPathComponent("\($0)/debug/nasctl").path }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// What a finished nasctl run gave.
struct RunResult {
    var status: Int32
    var reason: Process.TerminationReason
    var stdout: String
    var stderr: String
}

/// Starts nasctl with `arguments`; output goes to files so a long run never blocks on a pipe.
final class NasctlProcess {
    let process = Process()
    let outURL: URL, errURL: URL

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let binary = try nasctlBinaryOrThrow()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-run-\(UUID().uuidString)")
        outURL = base.appendingPathExtension("out")
        errURL = base.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits up to `seconds` (then kills it) and returns the result.
    func wait(seconds: Double = 120) -> RunResult {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, reason: process.terminationReason,
                         stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Standard error so far.
    var stderrSoFar: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }
}

struct MissingBinary: Error, CustomStringConvertible {
    var description: String { "nasctl binary not built (set NASCTL_BINARY or run swift build)" }
}

func nasctlBinaryOrThrow() throws -> String {
    guard let binary = nasctlBinary() else { throw MissingBinary() }
    return binary
}

/// Polls `condition` every 20 ms for up to `seconds`.
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// Parses and runs `arguments` in process; the message nasctl would print for its error, or nil
/// when it succeeded.
func commandFailure(_ arguments: [String]) -> String? {
    do {
        var command = try Nasctl.parseAsRoot(arguments)
        try command.run()
        return nil
    } catch {
        return Nasctl.fullMessage(for: error)
    }
}
