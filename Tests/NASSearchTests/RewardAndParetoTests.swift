import Foundation
import NASEngine
import Testing
@testable import NASSearch

@Suite struct RewardTests {
    @Test func softConstraint() {
        let r = Reward.soft(targetMs: 30)
        #expect(abs(r(accuracy: 0.8, latencyMs: 15) - 0.8 * pow(0.5, -0.07)) < 1e-12)  // faster: bonus
        #expect(r(accuracy: 0.8, latencyMs: 30) == 0.8)                                  // at T: accuracy
        #expect(abs(r(accuracy: 0.8, latencyMs: 60) - 0.8 * pow(2.0, -0.07)) < 1e-12)   // slower: penalty
        #expect(r(accuracy: 0.8, latencyMs: 15) > 0.8 && r(accuracy: 0.8, latencyMs: 60) < 0.8)
    }

    @Test func hardConstraint() {
        let r = Reward.hard(targetMs: 30)
        #expect(r(accuracy: 0.8, latencyMs: 15) == 0.8)                          // alpha = 0
        #expect(r(accuracy: 0.8, latencyMs: 30) == 0.8)
        #expect(abs(r(accuracy: 0.8, latencyMs: 60) - 0.4) < 1e-12)             // beta = -1
    }

    @Test func accuracyAloneWithoutLatencyOrWithZeroExponent() {
        #expect(Reward.soft(targetMs: 30)(accuracy: 0.7, latencyMs: nil) == 0.7)
        #expect(Reward.soft(targetMs: 30, w: 0)(accuracy: 0.7, latencyMs: 90) == 0.7)
    }
}

@Suite struct ParetoTests {
    /// Brute force: a point is on the front iff no other point dominates it.
    func bruteForce(_ points: [Pareto.Point]) -> Set<Int> {
        Set(points.indices.filter { i in !points.indices.contains { j in j != i && points[j].dominates(points[i]) } })
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func frontMatchesBruteForceWithTiesAndDuplicates(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for size in [0, 1, 2, 5, 30, 200] {
            // Coarse grids make equal accuracies, equal latencies and exact duplicates common.
            let points = (0..<size).map { _ in
                Pareto.Point(accuracy: Double(rng.next() % 10) / 10, latencyMs: Double(rng.next() % 8) + 1)
            }
            let front = Pareto.front(points)
            #expect(Set(front) == bruteForce(points))
            #expect(front.count == Set(front).count)
            let latencies = front.map { points[$0].latencyMs }
            #expect(latencies == latencies.sorted())
        }
    }

    @Test func hypervolumeOfAHandComputedFront() {
        // Reference 10 ms. Front: (2 ms, 0.5), (5 ms, 0.8); (6 ms, 0.7) is dominated.
        // Area = (10-2)·0.5 + (10-5)·(0.8-0.5) = 4 + 1.5 = 5.5 → 0.55 normalised.
        let points = [Pareto.Point(accuracy: 0.5, latencyMs: 2), Pareto.Point(accuracy: 0.8, latencyMs: 5), Pareto.Point(accuracy: 0.7, latencyMs: 6)]
        #expect(abs(Pareto.hypervolume(points, referenceMs: 10) - 0.55) < 1e-12)
        #expect(Pareto.hypervolume([Pareto.Point(accuracy: 0.9, latencyMs: 12)], referenceMs: 10) == 0)
        #expect(Pareto.hypervolume([], referenceMs: 10) == 0)
    }
}
