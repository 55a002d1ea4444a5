import ChildProcessSupport
import Foundation
import Testing
@testable import NASSearch

/// Every strategy resumes exactly: a search killed with `kill -9` at random moments and resumed
/// (one worker, a seed) records the same trials, in the same order, as one run uninterrupted.
@Suite struct StrategyResumeTests {
    @Test(arguments: ["evolution", "random", "tpe", "reinforce", "nsga2", "grid"])
    func aKilledSearchResumesToTheSameTrials(strategy: String) throws {
        let nasctl = try nasctlBinaryOrThrow()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-resume-\(strategy)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // Numeric and categorical decisions; the grid (2 points a range) has 16 points, then repeats.
        try """
        name: mixed
        kind: decisions
        decisions:
          lr: {log: [0.0001, 1]}
          units: {int: [8, 64]}
          act: [relu, tanh]
          batch: {ordinal: [16, 64]}
        """.write(toFile: root + "/space.yaml", atomically: true, encoding: .utf8)
        // Accuracy and latency from the architecture file's checksum: deterministic per architecture.
        let command = #"command:sleep 0.05; c=$(cksum < "$NASCTL_ARCH" | cut -d' ' -f1); "# +
            #"echo "{\"accuracy\": 0.$(printf %04d $((c % 10000))), \"latency_ms\": $((c % 97 + 1))}"; :"#
        let budget = 24
        func arguments(_ study: String) -> [String] {
            ["search", "--target-ms", "20", "--space", root + "/space.yaml", "--evaluator", command, "--strategy", strategy, "--population", "6",
             "--sample", "3", "--grid-points", "2", "--cycles", "\(budget)", "--workers", "1", "--seed", "7", "--study", root + "/" + study, "--json"]
        }
        #expect(try ChildProcess.run(nasctl, arguments("straight")) == .exit(0))
        let kills = try killAndResume(nasctl, arguments("killed"), killWithin: 0.3...1.2) {}
        #expect(kills >= 1)
        func outline(_ study: String) throws -> [String] {
            try SQLiteStudyStore(existing: root + "/" + study).trials().map { "\($0.number) \($0.key) \($0.status.rawValue) \($0.parent.map(String.init) ?? "-")" }
        }
        let expected = try outline("straight")
        #expect(expected.count == budget)
        #expect(try outline("killed") == expected)
    }
}
