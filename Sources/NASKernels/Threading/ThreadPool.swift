import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed set of worker threads that run the parts of one parallel loop at a time.
///
/// Kernels issue many short parallel loops per inference (one per layer or GEMM), so waking
/// threads through a queue each time would cost more than the work. Workers spin on a
/// generation counter for a short while after each loop (a few tens of microseconds), then
/// sleep on a condition variable; the caller runs parts too and spins until all are done.
/// One pool per thread count lives for the process.
///
/// Claiming a part is one compare-and-swap on a word that packs the loop's part count with the
/// next index (`Claim`), so a worker still finishing one loop can never take an index of the
/// next loop against the previous loop's size (or the reverse): its swap fails when the word
/// changed, and it reads the task only after a successful claim, while the loop cannot end.
final class ThreadPool: @unchecked Sendable {
    /// Total threads including the caller.
    let threads: Int
    private let generation = Atomic<Int>(0)
    /// `Claim.pack(parts, next)` of the current loop.
    private let claim = Atomic<UInt64>(0)
    private let finishedParts = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private var task: ((Int) -> Void)?
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    /// Serialises callers: one loop at a time runs on a pool.
    private let callerLock = Mutex<Void>(())
    private static let spinsBeforeSleep = 200_000

    private init(threads: Int) {
        self.threads = threads
        #if DEBUG
        afterWorkerReadsClaim = nil
        #endif
        startWorkers()
    }

    private func startWorkers() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for _ in 1..<threads {
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private static let registry = Mutex<[Int: ThreadPool]>([:])

    /// The process-wide pool with `threads` threads (created on first use).
    static func shared(threads: Int) -> ThreadPool {
        registry.withLock { pools in
            if let pool = pools[threads] { return pool }
            let pool = ThreadPool(threads: threads)
            pools[threads] = pool
            return pool
        }
    }

    /// The claim word: the loop's part count in the high 32 bits, the next index in the low 32.
    enum Claim {
        static func pack(parts: Int, next: Int) -> UInt64 { UInt64(parts) << 32 | UInt64(next) }
        static func parts(_ word: UInt64) -> Int { Int(word >> 32) }
        static func next(_ word: UInt64) -> Int { Int(word & 0xFFFF_FFFF) }
    }

    #if DEBUG
    /// Test hook: called by pool threads (not the caller) after reading the claim word and before
    /// acting on it, so a test can pause a worker exactly in the window where a new loop may start.
    /// Fixed at creation (`ThreadPool(testingThreads:hook:)`), so no thread ever sees it change.
    private let afterWorkerReadsClaim: (@Sendable (UInt64) -> Void)?

    /// A private pool (not one of the shared ones) whose workers call `hook`. Test use only.
    init(testingThreads threads: Int, hook: @escaping @Sendable (UInt64) -> Void) {
        self.threads = threads
        self.afterWorkerReadsClaim = hook
        startWorkers()
    }
    #endif

    /// Runs `body(part)` for every part in `0..<parts` across the pool; returns when all are done.
    /// A call made while the pool is busy (from inside a part, or from another thread) runs its
    /// parts inline instead of waiting, so nesting never deadlocks.
    func run(parts: Int, _ body: (Int) -> Void) {
        precondition(parts >= 0 && parts < 1 << 31, "ThreadPool: part count \(parts) out of range")
        let ran: Void? = callerLock.withLockIfAvailable { _ in
            withoutActuallyEscaping(body) { body in
                finishedParts.store(0, ordering: .sequentiallyConsistent)
                self.task = body
                // Published last: from here on the parts can be claimed.
                claim.store(Claim.pack(parts: parts, next: 0), ordering: .sequentiallyConsistent)
                generation.add(1, ordering: .sequentiallyConsistent)
                if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                    pthread_mutex_lock(&mutex)
                    pthread_cond_broadcast(&condition)
                    pthread_mutex_unlock(&mutex)
                }
                work(isWorker: false)
                while finishedParts.load(ordering: .sequentiallyConsistent) < parts { spinPause() }
                self.task = nil
            }
        }
        if ran == nil {
            for part in 0..<parts { body(part) }
        }
    }

    /// Takes parts until none are left. A successful claim of part i means the loop it belongs to
    /// has an unfinished part, so the caller has not moved on and `task` is that loop's.
    private func work(isWorker: Bool) {
        var word = claim.load(ordering: .sequentiallyConsistent)
        while true {
            #if DEBUG
            if isWorker, let hook = afterWorkerReadsClaim { hook(word) }
            #endif
            let part = Claim.next(word)
            guard part < Claim.parts(word) else { return }
            let (exchanged, current) = claim.compareExchange(expected: word, desired: word + 1, ordering: .sequentiallyConsistent)
            guard exchanged else {
                word = current
                continue
            }
            runPart(part)
            // Counted only after `runPart` returned and released its reference to the task, so
            // the caller's `withoutActuallyEscaping` never sees the closure still held.
            finishedParts.add(1, ordering: .sequentiallyConsistent)
            word = claim.load(ordering: .sequentiallyConsistent)
        }
    }

    @inline(never)
    private func runPart(_ part: Int) { task?(part) }

    private func workerLoop() {
        var seen = generation.load(ordering: .sequentiallyConsistent)
        while true {
            var spins = 0
            while generation.load(ordering: .sequentiallyConsistent) == seen && spins < Self.spinsBeforeSleep {
                spinPause()
                spins += 1
            }
            if generation.load(ordering: .sequentiallyConsistent) == seen {
                pthread_mutex_lock(&mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen {
                    pthread_cond_wait(&condition, &mutex)
                }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(&mutex)
            }
            seen = generation.load(ordering: .sequentiallyConsistent)
            work(isWorker: true)
        }
    }

    /// A short busy wait between polls (Swift has no portable `pause` instruction).
    @inline(never)
    private func spinPause() {}
}
