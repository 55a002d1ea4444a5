import ChildProcessSupport
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
    /// The exit status, or the signal number when `reason` is `.uncaughtSignal`.
    var status: Int32
    var reason: Process.TerminationReason
    var stdout: String
    var stderr: String
}

/// Starts nasctl with `arguments`; output goes to files so a long run never blocks on a pipe.
final class NasctlProcess {
    let child: ChildProcess
    let outURL: URL, errURL: URL

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let binary = try nasctlBinaryOrThrow()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-run-\(UUID().uuidString)")
        outURL = base.appendingPathExtension("out")
        errURL = base.appendingPathExtension("err")
        child = try ChildProcess(binary, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                                 directory: repositoryRoot.path, stdout: outURL.path, stderr: errURL.path)
    }

    var pid: Int32 { child.pid }

    /// Waits up to `seconds` (then kills it) and returns the result.
    func wait(seconds: Double = 120) -> RunResult {
        let termination = child.waitOrKill(seconds: seconds)
        let reason: Process.TerminationReason
        if case .signal = termination { reason = .uncaughtSignal } else { reason = .exit }
        return RunResult(status: termination.code, reason: reason,
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
