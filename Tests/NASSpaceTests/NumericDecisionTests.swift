import Foundation
import NASEngine
import Testing
@testable import NASSpace

/// Ordinal, int and float decisions: YAML forms, file:line errors, canonical text, sampling,
/// mutation and grid values.
@Suite struct NumericDecisionTests {
    static let yaml = """
    name: hpo
    kind: decisions
    decisions:
      optimizer: [sgd, adam]
      batch_size: {ordinal: [16, 32, 64]}
      units: {int: [16, 512], log: true}
      layers: {int: [1, 9], step: 2}
      dropout: {float: [0.0, 0.6], step: 0.1}
      momentum: {float: [0.8, 0.99]}
      learning_rate: {log: [0.0001, 0.1]}
    """

    @Test func everyKindIsReadFromYAML() throws {
        let space = try SearchSpace.parse(yaml: Self.yaml)
        #expect(space.decisions.map(\.kind) == [.categorical, .ordinal, .int, .int, .float, .float, .float])
        #expect(space.decisions[1].choices == ["16", "32", "64"])
        #expect(space.decisions[2].bounds == NumericBounds(low: 16, high: 512, log: true))
        #expect(space.decisions[3].bounds == NumericBounds(low: 1, high: 9, step: 2))
        #expect(space.decisions[6].bounds == NumericBounds(low: 0.0001, high: 0.1, log: true))
        #expect(space.decisions[3].valueCount == 5 && space.decisions[4].valueCount == 7 && space.decisions[5].valueCount == nil)
        #expect(space.size == .max)  // a continuous decision
        // The digest sees the ranges.
        let other = try SearchSpace.parse(yaml: Self.yaml.replacingOccurrences(of: "[0.8, 0.99]", with: "[0.8, 0.98]"))
        #expect(other.digest != space.digest)
    }

    /// Each bad range is refused with the field and the line:column of the offending node.
    @Test func badRangesNameTheFieldAndLine() throws {
        let cases: [(String, String, String, String)] = [
            ("{int: [512, 16]}", "decisions.x.int", "4:12", "above high"),
            ("{int: [1.5, 16]}", "decisions.x.int", "4:12", "integer bounds"),
            ("{log: [0, 1]}", "decisions.x.log", "4:12", "low > 0"),
            ("{float: [0, 1], step: 0.3}", "decisions.x.step", "4:28", "multiple of step"),
            ("{float: [0.1, 1], step: 0.1, log: true}", "decisions.x.step", "4:30", "cannot have a step"),
            ("{int: [1, 8], step: 0.5}", "decisions.x.step", "4:26", "integer step"),
            ("{ordinal: [1, 3, 2]}", "decisions.x.ordinal", "4:23", "must increase"),
            ("{ordinal: [1, a]}", "decisions.x.ordinal", "4:20", "must be a number"),
            ("{int: [1]}", "decisions.x.int", "4:12", "[low, high]"),
            ("{int: [1, 4], log: maybe}", "decisions.x.log", "4:25", "true or false"),
            ("{int: [1, 4], float: [1, 2]}", "decisions.x", "4:6", "give one kind"),
            ("{range: [1, 4]}", "decisions.x", "4:6", "one of categorical"),
            ("{int: [1, 4], steps: 2}", "decisions.x.steps", "4:20", "unknown field"),
        ]
        for (entry, field, location, words) in cases {
            let text = "name: s\nkind: decisions\ndecisions:\n  x: \(entry)\n"
            do {
                _ = try SearchSpace.parse(yaml: text, source: "s.yaml")
                Issue.record("\(entry) was accepted")
            } catch let error as SpaceError {
                #expect(error.field == field, "\(entry): \(error)")
                #expect(error.location == location, "\(entry): \(error)")
                #expect(error.problem.contains(words), "\(entry): \(error)")
                #expect(error.file == "s.yaml")
            }
        }
    }

