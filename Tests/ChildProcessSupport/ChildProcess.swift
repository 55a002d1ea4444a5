import CChildSpawn
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process for tests: started with `posix_spawn`, reaped with `waitpid` on its own pid,
/// every wait bounded.
///
/// Not Foundation's `Process`: its `waitUntilExit` spins a run loop until a termination notice
/// arrives from Foundation's own SIGCHLD monitor, and a CI run of this suite once hung there
/// until its 90-minute limit. Here nothing depends on a signal being delivered: the test polls
/// `waitpid(pid, WNOHANG)`.
public final class ChildProcess: @unchecked Sendable {
    /// How the child ended.
    public enum Termination: Equatable, Sendable {
        case exit(Int32)
        case signal(Int32)

        /// The exit status, or the signal number for a signalled child.
        public var code: Int32 {
            switch self {
            case .exit(let status), .signal(let status): return status
            }
        }

        public var isSuccess: Bool { self == .exit(0) }
    }

    public let pid: pid_t
    private let lock = NSLock()
    private var ended: Termination?

    /// Starts `executable` with `arguments` (without argv[0]). `environment` replaces the whole
    /// environment (nil: this process's); the streams are files opened for the child (stdout and
    /// stderr truncated or created); descriptors from 3 up are not inherited.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                directory: String? = nil, stdin: String = "/dev/null", stdout: String = "/dev/null",
                stderr: String = "/dev/null") throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let setup = child_spawn_close_from_and_chdir(&actions, 3, directory)
        guard setup == 0 else { throw SpawnError(executable: executable, message: String(cString: strerror(setup))) }

        // Default dispositions and an empty mask: the test runner may ignore or block signals.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp = variables.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child = pid_t()
        let error = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard error == 0 else { throw SpawnError(executable: executable, message: String(cString: strerror(error))) }
        pid = child
    }

    /// Runs `executable` to its end (killing it after `seconds`) and returns how it ended.
    public static func run(_ executable: String, _ arguments: [String], seconds: Double = 600,
                           stdout: String = "/dev/null", stderr: String = "/dev/null") throws -> Termination {
        try ChildProcess(executable, arguments, stdout: stdout, stderr: stderr).waitOrKill(seconds: seconds)
    }

    /// How the child ended, or nil while it runs. Reaps it the first time it is seen ended.
    public var termination: Termination? {
        lock.lock()
        defer { lock.unlock() }
        if ended == nil { ended = reap(blocking: false) }
        return ended
    }

    public var isRunning: Bool { termination == nil }

    /// Polls every 10 ms for up to `seconds`; nil when the child still runs.
    public func wait(seconds: Double) -> Termination? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let termination { return termination }
            if Date() >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// Waits up to `seconds`, then kills the child (SIGKILL) and reaps it.
    public func waitOrKill(seconds: Double) -> Termination {
        if let done = wait(seconds: seconds) { return done }
        send(SIGKILL)
        lock.lock()
        defer { lock.unlock() }
        if ended == nil { ended = reap(blocking: true) }
        return ended ?? .signal(SIGKILL)
    }

    /// Sends `signal` to the child unless it has been reaped (its pid may then be another's).
    public func send(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if ended == nil { kill(pid, signal) }
    }

    /// `waitpid` on the child; nil when not blocking and it still runs.
    private func reap(blocking: Bool) -> Termination? {
        var status: Int32 = 0
        while true {
            let done = waitpid(pid, &status, blocking ? 0 : WNOHANG)
            if done == pid { break }
            if done == 0 { return nil }
            if errno == EINTR { continue }
            return .exit(-1)  // ECHILD: reaped elsewhere; nothing more can be known
        }
        // The wait-status macros are not imported into Swift: the low 7 bits are the signal.
        let signal = status & 0x7F
        return signal == 0 ? .exit((status >> 8) & 0xFF) : .signal(signal)
    }

    deinit {
        if ended == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }
}

/// `posix_spawn` failed for `executable`.
public struct SpawnError: Error, CustomStringConvertible {
    public let executable: String
    public let message: String
    public var description: String { "could not start \(executable): \(message)" }
}
