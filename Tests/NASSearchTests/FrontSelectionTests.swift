import Foundation
import Testing
@testable import NASSearch

/// Which front models `finalize` trains, on a hand-made study: seven front models shaped like a
/// real default search's front (3.4-4.8 ms) plus two dominated trials.
@Suite struct FrontSelectionTests {
    func report() throws -> StudyReport {
        let space = try nasbench201()
        let rows: [(Int, Double, Double)] = [  // trial, accuracy, latency (ms)
            (62, 0.840, 3.39), (92, 0.8435, 3.50), (95, 0.8455, 3.59), (87, 0.8505, 3.78),
            (71, 0.851, 4.29), (69, 0.853, 4.30), (60, 0.861, 4.75),
            (10, 0.830, 3.60), (11, 0.850, 5.00),  // dominated by 95 and by 60
        ]
        let reward = Reward.soft(targetMs: 5)
        let trials = rows.map { n, acc, ms in
            TrialRecord(number: n, key: "k\(n)", decisions: "[]", status: .done, accuracy: acc, latencyMs: ms,
                        reward: reward(accuracy: acc, latencyMs: ms), startedAt: 0, worker: 0)
        }
        return StudyReport(space: space, settings: settings(space, budget: 9), trials: trials)
    }

    @Test func eachSelectionPicksItsModels() throws {
        let r = try report()
        #expect(r.front.map(\.number) == [62, 92, 95, 87, 71, 69, 60])
        // Reward under the soft constraint: accuracy * (ms / 5)^-0.07, computed by hand for the top 3:
        // 87: 0.8505 * 0.756^-0.07 = 0.8673, 95: 0.8653, 92: 0.8648, 60: 0.8641 -> 87, 95, 92.
        #expect(r.finalizeCandidates(3, by: .reward).map(\.number) == [87, 95, 92])
        #expect(r.finalizeCandidates(3, by: .accuracy).map(\.number) == [60, 69, 71])
        // Spread over 7 by latency: ranks 0, 3 and 6.
        #expect(r.finalizeCandidates(3, by: .spread).map(\.number) == [62, 87, 60])
        #expect(r.finalizeCandidates(2, by: .spread).map(\.number) == [62, 60])
        #expect(r.finalizeCandidates(4, by: .spread).map(\.number) == [62, 95, 71, 60])
        #expect(r.finalizeCandidates(1, by: .spread).map(\.number) == r.finalizeCandidates(1, by: .reward).map(\.number))
        #expect(r.finalizeCandidates(9, by: .spread).map(\.number) == r.front.map(\.number))
        #expect(r.finalizeCandidates(20, by: .accuracy).count == 7)
    }

    @Test func aLatencyLimitKeepsOnlyFastEnoughModels() throws {
        let r = try report()
        // A baseline at 4.38 ms: the most accurate front models faster than it.
        #expect(r.finalizeCandidates(3, by: .accuracy, maxMs: 4.38).map(\.number) == [69, 71, 87])
        #expect(r.finalizeCandidates(3, by: .spread, maxMs: 3.6).map(\.number) == [62, 92, 95])
        #expect(r.finalizeCandidates(3, by: .reward, maxMs: 3.39).map(\.number) == [62])
        #expect(r.finalizeCandidates(3, by: .reward, maxMs: 3.0).isEmpty)
        #expect(r.finalizeCandidates(0, by: .reward).isEmpty)
    }
}

/// `finalize` run again with another selection adds to `final.json` instead of replacing it.
@Suite struct FinalizedModelsMergeTests {
    func model(_ trial: Int?, _ accuracies: [Double], seeds: [UInt64] = [1, 2]) -> FinalizedModels.Model {
        .init(trial: trial, name: trial.map { "trial-\($0)" } ?? "baseline:b.json", key: "k\(trial ?? -1)", proxyAccuracy: 0.85,
              latencyMs: 4, seeds: seeds, testAccuracies: accuracies)
    }

    @Test func aLaterSelectionKeepsEarlierModelsOfTheSameRecipe() {
        let earlier = FinalizedModels(epochs: 10, models: [model(87, [0.92, 0.93]), model(95, [0.91, 0.92]), model(92, [0.90, 0.91])],
                                      baseline: model(nil, [0.93, 0.92]))
        let later = FinalizedModels(epochs: 10, models: [model(71, [0.93, 0.93]), model(87, [0.95, 0.95])], baseline: nil)
        let merged = later.merging(earlier: earlier)
        // This run's models first (87 retrained replaces its earlier entry), then the earlier ones it did not select.
        #expect(merged.models.map(\.trial) == [71, 87, 95, 92])
        #expect(merged.models[1].test_accuracies == [0.95, 0.95])
        #expect(merged.baseline == earlier.baseline)
        #expect(merged.byTrial[87] == 0.95 && merged.byTrial[92] == 0.905)

        // A baseline of this run replaces the earlier one; running the same selection again changes nothing.
        let withBaseline = FinalizedModels(epochs: 10, models: later.models, baseline: model(nil, [0.5, 0.5]))
        #expect(withBaseline.merging(earlier: earlier).baseline?.test_accuracies == [0.5, 0.5])
        #expect(merged.merging(earlier: merged) == merged)
        #expect(later.merging(earlier: nil) == later)
    }

    @Test func anotherEpochCountReplacesTheEarlierModels() {
        let earlier = FinalizedModels(epochs: 10, models: [model(87, [0.92, 0.93])], baseline: model(nil, [0.93, 0.92]))
        let later = FinalizedModels(epochs: 20, models: [model(71, [0.94, 0.94])], baseline: nil)
        #expect(later.merging(earlier: earlier) == later)
    }
}
