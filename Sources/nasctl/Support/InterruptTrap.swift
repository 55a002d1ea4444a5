import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT (Ctrl-C) and SIGTERM during a long command: the first asks it to stop cleanly (a
/// search starts no new trial, kills its running evaluators, records them to be re-run, writes
/// its reports and exits 130 or 143); a second one exits at once. Evaluator process groups die
/// with nasctl either way (their guard processes see nasctl's end).
enum InterruptTrap {
    /// The first signal received (0: none).
    static let received = Atomic<Int32>(0)
    static let count = Atomic<Int>(0)

    /// Installs the handlers (idempotent).
    static func install() {
        // Touch the globals now: their lazy initialisation is not safe inside a signal handler.
        _ = received.load(ordering: .sequentiallyConsistent)
        _ = count.load(ordering: .sequentiallyConsistent)
        signal(SIGINT, interruptHandler)
        signal(SIGTERM, interruptHandler)
        // A launcher may have left them blocked (the mask survives exec): this thread takes them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static var stopRequested: Bool { received.load(ordering: .sequentiallyConsistent) != 0 }
    /// 128 + the signal's number, the shell's convention (130 for Ctrl-C, 143 for SIGTERM).
    static var exitCode: Int32 { 128 + received.load(ordering: .sequentiallyConsistent) }
}

/// Async-signal-safe: atomics, write(2) and _exit only.
private func interruptHandler(_ signal: Int32) {
    if InterruptTrap.count.add(1, ordering: .sequentiallyConsistent).oldValue >= 1 { _exit(128 + signal) }
    InterruptTrap.received.store(signal, ordering: .sequentiallyConsistent)
    let message: StaticString = "\nnasctl: stopping: running trials are stopped and will be re-run on resume (press Ctrl-C again to quit at once)\n"
    message.withUTF8Buffer { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
}
