import Foundation
import Synchronization
import Testing
@testable import NASEngine
@testable import NASKernels

@Suite struct ThreadPoolTests {
    @Test(arguments: [1, 2, 3])
    func parallelForVisitsEveryIndexExactlyOnce(threads: Int) {
        let context = ExecutionContext(threads: threads)
        for count in [0, 1, 2, 7, 1000] {
            for _ in 0..<200 {  // many short loops: the pool's hand-off is exercised repeatedly
                let visits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
                visits.initialize(repeating: 0)
                context.parallelFor(count) { range in for i in range { visits[i] += 1 } }
                #expect(visits.prefix(count).allSatisfy { $0 == 1 })
                visits.deallocate()
            }
        }
    }

    @Test func nestedParallelForRunsInline() {
        let context = ExecutionContext(threads: 2)
        let total = Atomic<Int>(0)
        context.parallelFor(4) { outer in
            for _ in outer {
                context.parallelFor(10) { inner in total.add(inner.count, ordering: .relaxed) }
            }
        }
        #expect(total.load(ordering: .relaxed) == 40)
    }

    @Test func networkGivesTheSameOutputAtOneAndTwoThreads() throws {
        let network = try MobileNetV2.network(resolution: 40, width: 0.5, classes: 10, seed: 8)
        let one = NetworkExecutor(network: network, context: ExecutionContext(threads: 1))
        let two = NetworkExecutor(network: network, context: ExecutionContext(threads: 2))
        one.fillInputRandomly(seed: 9)
        two.fillInputRandomly(seed: 9)
        let a = Array(one.run()), b = Array(two.run())
        #expect(maxRelativeError(a, b) < 1e-5)
    }
}

/// The hand-off between consecutive loops on one pool, with threads paused at the worst moment.
/// Serialized: the pause hook is process-wide.
@Suite(.serialized) struct ThreadPoolRaceTests {
    /// A worker that read the claim word of a finished loop is held until the next, larger loop
    /// has started; it must not run a part of that loop under the old loop's claim (on the
    /// wave-1 pool it ran part k twice and the caller returned while it was still writing).
    @Test func aWorkerPausedBetweenLoopsNeverRunsAPartTwice() throws {
        let paused = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0), resumed = DispatchSemaphore(value: 0)
        let armed = Atomic<Bool>(true)
        // A pool of its own: the hook is fixed at creation and no other test's loops run on it.
        let pool = ThreadPool(testingThreads: 3) { word in
            // The first worker to find loop A (2 parts) exhausted waits there.
            guard ThreadPool.Claim.parts(word) == 2, ThreadPool.Claim.next(word) >= 2,
                  armed.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged else { return }
            paused.signal()
            _ = go.wait(timeout: .now() + 10)
            resumed.signal()
        }
        let counts = UnsafeMutableBufferPointer<Atomic<Int>>.allocate(capacity: 8)
        for i in 0..<8 { (counts.baseAddress! + i).initialize(to: Atomic<Int>(0)) }
        defer { counts.deallocate() }
        // A new pool's threads start asynchronously: let them all reach their loop first (a
        // thread that starts after a loop began waits for the next one).
        for _ in 0..<20 {
            pool.run(parts: 3) { _ in }
            usleep(2_000)
        }
        pool.run(parts: 2) { _ in }
        #expect(paused.wait(timeout: .now() + 10) == .success, "no worker reached the end of loop A")
        let stillRunning = Atomic<Int>(0)
        pool.run(parts: 8) { part in
            stillRunning.add(1, ordering: .sequentiallyConsistent)
            if part == 0 {
                go.signal()
                _ = resumed.wait(timeout: .now() + 10)
                usleep(20_000)  // the resumed worker acts on what it read meanwhile
            }
            counts[part].add(1, ordering: .sequentiallyConsistent)
            stillRunning.subtract(1, ordering: .sequentiallyConsistent)
        }
        #expect(stillRunning.load(ordering: .sequentiallyConsistent) == 0, "run returned while a part was running")
        #expect((0..<8).map { counts[$0].load(ordering: .sequentiallyConsistent) } == Array(repeating: 1, count: 8))
    }

    /// Thousands of loops with part counts changing on every call, at 3-8 threads.
    @Test(arguments: 3...8)
    func partCountsChangingEveryCallRunEachPartOnce(threads: Int) {
        let pool = ThreadPool.shared(threads: threads)
        var rng = SplitMix64(seed: UInt64(threads))
        let visits = UnsafeMutableBufferPointer<Atomic<Int>>.allocate(capacity: 64)
        for i in 0..<64 { (visits.baseAddress! + i).initialize(to: Atomic<Int>(0)) }
        defer { visits.deallocate() }
        var wrong = 0
        for _ in 0..<3000 {
            let parts = Int(rng.next() % 64)
            for i in 0..<64 { visits[i].store(0, ordering: .relaxed) }
            pool.run(parts: parts) { part in visits[part].add(1, ordering: .relaxed) }
            for i in 0..<64 where visits[i].load(ordering: .relaxed) != (i < parts ? 1 : 0) { wrong += 1 }
        }
        #expect(wrong == 0)
    }
}
