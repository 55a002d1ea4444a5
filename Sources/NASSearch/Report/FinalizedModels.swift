import Foundation

/// `DIR/final.json`: the front models `nasctl finalize` trained on the whole training set and
/// scored once each on the test set, and optionally a baseline trained with the same recipe
/// and seeds. The study's reports show `final_test_accuracy` (the mean over seeds) beside the
/// proxy score.
public struct FinalizedModels: Codable, Sendable, Equatable {
    public struct Model: Codable, Sendable, Equatable {
        /// The study trial (nil for the baseline).
        public var trial: Int?
        /// `trial-N`, or `baseline:FILE`.
        public var name: String
        public var key: String
        public var proxy_accuracy: Double?
        public var latency_ms: Double?
        public var seeds: [UInt64]
        /// Test accuracy per seed, in `seeds` order.
        public var test_accuracies: [Double]

        public init(trial: Int?, name: String, key: String, proxyAccuracy: Double?, latencyMs: Double?, seeds: [UInt64], testAccuracies: [Double]) {
            self.trial = trial; self.name = name; self.key = key; proxy_accuracy = proxyAccuracy; latency_ms = latencyMs
            self.seeds = seeds; test_accuracies = testAccuracies
        }

        /// Mean test accuracy over the seeds.
        public var final_test_accuracy: Double { test_accuracies.reduce(0, +) / Double(max(test_accuracies.count, 1)) }
        /// Largest minus smallest test accuracy over the seeds (0 with one seed).
        public var spread: Double { (test_accuracies.max() ?? 0) - (test_accuracies.min() ?? 0) }

        enum CodingKeys: String, CodingKey { case trial, name, key, proxy_accuracy, latency_ms, seeds, test_accuracies, final_test_accuracy, spread }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            trial = try c.decodeIfPresent(Int.self, forKey: .trial)
            name = try c.decode(String.self, forKey: .name)
            key = try c.decode(String.self, forKey: .key)
            proxy_accuracy = try c.decodeIfPresent(Double.self, forKey: .proxy_accuracy)
            latency_ms = try c.decodeIfPresent(Double.self, forKey: .latency_ms)
            seeds = try c.decode([UInt64].self, forKey: .seeds)
            test_accuracies = try c.decode([Double].self, forKey: .test_accuracies)
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(trial, forKey: .trial); try c.encode(name, forKey: .name); try c.encode(key, forKey: .key)
            try c.encodeIfPresent(proxy_accuracy, forKey: .proxy_accuracy); try c.encodeIfPresent(latency_ms, forKey: .latency_ms)
            try c.encode(seeds, forKey: .seeds); try c.encode(test_accuracies, forKey: .test_accuracies)
            try c.encode(final_test_accuracy, forKey: .final_test_accuracy); try c.encode(spread, forKey: .spread)
        }
    }

    public var epochs: Double
    public var models: [Model]
    public var baseline: Model?

    public init(epochs: Double, models: [Model], baseline: Model?) { self.epochs = epochs; self.models = models; self.baseline = baseline }

    public static func path(in directory: String) -> String { (directory as NSString).appendingPathComponent("final.json") }

    /// The study's finalized models, nil when it has none; a damaged file is an error naming it.
    public static func load(directory: String) throws -> FinalizedModels? {
        let file = path(in: directory)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        do {
            return try JSONDecoder().decode(FinalizedModels.self, from: data)
        } catch {
            throw SearchError.study(file, "not a finalize result (\(error)); delete it and run nasctl finalize again")
        }
    }

    public func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(in: directory)), options: .atomic)
    }

    /// These models after an earlier `finalize` of the same study: a model of this run replaces
    /// the earlier one of the same trial, earlier models this run did not select are kept (their
    /// trainings are done; a later `--select` adds to the reports instead of hiding them), and the
    /// earlier baseline is kept when this run has none. An earlier run of another epoch count
    /// is a different recipe and is dropped. O(n) in the models.
    public func merging(earlier: FinalizedModels?) -> FinalizedModels {
        guard let earlier, earlier.epochs == epochs else { return self }
        let chosen = Set(models.compactMap(\.trial))
        let kept = earlier.models.filter { $0.trial.map { !chosen.contains($0) } ?? false }
        return FinalizedModels(epochs: epochs, models: models + kept, baseline: baseline ?? earlier.baseline)
    }

    /// Final test accuracy by trial number.
    public var byTrial: [Int: Double] {
        Dictionary(models.compactMap { m in m.trial.map { ($0, m.final_test_accuracy) } }, uniquingKeysWith: { a, _ in a })
    }

    /// Hypervolume of the finalized models' (final test accuracy, latency) points, as
    /// `StudyReport.hypervolume` normalises it.
    public func hypervolume(referenceMs: Double) -> Double {
        Pareto.hypervolume(models.compactMap { m in m.latency_ms.map { Pareto.Point(accuracy: m.final_test_accuracy, latencyMs: $0) } },
                           referenceMs: referenceMs)
    }
}
