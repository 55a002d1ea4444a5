import ChildProcessSupport
import Foundation
import Testing

/// The tests' child-process helper: statuses, signals, environment, directory and streams as a
/// shell sees them, and every wait bounded.
@Suite struct ChildProcessTests {
    func output() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-child-\(UUID().uuidString)").path }

    @Test func exitStatusesAndSignalsAreReported() throws {
        #expect(try ChildProcess.run("/bin/sh", ["-c", "exit 3"]) == .exit(3))
        #expect(try ChildProcess.run("/bin/sh", ["-c", "kill -TERM $$"]) == .signal(SIGTERM))
        #expect(try ChildProcess.run("/bin/true", []).isSuccess)
    }

    @Test func environmentDirectoryAndStreamsReachTheChild() throws {
        let out = output(), err = output()
        let child = try ChildProcess("/bin/sh", ["-c", #"echo "$GREETING $(pwd)"; echo oops >&2; ls /proc/self/fd | wc -l"#],
                                     environment: ["GREETING": "hello", "PATH": "/usr/bin:/bin"], directory: "/tmp", stdout: out, stderr: err)
        #expect(child.waitOrKill(seconds: 30) == .exit(0))
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "hello /tmp")
        // ls sees 0, 1, 2 and its own directory descriptor: nothing of the test runner's.
        #expect(lines.last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } == 4, "\(lines)")
        #expect(try String(contentsOfFile: err, encoding: .utf8) == "oops\n")
    }

    @Test func aWaitIsBoundedAndAKillIsReaped() throws {
        let child = try ChildProcess("/bin/sleep", ["30"])
        #expect(child.isRunning)
        #expect(child.wait(seconds: 0.05) == nil)
        child.send(SIGINT)
        #expect(child.wait(seconds: 10) == .signal(SIGINT))
        let stubborn = try ChildProcess("/bin/sh", ["-c", "trap '' TERM; sleep 30"])
        usleep(100_000)
        stubborn.send(SIGTERM)
        #expect(stubborn.waitOrKill(seconds: 0.2) == .signal(SIGKILL))
        #expect(!stubborn.isRunning)
    }

    @Test func aMissingExecutableIsAnError() {
        #expect { try ChildProcess("/nonexistent/nasctl-child", []) } throws: { "\($0)".contains("/nonexistent/nasctl-child") }
    }
}