    @Test func canonicalTextAndJSONNumbers() throws {
        let space = try SearchSpace.parse(yaml: Self.yaml)
        let d = space.decisions
        #expect(d[4].canonical(text: "0.30") == "0.3")
        #expect(d[4].canonical(.number(0.1 + 0.2)) == "0.3")  // 0.30000000000000004 is on the step
        #expect(d[4].canonical(text: "0.35") == nil)  // off the step
        #expect(d[4].canonical(text: "0.7") == nil)  // above high
        #expect(d[2].canonical(text: "100") == "100" && d[2].canonical(text: "100.5") == nil && d[2].canonical(text: "8") == nil)
        #expect(d[3].canonical(text: "4") == nil && d[3].canonical(.number(5)) == "5")
        #expect(d[1].canonical(text: "32.0") == "32" && d[1].canonical(text: "48") == nil)
        #expect(d[6].canonical(text: "0.00031") == "0.00031" && d[6].canonical(text: "0.2") == nil)
        // Architecture JSON holds numbers as numbers and reads back to the same architecture.
        var rng = SplitMix64(seed: 7)
        let arch = Architecture.random(in: space, using: &rng)
        let json = try arch.json(in: space)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let decisions = try #require(object["decisions"] as? [String: Any])
        #expect(decisions["optimizer"] is String)
        for name in ["batch_size", "units", "layers", "dropout", "momentum", "learning_rate"] {
            #expect(decisions[name] is NSNumber && !(decisions[name] is String), "\(name): \(String(describing: decisions[name]))")
        }
        #expect(try Architecture.parse(json: Data(json.utf8), space: space) == arch)
        #expect(throws: SpaceError.self) {
            try Architecture(space: space, values: ["optimizer": .text("sgd"), "batch_size": .number(16), "units": .number(1000), "layers": .number(1),
                                                    "dropout": .number(0), "momentum": .number(0.9), "learning_rate": .number(0.01)])
        }
    }

    /// 4,000 seeded draws stay inside the bounds and on the steps; a log range is log-uniform
    /// (its median near the geometric mean of the bounds); every value of a small range occurs.
    @Test func samplingStaysInsideBoundsAndFollowsTheScale() throws {
        let space = try SearchSpace.parse(yaml: Self.yaml)
        var rng = SplitMix64(seed: 11)
        var columns = [[Double]](repeating: [], count: space.decisions.count)
        for _ in 0..<4000 {
            let arch = Architecture.random(in: space, using: &rng)
            try arch.validate(in: space)
            for (i, v) in arch.values.enumerated() where i > 0 { columns[i].append(Double(v)!) }
        }
        #expect(columns[2].allSatisfy { (16...512).contains($0) && $0 == $0.rounded() })
        #expect(Set(columns[3]) == [1, 3, 5, 7, 9])
        #expect(Set(columns[4]) == Set([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]))
        #expect(columns[5].allSatisfy { (0.8...0.99).contains($0) })
        #expect(columns[6].allSatisfy { (0.0001...0.1).contains($0) })
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        #expect(abs(log10(median(columns[6])) - -2.5) < 0.1, "median \(median(columns[6]))")  // uniform would give ~0.05
        #expect(abs(log2(median(columns[2])) - log2((15.5 * 512.5).squareRoot())) < 0.15, "median \(median(columns[2]))")
        #expect(abs(median(columns[5]) - 0.895) < 0.01)
    }

    @Test func mutationChangesOneValueAndStaysInBounds() throws {
        let space = try SearchSpace.parse(yaml: Self.yaml)
        var rng = SplitMix64(seed: 3)
        for decision in space.decisions where decision.isNumericRange {
            var current = decision.randomValue(using: &rng)
            for _ in 0..<300 {
                let next = decision.mutatedValue(from: current, using: &rng)
                #expect(next != current)
                #expect(decision.canonical(text: next) == next, "\(decision.name): \(next)")
                current = next
            }
        }
        // A range of two values flips between them.
        let pair = Decision(name: "p", kind: .int, bounds: NumericBounds(low: 1, high: 2))
        #expect(pair.mutatedValue(from: "1", using: &rng) == "2")
        #expect(!Decision(name: "one", kind: .int, bounds: NumericBounds(low: 3, high: 3)).isMutable)
    }

    @Test func gridValuesAreEvenlySpacedOnTheDecisionsScale() {
        #expect(Decision(name: "a", kind: .float, bounds: NumericBounds(low: 0, high: 1)).gridValues(points: 3) == ["0", "0.5", "1"])
        #expect(Decision(name: "b", kind: .float, bounds: NumericBounds(low: 0.001, high: 0.1, log: true)).gridValues(points: 3) == ["0.001", "0.01", "0.1"])
        #expect(Decision(name: "c", kind: .int, bounds: NumericBounds(low: 16, high: 256, log: true)).gridValues(points: 5) == ["16", "32", "64", "128", "256"])
        #expect(Decision(name: "d", kind: .int, bounds: NumericBounds(low: 1, high: 3)).gridValues(points: 10) == ["1", "2", "3"])
        #expect(Decision(name: "e", kind: .float, bounds: NumericBounds(low: 0, high: 0.6, step: 0.3)).gridValues(points: 10) == ["0", "0.3", "0.6"])
        #expect(Decision(name: "f", kind: .int, bounds: NumericBounds(low: 0, high: 10)).gridValues(points: 4) == ["0", "3", "7", "10"])
    }
}
