import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lease on a study: while it is held no other process can own the study. For a folder study
/// it is an exclusive `flock` on `DIR/study.lock`, which the kernel drops when the process
/// ends however it ends, so a crashed search never leaves a stale lock behind. The file names
/// the holder (pid, host, start time) for the error another process gets.
///
/// Ownership is per process: leases on one file taken in the same process share the one lock,
/// which is dropped when the last of them is released.
public final class StudyOwnership: @unchecked Sendable {
    private let path: String
    /// For a lease held elsewhere (a database lock): what giving it up does.
    private var onRelease: (@Sendable () -> Void)?
    private var released = false
    private let lock = NSLock()

    /// Held locks by lock-file path: descriptor and the number of live leases.
    nonisolated(unsafe) private static var held: [String: (descriptor: Int32, leases: Int)] = [:]
    private static let registryLock = NSLock()

    /// Takes the lease on `path` (created if needed) or throws `SearchError.study` naming the
    /// holder.
    public init(lockFile path: String, study: String) throws {
        self.path = path
        Self.registryLock.lock(); defer { Self.registryLock.unlock() }
        if let entry = Self.held[path] {
            Self.held[path] = (entry.descriptor, entry.leases + 1)
            return
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SearchError.study(study, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let why = errno
            var holder = ""
            if let data = FileManager.default.contents(atPath: path) {
                holder = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            close(fd)
            if why == EWOULDBLOCK {
                throw SearchError.study(study, "the study is in use by another nasctl process (\(holder.isEmpty ? "holder unknown" : holder)); wait for it to finish, or use another --study")
            }
            throw SearchError.study(study, "cannot lock \(path): \(String(cString: strerror(why)))")
        }
        let started = ISO8601DateFormatter().string(from: Date())
        let text = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName), since \(started)\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        Self.held[path] = (fd, 1)
    }

    /// A lease another store holds (none, for a PostgreSQL study: it is shared); `release` runs
    /// `onRelease` once.
    public init(releasing onRelease: @escaping @Sendable () -> Void) {
        path = ""
        self.onRelease = onRelease
    }

    /// Gives the lease up (also done when the lease is freed).
    public func release() {
        lock.lock(); defer { lock.unlock() }
        guard !released else { return }
        released = true
        if let onRelease {
            onRelease()
            return
        }
        Self.registryLock.lock(); defer { Self.registryLock.unlock() }
        guard let entry = Self.held[path] else { return }
        if entry.leases > 1 {
            Self.held[path] = (entry.descriptor, entry.leases - 1)
        } else {
            _ = ftruncate(entry.descriptor, 0)
            close(entry.descriptor)
            Self.held[path] = nil
        }
    }

    deinit { release() }
}
