import CGuardedSpawn
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A command run under a guard process (`nasctl_guarded_spawn`, the one file that calls it):
/// the command and everything it starts share a process group that the guard kills when the
/// command ends, when `stop()` is called, or when nasctl dies however it dies (kill -9
/// included), so no training program outlives the trial it belongs to.
final class GuardedProcess: @unchecked Sendable {
    /// How the command ended.
    enum Outcome: Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// Stopped by `wait`'s deadline.
        case timedOut
        /// Stopped because `shouldStop` said so.
        case stopped
    }

    private let guardPID: pid_t
    private var control: Int32

    /// Starts `executable` with `arguments` (argv[1...]) and exactly `environment`.
    init(executable: String, arguments: [String], environment: [String: String], stdin: Int32, stdout: Int32, stderr: Int32) throws {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var control: Int32 = -1
        let pid = argv.withUnsafeBufferPointer { a in
            envp.withUnsafeBufferPointer { e in
                nasctl_guarded_spawn(executable, a.baseAddress, e.baseAddress, stdin, stdout, stderr, &control)
            }
        }
        guard pid > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        guardPID = pid
        self.control = control
    }

    /// Waits until the command ends, `seconds` pass (then it is killed: `.timedOut`) or
    /// `shouldStop()` turns true (killed: `.stopped`); polls every 20 ms.
    func wait(seconds: Double, shouldStop: () -> Bool) -> Outcome {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while true {
            let done = waitpid(guardPID, &status, WNOHANG)
            if done == guardPID { break }
            if done < 0 && errno != EINTR { return .signalled(SIGKILL) }
            if shouldStop() { kill(); return .stopped }
            if Date() >= deadline { kill(); return .timedOut }
            usleep(20_000)
        }
        closeControl()
        // WIFEXITED / WIFSIGNALED by hand (the C macros are not imported).
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    /// Kills the command's whole group and reaps the guard.
    func kill() {
        closeControl()
        var status: Int32 = 0
        while waitpid(guardPID, &status, 0) < 0 && errno == EINTR {}
    }

    private func closeControl() {
        if control >= 0 {
            close(control)
            control = -1
        }
    }

    deinit { closeControl() }
}
