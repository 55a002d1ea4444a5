import Synchronization
import Testing
@testable import NASEngine

@Suite struct ThreadPoolTests {
    @Test(arguments: [1, 2, 3])
    func parallelForVisitsEveryIndexExactlyOnce(threads: Int) {
        let context = ExecutionContext(threads: threads)
        defer { _ = ExecutionContext(threads: 1) }
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
        defer { _ = ExecutionContext(threads: 1) }
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
        defer { _ = ExecutionContext(threads: 1) }
        one.fillInputRandomly(seed: 9)
        two.fillInputRandomly(seed: 9)
        let a = Array(one.run()), b = Array(two.run())
        #expect(maxRelativeError(a, b) < 1e-5)
    }
}
